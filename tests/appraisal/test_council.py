"""Rounds, the council's sessions, votes and decisions, and the city's recognition decision
(appraisal.round_services, appraisal.council_services and their pages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from appraisal import standing
from appraisal.council_services import (
    blocking,
    eligible_submissions,
    majority,
    outcome,
    recognition_record,
    session_close,
    session_open,
    vote_cast,
)
from appraisal.models import (
    CouncilItem,
    CouncilSession,
    ExplanationRequest,
    RecognitionDecision,
    Round,
    Submission,
    SubmissionEvent,
)
from appraisal.round_services import round_save
from assessments.models import Score
from audit.models import AuditEntry
from criteria.models import CriteriaSet
from reports.services import report_create

pytestmark = pytest.mark.django_db

Result = CouncilItem.Result
Stage = Submission.Stage
TODAY = timezone.localdate()


# -- the decision rule -----------------------------------------------------------------------


MAJORITY = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4}
BLOCKING = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3}


@pytest.mark.parametrize("members", [1, 2, 3, 4, 5, 6])
def test_quorum_arithmetic(members):
    assert majority(members) == MAJORITY[members]
    assert majority(members) > members / 2  # strictly more than half
    assert blocking(members) == BLOCKING[members]
    for votes_for in range(members + 1):
        for votes_against in range(members + 1 - votes_for):
            got = outcome(members=members, votes_for=votes_for, votes_against=votes_against)
            if votes_for > members / 2:
                assert got == Result.RECOGNISED, (votes_for, votes_against)
            elif votes_for + (members - votes_for - votes_against) <= members / 2:
                # even if every member yet to vote voted for, no majority
                assert got == Result.NOT_RECOGNISED, (votes_for, votes_against)
            else:
                assert got == Result.PENDING, (votes_for, votes_against)
            if votes_for + votes_against == members:
                assert got != Result.PENDING  # once everyone has voted, it is decided


def test_a_tie_is_not_a_recognition():
    assert outcome(members=4, votes_for=2, votes_against=2) == Result.NOT_RECOGNISED
    assert outcome(members=6, votes_for=3, votes_against=3) == Result.NOT_RECOGNISED


# -- fixtures --------------------------------------------------------------------------------


def _round(demo, **extra) -> Round:
    assessment = demo.assessment
    values = {"year": assessment.year, "period": assessment.period, **extra}
    return Round.objects.create(
        city=assessment.commune.city,
        criteria_set=assessment.criteria_set,
        submission_deadline=TODAY,
        **values,
    )


def _submit(assessment, round_, secretary) -> Submission:
    return Submission.objects.create(
        round=round_,
        assessment=assessment,
        report=report_create(assessment=assessment, by=secretary),
        stage=Stage.APPRAISING,
        submitted_by=secretary,
        submitted_at=timezone.now(),
    )


def _appraise(submission, appraiser, *, short: Decimal = Decimal(0)) -> Submission:
    """Every sub-criterion appraised at its maximum (less `short` on the first one)."""
    scores = list(
        Score.objects.filter(assessment=submission.assessment)
        .select_related("criterion")
        .order_by("criterion__order")
    )
    now = timezone.now()
    for index, score in enumerate(scores):
        score.appraised_points = score.criterion.max_points - (short if index == 0 else 0)
        score.appraised_by, score.appraised_at = appraiser, now
        score.save(update_fields=["appraised_points", "appraised_by", "appraised_at"])
    return standing.refresh(submission)


@pytest.fixture
def round_(demo) -> Round:
    return _round(demo)


@pytest.fixture
def ready(demo, round_, secretary, appraiser) -> Submission:
    """Nghi Dương's submission, fully appraised, meeting the conditions."""
    return _appraise(_submit(demo.assessment, round_, secretary), appraiser)


@pytest.fixture
def council(council_chair, council_member, demo):
    """The session's three members: the chair, hoidong1 (`council_member`), hoidong2."""
    return [council_chair, council_member, demo.user("hoidong2")]


@pytest.fixture
def meeting(round_, ready, council, council_chair) -> CouncilSession:
    return session_open(
        round_=round_,
        by=council_chair,
        title="Phiên họp thứ nhất",
        held_on=TODAY,
        members=council,
        chair=council_chair,
        submissions=[ready],
    )


def _item(meeting) -> CouncilItem:
    return meeting.items.get()


# -- sessions --------------------------------------------------------------------------------


def test_a_session_lists_only_fully_appraised_submissions_without_open_request(
    demo, round_, ready, secretary, appraiser, council, council_chair
):
    other = _submit(demo.other_assessment, round_, secretary)
    assert list(eligible_submissions(round_)) == [ready]  # An Lão is not appraised yet
    _appraise(other, appraiser)
    ExplanationRequest.objects.create(
        submission=other, message="Bổ sung.", deadline=TODAY, created_by=appraiser
    )
    assert list(eligible_submissions(round_)) == [ready]  # waiting for the commune's answer
    with pytest.raises(ValidationError) as refused:
        session_open(
            round_=round_,
            by=council_chair,
            title="Phiên họp",
            held_on=TODAY,
            members=council,
            chair=council_chair,
            submissions=[ready, other],
        )
    assert "không còn đủ điều kiện" in str(refused.value)
    assert not CouncilSession.objects.exists()


def test_the_item_keeps_the_standing_shown_to_the_council(meeting, ready):
    item = _item(meeting)
    assert item.total == ready.appraised_total
    assert item.level == ready.level_reached
    assert item.level is not None


def test_a_submission_on_a_pending_item_is_not_offered_again(meeting, round_):
    assert not eligible_submissions(round_).exists()


def test_members_and_chair_are_the_citys_council(round_, ready, council_chair, appraiser):
    with pytest.raises(ValidationError) as refused:
        session_open(
            round_=round_,
            by=council_chair,
            title="Phiên họp",
            held_on=TODAY,
            members=[council_chair, appraiser],
            chair=appraiser,
            submissions=[ready],
        )
    assert "members" in refused.value.error_dict
    assert "chair" in refused.value.error_dict


def test_an_appraiser_cannot_open_a_session(round_, ready, council, council_chair, appraiser):
    with pytest.raises(PermissionDenied):
        session_open(
            round_=round_,
            by=appraiser,
            title="Phiên họp",
            held_on=TODAY,
            members=council,
            chair=council_chair,
            submissions=[ready],
        )


# -- votes -----------------------------------------------------------------------------------


def test_votes_change_while_pending_then_a_majority_decides(meeting, ready, council):
    chair, member, second = council
    item = _item(meeting)
    vote_cast(item=item, by=member, choice="for")
    vote_cast(item=item, by=member, choice="against", note="Cần xem lại tiêu chí 2.")
    item.refresh_from_db()
    assert (item.votes_for, item.votes_against, item.result) == (0, 1, Result.PENDING)
    vote_cast(item=item, by=member, choice="for")  # changed back
    vote_cast(item=item, by=second, choice="for")  # 2 of 3: a majority
    item.refresh_from_db()
    assert (item.votes_for, item.votes_against, item.result) == (2, 0, Result.RECOGNISED)
    assert item.decided_at is not None
    ready.refresh_from_db()
    assert ready.stage == Stage.CONCLUDED
    event = SubmissionEvent.objects.get(submission=ready, stage=Stage.CONCLUDED)
    assert "2 đồng ý, 0 không đồng ý" in event.detail
    assert "/ 3 thành viên" in event.detail
    with pytest.raises(ValidationError, match="đã quyết định"):
        vote_cast(item=item, by=chair, choice="against")
    with pytest.raises(ValidationError, match="đã quyết định"):
        vote_cast(item=item, by=member, choice="against")  # no change after the decision
    assert AuditEntry.objects.filter(action=AuditEntry.Action.COUNCIL_VOTE).count() == 4


def test_enough_votes_against_decide_not_recognised(meeting, ready, council):
    _chair, member, second = council
    item = _item(meeting)
    vote_cast(item=item, by=member, choice="against")
    assert _item(meeting).result == Result.PENDING
    vote_cast(item=item, by=second, choice="against")  # 2 of 3: no majority possible
    item.refresh_from_db()
    assert item.result == Result.NOT_RECOGNISED
    ready.refresh_from_db()
    assert ready.stage == Stage.CONCLUDED


def test_two_members_voting_on_a_stale_item_both_count(meeting, council):
    """Each vote counts the rows under the item's lock: a stale copy loses nothing."""
    _chair, member, second = council
    first_copy, second_copy = _item(meeting), _item(meeting)
    vote_cast(item=first_copy, by=member, choice="against")
    vote_cast(item=second_copy, by=second, choice="for")
    item = _item(meeting)
    assert (item.votes_for, item.votes_against) == (1, 1)


def test_only_the_sessions_members_vote(meeting, demo, city_admin, appraiser, administrator):
    item = _item(meeting)
    for person in (demo.user("hoidong3"), city_admin, appraiser, administrator):
        with pytest.raises(PermissionDenied):
            vote_cast(item=item, by=person, choice="for")
    assert not item.votes.exists()


def test_conditions_not_met_cannot_be_recognised(demo, secretary, appraiser, council):
    chair, member, second = council
    round_ = _round(demo, min_criterion_share=Decimal(100))
    submission = _appraise(
        _submit(demo.assessment, round_, secretary), appraiser, short=Decimal("0.5")
    )
    assert submission.conditions_met is False
    meeting = session_open(
        round_=round_,
        by=chair,
        title="Phiên họp",
        held_on=TODAY,
        members=council,
        chair=chair,
        submissions=[submission],
    )
    item = _item(meeting)
    with pytest.raises(ValidationError) as refused:
        vote_cast(item=item, by=member, choice="for")
    assert "không thể đề nghị công nhận" in str(refused.value)
    assert "dưới 100" in str(refused.value)
    vote_cast(item=item, by=member, choice="against")
    session_close(session=meeting, by=chair)
    item.refresh_from_db()
    assert item.result == Result.NOT_RECOGNISED


def test_closing_leaves_undecided_items_not_recognised(meeting, ready, council):
    chair, member, _second = council
    vote_cast(item=_item(meeting), by=member, choice="for")
    session_close(session=meeting, by=chair)
    meeting.refresh_from_db()
    assert meeting.status == CouncilSession.Status.CLOSED
    item = _item(meeting)
    assert item.result == Result.NOT_RECOGNISED
    ready.refresh_from_db()
    assert ready.stage == Stage.CONCLUDED
    event = ready.events.get(stage=Stage.CONCLUDED)
    assert "chưa đủ quá nửa" in event.detail
    with pytest.raises(ValidationError, match="đã kết thúc"):
        vote_cast(item=item, by=member, choice="for")


def test_a_member_cannot_close_the_session(meeting, council_member):
    with pytest.raises(PermissionDenied):
        session_close(session=meeting, by=council_member)


# -- recognition -----------------------------------------------------------------------------


def test_recognition_follows_the_council(
    demo, round_, ready, secretary, appraiser, council, city_admin
):
    chair, member, second = council
    other = _appraise(_submit(demo.other_assessment, round_, secretary), appraiser)
    meeting = session_open(
        round_=round_,
        by=chair,
        title="Phiên họp",
        held_on=TODAY,
        members=council,
        chair=chair,
        submissions=[ready, other],
    )
    yes, no = (meeting.items.get(submission=s) for s in (ready, other))
    for person in (member, second):
        vote_cast(item=yes, by=person, choice="for")
        vote_cast(item=no, by=person, choice="against")
    with pytest.raises(PermissionDenied):
        recognition_record(
            round_=round_,
            by=chair,
            number="1/QĐ-UBND",
            signed_on=TODAY,
            signer_name="Nguyễn Văn A",
            submissions=[ready, other],
        )
    decision = recognition_record(
        round_=round_,
        by=city_admin,
        number=" 125/QĐ-UBND ",
        signed_on=TODAY,
        signer_name="Nguyễn Văn A",
        submissions=[ready, other],
    )
    ready.refresh_from_db()
    other.refresh_from_db()
    assert (ready.stage, other.stage) == (Stage.RECOGNISED, Stage.NOT_RECOGNISED)
    assert decision.number == "125/QĐ-UBND"
    assert set(decision.submissions.all()) == {ready, other}
    assert "Quyết định số 125/QĐ-UBND" in ready.events.get(stage=Stage.RECOGNISED).detail
    assert ready.events.get(stage=Stage.RECOGNISED).user == city_admin
    # settled: nothing left to decide, and the same number is refused
    with pytest.raises(ValidationError) as refused:
        recognition_record(
            round_=round_,
            by=city_admin,
            number="125/QĐ-UBND",
            signed_on=TODAY + dt.timedelta(days=1),
            signer_name="",
            submissions=[ready],
        )
    assert set(refused.value.error_dict) == {"number", "signed_on", "signer_name"}
    assert RecognitionDecision.objects.count() == 1


def test_recognition_refuses_a_submission_not_concluded(round_, ready, city_admin):
    with pytest.raises(ValidationError, match="Đã có kết luận"):
        recognition_record(
            round_=round_,
            by=city_admin,
            number="2/QĐ-UBND",
            signed_on=TODAY,
            signer_name="Nguyễn Văn A",
            submissions=[ready],
        )
    ready.refresh_from_db()
    assert ready.stage == Stage.APPRAISING
    assert not RecognitionDecision.objects.exists()


# -- rounds ----------------------------------------------------------------------------------


def _round_values(demo, **changes) -> dict:
    values = {
        "criteria_set": demo.assessment.criteria_set,
        "year": 2026,
        "period": "year",
        "submission_deadline": dt.date(2026, 12, 15),
        "appraisal_deadline": dt.date(2027, 1, 15),
        "council_date": dt.date(2027, 1, 20),
        "min_criterion_share": Decimal(50),
        "condition_provenance": "Theo quy định của thành phố",
    }
    return {**values, **changes}


@pytest.mark.parametrize("share", [Decimal("-1"), Decimal("100.01"), Decimal(250)])
def test_a_round_refuses_a_share_out_of_range(demo, city_admin, share):
    city = demo.commune.city
    with pytest.raises(ValidationError) as refused:
        round_save(city=city, by=city_admin, **_round_values(demo, min_criterion_share=share))
    assert "min_criterion_share" in refused.value.error_dict
    assert not Round.objects.exists()


def test_a_round_once_per_year_and_period(demo, city_admin):
    city = demo.commune.city
    round_save(city=city, by=city_admin, **_round_values(demo))
    with pytest.raises(ValidationError) as refused:
        round_save(city=city, by=city_admin, **_round_values(demo))
    assert "đã có đợt thẩm định" in str(refused.value.error_dict["period"])
    assert Round.objects.count() == 1


def test_a_round_refuses_dates_out_of_order_and_a_draft_set(demo, city_admin):
    draft = CriteriaSet.objects.create(title="Bộ dự thảo")
    with pytest.raises(ValidationError) as refused:
        round_save(
            city=demo.commune.city,
            by=city_admin,
            **_round_values(
                demo,
                criteria_set=draft,
                appraisal_deadline=dt.date(2026, 12, 1),
                council_date=dt.date(2026, 11, 1),
            ),
        )
    assert set(refused.value.error_dict) == {"criteria_set", "appraisal_deadline", "council_date"}


def test_only_the_city_admin_makes_rounds(demo, council_chair, appraiser):
    for person in (council_chair, appraiser):
        with pytest.raises(PermissionDenied):
            round_save(city=demo.commune.city, by=person, **_round_values(demo))


def test_changing_the_share_refreshes_the_conditions(demo, round_, ready, city_admin):
    assert ready.conditions_met is True
    Score.objects.filter(assessment=ready.assessment).update(appraised_points=0)
    standing.refresh(ready)  # 0 points everywhere: still met, no minimum yet
    assert ready.conditions_met is True
    values = _round_values(demo, year=round_.year, period=round_.period, min_criterion_share=50)
    values.update(submission_deadline=round_.submission_deadline, appraisal_deadline=None)
    values.update(council_date=None)
    round_save(city=round_.city, by=city_admin, round_=round_, **values)
    ready.refresh_from_db()
    assert ready.conditions_met is False
    assert ready.conditions["min_share"] == "50"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ROUND_CHANGE)
    assert entry.details["refreshed"] == 1


# -- pages -----------------------------------------------------------------------------------


def _session_url(meeting) -> str:
    return reverse(
        "council:session", kwargs={"city": meeting.round.city_id, "session_pk": meeting.pk}
    )


def test_the_session_page_shows_counts_and_own_vote(client, meeting, council):
    _chair, member, second = council
    vote_cast(item=_item(meeting), by=member, choice="against", note="Chưa thuyết phục.")
    client.force_login(second)
    page = client.get(_session_url(meeting)).content.decode()
    assert "Đã biểu quyết 1/3: 0 đồng ý, 1 không đồng ý." in page
    assert "Chưa thuyết phục" not in page  # another member's vote is not shown before
    assert 'data-testid="votes-by-name"' not in page
    client.force_login(member)
    page = client.get(_session_url(meeting)).content.decode()
    assert "Biểu quyết của anh/chị: <strong>Không đồng ý</strong> – Chưa thuyết phục." in page


def test_names_are_shown_after_the_decision(client, meeting, council):
    _chair, member, second = council
    for person in (member, second):
        vote_cast(item=_item(meeting), by=person, choice="for")
    client.force_login(council[0])
    page = client.get(_session_url(meeting)).content.decode()
    assert 'data-testid="votes-by-name"' in page
    assert f"{member.get_full_name()}: Đồng ý công nhận" in page


def test_voting_through_the_page(client, meeting, council):
    _chair, member, _second = council
    item = _item(meeting)
    url = reverse(
        "council:vote",
        kwargs={
            "city": meeting.round.city_id,
            "session_pk": meeting.pk,
            "council_item_pk": item.pk,
        },
    )
    client.force_login(member)
    response = client.post(url, {"choice": "for", "note": "Đạt."})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#muc-{item.pk}")
    assert item.votes.get().member == member


def test_other_city_404_and_commune_person_403(client, meeting, other_city_appraiser, leader):
    client.force_login(other_city_appraiser)
    assert client.get(_session_url(meeting)).status_code == 404
    client.force_login(leader)
    assert client.get(_session_url(meeting)).status_code == 403


def test_the_session_page_does_not_grow_with_communes(
    client, demo, round_, ready, secretary, appraiser, council, django_assert_max_num_queries
):
    chair = council[0]
    meeting = session_open(
        round_=round_,
        by=chair,
        title="Phiên họp",
        held_on=TODAY,
        members=council,
        chair=chair,
        submissions=[ready],
    )
    vote_cast(item=_item(meeting), by=council[1], choice="for")
    client.force_login(chair)
    client.get(_session_url(meeting))  # warm the session, the membership caches
    # Expect at most 14: session, user, city membership, city, meeting, members, items,
    # votes, eligible submissions (exists), and the session/auth/messages housekeeping.
    with django_assert_max_num_queries(14) as one:
        client.get(_session_url(meeting))
    other = _appraise(_submit(demo.other_assessment, round_, secretary), appraiser)
    meeting.items.create(submission=other, total=other.appraised_total)
    vote_cast(item=meeting.items.get(submission=other), by=council[1], choice="against")
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(_session_url(meeting))


def test_the_city_admin_adds_a_round_through_the_page(client, demo, city_admin, council_member):
    city = demo.commune.city
    url = reverse("council:round_add", kwargs={"city": city.pk})
    data = {
        "criteria_set": demo.assessment.criteria_set_id,
        "year": "2026",
        "period": "year",
        "submission_deadline": "2026-12-15",
        "min_criterion_share": "150",
    }
    client.force_login(council_member)
    assert client.get(url).status_code == 403
    client.force_login(city_admin)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "từ 0 đến 100" in response.content.decode()
    response = client.post(url, {**data, "min_criterion_share": "50"})
    assert response.status_code == 302
    response = client.post(url, {**data, "min_criterion_share": ""})
    assert "Hải Phòng đã có đợt thẩm định cả năm năm 2026" in response.content.decode()
    assert Round.objects.count() == 1
    rounds = client.get(reverse("council:rounds", kwargs={"city": city.pk}))
    assert rounds.status_code == 200
    assert "50%" in rounds.content.decode()


def test_the_lists_do_not_grow_with_rounds_and_sessions(
    client, demo, round_, ready, council, city_admin, django_assert_max_num_queries
):
    chair = council[0]
    city = round_.city_id
    pages = [reverse(f"council:{name}", kwargs={"city": city}) for name in ("rounds", "sessions")]
    client.force_login(city_admin)
    counts = []
    for url in pages:
        client.get(url)  # warm the session
        # Expect at most 10: session, user, city membership, city, the rows (annotated),
        # the rounds offered, and the session/auth/messages housekeeping.
        with django_assert_max_num_queries(10) as before:
            assert client.get(url).status_code == 200
        counts.append(len(before.captured_queries))
    for year in (2024, 2025):
        extra = _round(demo, year=year, period="year")
        CouncilSession.objects.create(
            round=extra, title=f"Phiên họp {year}", held_on=TODAY, chair=chair, created_by=chair
        ).members.set(council)
    for url, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200
