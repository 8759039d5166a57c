"""Reads of the appraisers' pages: a submission as the commune sent it, criterion by criterion,
with the city's scores, appraisers, requests to explain and findings, in a fixed number of
queries whatever the size of the criteria set; and the appraisers' list.

What the commune sent is read from `Submission.snapshot` (written by the submission service):
per sub-criterion code the unit's and the leaders' points and account, and the evidence files
with their ids. A code missing from the snapshot (a dossier sent before the snapshot held it)
falls back to the current score, marked so on the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q, QuerySet

from appraisal.models import (
    AppraiserAssignment,
    CityAdjustment,
    ExplanationItem,
    ExplanationRequest,
    Submission,
)
from assessments.models import Score
from criteria.models import Adjustment, Criterion
from evidence.models import Evidence, EvidenceFile
from evidence.selectors import evidence_snapshot

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: the stages in which the appraisers work on a submission
OPEN_STAGES = (
    Submission.Stage.SUBMITTED,
    Submission.Stage.APPRAISING,
    Submission.Stage.EXPLAINING,
)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _first(row: dict, *keys: str) -> Any:
    for key in keys:
        if row.get(key) not in (None, ""):
            return row[key]
    return None


@dataclass
class Sent:
    """One sub-criterion as the commune sent it."""

    proposed: Decimal | None
    leader: Decimal | None
    final: Decimal | None  # the commune's points that count: approved, else proposed
    status: str
    unit: str
    result_text: str
    shortfall_reason: str
    not_arising: bool
    from_snapshot: bool


def sent_scores(snapshot: dict) -> dict[str, dict]:
    """code -> the snapshot's row, whether the snapshot holds a mapping or a list of rows."""
    raw = snapshot.get("scores", snapshot.get("criteria", {})) if isinstance(snapshot, dict) else {}
    if isinstance(raw, list):
        return {
            str(_first(row, "code", "criterion")): row
            for row in raw
            if isinstance(row, dict) and _first(row, "code", "criterion")
        }
    if isinstance(raw, dict):
        return {str(code): row for code, row in raw.items() if isinstance(row, dict)}
    return {}


def sent_from_row(row: dict) -> Sent:
    proposed = _decimal(_first(row, "proposed", "proposed_points"))
    leader = _decimal(_first(row, "leader", "leader_points"))
    status = str(row.get("status") or "")
    final = _decimal(_first(row, "approved", "approved_points", "final"))
    if final is None:
        final = leader if status == Score.Status.APPROVED and leader is not None else proposed
    unit = row.get("unit") or ""
    return Sent(
        proposed=proposed,
        leader=leader,
        final=final,
        status=status,
        unit=str(unit.get("name", "") if isinstance(unit, dict) else unit),
        result_text=str(row.get("result_text") or ""),
        shortfall_reason=str(row.get("shortfall_reason") or ""),
        not_arising=bool(row.get("not_arising")),
        from_snapshot=True,
    )


def sent_from_score(score: Score | None) -> Sent:
    if score is None:
        return Sent(None, None, None, "", "", "", "", False, False)
    return Sent(
        proposed=score.proposed_points,
        leader=score.leader_points,
        final=score.points,
        status=score.status,
        unit="",
        result_text=score.result_text,
        shortfall_reason=score.shortfall_reason,
        not_arising=score.not_arising,
        from_snapshot=False,
    )


def commune_final(submission: Submission, score: Score) -> Decimal | None:
    """The commune's points that count for one sub-criterion, as sent (what the city's score
    is compared with: a different score needs a reason)."""
    row = sent_scores(submission.snapshot).get(score.criterion.code)
    return sent_from_row(row).final if row is not None else score.points


@dataclass
class SentFile:
    evidence_code: str
    title: str
    file_id: int | None
    file_name: str
    record: EvidenceFile | None  # the stored file (None: not found)

    @property
    def viewable(self) -> bool:
        return self.record is not None and self.record.viewable


def _evidence_rows(submission: Submission) -> list[dict]:
    snapshot = submission.snapshot if isinstance(submission.snapshot, dict) else {}
    rows = snapshot.get("evidence")
    if isinstance(rows, list):
        return [row for row in rows if isinstance(row, dict)]
    return evidence_snapshot(submission.assessment)  # a dossier sent without the list


def _row_codes(row: dict) -> list[str]:
    value = _first(row, "criteria", "criterion", "criterion_code")
    if isinstance(value, list):
        return [str(code) for code in value]
    return [str(value)] if value is not None else []


@dataclass
class Leaf:
    criterion: Criterion
    score: Score | None
    sent: Sent
    files: list[SentFile] = field(default_factory=list)
    appraiser: User | None = None
    items: list[ExplanationItem] = field(default_factory=list)  # asked about it, latest first

    @property
    def appraised(self) -> bool:
        return self.score is not None and self.score.appraised_at is not None

    @property
    def differs(self) -> bool:
        return (
            self.appraised
            and self.score is not None
            and self.score.appraised_points != (self.sent.final)
        )


@dataclass
class Group:
    criterion: Criterion
    appraiser: User | None
    leaves: list[Leaf] = field(default_factory=list)

    @property
    def appraised_count(self) -> int:
        return sum(1 for leaf in self.leaves if leaf.appraised)


@dataclass
class Appraisal:
    submission: Submission
    groups: list[Group]
    requests: list[ExplanationRequest]
    findings: list[tuple[Adjustment, CityAdjustment | None]]

    @property
    def leaves(self) -> list[Leaf]:
        return [leaf for group in self.groups for leaf in group.leaves]


def submission_queryset() -> QuerySet[Submission]:
    return Submission.objects.select_related(
        "round__city",
        "assessment__commune__city",
        "assessment__criteria_set",
        "assessment__target_level",
        "level_reached",
        "report",
        "submitted_by",
    )


def appraisal_of(submission: Submission, *, mine: User | None = None) -> Appraisal:
    """The submission's tree for the appraisers' page (with `mine`, only the criteria assigned
    to that person, and those nobody took). Eight queries whatever the number of criteria:
    criteria, scores, assignments, evidence files, requests with items and their evidence,
    findings' adjustments and the findings."""
    assessment = submission.assessment
    criteria = list(
        Criterion.objects.filter(criteria_set_id=assessment.criteria_set_id).order_by("order", "id")
    )
    scores = {
        s.criterion_id: s
        for s in Score.objects.filter(assessment=assessment).select_related("appraised_by")
    }
    assigned = {
        a.criterion_id: a.appraiser
        for a in AppraiserAssignment.objects.filter(submission=submission).select_related(
            "appraiser"
        )
    }
    rows = _evidence_rows(submission)
    ids = [int(row["file_id"]) for row in rows if isinstance(row.get("file_id"), int)]
    records = EvidenceFile.objects.filter(
        pk__in=ids, evidence__assessment_id=assessment.pk
    ).in_bulk()
    files: dict[str, list[SentFile]] = {}
    for row in rows:
        file_id = row.get("file_id") if isinstance(row.get("file_id"), int) else None
        sent_file = SentFile(
            evidence_code=str(row.get("code") or ""),
            title=str(row.get("title") or ""),
            file_id=file_id,
            file_name=str(row.get("file_name") or ""),
            record=records.get(file_id) if file_id is not None else None,
        )
        for code in _row_codes(row):
            files.setdefault(code, []).append(sent_file)
    requests = list(
        ExplanationRequest.objects.filter(submission=submission)
        .select_related("created_by", "answered_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=ExplanationItem.objects.select_related("criterion").prefetch_related(
                    Prefetch(
                        "evidence",
                        queryset=Evidence.objects.select_related("current_file"),
                    )
                ),
            )
        )
        .order_by("-created_at", "-id")
    )
    asked: dict[int, list[ExplanationItem]] = {}
    for request in requests:
        for item in request.items.all():
            item.request = request  # the template shows the request's deadline and status
            asked.setdefault(item.criterion_id, []).append(item)
    sent = sent_scores(submission.snapshot if isinstance(submission.snapshot, dict) else {})
    children: dict[int | None, list[Criterion]] = {}
    for criterion in criteria:
        children.setdefault(criterion.parent_id, []).append(criterion)

    def leaves_under(criterion: Criterion) -> list[Criterion]:
        below = children.get(criterion.pk)
        if not below:
            return [criterion]
        return [leaf for child in below for leaf in leaves_under(child)]

    groups = []
    for root in children.get(None, []):
        appraiser = assigned.get(root.pk)
        if mine is not None and appraiser is not None and appraiser.pk != mine.pk:
            continue
        group = Group(root, appraiser)
        for leaf in leaves_under(root):
            score = scores.get(leaf.pk)
            row = sent.get(leaf.code)
            group.leaves.append(
                Leaf(
                    criterion=leaf,
                    score=score,
                    sent=sent_from_row(row) if row is not None else sent_from_score(score),
                    files=files.get(leaf.code, []),
                    appraiser=appraiser,
                    items=asked.get(leaf.pk, []),
                )
            )
        groups.append(group)
    adjustments = list(
        Adjustment.objects.filter(criteria_set_id=assessment.criteria_set_id).order_by("pk")
    )
    found = {
        f.adjustment_id: f
        for f in CityAdjustment.objects.filter(submission=submission).select_related("entered_by")
    }
    return Appraisal(
        submission=submission,
        groups=groups,
        requests=requests,
        findings=[(adjustment, found.get(adjustment.pk)) for adjustment in adjustments],
    )


def appraisal_list(user: User, *, city_id: int | None, mine: bool) -> QuerySet[Submission]:
    """The submissions the appraisers work on (`city_id` None: every city, for system
    administrators), oldest first; with `mine`, those with a criterion assigned to `user`."""
    submissions = Submission.objects.filter(stage__in=OPEN_STAGES).select_related(
        "assessment__commune", "round"
    )
    if city_id is not None:
        submissions = submissions.filter(round__city_id=city_id)
    if mine:
        submissions = submissions.filter(
            Q(pk__in=AppraiserAssignment.objects.filter(appraiser=user).values("submission_id"))
        )
    return submissions.order_by("submitted_at", "pk")
