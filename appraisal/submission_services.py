"""The commune's side of the city's appraisal: sending the signed dossier to the city
(`submission_send`), and answering the city's requests to explain (`explanation_item_answer`,
`explanation_item_upload`, `explanation_send`).

What may be sent and why not is one function (`submission_readiness`), read by the commune's
panel and by the service alike; who may act is the rule book's (assessments.access)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from appraisal import notices, stages
from appraisal.models import (
    CityAdjustment,
    ExplanationItem,
    ExplanationRequest,
    Round,
    Submission,
    SubmissionEvent,
)
from appraisal.standing import refresh
from assessments.access import (
    SIGNED_BY_ORGANISATION,
    SIGNED_BY_PERSON,
    at_city,
    explanation_upload_refusal,
    is_frozen,
    require_answer_explanation,
    require_submit_to_city,
    signer_label,
    signing_stages,
)
from assessments.models import Assessment
from assessments.selectors import assessment_results
from audit.services import Action, audit_record
from evidence.selectors import evidence_links_for_archive
from evidence.services import UploadOutcome, evidence_upload
from evidence.text import nfc
from guards.versions import bump_assessment
from reports.models import Report

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: an answer is a few paragraphs; the form and the service both hold it to this
ANSWER_MAX = 5000


def _points(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# -- Sending the dossier ----------------------------------------------------------------------


@dataclass
class Readiness:
    """Whether the commune's dossier can be sent now, and what it would be sent with."""

    assessment: Assessment
    submission: Submission | None = None
    report: Report | None = None
    round: Round | None = None
    refusal: str = ""
    #: sent (or to be sent) after the round's deadline: allowed, recorded as late
    late: bool = False

    @property
    def ready(self) -> bool:
        return not self.refusal


def latest_issued_report(assessment: Assessment) -> Report | None:
    """The assessment's latest issued report (a correction replaces the one before it)."""
    return (
        Report.objects.filter(assessment=assessment, status=Report.Status.ISSUED)
        .order_by("-issued_at", "-pk")
        .first()
    )


def find_round(assessment: Assessment) -> Round | None:
    """The city's round for the assessment's year and period (None: not opened)."""
    city_id = assessment.commune.city_id
    if city_id is None:
        return None
    return Round.objects.filter(
        city_id=city_id, year=assessment.year, period=assessment.period
    ).first()


def submission_readiness(assessment: Assessment, today: dt.date | None = None) -> Readiness:
    """Can the dossier go to the city now? Both signatures on the latest issued report, the
    assessment still frozen by it, a round of the commune's city for its period and criteria
    set, and not sent already. Past the round's deadline it can, marked late."""
    today = today or timezone.localdate()
    state = Readiness(assessment=assessment, submission=at_city(assessment))
    if state.submission is not None:
        sent = timezone.localtime(state.submission.submitted_at)
        state.refusal = f"Hồ sơ đã gửi lên thành phố lúc {sent:%H:%M %d/%m/%Y}."
        state.report, state.round = state.submission.report, state.submission.round
        return state
    state.report = report = latest_issued_report(assessment)
    if report is None:
        state.refusal = (
            "Chưa có báo cáo đã ban hành: văn thư ban hành báo cáo, người có thẩm quyền ký số "
            "và văn thư đóng dấu, rồi mới gửi hồ sơ."
        )
        return state
    if report.reopened_at is not None or not is_frozen(assessment):
        state.refusal = (
            f"Kỳ đánh giá đã được mở lại để đính chính {report.number_text}: ban hành và ký "
            "báo cáo đính chính trước khi gửi hồ sơ."
        )
        return state
    signed = signing_stages(report)
    if SIGNED_BY_PERSON not in signed:
        state.refusal = f"{report.number_text} chưa được {signer_label(report)} ký số."
        return state
    if SIGNED_BY_ORGANISATION not in signed:
        state.refusal = f"{report.number_text} chưa được văn thư đóng dấu (ký số của cơ quan)."
        return state
    state.round = round_ = find_round(assessment)
    if round_ is None:
        state.refusal = (
            f"Thành phố chưa mở đợt thẩm định {assessment.get_period_display().lower()} "
            f"{assessment.year}: chưa gửi được hồ sơ."
        )
        return state
    if round_.criteria_set_id != assessment.criteria_set_id:
        state.refusal = (
            "Đợt thẩm định của thành phố dùng bộ tiêu chí khác với kỳ đánh giá này: "
            "đề nghị liên hệ Sở Nội vụ."
        )
        return state
    state.late = today > round_.submission_deadline
    return state


def submission_snapshot(assessment: Assessment, report: Report) -> dict[str, Any]:
    """What is sent, as plain data: per sub-criterion the unit's, the leaders' and the
    approved points with the unit's account; the issued files and every current evidence
    file with their SHA-256; the deductions and disqualifiers the commune declared."""
    results = assessment_results(assessment)
    scores: dict[str, dict[str, Any]] = {}
    for leaf in results.leaves:
        score, assignment = leaf.score, leaf.assignment
        lead = assignment.lead_unit if assignment is not None else None
        scores[leaf.criterion.code] = {
            "title": leaf.criterion.title,
            "max": str(leaf.criterion.max_points),
            "proposed": _points(score.proposed_points) if score else None,
            "leader": _points(score.leader_points) if score else None,
            "approved": _points(score.approved_points) if score else None,
            "status": score.status if score else "not_started",
            "not_arising": bool(score and score.not_arising),
            "unit": str(lead) if lead is not None else "",
            "result_text": score.result_text if score else "",
            "shortfall_reason": score.shortfall_reason if score else "",
        }
    files = [
        {"id": f.pk, "kind": f.kind, "stage": f.stage, "sha256": f.sha256, "size": f.size}
        for f in report.files.order_by("kind", "created_at", "pk")
    ]
    evidence = []
    for link in evidence_links_for_archive(assessment):
        item, stored = link.evidence, link.evidence.current_file
        assert stored is not None  # evidence_links_for_archive keeps evidence with a file
        evidence.append(
            {
                "id": item.pk,
                "code": item.code,
                "title": item.title,
                "criterion": link.criterion.code,
                "file_id": stored.pk,
                "file_name": stored.original_name,
                "sha256": stored.sha256,
                "size": stored.size,
            }
        )
    level = results.level
    return {
        "report": {
            "id": report.pk,
            "number": report.number,
            "symbol": report.symbol,
            "issue_date": report.issue_date.isoformat() if report.issue_date else None,
            "summary": report.summary,
        },
        "totals": {
            "proposed": str(results.proposed.final),
            "approved": str(results.approved.final),
            "level": level.name if level is not None else None,
            "target_level": results.target.name if results.target is not None else None,
        },
        "scores": scores,
        "files": files,
        "evidence": evidence,
        "adjustments": [
            {
                "id": entry.adjustment_id,
                "title": entry.adjustment.title,
                "kind": entry.adjustment.kind,
                "cases": entry.cases,
                "note": entry.note,
            }
            for entry in [*results.deductions, *results.disqualifiers]
        ],
    }


def submission_send(*, assessment: Assessment, by: User) -> Submission:
    """The secretary sends the signed dossier to the city: the Submission (stage "submitted")
    with its snapshot, its first event, the commune's declared deductions and disqualifiers
    copied as the city's starting findings, the standing, the appraisers told, the audit."""
    require_submit_to_city(by, assessment)
    with transaction.atomic():
        # The assessment's row lock serialises two sends (and a reopening) of one commune.
        assessment = Assessment.objects.select_for_update(no_key=True).get(pk=assessment.pk)
        state = submission_readiness(assessment)
        if state.refusal:
            raise ValidationError(state.refusal)
        assert state.report is not None and state.round is not None
        snapshot = submission_snapshot(assessment, state.report)
        submission = Submission.objects.create(
            round=state.round,
            assessment=assessment,
            report=state.report,
            stage=Submission.Stage.SUBMITTED,
            submitted_by=by,
            submitted_at=timezone.now(),
            snapshot=snapshot,
            self_total=Decimal(snapshot["totals"]["approved"]),
        )
        deadline = f"{state.round.submission_deadline:%d/%m/%Y}"
        detail = f"Gửi kèm {state.report.number_text} ngày {state.report.issue_date:%d/%m/%Y}"
        if state.late:
            detail += f"; gửi sau hạn {deadline} (trễ hạn)"
        SubmissionEvent.objects.create(
            submission=submission, stage=Submission.Stage.SUBMITTED, detail=detail, user=by
        )
        CityAdjustment.objects.bulk_create(
            CityAdjustment(
                submission=submission,
                adjustment_id=row["id"],
                cases=row["cases"],
                note=row["note"],
                entered_by=by,
            )
            for row in snapshot["adjustments"]
        )
        bump_assessment(assessment.pk)  # bulk_create sends no signal (guards/versions.py)
        refresh(submission)
        audit_record(
            action=Action.SUBMISSION_SEND,
            user=by,
            commune=assessment.commune,
            target=submission,
            summary=f"Gửi hồ sơ lên thành phố: {detail}",
            details={
                "round": state.round.pk,
                "report": state.report.pk,
                "late": state.late,
                "scores": len(snapshot["scores"]),
                "files": len(snapshot["files"]),
                "evidence": len(snapshot["evidence"]),
            },
        )
        notices.notify_submission_sent(submission)
    return submission


#: the name the brief gives it
submit = submission_send


def is_late(submission: Submission) -> bool:
    """Sent after the round's deadline."""
    sent = timezone.localdate(submission.submitted_at)
    return sent > submission.round.submission_deadline


# -- Answering a request to explain -------------------------------------------------------------


def request_is_late(request: ExplanationRequest) -> bool:
    """Answered (or, while open, now) after the deadline."""
    when = request.answered_at or timezone.now()
    return timezone.localdate(when) > request.deadline


def explaining_criterion_ids(submission: Submission) -> frozenset[int]:
    """The sub-criteria of the submission's open requests to explain: the only ones a frozen
    assessment still takes evidence for (assessments.access.evidence_change_refusal)."""
    return frozenset(
        ExplanationItem.objects.filter(
            request__submission=submission, request__status=ExplanationRequest.Status.OPEN
        ).values_list("criterion_id", flat=True)
    )


def _ensure_open(request: ExplanationRequest) -> None:
    if request.status != ExplanationRequest.Status.OPEN:
        when = timezone.localtime(request.answered_at) if request.answered_at else None
        at = f" lúc {when:%H:%M %d/%m/%Y}" if when else ""
        raise ValidationError(
            f"Đề nghị giải trình này đã được trả lời{at}: không sửa, không bổ sung được nữa."
        )


def explanation_item_answer(*, item: ExplanationItem, by: User, answer: str) -> ExplanationItem:
    """A leader writes (or rewrites) the commune's answer on one item, before sending."""
    assessment = item.request.submission.assessment
    require_answer_explanation(by, assessment)
    answer = nfc(answer.replace("\x00", "")).strip()
    if not answer:
        raise ValidationError("Phải ghi nội dung giải trình.")
    if len(answer) > ANSWER_MAX:
        raise ValidationError(
            f"Nội dung giải trình dài quá {ANSWER_MAX:,} ký tự.".replace(",", ".")
        )
    with transaction.atomic():
        request = ExplanationRequest.objects.select_for_update().get(pk=item.request_id)
        _ensure_open(request)
        ExplanationItem.objects.filter(pk=item.pk).update(
            answer=answer, answered_by=by, answered_at=timezone.now()
        )
        bump_assessment(request.submission.assessment_id)  # .update sends no signal
    item.refresh_from_db()
    return item


def explanation_item_upload(
    *, item: ExplanationItem, upload: UploadedFile, by: User, title: str = ""
) -> UploadOutcome:
    """A leader adds a file of evidence to one item of an open request: stored through the
    evidence app (the frozen assessment lets it in for this sub-criterion only) and linked
    to the item. A file the commune already has is linked as it is, not stored twice."""
    request = item.request
    submission = request.submission
    assessment = submission.assessment
    require_answer_explanation(by, assessment)
    _ensure_open(request)
    asked = explaining_criterion_ids(submission)
    if refusal := explanation_upload_refusal(by, assessment, item.criterion_id, set(asked)):
        raise PermissionDenied(refusal)
    outcome = evidence_upload(
        assessment=assessment,
        criterion=item.criterion,
        upload=upload,
        by=by,
        title=title,
        explaining_criterion_ids=asked,
    )
    found = outcome.evidence or outcome.duplicate_of
    if outcome.status in ("stored", "duplicate") and found is not None:
        with transaction.atomic():
            locked = ExplanationRequest.objects.select_for_update().get(pk=request.pk)
            _ensure_open(locked)
            item.evidence.add(found)
    return outcome


def explanation_send(*, request: ExplanationRequest, by: User) -> ExplanationRequest:
    """ "Gửi giải trình": the request is answered (late if past its deadline: accepted, and
    said so); when no other request of the submission is open, the stage goes back from
    "explaining" to "appraising"; the appraiser who asked is told."""
    submission = request.submission
    assessment = submission.assessment
    require_answer_explanation(by, assessment)
    with transaction.atomic():
        locked = ExplanationRequest.objects.select_for_update().get(pk=request.pk)
        _ensure_open(locked)
        items = list(locked.items.select_related("criterion"))
        missing = [i.criterion.code for i in items if not i.answer.strip()]
        if missing:
            raise ValidationError(
                f"Chưa có nội dung giải trình cho tiêu chí {', '.join(missing)}: ghi và lưu "
                "giải trình từng tiêu chí trước khi gửi."
            )
        locked.status = ExplanationRequest.Status.ANSWERED
        locked.answered_by = by
        locked.answered_at = timezone.now()
        locked.save(update_fields=["status", "answered_by", "answered_at"])
        late = request_is_late(locked)
        detail = f"Xã gửi giải trình {len(items)} nội dung (hạn {locked.deadline:%d/%m/%Y})"
        if late:
            detail += "; gửi sau hạn (trễ hạn)"
        still_open = (
            ExplanationRequest.objects.filter(
                submission=submission, status=ExplanationRequest.Status.OPEN
            )
            .exclude(pk=locked.pk)
            .exists()
        )
        current = Submission.objects.get(pk=submission.pk)
        if not still_open and current.stage == Submission.Stage.EXPLAINING:
            stages.advance(
                current, Submission.Stage.APPRAISING, by=by, actor="commune_leader", detail=detail
            )
        else:
            SubmissionEvent.objects.create(
                submission=current, stage=current.stage, detail=detail, user=by
            )
        audit_record(
            action=Action.EXPLANATION_ANSWER,
            user=by,
            commune=assessment.commune,
            target=locked,
            summary=detail,
            details={
                "submission": submission.pk,
                "items": [i.criterion.code for i in items],
                "late": late,
            },
        )
        notices.notify_explanation_answered(locked, late=late)
    request.refresh_from_db()
    return request
