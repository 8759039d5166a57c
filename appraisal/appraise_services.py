"""The appraisers' write actions on a submission: the city's score of a sub-criterion, the
split of criteria between appraisers, the city's findings on deductions and disqualifiers,
and the request to explain.

Each locks the submission row first (then the score), so that two appraisers working at once
on different criteria are serialised and the standing each `refresh` stores counts both."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from appraisal import notices, stages, standing
from appraisal.appraise_selectors import OPEN_STAGES, commune_final
from appraisal.models import (
    AppraiserAssignment,
    CityAdjustment,
    ExplanationItem,
    ExplanationRequest,
    Submission,
)
from assessments.access import (
    appraisal_refusal,
    may_assign_appraisers,
    may_be_assigned_appraiser,
    require_appraise,
)
from assessments.models import Score, ScoreEvent
from audit.services import Action, audit_record
from criteria import scoring
from criteria.models import Adjustment, Criterion
from criteria.rules import RuleKind, fmt_points
from guards.versions import bump_assessment

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Stage = Submission.Stage


def _locked(submission: Submission) -> Submission:
    """The submission row locked for the transaction, refused once the appraisal is over."""
    locked = (
        Submission.objects.select_for_update(of=("self",))
        .select_related("round", "assessment__commune", "assessment__criteria_set")
        .get(pk=submission.pk)
    )
    if locked.stage not in OPEN_STAGES:
        raise ValidationError(
            f"Hồ sơ đang ở giai đoạn “{locked.get_stage_display()}”: không thẩm định được nữa."
        )
    return locked


def top_of(criterion: Criterion) -> Criterion:
    while criterion.parent_id is not None:
        criterion = criterion.parent
    return criterion


def assigned_appraiser_id(submission: Submission, criterion: Criterion) -> int | None:
    return (
        AppraiserAssignment.objects.filter(submission=submission, criterion=top_of(criterion))
        .values_list("appraiser_id", flat=True)
        .first()
    )


def _describe(value: Decimal | None) -> str:
    return fmt_points(value) if value is not None else "chưa có"


@transaction.atomic
def appraisal_score_save(
    *,
    submission: Submission,
    criterion: Criterion,
    by: User,
    expected_version: int | None,
    points: Decimal | None,
    reason: str,
    accept: bool = False,
) -> Score:
    """Enter the city's score of one sub-criterion (`accept`: the commune's points as sent).

    The points follow the criterion's rule (0..max on its step; 0 or max for pass/fail); a
    score that differs from the commune's needs a reason. `expected_version` is the score's
    version the form was read at: a newer one refuses the save (code "stale"). The first save
    moves the submission from "submitted" to "appraising"; the standing is refreshed."""
    submission = _locked(submission)
    city = submission.assessment.commune
    if criterion.criteria_set_id != submission.assessment.criteria_set_id:
        raise ValidationError("Tiêu chí không thuộc bộ tiêu chí của hồ sơ này.")
    if Criterion.objects.filter(parent=criterion).exists():
        raise ValidationError("Chỉ chấm điểm thẩm định cho tiêu chí thành phần.")
    if message := appraisal_refusal(by, city, assigned_appraiser_id(submission, criterion)):
        raise PermissionDenied(message)
    score = (
        Score.objects.select_for_update(of=("self",))
        .select_related("criterion", "appraised_by")
        .filter(assessment=submission.assessment, criterion=criterion)
        .first()
    )
    if score is None:
        raise ValidationError(f"Hồ sơ không có điểm của tiêu chí {criterion.code}.")
    if expected_version is not None and score.version != expected_version:
        who = score.appraised_by.get_full_name() if score.appraised_by else "người khác"
        when = (
            f" lúc {timezone.localtime(score.appraised_at):%H:%M %d/%m/%Y}"
            if score.appraised_at
            else ""
        )
        raise ValidationError(
            f"Điểm thẩm định tiêu chí {criterion.code} vừa được {who} thay đổi{when}: "
            f"điểm {_describe(score.appraised_points)}. Thay đổi của anh/chị chưa được lưu; "
            "hãy xem giá trị mới rồi nhập lại.",
            code="stale",
        )
    final = commune_final(submission, score)
    reason = reason.strip()
    if accept:
        points = final
    elif points is None:
        raise ValidationError({"points": "Chưa nhập điểm thẩm định."})
    elif score.excluded:
        # Left out of the commune's total and its total rebased (the "exclude" policy): the
        # appraised total leaves it out the same way (standing.refresh), so points here would
        # count nowhere.
        raise ValidationError(
            {
                "points": f"Xã chọn “không phát sinh” cho tiêu chí {criterion.code}: tiêu chí "
                "không tính điểm, tổng điểm được quy đổi về thang điểm. Chọn “Đồng ý với "
                "điểm của xã”, hoặc đề nghị xã giải trình."
            }
        )
    if points is not None:
        try:
            if criterion.rule == RuleKind.TIERS:
                scoring.check_points(points, max_points=criterion.max_points, step=Decimal(0))
            else:
                scoring.check_rule_points(
                    criterion.rule, points, max_points=criterion.max_points, step=criterion.step
                )
        except ValueError as error:
            raise ValidationError({"points": str(error)}) from None
    if points != final and not reason:
        raise ValidationError(
            {
                "reason": f"Điểm thẩm định ({_describe(points)}) khác điểm của xã "
                f"({_describe(final)}): phải ghi lý do."
            }
        )
    if submission.stage == Stage.SUBMITTED:
        stages.advance(submission, Stage.APPRAISING, by=by, actor="appraiser")
    scored_before = score.appraised_at is not None
    score.appraised_points = points
    score.appraised_reason = reason
    score.appraised_by, score.appraised_at = by, timezone.now()
    score.version += 1
    score.save(
        update_fields=[
            "appraised_points",
            "appraised_reason",
            "appraised_by",
            "appraised_at",
            "version",
        ]
    )
    # The ledger keeps every city score, not only the latest: a score given again on a
    # sub-criterion the commune has explained is a re-score after the explanation.
    explained = (
        scored_before
        and ExplanationItem.objects.filter(
            request__submission=submission,
            request__status__in=(
                ExplanationRequest.Status.ANSWERED,
                ExplanationRequest.Status.CLOSED,
            ),
            criterion=criterion,
        ).exists()
    )
    event = ScoreEvent.Action.REAPPRAISE if explained else ScoreEvent.Action.APPRAISE
    ScoreEvent.objects.create(
        score=score,
        action=event,
        status=score.status,
        points=points,
        comment=reason,
        user=by,
    )
    audit_record(
        action=Action.APPRAISAL_SCORE,
        user=by,
        commune=submission.assessment.commune,
        target=score,
        target_label=f"Tiêu chí {criterion.code}",
        summary=f"Thẩm định tiêu chí {criterion.code}"
        + (" (chấm lại sau giải trình)" if explained else "")
        + f": {_describe(points)} điểm"
        + (f". {reason}" if reason else ""),
        details={
            "submission": submission.pk,
            "points": points,
            "version": score.version,
            "event": event.value,
        },
    )
    standing.refresh(submission)
    return score


@transaction.atomic
def appraisers_assign(
    *, submission: Submission, by: User, appraisers: dict[int, User | None]
) -> int:
    """Split the submission's top-level criteria between appraisers: criterion id -> the
    appraiser (None: nobody, any appraiser may take it). Returns how many changed."""
    submission = _locked(submission)
    city = submission.assessment.commune
    require_appraise(by, city)
    if not may_assign_appraisers(by, city):
        raise PermissionDenied("Chỉ chuyên viên thẩm định và quản trị của thành phố phân công.")
    roots = {
        c.pk: c
        for c in Criterion.objects.filter(
            criteria_set_id=submission.assessment.criteria_set_id, parent__isnull=True
        )
    }
    unknown = set(appraisers) - set(roots)
    if unknown:
        raise ValidationError("Có tiêu chí không thuộc bộ tiêu chí của hồ sơ này.")
    for person in appraisers.values():
        if person is not None and not may_be_assigned_appraiser(person, city):
            raise ValidationError(
                f"{person.get_full_name() or person.get_username()} không phải chuyên viên "
                "thẩm định của thành phố."
            )
    current = {a.criterion_id: a for a in AppraiserAssignment.objects.filter(submission=submission)}
    changed = []
    for criterion_id, person in appraisers.items():
        existing = current.get(criterion_id)
        if person is None:
            if existing is not None:
                existing.delete()
                changed.append(f"{roots[criterion_id].code}: chưa phân công")
        elif existing is None:
            AppraiserAssignment.objects.create(
                submission=submission, criterion=roots[criterion_id], appraiser=person
            )
            changed.append(f"{roots[criterion_id].code}: {person.get_full_name()}")
        elif existing.appraiser_id != person.pk:
            existing.appraiser = person
            existing.save(update_fields=["appraiser"])
            changed.append(f"{roots[criterion_id].code}: {person.get_full_name()}")
    if changed:
        audit_record(
            action=Action.APPRAISAL_ASSIGN,
            user=by,
            commune=city,
            target=submission,
            target_label=f"Hồ sơ {city}",
            summary="Phân công thẩm định: " + "; ".join(changed),
            details={"submission": submission.pk},
        )
    return len(changed)


@transaction.atomic
def city_adjustment_save(
    *, submission: Submission, adjustment: Adjustment, by: User, cases: int, note: str
) -> CityAdjustment:
    """The city's finding on a deduction or disqualifier: how many cases, on what grounds.
    Counts in the appraised total and the conditions (standing refreshed)."""
    submission = _locked(submission)
    city = submission.assessment.commune
    require_appraise(by, city)
    if adjustment.criteria_set_id != submission.assessment.criteria_set_id:
        raise ValidationError("Điểm trừ, điều kiện loại không thuộc bộ tiêu chí của hồ sơ này.")
    if cases < 0:
        raise ValidationError({"cases": "Số trường hợp không được âm."})
    if adjustment.kind == Adjustment.Kind.DISQUALIFIER and cases > 1:
        raise ValidationError({"cases": "Điều kiện loại chỉ nhận 0 (không có) hoặc 1 (có)."})
    note = note.strip()
    if cases > 0 and not note:
        raise ValidationError({"note": "Phải ghi căn cứ khi xác định có trường hợp vi phạm."})
    finding, _ = CityAdjustment.objects.update_or_create(
        submission=submission,
        adjustment=adjustment,
        defaults={"cases": cases, "note": note, "entered_by": by},
    )
    audit_record(
        action=Action.APPRAISAL_FINDING,
        user=by,
        commune=city,
        target=finding,
        target_label=adjustment.title[:300],
        summary=f"Thành phố xác định “{adjustment.title}”: {cases} trường hợp"
        + (f". {note}" if note else ""),
        details={"submission": submission.pk, "cases": cases},
    )
    standing.refresh(submission)
    return finding


@dataclass
class Asked:
    criterion: Criterion
    question: str


@transaction.atomic
def explanation_request_create(
    *,
    submission: Submission,
    by: User,
    items: list[Asked],
    message: str,
    deadline: dt.date | None,
) -> ExplanationRequest:
    """Ask the commune to explain or add evidence on some sub-criteria by `deadline` (a
    future date). Moves the submission to "explaining" (from "submitted" or "appraising";
    a further request while it is explaining leaves the stage) and notifies the commune."""
    submission = _locked(submission)
    city = submission.assessment.commune
    require_appraise(by, city)
    errors = {}
    message = message.strip()
    if not items:
        errors["criteria"] = "Chọn ít nhất một tiêu chí cần giải trình."
    if not message:
        errors["message"] = "Phải ghi nội dung đề nghị."
    if deadline is None:
        errors["deadline"] = "Chưa nhập hạn giải trình."
    elif deadline <= timezone.localdate():
        errors["deadline"] = "Hạn giải trình phải sau ngày hôm nay."
    if errors:
        raise ValidationError(errors)
    assert deadline is not None
    codes = []
    for asked in items:
        if asked.criterion.criteria_set_id != submission.assessment.criteria_set_id:
            raise ValidationError({"criteria": "Có tiêu chí không thuộc hồ sơ này."})
        codes.append(asked.criterion.code)
    if len(set(codes)) != len(codes):
        raise ValidationError({"criteria": "Một tiêu chí được chọn hai lần."})
    if Criterion.objects.filter(parent__in=[asked.criterion for asked in items]).exists():
        raise ValidationError({"criteria": "Chỉ đề nghị giải trình tiêu chí thành phần."})
    if submission.stage != Stage.EXPLAINING:
        stages.advance(
            submission,
            Stage.EXPLAINING,
            by=by,
            actor="appraiser",
            detail=f"Đề nghị giải trình các tiêu chí {', '.join(codes)}",
        )
    request = ExplanationRequest.objects.create(
        submission=submission, message=message, deadline=deadline, created_by=by
    )
    ExplanationItem.objects.bulk_create(
        ExplanationItem(request=request, criterion=asked.criterion, question=asked.question.strip())
        for asked in items
    )
    bump_assessment(submission.assessment_id)  # bulk_create sends no signal
    audit_record(
        action=Action.EXPLANATION_REQUEST,
        user=by,
        commune=city,
        target=request,
        target_label=f"Hồ sơ {city}",
        summary=f"Đề nghị giải trình các tiêu chí {', '.join(codes)}, hạn {deadline:%d/%m/%Y}",
        details={"submission": submission.pk, "criteria": codes},
    )
    notices.notify_explanation_requested(request)
    return request
