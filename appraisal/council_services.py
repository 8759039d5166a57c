"""The appraisal council: its sessions, the members' votes, the decision on each commune, and
the city's recognition decision that follows.

The decision rule (issue 14: "a decision needs more than half of the members"), with `n` the
number of members named for the session:

- recognised (đề nghị công nhận) as soon as the votes for reach a majority: more than half of
  the members, `n // 2 + 1` (1 of 1, 2 of 2, 2 of 3, 3 of 4, 3 of 5, 4 of 6);
- not recognised as soon as recognition can no longer reach that majority: votes against
  reach `n - n // 2` (1 of 1, 1 of 2, 2 of 3, 2 of 4, 3 of 5, 3 of 6); a tie (2–2 of 4)
  is therefore not a recognition;
- when the session is closed with an item still undecided, it is not recognised (no
  majority was reached).

The two thresholds cannot both be met (they add up to n + 1). A member may change their vote
while the item is undecided; once decided, the votes are final. Each vote locks the item's row,
so two members voting at once are counted one after the other and both count.

The council cannot recognise what the rules exclude: a vote "for" is refused, and so is a
"recognised" result, when the submission does not meet the conditions of recognition
(`Submission.conditions_met`: every criterion at the round's minimum share, no disqualifier)
or its appraised total reaches no level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from appraisal import stages
from appraisal.models import (
    CityDocument,
    CouncilItem,
    CouncilSession,
    CouncilVote,
    ExplanationRequest,
    RecognitionDecision,
    Round,
    Submission,
)
from assessments.access import (
    require_city_admin,
    require_prepare_council,
    require_vote,
)
from assessments.models import CityMembership
from audit.services import Action, audit_record
from criteria.rules import fmt_points
from guards.versions import bump_assessment

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Result = CouncilItem.Result
Stage = Submission.Stage

CANNOT_RECOGNISE = (
    "Hồ sơ của {commune} không đạt điều kiện công nhận ({why}): Hội đồng không thể đề nghị "
    "công nhận, chỉ biểu quyết không đồng ý."
)
SESSION_CLOSED = "Phiên họp đã kết thúc: không thay đổi được nữa."


# -- the rule -----------------------------------------------------------------------------------


def majority(members: int) -> int:
    """Votes needed to recognise: strictly more than half of the members."""
    return members // 2 + 1


def blocking(members: int) -> int:
    """Votes against after which a majority for is out of reach."""
    return members - members // 2


def outcome(*, members: int, votes_for: int, votes_against: int) -> str:
    """The item's result from its counts (a `CouncilItem.Result`)."""
    if members <= 0:
        return Result.PENDING
    if votes_for >= majority(members):
        return Result.RECOGNISED
    if votes_against >= blocking(members):
        return Result.NOT_RECOGNISED
    return Result.PENDING


def recognition_refusal(submission: Submission) -> str:
    """Why the council may not recognise `submission` ("" when it may)."""
    reasons = []
    if submission.appraised_total is None or not submission.fully_appraised:
        reasons.append("chưa thẩm định xong")
    elif submission.level_reached_id is None:
        reasons.append("tổng điểm thẩm định không đạt mức nào")
    conditions = submission.conditions or {}
    short = [c["code"] for c in conditions.get("criteria", []) if not c.get("met", True)]
    if short:
        reasons.append(
            f"tiêu chí {', '.join(short)} dưới {conditions.get('min_share')}% điểm tối đa"
        )
    if conditions.get("disqualifiers"):
        names = "; ".join(d["title"] for d in conditions["disqualifiers"])
        reasons.append(f"thuộc trường hợp không xét công nhận: {names}")
    if not reasons and not submission.conditions_met:
        reasons.append("chưa đạt các điều kiện công nhận")
    if not reasons:
        return ""
    return CANNOT_RECOGNISE.format(commune=submission.commune, why="; ".join(reasons))


# -- who and what may be on a session --------------------------------------------------------


def council_people(city_id: int) -> QuerySet[CityMembership]:
    """The city's council (members and chair), active accounts, by name."""
    return (
        CityMembership.objects.filter(
            city_id=city_id,
            role__in=(CityMembership.Role.COUNCIL_MEMBER, CityMembership.Role.COUNCIL_CHAIR),
            user__is_active=True,
        )
        .select_related("user")
        .order_by("-role", "user__last_name", "user__first_name")
    )


def eligible_submissions(round_: Round) -> QuerySet[Submission]:
    """What a session of `round_` may list: submissions under appraisal ("appraising"), fully
    appraised, with no request to explain still waiting for the commune, and not already on
    another session's list waiting for a decision."""
    open_request = ExplanationRequest.objects.filter(
        submission=OuterRef("pk"), status=ExplanationRequest.Status.OPEN
    )
    pending = CouncilItem.objects.filter(submission=OuterRef("pk"), result=Result.PENDING)
    return (
        Submission.objects.filter(round=round_, stage=Stage.APPRAISING, leaf_count__gt=0)
        .filter(appraised_count=F("leaf_count"))
        .exclude(Exists(open_request))
        .exclude(Exists(pending))
        .select_related("assessment__commune", "assessment__target_level", "level_reached")
        .order_by("assessment__commune__name")
    )


def submission_label(submission: Submission) -> str:
    """'Nghi Dương – 92,50 điểm – Mức 2' as a choice reads."""
    total = submission.appraised_total
    points = "chưa có điểm" if total is None else f"{fmt_points(total)} điểm"
    level = submission.level_reached.name if submission.level_reached else "không đạt mức nào"
    return f"{submission.commune} – {points} – {level}"


def _check_submissions(round_: Round, submissions: Iterable[Submission]) -> list[Submission]:
    wanted = {s.pk for s in submissions}
    allowed = list(
        eligible_submissions(round_).filter(pk__in=wanted).select_for_update(of=("self",))
    )
    if len(allowed) != len(wanted):
        raise ValidationError(
            {
                "submissions": "Có hồ sơ không còn đủ điều kiện đưa ra Hội đồng (chưa thẩm định "
                "xong, đang chờ giải trình hoặc đã có trong phiên họp khác); hãy tải lại trang."
            }
        )
    return allowed


def _add_items(session: CouncilSession, submissions: Sequence[Submission]) -> list[CouncilItem]:
    for submission in submissions:  # bulk_create sends no signal (guards/versions.py)
        bump_assessment(submission.assessment_id)
    return CouncilItem.objects.bulk_create(
        CouncilItem(
            session=session,
            submission=submission,
            total=submission.appraised_total,
            level=submission.level_reached,
        )
        for submission in submissions
    )


# -- sessions -----------------------------------------------------------------------------------


@transaction.atomic
def session_open(
    *,
    round_: Round,
    by: User,
    title: str,
    held_on: dt.date,
    members: Sequence[User],
    chair: User,
    submissions: Sequence[Submission] = (),
) -> CouncilSession:
    """Open a session of the council for `round_` with its members (the city's council
    people), its chair (one of them) and the submissions it decides on."""
    require_prepare_council(by, round_.city_id)
    title = " ".join(title.split())
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Hãy nhập tên phiên họp."
    council = {m.user_id for m in council_people(round_.city_id)}
    member_ids = {m.pk for m in members}
    if not member_ids:
        errors["members"] = "Hãy chọn các thành viên dự họp."
    elif not member_ids <= council:
        errors["members"] = "Chỉ chọn được thành viên Hội đồng thẩm định của thành phố."
    if chair.pk not in member_ids or chair.pk not in council:
        errors["chair"] = "Người chủ trì phải là một thành viên Hội đồng dự họp."
    if errors:
        raise ValidationError(errors)
    listed = _check_submissions(round_, submissions)
    session = CouncilSession.objects.create(
        round=round_, title=title, held_on=held_on, chair=chair, created_by=by
    )
    session.members.set(member_ids)
    _add_items(session, listed)
    audit_record(
        action=Action.COUNCIL_SESSION,
        user=by,
        target=session,
        target_label=str(session),
        summary=f"Mở phiên họp “{title}” ({len(member_ids)} thành viên, {len(listed)} hồ sơ)",
        details={"members": sorted(member_ids), "submissions": [s.pk for s in listed]},
    )
    return session


def _locked_open(session: CouncilSession) -> CouncilSession:
    locked = CouncilSession.objects.select_for_update().select_related("round").get(pk=session.pk)
    if locked.status != CouncilSession.Status.OPEN:
        raise ValidationError(SESSION_CLOSED)
    return locked


@transaction.atomic
def session_add_items(
    *, session: CouncilSession, by: User, submissions: Sequence[Submission]
) -> list[CouncilItem]:
    """List more submissions on an open session."""
    require_prepare_council(by, session.round.city_id)
    session = _locked_open(session)
    if not submissions:
        raise ValidationError({"submissions": "Hãy chọn hồ sơ cần đưa ra Hội đồng."})
    listed = _check_submissions(session.round, submissions)
    items = _add_items(session, listed)
    audit_record(
        action=Action.COUNCIL_SESSION,
        user=by,
        target=session,
        target_label=str(session),
        summary=f"Đưa thêm {len(items)} hồ sơ ra phiên họp “{session.title}”",
        details={"submissions": [s.pk for s in listed]},
    )
    return items


@transaction.atomic
def item_remove(*, item: CouncilItem, by: User) -> None:
    """Take an undecided submission off an open session (its votes go with it)."""
    session = item.session
    require_prepare_council(by, session.round.city_id)
    _locked_open(session)
    locked = CouncilItem.objects.select_for_update().select_related("submission").get(pk=item.pk)
    if locked.result != Result.PENDING:
        raise ValidationError("Hội đồng đã quyết định về hồ sơ này: không bỏ ra được.")
    commune = str(locked.submission.commune)
    locked.delete()
    audit_record(
        action=Action.COUNCIL_SESSION,
        user=by,
        target=session,
        target_label=str(session),
        summary=f"Bỏ hồ sơ {commune} khỏi phiên họp “{session.title}”",
    )


def _vote_detail(item: CouncilItem, members: int, why: str = "") -> str:
    result = Result(item.result).label
    counts = (
        f"{item.votes_for} đồng ý, {item.votes_against} không đồng ý, "
        f"{members - item.votes_for - item.votes_against} chưa biểu quyết / {members} thành viên"
    )
    return f"Hội đồng thẩm định ({item.session.title}): {result} ({counts}){why}."


def _decide(item: CouncilItem, result: str, *, by: User, members: int, why: str = "") -> None:
    """Record the decision on a locked item and conclude its submission."""
    submission = item.submission
    if result == Result.RECOGNISED and (refusal := recognition_refusal(submission)):
        raise ValidationError(refusal)
    item.result = result
    item.total = submission.appraised_total
    item.level = submission.level_reached
    item.decided_at = timezone.now()
    item.save(update_fields=["result", "total", "level", "decided_at"])
    stages.advance(
        submission,
        Stage.CONCLUDED,
        by=by,
        actor="council",
        detail=_vote_detail(item, members, why),
    )


@transaction.atomic
def vote_cast(*, item: CouncilItem, by: User, choice: str, note: str = "") -> CouncilItem:
    """`by`'s vote on `item` (cast or changed while it is undecided); decides the item when a
    threshold is reached."""
    locked = (
        CouncilItem.objects.select_for_update(of=("self",))
        .select_related("session__round", "submission__assessment__commune")
        .get(pk=item.pk)
    )
    session = locked.session
    member_ids = set(session.members.values_list("pk", flat=True))
    require_vote(by, session.round.city_id, member_ids)
    if session.status != CouncilSession.Status.OPEN:
        raise ValidationError(SESSION_CLOSED)
    if locked.result != Result.PENDING:
        raise ValidationError(
            f"Hội đồng đã quyết định về hồ sơ của {locked.submission.commune}: "
            "không biểu quyết lại được."
        )
    if choice not in CouncilVote.Choice.values:
        raise ValidationError({"choice": "Hãy chọn đồng ý hoặc không đồng ý."})
    if choice == CouncilVote.Choice.FOR and (refusal := recognition_refusal(locked.submission)):
        raise ValidationError({"choice": refusal})
    CouncilVote.objects.update_or_create(
        item=locked, member=by, defaults={"choice": choice, "note": note.strip()}
    )
    votes = list(locked.votes.values_list("choice", flat=True))
    locked.votes_for = votes.count(CouncilVote.Choice.FOR)
    locked.votes_against = votes.count(CouncilVote.Choice.AGAINST)
    locked.save(update_fields=["votes_for", "votes_against"])
    members = len(member_ids)
    result = outcome(
        members=members, votes_for=locked.votes_for, votes_against=locked.votes_against
    )
    if result != Result.PENDING:
        _decide(locked, result, by=by, members=members)
    audit_record(
        action=Action.COUNCIL_VOTE,
        user=by,
        target=locked,
        target_label=f"{locked.submission.commune} – {session.title}",
        summary=f"Biểu quyết: {CouncilVote.Choice(choice).label}",
        details={"result": locked.result, "for": locked.votes_for, "against": locked.votes_against},
    )
    item.result, item.votes_for, item.votes_against = (
        locked.result,
        locked.votes_for,
        locked.votes_against,
    )
    return locked


@transaction.atomic
def session_close(*, session: CouncilSession, by: User) -> CouncilSession:
    """End the session: each item still undecided is not recognised (no majority)."""
    require_prepare_council(by, session.round.city_id)
    locked = _locked_open(session)
    pending = list(
        CouncilItem.objects.select_for_update(of=("self",))
        .filter(session=locked, result=Result.PENDING)
        .select_related("submission__assessment__commune")
        .order_by("submission__assessment__commune__name")
    )
    elsewhere = [i for i in pending if i.submission.stage != Stage.APPRAISING]
    if elsewhere:
        names = ", ".join(str(i.submission.commune) for i in elsewhere)
        raise ValidationError(
            f"Hồ sơ của {names} không còn ở giai đoạn thẩm định (có thể đang chờ giải trình): "
            "hãy bỏ khỏi danh sách trước khi kết thúc phiên họp."
        )
    members = locked.members.count()
    for item in pending:
        item.session = locked
        _decide(
            item,
            Result.NOT_RECOGNISED,
            by=by,
            members=members,
            why="; phiên họp kết thúc khi chưa đủ quá nửa thành viên đồng ý",
        )
    locked.status = CouncilSession.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    audit_record(
        action=Action.COUNCIL_SESSION,
        user=by,
        target=locked,
        target_label=str(locked),
        summary=f"Kết thúc phiên họp “{locked.title}” ({len(pending)} hồ sơ chưa đủ đa số)",
    )
    session.status, session.closed_at = locked.status, locked.closed_at
    return locked


# -- the city's recognition decision -----------------------------------------------------


def concluded_submissions(round_: Round) -> QuerySet[Submission]:
    """The round's submissions the council concluded on, waiting for the city's decision."""
    return (
        Submission.objects.filter(round=round_, stage=Stage.CONCLUDED)
        .select_related("assessment__commune", "assessment__target_level", "level_reached")
        .order_by("assessment__commune__name")
    )


def concluded_with_result(round_: Round) -> list[tuple[Submission, CouncilItem | None]]:
    """The round's concluded submissions with the council's decided item (the latest)."""
    submissions = list(concluded_submissions(round_))
    items: dict[int, CouncilItem] = {}
    for item in (
        CouncilItem.objects.filter(submission__in=submissions)
        .exclude(result=Result.PENDING)
        .select_related("level", "session")
        .order_by("decided_at", "pk")
    ):
        items[item.submission_id] = item  # the latest wins
    return [(s, items.get(s.pk)) for s in submissions]


@transaction.atomic
def recognition_record(
    *,
    round_: Round,
    by: User,
    number: str,
    signed_on: dt.date,
    signer_name: str,
    submissions: Sequence[Submission],
    document: CityDocument | None = None,
) -> RecognitionDecision:
    """Record the city's decision on concluded submissions of `round_`: each moves to
    "recognised" or "not recognised" as the council decided."""
    require_city_admin(by, round_.city_id)
    number = " ".join(number.split())
    signer_name = " ".join(signer_name.split())
    errors: dict[str, str] = {}
    if not number:
        errors["number"] = "Hãy nhập số quyết định."
    elif RecognitionDecision.objects.filter(round=round_, number=number).exists():
        errors["number"] = f"Đợt này đã có quyết định số {number}."
    if not signer_name:
        errors["signer_name"] = "Hãy nhập họ tên người ký."
    if signed_on > timezone.localdate():
        errors["signed_on"] = "Ngày ký không được sau hôm nay."
    if not submissions:
        errors["submissions"] = "Hãy chọn hồ sơ được quyết định."
    if errors:
        raise ValidationError(errors)
    wanted = {s.pk for s in submissions}
    results = {s.pk: (s, item) for s, item in concluded_with_result(round_) if s.pk in wanted}
    if len(results) != len(wanted):
        raise ValidationError(
            {"submissions": "Có hồ sơ không còn ở giai đoạn “Đã có kết luận”; hãy tải lại trang."}
        )
    missing = [str(s.commune) for s, item in results.values() if item is None]
    if missing:
        raise ValidationError(
            {"submissions": f"Chưa có kết luận của Hội đồng cho: {', '.join(missing)}."}
        )
    decision = RecognitionDecision.objects.create(
        round=round_,
        number=number,
        signed_on=signed_on,
        signer_name=signer_name,
        created_by=by,
        document=document,
    )
    decision.submissions.set(wanted)
    recognised = 0
    for submission, item in results.values():
        assert item is not None
        target = Stage.RECOGNISED if item.result == Result.RECOGNISED else Stage.NOT_RECOGNISED
        recognised += target == Stage.RECOGNISED
        level = f" {item.level.name}" if target == Stage.RECOGNISED and item.level else ""
        stages.advance(
            submission,
            target,
            by=by,
            actor="city_admin",
            detail=(
                f"{decision} do {signer_name} ký: "
                f"{'công nhận' if target == Stage.RECOGNISED else 'không công nhận'}{level}."
            ),
        )
    audit_record(
        action=Action.RECOGNITION_RECORD,
        user=by,
        target=decision,
        target_label=str(decision),
        summary=f"{decision}: công nhận {recognised}/{len(results)} xã, phường",
        details={"submissions": sorted(wanted), "recognised": recognised},
    )
    return decision
