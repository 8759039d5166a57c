"""Write actions on communes, people, assessments and assignments."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.access import (
    WINDOW_CLOSED,
    frozen_message,
    is_frozen,
    is_leader,
    may_change_after_deadline,
    may_comment,
)
from assessments.models import (
    AdjustmentEntry,
    Assessment,
    AssessmentEvent,
    Assignment,
    City,
    CityMembership,
    Commune,
    Membership,
    Score,
    ScoreEvent,
    Unit,
    UnitDeadline,
)
from assessments.notices import deadline_change_notify, score_event_notify
from assessments.selectors import has_evidence, missing_evidence, returned_untouched
from audit.services import Action, audit_record
from criteria import scoring
from criteria.models import Adjustment, CriteriaSet, Criterion, Level
from criteria.rules import NotArisingPolicy, RuleKind, fmt_points
from criteria.services import criteria_set_problems
from guards.versions import bump_assessment


def unit_key(name: str) -> str:
    """Compare unit names as people write them: case, accents' encoding and spaces vary."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@transaction.atomic
def commune_create(
    *,
    name: str,
    kind: str = Commune.Kind.XA,
    city: City | str = "Hải Phòng",
    address: str = "",
    units: list[dict] | None = None,
    report_recipients: str = "",
) -> Commune:
    if not isinstance(city, City):
        city = city_get_or_create(city)
    commune = Commune.objects.create(
        name=name, kind=kind, city=city, address=address, report_recipients=report_recipients
    )
    for order, unit in enumerate(units or [], start=1):
        Unit.objects.create(commune=commune, order=order, **unit)
    return commune


def city_get_or_create(name: str) -> City:
    """The city of that name (spaces normalised), made if it is new."""
    return City.objects.get_or_create(name=" ".join(name.split()))[0]


def split_full_name(full_name: str) -> tuple[str, str]:
    """'Trần Văn Bình' -> ('Trần Văn', 'Bình'): stored so that get_full_name() gives the
    name back exactly as typed (first_name + " " + last_name)."""
    first, _, last = " ".join(full_name.split()).rpartition(" ")
    return first, last


@transaction.atomic
def city_user_create(
    *,
    username: str,
    password: str,
    full_name: str,
    city: City,
    role: str,
    title: str = "",
    email: str = "",
) -> User:
    """An account of the city's side (appraiser, council, city administrator)."""
    first, last = split_full_name(full_name)
    user = User.objects.create_user(
        username=username, password=password, first_name=first, last_name=last, email=email
    )
    CityMembership.objects.create(user=user, city=city, role=role, title=title)
    return user


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    full_name: str,
    commune: Commune,
    role: str,
    unit: Unit | None = None,
    title: str = "",
    email: str = "",
    is_commune_admin: bool = False,
    by: User | None = None,
) -> User:
    if unit is not None and unit.commune_id != commune.pk:
        raise ValidationError(f"Đơn vị “{unit}” không thuộc {commune}.")
    first, _, last = full_name.rpartition(" ")
    user = User.objects.create_user(
        username=username, password=password, email=email, first_name=first, last_name=last
    )
    membership = Membership.objects.create(
        user=user,
        commune=commune,
        unit=unit,
        role=role,
        title=title,
        is_commune_admin=is_commune_admin,
    )
    audit_record(
        action=Action.ACCOUNT_CREATE,
        user=by,
        commune=commune,
        target=user,
        target_label=f"Tài khoản {username}",
        summary=f"Tạo tài khoản {username} ({full_name}): {membership_text(membership)}",
    )
    return user


def membership_text(membership: Membership) -> str:
    """'Lãnh đạo UBND, Phó Chủ tịch UBND xã' or 'Cán bộ, công chức, Phòng Văn hóa - Xã hội'."""
    parts = [membership.get_role_display(), membership.title, str(membership.unit or "")]
    return ", ".join(part for part in parts if part)


def assessment_problems(
    *, commune: Commune, criteria_set: CriteriaSet, target_level: Level | None
) -> list[str]:
    """Why an assessment cannot be opened with this set and level (empty when it can)."""
    messages = []
    problems = criteria_set_problems(criteria_set)
    if problems:
        messages += ["Bộ tiêu chí chưa hợp lệ nên chưa thể dùng để đánh giá:", *problems]
    if criteria_set.status == CriteriaSet.Status.ARCHIVED:
        messages.append("Bộ tiêu chí đã lưu trữ, không dùng cho kỳ đánh giá mới.")
    if target_level is not None and target_level.criteria_set_id != criteria_set.pk:
        messages.append(f"Mức “{target_level.name}” không thuộc bộ tiêu chí đã chọn.")
    return messages


@transaction.atomic
def assessment_create(
    *,
    commune: Commune,
    criteria_set: CriteriaSet,
    year: int,
    period: str,
    target_level: Level | None = None,
    registration_number: str = "",
    registration_date: dt.date | None = None,
    plan_number: str = "",
    plan_date: dt.date | None = None,
) -> Assessment:
    """Open an assessment and assign every leaf to the unit named in the criteria set."""
    problems = assessment_problems(
        commune=commune, criteria_set=criteria_set, target_level=target_level
    )
    if problems:
        raise ValidationError(problems)
    if Assessment.objects.filter(commune=commune, year=year, period=period).exists():
        raise ValidationError(f"{commune} đã có kỳ đánh giá này.")
    assessment = Assessment.objects.create(
        commune=commune,
        criteria_set=criteria_set,
        year=year,
        period=period,
        target_level=target_level,
        registration_number=registration_number,
        registration_date=registration_date,
        plan_number=plan_number,
        plan_date=plan_date,
    )
    units = {unit_key(unit.name): unit for unit in commune.units.all()}
    criteria = list(criteria_set.criteria.all())
    parents = {node.parent_id for node in criteria}
    leaves = [node for node in criteria if node.pk not in parents]
    Assignment.objects.bulk_create(
        Assignment(
            assessment=assessment,
            criterion=node,
            lead_unit=units.get(unit_key(node.default_lead_unit)),
        )
        for node in leaves
    )
    Score.objects.bulk_create(Score(assessment=assessment, criterion=node) for node in leaves)
    bump_assessment(assessment.pk)  # bulk_create sends no signal (assessments/versions.py)
    if criteria_set.status == CriteriaSet.Status.DRAFT:
        criteria_set.status = CriteriaSet.Status.IN_USE
        criteria_set.save(update_fields=["status"])
    return assessment


@transaction.atomic
def assignment_update(
    *, assignment: Assignment, lead_unit: Unit | None, supporting_units: list[Unit], by: User | None
) -> Assignment:
    # Read under the row lock `assessment_lock` takes, so a lock cannot slip in between.
    assessment = Assessment.objects.select_for_update(no_key=True).get(pk=assignment.assessment_id)
    ensure_not_locked(assessment, "đổi phân công")
    commune_id = assessment.commune_id
    for unit in [lead_unit, *supporting_units]:
        if unit is not None and unit.commune_id != commune_id:
            raise ValidationError(f"Đơn vị “{unit}” không thuộc xã của kỳ đánh giá.")
    if lead_unit is not None and lead_unit in supporting_units:
        raise ValidationError("Đơn vị chủ trì không thể đồng thời là đơn vị phối hợp.")
    before = assignment.lead_unit
    assignment.lead_unit = lead_unit
    assignment.updated_by = by
    assignment.save(update_fields=["lead_unit", "updated_by", "updated_at"])
    assignment.supporting_units.set(supporting_units)
    code = assignment.criterion.code
    audit_record(
        action=Action.ASSIGNMENT_CHANGE,
        user=by,
        commune=assignment.assessment.commune,
        target=assignment,
        target_label=f"Tiêu chí {code}",
        summary=f"Phân công tiêu chí {code}: chủ trì {before or 'chưa có'} → {lead_unit or 'chưa có'}"
        f"; phối hợp: {', '.join(str(u) for u in supporting_units) or 'không'}",
        details={
            "lead_unit": lead_unit.pk if lead_unit else None,
            "previous_lead_unit": before.pk if before else None,
            "supporting_units": [u.pk for u in supporting_units],
        },
    )
    return assignment


# -- Scores -----------------------------------------------------------------------------------

EDITABLE = {Score.Status.NOT_STARTED, Score.Status.DRAFT, Score.Status.RETURNED}
REVIEWABLE = {Score.Status.SUBMITTED, Score.Status.RESUBMITTED}


def _fresh(score: Score, expected_version: int | None) -> Score:
    """The score locked for update; refused when someone saved since `expected_version`."""
    # The assessment (whose status is checked) first, then the score: the order every score
    # action takes them, so that two never wait on each other. Not the joined criterion and
    # commune: a save must not hold rows that other actions only read.
    Assessment.objects.select_for_update(no_key=True).get(pk=score.assessment_id)
    current = (
        Score.objects.select_for_update(of=("self",), no_key=True)
        .select_related("criterion", "assessment__commune")
        .get(pk=score.pk)
    )
    if expected_version is not None and current.version != expected_version:
        last = current.events.select_related("user").first()
        who = last.user.get_full_name() or last.user.get_username() if last else "người khác"
        when = f" lúc {timezone.localtime(last.at):%H:%M %d/%m/%Y}" if last else ""
        shown = fmt_points(current.points) if current.points is not None else "chưa có điểm"
        raise ValidationError(
            f"Điểm tiêu chí {current.criterion.code} vừa được {who} thay đổi{when}: "
            f"trạng thái “{current.get_status_display()}”, điểm {shown}. Thay đổi của bạn chưa "
            "được lưu; hãy xem giá trị mới rồi nhập lại.",
            code="stale",
        )
    return current


AUDITED = {
    ScoreEvent.Action.SAVE: Action.SCORE_SAVE,
    ScoreEvent.Action.SUBMIT: Action.SCORE_SUBMIT,
    ScoreEvent.Action.RESUBMIT: Action.SCORE_RESUBMIT,
    ScoreEvent.Action.RETURN: Action.SCORE_RETURN,
    ScoreEvent.Action.APPROVE: Action.SCORE_APPROVE,
    ScoreEvent.Action.ADJUST: Action.SCORE_ADJUST,
    ScoreEvent.Action.COMMENT: Action.SCORE_COMMENT,
}


def _audit_score(
    score: Score,
    action: ScoreEvent.Action,
    by: User,
    *,
    points: Decimal | None = None,
    comment: str = "",
) -> None:
    code = score.criterion.code
    text = f"{ScoreEvent.Action(action).label} tiêu chí {code}"
    if points is not None:
        text += f": {fmt_points(Decimal(points))} điểm"
    if comment:
        text += f". {comment}"
    audit_record(
        action=AUDITED[action],
        user=by,
        commune=score.assessment.commune,
        target=score,
        target_label=f"Tiêu chí {code}",
        summary=text,
        details={"status": score.status, "points": points, "version": score.version},
    )


def _record(
    score: Score,
    action: ScoreEvent.Action,
    by: User,
    *,
    points: Decimal | None = None,
    comment: str = "",
) -> None:
    score.version += 1
    score.save()
    ScoreEvent.objects.create(
        score=score, action=action, status=score.status, points=points, comment=comment, user=by
    )
    _audit_score(score, action, by, points=points, comment=comment)


def locked_message(doing: str = "thay đổi điểm") -> str:
    return f"Kỳ đánh giá đã khóa. Lãnh đạo cần mở lại trước khi {doing}."


def ensure_not_locked(assessment: Assessment, doing: str = "thay đổi điểm") -> None:
    """Refuse a change to a locked or frozen assessment; `doing` names the change in the
    message (a frozen assessment's message names the issued report instead)."""
    if is_frozen(assessment):
        raise ValidationError(frozen_message(assessment), code="frozen")
    if assessment.status != Assessment.Status.OPEN:
        raise ValidationError(locked_message(doing))


def computed_points(
    criterion: Criterion,
    *,
    not_arising: bool,
    numerator: Decimal | None,
    denominator: Decimal | None,
    points: Decimal | None,
) -> tuple[Decimal | None, str]:
    """(points, note) from what the unit entered, by the criterion's rule; ValueError if not
    acceptable. None points with not_arising means excluded from the total."""
    if not_arising:
        return scoring.not_arising_points(criterion.not_arising, criterion.max_points), ""
    if criterion.rule == RuleKind.TIERS:
        tiers = scoring.parse_tiers(criterion.tiers, criterion.max_points)
        percent, value = scoring.ratio_points(tiers, numerator, denominator)
        return value, f"Tỷ lệ {fmt_points(percent)}%"
    if points is None:
        raise ValueError("Chưa nhập điểm tự chấm.")
    scoring.check_rule_points(
        criterion.rule, points, max_points=criterion.max_points, step=criterion.step
    )
    return points, ""


@transaction.atomic
def score_propose(
    *,
    score: Score,
    by: User,
    expected_version: int | None,
    points: Decimal | None = None,
    not_arising: bool = False,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    result_text: str = "",
    shortfall_reason: str = "",
    next_tasks: str | None = None,
    submit: bool = False,
    confirm_missing_evidence: bool | None = None,
) -> Score:
    """The lead unit saves (and optionally submits) its proposed score. `next_tasks` (one task
    per line, for the report's "Nhiệm vụ") is left as it was when not given. A submission
    of points without evidence needs `confirm_missing_evidence` (`ensure_evidence`).
    A refusal about one of the arguments is keyed by its name (`ValidationError.message_dict`),
    for the form to show on the field; the others (stale, locked, late) are not keyed."""
    score = _fresh(score, expected_version)
    ensure_not_locked(score.assessment)
    if not may_change_after_deadline(by, score.assessment):
        raise ValidationError(WINDOW_CLOSED)
    if score.status not in EDITABLE:
        raise ValidationError(
            f"Tiêu chí {score.criterion.code} đang ở trạng thái “{score.get_status_display()}”: "
            "chỉ sửa được khi chưa gửi hoặc bị trả lại."
        )
    criterion = score.criterion
    if not_arising and criterion.not_arising == NotArisingPolicy.NOT_ALLOWED:
        raise ValidationError("Tiêu chí này không cho phép chọn “không phát sinh”.")
    try:
        value, _note = computed_points(
            criterion,
            not_arising=not_arising,
            numerator=numerator,
            denominator=denominator,
            points=points,
        )
    except ValueError as error:
        raise ValidationError({"points": str(error)}) from None
    score.not_arising = not_arising
    score.numerator = numerator if criterion.rule == RuleKind.TIERS else None
    score.denominator = denominator if criterion.rule == RuleKind.TIERS else None
    score.proposed_points = value
    score.result_text = result_text.strip()
    score.shortfall_reason = shortfall_reason.strip()
    if next_tasks is not None:
        score.next_tasks = "\n".join(
            " ".join(line.split()) for line in next_tasks.splitlines() if line.strip()
        )
    score.proposed_by = by
    score.proposed_at = timezone.now()
    if submit:
        problems = submit_problems_by_argument(score)
        if problems:
            raise ValidationError(problems)
        try:
            ensure_evidence(score, value, confirm_missing_evidence)
        except ValidationError as error:
            raise ValidationError({"confirm_missing_evidence": error.error_list}) from None
        action = (
            ScoreEvent.Action.RESUBMIT
            if score.status == Score.Status.RETURNED
            else ScoreEvent.Action.SUBMIT
        )
        score.status = (
            Score.Status.RESUBMITTED
            if score.status == Score.Status.RETURNED
            else Score.Status.SUBMITTED
        )
    else:
        action = ScoreEvent.Action.SAVE
        if score.status == Score.Status.NOT_STARTED:
            score.status = Score.Status.DRAFT
    _record(score, action, by, points=value, comment=score.shortfall_reason)
    return score


def submit_problems(score: Score) -> list[str]:
    """What a proposal still lacks before it can be sent to the leaders."""
    return list(submit_problems_by_argument(score).values())


def submit_problems_by_argument(score: Score) -> dict[str, str]:
    """`submit_problems`, keyed by the `score_propose` argument each one is about, so the
    scoring form can mark that field (errors are keyed this way throughout `score_propose`:
    "points" is whatever the rule computes the points from)."""
    problems = {}
    code = score.criterion.code
    if score.proposed_points is None and not score.not_arising:
        problems["points"] = f"Tiêu chí {code}: chưa có điểm tự chấm."
    if not score.result_text and not score.not_arising:
        problems["result_text"] = f"Tiêu chí {code}: chưa ghi kết quả thực hiện."
    below = score.proposed_points is not None and score.proposed_points < score.criterion.max_points
    if below and not score.shortfall_reason:
        problems["shortfall_reason"] = (
            f"Tiêu chí {code}: điểm thấp hơn điểm tối đa nên phải ghi lý do chưa thực hiện."
        )
    return problems


def missing_evidence_message(points: Decimal, *, code: str, doing: str = "gửi") -> str:
    """What a submission or an approval of `points` without evidence is told."""
    return (
        f"Tiêu chí {code} chưa có minh chứng nào cho {fmt_points(points)} điểm. Hãy tải minh "
        f"chứng lên, hoặc đánh dấu “Vẫn {doing} khi chưa có minh chứng” nếu có lý do."
    )


def ensure_evidence(
    score: Score, points: Decimal | None, confirm: bool | None, *, doing: str = "gửi"
) -> None:
    """Refuse `points` above zero for a sub-criterion without evidence, when its criteria set
    requires evidence, unless the person confirmed (`confirm`). `confirm=None` is for callers
    that ask no one (imports, the demo, bulk actions that warned in their own way): no check.
    """
    if confirm is None or confirm or points is None or points <= 0:
        return
    if not score.assessment.criteria_set.evidence_required or has_evidence(score):
        return
    raise ValidationError(
        missing_evidence_message(points, code=score.criterion.code, doing=doing),
        code="missing_evidence",
    )


STALE_CONFIRMATION = (
    "Danh sách gửi đã thay đổi từ khi bạn xem ({changed}). Chưa gửi tiêu chí nào; hãy xem "
    "lại danh sách rồi xác nhận."
)


@transaction.atomic
def score_submit_many(
    *,
    scores: list[Score],
    by: User,
    confirmed: dict[int, int] | None = None,
    confirm_missing_evidence: bool | None = None,
) -> tuple[list[Score], list[str]]:
    """Submit every ready score of a unit at once; say why the others were left.

    Ready: drafts, and returned items edited since their return (a returned item nobody
    touched keeps the leaders' comment unanswered: it is left out). `confirmed` maps the
    score ids the person confirmed to the versions they saw: only those are sent, and if
    any of them changed or is no longer ready, nothing is (a stale confirmation). Points
    without evidence need `confirm_missing_evidence` (`ensure_evidence`)."""
    # Lock the assessment, then every score, in the order every score action takes them
    # (assessment first): each submission ends by taking the audit chain's lock, and an
    # action waiting meanwhile must not hold a row we still need. "No key" locks leave the
    # foreign-key checks of comments and evidence on these rows free to go on.
    if scores:
        assessment = Assessment.objects.select_for_update(no_key=True).get(
            pk=scores[0].assessment_id
        )
        ensure_not_locked(assessment)  # also when nothing is ready: say why nothing was sent
    locked = {
        row.pk: row
        for row in Score.objects.select_for_update(no_key=True)
        .filter(pk__in=[s.pk for s in scores])
        .order_by("pk")
    }
    untouched = returned_untouched(locked.values())
    if confirmed is not None:
        by_pk = {score.pk: score for score in scores}
        changed = [
            by_pk[pk].criterion.code if pk in by_pk else str(pk)
            for pk, version in confirmed.items()
            if pk not in locked
            or locked[pk].version != version
            or locked[pk].status not in (Score.Status.DRAFT, Score.Status.RETURNED)
            or pk in untouched
        ]
        if changed:
            raise ValidationError(
                STALE_CONFIRMATION.format(changed="tiêu chí " + ", ".join(changed)),
                code="stale",
            )
        scores = [score for score in scores if score.pk in confirmed]
    ready = []
    submitted, skipped = [], []
    for score in scores:
        if score.status not in (Score.Status.DRAFT, Score.Status.RETURNED):
            continue
        if score.pk in untouched:
            skipped.append(
                f"Tiêu chí {score.criterion.code}: trả lại, chưa sửa; mở tiêu chí để sửa theo "
                "ý kiến của lãnh đạo rồi gửi lại."
            )
            continue
        problems = submit_problems(score)
        if problems:
            skipped.extend(problems)
            continue
        ready.append(score)
    if confirm_missing_evidence is False:
        lacking = missing_evidence(ready)
        missing = [score for score in ready if score.pk in lacking]
        if missing:
            raise ValidationError(
                "Các tiêu chí chưa có minh chứng nào: "
                + ", ".join(
                    f"{score.criterion.code} ({fmt_points(score.proposed_points or Decimal(0))} điểm)"
                    for score in missing
                )
                + ". Hãy tải minh chứng lên, hoặc đánh dấu “Vẫn gửi khi chưa có minh chứng”.",
                code="missing_evidence",
            )
    for score in ready:
        submitted.append(
            score_propose(
                score=score,
                by=by,
                expected_version=score.version,
                points=score.proposed_points,
                not_arising=score.not_arising,
                numerator=score.numerator,
                denominator=score.denominator,
                result_text=score.result_text,
                shortfall_reason=score.shortfall_reason,
                submit=True,
            )
        )
    return submitted, skipped


@transaction.atomic
def score_approve(
    *,
    score: Score,
    by: User,
    expected_version: int | None,
    confirm_missing_evidence: bool | None = None,
) -> Score:
    score = _fresh(score, expected_version)
    ensure_not_locked(score.assessment)
    if score.status not in REVIEWABLE:
        raise ValidationError(f"Tiêu chí {score.criterion.code} chưa được gửi để duyệt.")
    ensure_evidence(score, score.proposed_points, confirm_missing_evidence, doing="duyệt")
    score.status = Score.Status.APPROVED
    score.leader_points = score.proposed_points
    score.leader_reason = ""
    score.return_comment = ""
    score.leader_by, score.leader_at = by, timezone.now()
    score_event_notify(score=score, action="approve", by=by)  # before the audit entry's lock
    _record(score, ScoreEvent.Action.APPROVE, by, points=score.leader_points)
    return score


@dataclass
class BulkApproval:
    """What `score_approve_many` did: the scores approved, and why the others were not."""

    approved: list[Score] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@transaction.atomic
def score_approve_many(
    *,
    scores: list[Score],
    by: User,
    versions: Mapping[int, int] | None = None,
    confirm_missing_evidence: bool | None = None,
) -> BulkApproval:
    """Approve several waiting scores at once, each against the version the leader saw
    (`versions`: score id -> version; the score's own by default).

    Per item, not all or nothing: each approval is `score_approve` in its own savepoint, so
    a stale or no longer waiting score is reported in `refused` and left as it is while the
    others are approved (a leader who ticked ten rows should not lose nine to one that a
    colleague changed). A locked or frozen assessment refuses the whole call."""
    result = BulkApproval()
    if not scores:
        return result
    assessment_ids = {score.assessment_id for score in scores}
    if len(assessment_ids) != 1:
        raise ValidationError("Chỉ duyệt cùng lúc các tiêu chí của một kỳ đánh giá.")
    # The assessment first, as every score action takes it (`_fresh`).
    assessment = Assessment.objects.select_for_update(no_key=True).get(pk=assessment_ids.pop())
    ensure_not_locked(assessment)
    versions = versions or {}
    for score in sorted(scores, key=lambda s: s.pk):  # one lock order for every caller
        try:
            result.approved.append(
                score_approve(
                    score=score,
                    by=by,
                    expected_version=versions.get(score.pk, score.version),
                    # points without evidence: refused per item unless confirmed
                    confirm_missing_evidence=confirm_missing_evidence,
                )
            )
        except ValidationError as error:
            result.refused.extend(error.messages)
    return result


@transaction.atomic
def score_return(*, score: Score, by: User, expected_version: int | None, comment: str) -> Score:
    score = _fresh(score, expected_version)
    ensure_not_locked(score.assessment)
    if not comment.strip():  # keyed by argument: the page marks the field it is about
        raise ValidationError({"comment": "Phải ghi ý kiến khi trả lại để đơn vị biết cần sửa gì."})
    if score.status not in REVIEWABLE | {Score.Status.APPROVED}:
        raise ValidationError(f"Tiêu chí {score.criterion.code} chưa được gửi để duyệt.")
    score.status = Score.Status.RETURNED
    score.return_comment = comment.strip()
    score.leader_points = None
    score.leader_by, score.leader_at = by, timezone.now()
    score_event_notify(score=score, action="return", by=by)  # before the audit entry's lock
    _record(score, ScoreEvent.Action.RETURN, by, comment=score.return_comment)
    return score


@transaction.atomic
def score_adjust(
    *,
    score: Score,
    by: User,
    expected_version: int | None,
    points: Decimal | None,
    reason: str,
    confirm_missing_evidence: bool | None = None,
) -> Score:
    """Leaders set a different score; the points and the reason are mandatory, the reason is
    kept. Refusals about them are keyed by argument (the page marks the field)."""
    score = _fresh(score, expected_version)
    ensure_not_locked(score.assessment)
    missing = {}
    if points is None:
        missing["points"] = "Chưa nhập điểm điều chỉnh."
    if not reason.strip():
        missing["reason"] = "Phải ghi lý do khi lãnh đạo điều chỉnh điểm."
    if missing or points is None:
        raise ValidationError(missing)
    if score.status not in REVIEWABLE | {Score.Status.APPROVED}:
        raise ValidationError(f"Tiêu chí {score.criterion.code} chưa được gửi để duyệt.")
    criterion = score.criterion
    try:
        scoring.check_rule_points(
            criterion.rule, points, max_points=criterion.max_points, step=criterion.step
        )
    except ValueError as error:
        raise ValidationError({"points": str(error)}) from None
    ensure_evidence(score, points, confirm_missing_evidence, doing="duyệt")
    score.status = Score.Status.APPROVED
    score.leader_points = points
    score.leader_reason = reason.strip()
    score.return_comment = ""
    score.leader_by, score.leader_at = by, timezone.now()
    score_event_notify(score=score, action="adjust", by=by)  # before the audit entry's lock
    _record(score, ScoreEvent.Action.ADJUST, by, points=points, comment=score.leader_reason)
    return score


@transaction.atomic
def score_comment(*, score: Score, by: User, comment: str) -> None:
    """Supporting units (and anyone of the commune) add a remark without scoring."""
    if not comment.strip():
        raise ValidationError("Góp ý không được để trống.")
    assessment = Assessment.objects.select_for_update(no_key=True).get(pk=score.assessment_id)
    if not may_comment(assessment):  # open, or frozen: a comment changes no score
        raise ValidationError(locked_message("góp ý"))
    score = Score.objects.get(pk=score.pk)
    ScoreEvent.objects.create(
        score=score,
        action=ScoreEvent.Action.COMMENT,
        status=score.status,
        comment=comment.strip(),
        user=by,
    )
    _audit_score(score, ScoreEvent.Action.COMMENT, by, comment=comment.strip())


@transaction.atomic
def assessment_lock(*, assessment: Assessment, by: User, reason: str = "") -> None:
    assessment = Assessment.objects.select_for_update(no_key=True).get(pk=assessment.pk)
    if is_frozen(assessment):  # locking would unfreeze it: only a leader's reopening does
        raise ValidationError(frozen_message(assessment), code="frozen")
    if assessment.status == Assessment.Status.LOCKED:
        return
    assessment.status = Assessment.Status.LOCKED
    assessment.save(update_fields=["status"])
    AssessmentEvent.objects.create(
        assessment=assessment, action=AssessmentEvent.Action.LOCK, reason=reason, user=by
    )
    _audit_assessment(assessment, Action.ASSESSMENT_LOCK, by, reason)


@transaction.atomic
def assessment_reopen(
    *, assessment: Assessment, by: User, reason: str, new_deadline: dt.date | None = None
) -> None:
    if not reason.strip():
        raise ValidationError("Phải ghi lý do mở lại kỳ đánh giá.")
    assessment = Assessment.objects.select_for_update(no_key=True).get(pk=assessment.pk)
    if is_frozen(assessment):  # reopened from the issued report's page, which flags it
        raise ValidationError(frozen_message(assessment), code="frozen")
    if assessment.status == Assessment.Status.OPEN:
        raise ValidationError("Kỳ đánh giá đang mở, không cần mở lại.")
    assessment.status = Assessment.Status.OPEN
    if new_deadline is not None:
        assessment.scoring_deadline = new_deadline
    assessment.save(update_fields=["status", "scoring_deadline"])
    AssessmentEvent.objects.create(
        assessment=assessment, action=AssessmentEvent.Action.REOPEN, reason=reason.strip(), user=by
    )
    _audit_assessment(assessment, Action.ASSESSMENT_REOPEN, by, reason.strip())


# More cases of one deduction than a commune records in a year; well inside the column.
MAX_CASES = 9999


@transaction.atomic
def adjustment_record(
    *, assessment: Assessment, adjustment: Adjustment, cases: int, note: str, by: User
) -> AdjustmentEntry:
    # Read under the row lock issuing and locking take, so neither slips in between.
    assessment = Assessment.objects.select_for_update(no_key=True).get(pk=assessment.pk)
    ensure_not_locked(assessment)
    if adjustment.criteria_set_id != assessment.criteria_set_id:
        raise ValidationError("Điều chỉnh không thuộc bộ tiêu chí của kỳ đánh giá.")
    if not 0 <= cases <= MAX_CASES:
        raise ValidationError(f"Số trường hợp phải từ 0 đến {MAX_CASES}.")
    entry, _created = AdjustmentEntry.objects.update_or_create(
        assessment=assessment,
        adjustment=adjustment,
        defaults={"cases": cases, "note": note.strip(), "entered_by": by},
    )
    event = AssessmentEvent.objects.create(
        assessment=assessment,
        action=AssessmentEvent.Action.ADJUSTMENT,
        reason=f"{adjustment.title}: {cases} trường hợp. {note.strip()}".strip(),
        user=by,
    )
    _audit_assessment(assessment, Action.ADJUSTMENT_RECORD, by, event.reason)
    return entry


def _audit_assessment(assessment: Assessment, action: str, by: User, reason: str) -> None:
    label = Action(action).label
    audit_record(
        action=action,
        user=by,
        commune=assessment.commune,
        target=assessment,
        summary=f"{label}: {reason}" if reason else str(label),
    )


# -- The next period (issue 12) ------------------------------------------------------------------


def period_end(year: int, period: str) -> dt.date:
    """The last day a period covers: 30/6 for the first half, 31/12 for the full year."""
    if period == Assessment.Period.FIRST_HALF:
        return dt.date(year, 6, 30)
    return dt.date(year, 12, 31)


def moved_deadline(previous: Assessment, year: int, period: str) -> dt.date | None:
    """The previous period's self-scoring deadline, as many days before (or after) the end
    of the new period as it was from the end of its own; None when it had none."""
    if previous.scoring_deadline is None:
        return None
    offset = previous.scoring_deadline - period_end(previous.year, previous.period)
    return period_end(year, period) + offset


@dataclass
class NextPeriod:
    """What `assessment_create_next` made, and what it could not carry over."""

    assessment: Assessment
    #: sub-criteria of the new set with no counterpart (by code) in the previous period:
    #: their lead unit is the set's default, as for a new assessment
    unmatched: list[str]
    #: sub-criteria of the previous period that the new set no longer has
    dropped: list[str]


def newer_criteria_sets(criteria_set: CriteriaSet) -> list[CriteriaSet]:
    """Later versions of `criteria_set` that are not archived, newest first."""
    found: list[CriteriaSet] = []
    node: CriteriaSet | None = criteria_set
    while node is not None and len(found) < 20:  # a chain of versions, bounded
        node = (
            node.next_versions.exclude(status=CriteriaSet.Status.ARCHIVED)
            .order_by("-version", "-pk")
            .first()
        )
        if node is not None:
            found.insert(0, node)
    return found


@transaction.atomic
def assessment_create_next(
    *,
    previous: Assessment,
    year: int,
    period: str,
    by: User,
    criteria_set: CriteriaSet | None = None,
) -> NextPeriod:
    """Open the period after `previous` in the same commune, carrying over what does not
    change from one period to the next: who leads and supports each sub-criterion (matched
    by code when the criteria set differs), the registered level and registration letter,
    the implementing plan and the self-scoring deadline (moved to the new period). Scores
    start afresh (not scored) and units' own deadlines are not carried: an extension answers
    one period's circumstances. The report's recipients live on the commune and are shared.
    Evidence is offered for reuse later, one by one (evidence.services.evidence_reuse)."""
    if not is_leader(by, previous):
        raise ValidationError("Chỉ lãnh đạo UBND xã được tạo kỳ đánh giá tiếp theo.")
    if period not in Assessment.Period.values:
        raise ValidationError("Kỳ đánh giá không hợp lệ.")
    if not 2000 <= year <= 2100:
        raise ValidationError("Năm phải từ 2000 đến 2100.")
    criteria_set = criteria_set or previous.criteria_set
    allowed = [previous.criteria_set, *newer_criteria_sets(previous.criteria_set)]
    if criteria_set.pk not in {s.pk for s in allowed}:
        raise ValidationError("Chỉ dùng bộ tiêu chí của kỳ trước hoặc phiên bản mới hơn của nó.")
    commune = previous.commune
    label = f"{Assessment.Period(period).label} {year}"
    if Assessment.objects.filter(commune=commune, year=year, period=period).exists():
        raise ValidationError(
            f"{commune} đã có kỳ đánh giá {label}; mở kỳ đó trong danh sách các kỳ đánh giá."
        )
    target_level = previous.target_level
    if target_level is not None and target_level.criteria_set_id != criteria_set.pk:
        target_level = criteria_set.levels.filter(name=target_level.name).first()
    assessment = assessment_create(
        commune=commune,
        criteria_set=criteria_set,
        year=year,
        period=period,
        target_level=target_level,
        registration_number=previous.registration_number,
        registration_date=previous.registration_date,
        plan_number=previous.plan_number,
        plan_date=previous.plan_date,
    )
    assessment.previous = previous
    assessment.registration_recipient = previous.registration_recipient
    assessment.scoring_deadline = moved_deadline(previous, year, period)
    assessment.save(update_fields=["previous", "registration_recipient", "scoring_deadline"])

    before = {
        a.criterion.code: a
        for a in previous.assignments.select_related("criterion").prefetch_related(
            "supporting_units"
        )
    }
    after = list(assessment.assignments.select_related("criterion"))
    unmatched = []
    changed = []
    supporting: list = []
    through = Assignment.supporting_units.through
    for assignment in after:
        old = before.get(assignment.criterion.code)
        if old is None:
            unmatched.append(assignment.criterion.code)
            continue
        assignment.lead_unit_id = old.lead_unit_id
        assignment.updated_by = by
        changed.append(assignment)
        supporting += [
            through(assignment_id=assignment.pk, unit_id=unit.pk)
            for unit in old.supporting_units.all()
        ]
    Assignment.objects.bulk_update(changed, ["lead_unit", "updated_by"])
    through.objects.bulk_create(supporting)
    bump_assessment(assessment.pk)
    codes = {a.criterion.code for a in after}
    dropped = sorted(code for code in before if code not in codes)

    summary = f"Tạo kỳ đánh giá {label} tiếp theo kỳ {previous.get_period_display()} "
    summary += f"{previous.year}: chép phân công {len(changed)} tiêu chí thành phần"
    if unmatched:
        summary += f"; không có ở kỳ trước: {', '.join(unmatched)}"
    if dropped:
        summary += f"; không còn trong bộ tiêu chí: {', '.join(dropped)}"
    audit_record(
        action=Action.ASSESSMENT_CREATE,
        user=by,
        commune=commune,
        target=assessment,
        target_label=str(assessment),
        summary=summary,
        details={
            "previous": previous.pk,
            "criteria_set": criteria_set.pk,
            "unmatched": unmatched,
            "dropped": dropped,
        },
    )
    return NextPeriod(assessment=assessment, unmatched=unmatched, dropped=dropped)


# -- Deadlines (issue 12) ----------------------------------------------------------------------

DEADLINE_AUDIT_ACTION = Action.DEADLINE_SET  # set, extended or removed


def _date(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value is not None else "không đặt hạn"


def _check_expected(expected: dt.date | None | str, current: dt.date | None, unit: Unit) -> None:
    """Refuse a form shown with another deadline than the one now recorded ("" skips)."""
    if expected != "" and expected != current:
        raise ValidationError(
            f"Hạn riêng của {unit} vừa được người khác đổi (nay là {_date(current)}); hãy xem "
            "lại rồi nhập lại.",
            code="stale",
        )


def _check_deadline(deadline: dt.date | None) -> None:
    if deadline is not None and not 2000 <= deadline.year <= 2100:
        raise ValidationError("Hạn tự chấm điểm phải là một ngày hợp lệ (năm 2000–2100).")


@transaction.atomic
def assessment_deadline_set(
    *,
    assessment: Assessment,
    deadline: dt.date | None,
    by: User,
    reason: str,
    expected: dt.date | None | str = "",
) -> Assessment:
    """Leaders set (or clear, with None) the assessment's self-scoring deadline, with a reason.
    `expected` is the deadline the form was shown with: a change made meanwhile refuses it."""
    if not reason.strip():
        raise ValidationError("Phải ghi lý do đặt hoặc đổi hạn tự chấm điểm.")
    _check_deadline(deadline)
    assessment.__dict__.pop("_unit_deadlines", None)
    locked = Assessment.objects.select_for_update(no_key=True).get(pk=assessment.pk)
    ensure_not_locked(locked, "đổi hạn tự chấm điểm")
    before = locked.scoring_deadline
    if expected != "" and expected != before:
        raise ValidationError(
            f"Hạn tự chấm điểm vừa được người khác đổi thành {_date(before)}; hãy xem lại rồi "
            "nhập lại.",
            code="stale",
        )
    if before == deadline:
        raise ValidationError(f"Hạn tự chấm điểm đã là {_date(deadline)}.")
    deadline_change_notify(assessment=locked, unit=None, deadline=deadline, by=by)
    locked.scoring_deadline = deadline
    locked.save(update_fields=["scoring_deadline"])
    audit_record(
        action=DEADLINE_AUDIT_ACTION,
        user=by,
        commune=locked.commune,
        target=locked,
        summary=f"Đặt hạn tự chấm điểm: {_date(before)} → {_date(deadline)}. Lý do: "
        f"{reason.strip()}",
        details={"deadline": deadline.isoformat() if deadline else None, "unit": None},
    )
    assessment.scoring_deadline = deadline
    return locked


@transaction.atomic
def unit_deadline_set(
    *,
    assessment: Assessment,
    unit: Unit,
    deadline: dt.date,
    reason: str,
    by: User,
    expected: dt.date | None | str = "",
) -> UnitDeadline:
    """Leaders give one unit its own deadline (an extension, usually), with a reason; who set
    it and when are kept on the row and in the audit trail."""
    if not reason.strip():
        raise ValidationError("Phải ghi lý do gia hạn cho đơn vị.")
    if deadline is None:
        raise ValidationError("Chưa nhập hạn tự chấm điểm của đơn vị.")
    _check_deadline(deadline)
    assessment.__dict__.pop("_unit_deadlines", None)
    locked = Assessment.objects.select_for_update(no_key=True).get(pk=assessment.pk)
    ensure_not_locked(locked, "gia hạn cho đơn vị")
    if unit.commune_id != locked.commune_id:
        raise ValidationError(f"Đơn vị “{unit}” không thuộc xã của kỳ đánh giá.")
    if unit.is_collective:
        raise ValidationError("Hạn riêng chỉ đặt cho từng đơn vị, không cho “Các cơ quan, đơn vị”.")
    before = (
        UnitDeadline.objects.filter(assessment=locked, unit=unit)
        .values_list("deadline", flat=True)
        .first()
    )
    _check_expected(expected, before, unit)
    if before == deadline:
        raise ValidationError(f"Hạn riêng của {unit} đã là {_date(deadline)}.")
    deadline_change_notify(assessment=locked, unit=unit, deadline=deadline, by=by)
    row, _created = UnitDeadline.objects.update_or_create(
        assessment=locked,
        unit=unit,
        defaults={"deadline": deadline, "reason": reason.strip(), "set_by": by},
    )
    audit_record(
        action=DEADLINE_AUDIT_ACTION,
        user=by,
        commune=locked.commune,
        unit=unit,
        target=locked,
        summary=f"Gia hạn tự chấm điểm cho {unit}: {_date(before or locked.scoring_deadline)} → "
        f"{_date(deadline)}. Lý do: {reason.strip()}",
        details={"deadline": deadline.isoformat(), "unit": unit.pk},
    )
    return row


@transaction.atomic
def unit_deadline_remove(
    *,
    assessment: Assessment,
    unit: Unit,
    by: User,
    reason: str = "",
    expected: dt.date | None | str = "",
) -> None:
    """The unit follows the assessment's deadline again."""
    assessment.__dict__.pop("_unit_deadlines", None)
    locked = Assessment.objects.select_for_update(no_key=True).get(pk=assessment.pk)
    ensure_not_locked(locked, "bỏ hạn riêng của đơn vị")
    row = UnitDeadline.objects.filter(assessment=locked, unit=unit).first()
    _check_expected(expected, row.deadline if row else None, unit)
    if row is None:
        raise ValidationError(f"{unit} không có hạn riêng.")
    row.delete()
    audit_record(
        action=DEADLINE_AUDIT_ACTION,
        user=by,
        commune=locked.commune,
        unit=unit,
        target=locked,
        summary=f"Bỏ hạn riêng của {unit} ({_date(row.deadline)}); đơn vị theo hạn chung "
        f"{_date(locked.scoring_deadline)}."
        + (f" Lý do: {reason.strip()}" if reason.strip() else ""),
        details={"deadline": None, "unit": unit.pk},
    )
