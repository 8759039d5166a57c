"""The city's appraisers: the submission page, the city's score per sub-criterion, the split
between appraisers, the city's findings and the request to explain."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from appraisal import standing
from appraisal.appraise_services import (
    Asked,
    appraisal_score_save,
    appraisers_assign,
    city_adjustment_save,
    explanation_request_create,
)
from appraisal.models import (
    AppraiserAssignment,
    ExplanationRequest,
    Round,
    Submission,
    SubmissionEvent,
)
from assessments.models import Score, ScoreEvent
from assessments.selectors import assessment_results
from assessments.services import score_approve, score_propose, score_return
from audit.models import AuditEntry
from criteria.models import Adjustment, Criterion
from criteria.rules import NotArisingPolicy
from evidence.selectors import evidence_snapshot
from evidence.services import evidence_upload
from reports.services import report_create
from tests.evidence.conftest import pdf_bytes
from tests.queries import at_most

pytestmark = pytest.mark.django_db


def _snapshot(assessment) -> dict:
    """What the submission service (helper A's appraisal.submission_services) freezes: per
    code the commune's points and account, and the evidence rows (criterion code, file id)."""
    scores = Score.objects.filter(assessment=assessment).select_related("criterion")
    return {
        "scores": {
            s.criterion.code: {
                "proposed": None if s.proposed_points is None else str(s.proposed_points),
                "leader": None if s.leader_points is None else str(s.leader_points),
                "approved": None if s.approved_points is None else str(s.approved_points),
                "status": s.status,
                "result_text": s.result_text,
                "shortfall_reason": s.shortfall_reason,
                "not_arising": s.not_arising,
            }
            for s in scores
        },
        "evidence": evidence_snapshot(assessment),
    }


def _submit(assessment, secretary, stage=Submission.Stage.SUBMITTED) -> Submission:
    round_ = Round.objects.get_or_create(
        city=assessment.commune.city,
        year=assessment.year,
        period=assessment.period,
        defaults={
            "criteria_set": assessment.criteria_set,
            "submission_deadline": timezone.localdate() + timedelta(days=10),
        },
    )[0]
    submission = Submission.objects.create(
        round=round_,
        assessment=assessment,
        report=report_create(assessment=assessment, by=secretary),
        stage=stage,
        submitted_by=secretary,
        submitted_at=timezone.now(),
        snapshot=_snapshot(assessment),
    )
    return standing.refresh(submission)


@pytest.fixture
def submitted(demo_scored, secretary) -> Submission:
    """Nghi Dương's scored and approved assessment, sent to Hải Phòng."""
    return _submit(demo_scored.assessment, secretary)


def _score(submission, code) -> Score:
    return Score.objects.select_related("criterion").get(
        assessment=submission.assessment, criterion__code=code
    )


def _leaf(submission, *, rule="free", exclude=()) -> Score:
    """A scored leaf with the free rule whose step is below its maximum."""
    return (
        Score.objects.filter(
            assessment=submission.assessment,
            criterion__rule=rule,
            leader_points__isnull=False,
            criterion__max_points__gt=D(1),
        )
        .exclude(criterion__code__in=exclude)
        .select_related("criterion")
        .order_by("criterion__order")
        .first()
    )


def _post_score(client, submission, score, **data):
    url = reverse("appraise:score", args=[submission.pk, score.criterion_id])
    data.setdefault("version", score.version)
    return client.post(url, data, follow=True)  # the page shows (and uses up) the messages


def _errors(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


# -- the city's score ------------------------------------------------------------------------


def test_first_score_moves_to_appraising_and_is_on_the_commune_ledger(
    client, submitted, appraiser, leader
):
    score = _leaf(submitted)
    client.force_login(appraiser)
    response = _post_score(client, submitted, score, points="0", reason="Thiếu biên bản.")
    assert response.status_code == 200 and not _errors(response)
    score.refresh_from_db()
    assert score.appraised_points == 0
    assert score.appraised_reason == "Thiếu biên bản."
    assert score.appraised_by == appraiser and score.appraised_at is not None
    submitted.refresh_from_db()
    assert submitted.stage == Submission.Stage.APPRAISING
    assert SubmissionEvent.objects.filter(submission=submitted, stage="appraising").exists()
    assert submitted.appraised_count == 1
    # The commune's criterion page shows the city's column of the ledger.
    client.force_login(leader)
    page = client.get(
        reverse("assessments:criterion", args=[submitted.assessment_id, score.criterion_id])
    )
    ledger = page.content.decode()
    assert "Thiếu biên bản." in ledger
    assert appraiser.get_full_name() in ledger


def _city_events(score) -> list[ScoreEvent]:
    return list(
        ScoreEvent.objects.filter(
            score=score, action__in=(ScoreEvent.Action.APPRAISE, ScoreEvent.Action.REAPPRAISE)
        ).order_by("at", "id")
    )


def _criterion_page(client, submission, score) -> str:
    url = reverse("assessments:criterion", args=[submission.assessment_id, score.criterion_id])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_every_city_score_is_kept_in_the_ledger_in_order(client, submitted, appraiser, leader):
    score = _leaf(submitted)
    client.force_login(appraiser)
    _post_score(client, submitted, score, points="0", reason="Thiếu biên bản kiểm tra.")
    score.refresh_from_db()
    _post_score(client, submitted, score, points="1", reason="Có biên bản, chưa đủ nội dung.")
    first, second = _city_events(score)
    assert (first.action, first.points, first.comment, first.user) == (
        ScoreEvent.Action.APPRAISE,
        D(0),
        "Thiếu biên bản kiểm tra.",
        appraiser,
    )
    assert (second.action, second.points, second.comment, second.user) == (
        ScoreEvent.Action.APPRAISE,
        D(1),
        "Có biên bản, chưa đủ nội dung.",
        appraiser,
    )
    assert first.at <= second.at
    # The commune's leader reads both on the sub-criterion's history, newest first, with
    # who gave them and why; the score card shows the latest.
    client.force_login(leader)
    page = _criterion_page(client, submitted, score)
    history = page[page.index('data-testid="score-history"') :]
    assert history.count('data-testid="city-event"') == 2
    assert history.index("Có biên bản, chưa đủ nội dung.") < history.index(
        "Thiếu biên bản kiểm tra."
    )
    assert "Thành phố thẩm định" in history and appraiser.get_full_name() in history


def test_a_score_given_again_after_the_explanation_is_marked_so(
    submitted, appraiser, leader, client
):
    score = _leaf(submitted)
    appraisal_score_save(
        submission=submitted,
        criterion=score.criterion,
        by=appraiser,
        expected_version=score.version,
        points=D(0),
        reason="Thiếu biên bản.",
    )
    request = explanation_request_create(
        submission=submitted,
        by=appraiser,
        items=[Asked(score.criterion, "Bổ sung biên bản.")],
        message="Đề nghị giải trình.",
        deadline=timezone.localdate() + timedelta(days=5),
    )
    ExplanationRequest.objects.filter(pk=request.pk).update(
        status=ExplanationRequest.Status.ANSWERED, answered_by=leader, answered_at=timezone.now()
    )
    score.refresh_from_db()
    appraisal_score_save(
        submission=submitted,
        criterion=score.criterion,
        by=appraiser,
        expected_version=score.version,
        points=score.criterion.max_points,
        reason="Đã bổ sung biên bản đầy đủ.",
    )
    assert [(e.action, e.points) for e in _city_events(score)] == [
        (ScoreEvent.Action.APPRAISE, D(0)),
        (ScoreEvent.Action.REAPPRAISE, score.criterion.max_points),
    ]
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.APPRAISAL_SCORE).latest("pk")
    assert "chấm lại sau giải trình" in entry.summary
    client.force_login(leader)
    assert "Thành phố chấm lại sau giải trình" in _criterion_page(client, submitted, score)


def test_the_communes_staff_do_not_see_the_citys_scores(
    client, submitted, appraiser, leader, secretary, own_staff
):
    """The rule book (may_see_city_scores, as may_see_submission): the commune's leaders and
    secretary see the city's column and its entries in the history; the staff do not."""
    score = _leaf(submitted)
    appraisal_score_save(
        submission=submitted,
        criterion=score.criterion,
        by=appraiser,
        expected_version=score.version,
        points=D(0),
        reason="Lý do riêng của thành phố.",
    )
    for person, sees in ((leader, True), (secretary, True), (own_staff, False)):
        client.force_login(person)
        page = _criterion_page(client, submitted, score)
        assert ("Lý do riêng của thành phố." in page) is sees, person
        assert ("Thẩm định của thành phố" in page) is sees, person
        assert ('data-testid="city-event"' in page) is sees, person


def test_points_above_the_maximum_are_refused(client, submitted, appraiser):
    score = _leaf(submitted)
    client.force_login(appraiser)
    too_many = score.criterion.max_points + 1
    response = _post_score(client, submitted, score, points=str(too_many), reason="x")
    assert any("Điểm phải từ 0 đến" in e for e in _errors(response))
    score.refresh_from_db()
    assert score.appraised_at is None and score.appraised_points is None
    submitted.refresh_from_db()
    assert submitted.stage == Submission.Stage.SUBMITTED


def test_points_off_the_step_are_refused(submitted, appraiser):
    score = _leaf(submitted)
    step = score.criterion.step
    with pytest.raises(ValidationError) as refusal:
        appraisal_score_save(
            submission=submitted,
            criterion=score.criterion,
            by=appraiser,
            expected_version=score.version,
            points=step / 2,
            reason="Nửa bước.",
        )
    assert "bội số" in refusal.value.message_dict["points"][0]
    assert _score(submitted, score.criterion.code).appraised_at is None


def test_a_different_score_needs_a_reason_the_same_one_does_not(client, submitted, appraiser):
    score = _leaf(submitted)
    client.force_login(appraiser)
    response = _post_score(client, submitted, score, points="0", reason="  ")
    assert any("phải ghi lý do" in e for e in _errors(response))
    score.refresh_from_db()
    assert score.appraised_at is None
    response = _post_score(client, submitted, score, points=str(score.leader_points))
    assert not _errors(response)
    score.refresh_from_db()
    assert score.appraised_points == score.leader_points


def test_agreeing_takes_the_communes_points_as_sent(client, submitted, appraiser):
    """The snapshot, not the current score: a leader's later change is not what was sent."""
    score = _leaf(submitted)
    sent = score.leader_points
    Score.objects.filter(pk=score.pk).update(leader_points=D(0))
    client.force_login(appraiser)
    response = _post_score(client, submitted, score, action="accept")
    assert not _errors(response)
    score.refresh_from_db()
    assert score.appraised_points == sent
    assert score.appraised_reason == ""


def test_a_stale_form_is_refused_with_the_current_values(client, submitted, appraiser, city_admin):
    score = _leaf(submitted)
    read_at = score.version
    appraisal_score_save(
        submission=submitted,
        criterion=score.criterion,
        by=city_admin,
        expected_version=read_at,
        points=D(0),
        reason="Quản trị chấm trước.",
    )
    client.force_login(appraiser)
    response = client.post(
        reverse("appraise:score", args=[submitted.pk, score.criterion_id]),
        {"version": read_at, "points": str(score.leader_points), "action": "save"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "vừa được" in html and city_admin.get_full_name() in html
    score.refresh_from_db()
    assert score.appraised_points == 0 and score.appraised_by == city_admin
    # The partial carries the new version, so the appraiser can save on it.
    assert f'name="version" value="{score.version}"' in html


def test_htmx_save_returns_the_row_and_the_totals(client, submitted, appraiser):
    score = _leaf(submitted)
    client.force_login(appraiser)
    response = client.post(
        reverse("appraise:score", args=[submitted.pk, score.criterion_id]),
        {"version": score.version, "action": "accept"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert f'id="tham-dinh-{score.criterion_id}"' in html
    assert 'id="tong-diem"' in html and 'hx-swap-oob="true"' in html
    assert "Đã lưu" in html


def test_two_appraisers_on_different_criteria_both_save(
    client, submitted, appraiser, second_appraiser
):
    """Both read the page, then save one after the other on the versions they read."""
    first = _leaf(submitted)
    second = _leaf(submitted, exclude=[first.criterion.code])
    versions = (first.version, second.version)
    appraisal_score_save(
        submission=submitted,
        criterion=first.criterion,
        by=appraiser,
        expected_version=versions[0],
        points=D(0),
        reason="Không đạt.",
    )
    appraisal_score_save(
        submission=Submission.objects.get(pk=submitted.pk),
        criterion=second.criterion,
        by=second_appraiser,
        expected_version=versions[1],
        points=None,
        reason="",
        accept=True,
    )
    assert _score(submitted, first.criterion.code).appraised_by == appraiser
    assert _score(submitted, second.criterion.code).appraised_by == second_appraiser
    submitted.refresh_from_db()
    assert submitted.appraised_count == 2


def test_the_standing_is_refreshed_to_the_total_and_level(submitted, appraiser, demo_scored):
    scores = Score.objects.filter(assessment=submitted.assessment).select_related("criterion")
    for score in scores:
        appraisal_score_save(
            submission=submitted,
            criterion=score.criterion,
            by=appraiser,
            expected_version=score.version,
            points=None,
            reason="",
            accept=True,
        )
    submitted.refresh_from_db()
    results = assessment_results(submitted.assessment)
    assert submitted.fully_appraised
    assert submitted.appraised_total == results.approved.final
    assert submitted.level_reached == results.level
    # One sub-criterion lowered: the total follows.
    score = _leaf(submitted)
    score.refresh_from_db()
    appraisal_score_save(
        submission=submitted,
        criterion=score.criterion,
        by=appraiser,
        expected_version=score.version,
        points=D(0),
        reason="Không có minh chứng.",
    )
    submitted.refresh_from_db()
    assert submitted.appraised_total < results.approved.final


def test_concluded_submission_is_not_appraised(submitted, appraiser):
    Submission.objects.filter(pk=submitted.pk).update(stage=Submission.Stage.CONCLUDED)
    score = _leaf(submitted)
    with pytest.raises(ValidationError, match="không thẩm định được"):
        appraisal_score_save(
            submission=submitted,
            criterion=score.criterion,
            by=appraiser,
            expected_version=score.version,
            points=D(0),
            reason="x",
        )


@pytest.fixture
def not_arising_sent(demo_scored, secretary, leader, centre_staff) -> Submission:
    """The dossier sent with 2.2.d "không phát sinh" under the "exclude" policy: left out of
    the commune's total, which is rebased to the scale."""
    assessment = demo_scored.assessment
    Criterion.objects.filter(criteria_set=assessment.criteria_set, code="2.2.d").update(
        not_arising=NotArisingPolicy.EXCLUDE
    )
    score = _score_of(assessment, "2.2.d")
    score_return(score=score, by=leader, expected_version=score.version, comment="Không phát sinh")
    score = _score_of(assessment, "2.2.d")
    score = score_propose(
        score=score,
        by=centre_staff,
        expected_version=score.version,
        not_arising=True,
        result_text="",
        submit=True,
    )
    score_approve(score=score, by=leader, expected_version=score.version)
    assert _score_of(assessment, "2.2.d").excluded
    return _submit(assessment, secretary)


def _score_of(assessment, code) -> Score:
    return Score.objects.select_related("criterion").get(
        assessment=assessment, criterion__code=code
    )


def test_a_not_arising_leaf_is_not_scored_by_the_city(client, not_arising_sent, appraiser):
    score = _score(not_arising_sent, "2.2.d")
    with pytest.raises(ValidationError) as refused:
        appraisal_score_save(
            submission=not_arising_sent,
            criterion=score.criterion,
            by=appraiser,
            expected_version=score.version,
            points=D(0),
            reason="Thành phố chấm 0.",
        )
    assert "không phát sinh" in refused.value.message_dict["points"][0]
    score.refresh_from_db()
    assert score.appraised_at is None and not _city_events(score)
    # Through the page: no points field for it, and a post anyway gets the same clear
    # message, nothing saved.
    client.force_login(appraiser)
    page = client.get(reverse("appraise:submission", args=[not_arising_sent.pk])).content.decode()
    row = page[page.index(f'id="tham-dinh-{score.criterion_id}"') :]
    assert row.index('data-testid="not-arising"') < row.index('data-testid="accept"')
    assert f'id="diem-{score.criterion_id}"' not in page
    response = _post_score(client, not_arising_sent, score, points="1", reason="Chấm 1.")
    assert any("không phát sinh" in e for e in _errors(response))
    score.refresh_from_db()
    assert score.appraised_at is None and score.appraised_points is None
    # Agreeing with the commune: appraised, without points, one event in the ledger.
    appraisal_score_save(
        submission=not_arising_sent,
        criterion=score.criterion,
        by=appraiser,
        expected_version=score.version,
        points=None,
        reason="",
        accept=True,
    )
    score.refresh_from_db()
    assert score.appraised_at is not None and score.appraised_points is None
    assert [(e.action, e.points) for e in _city_events(score)] == [
        (ScoreEvent.Action.APPRAISE, None)
    ]


def test_the_appraised_total_leaves_a_not_arising_leaf_out_as_the_communes_does(
    not_arising_sent, appraiser
):
    for score in Score.objects.filter(assessment=not_arising_sent.assessment).select_related(
        "criterion"
    ):
        appraisal_score_save(
            submission=not_arising_sent,
            criterion=score.criterion,
            by=appraiser,
            expected_version=score.version,
            points=None,
            reason="",
            accept=True,
        )
    not_arising_sent.refresh_from_db()
    results = assessment_results(not_arising_sent.assessment)
    assert results.approved.rebased
    assert not_arising_sent.fully_appraised
    assert not_arising_sent.appraised_total == results.approved.final


# -- who may ---------------------------------------------------------------------------------


def test_another_citys_appraiser_finds_nothing(client, submitted, other_city_appraiser):
    score = _leaf(submitted)
    client.force_login(other_city_appraiser)
    assert client.get(reverse("appraise:submission", args=[submitted.pk])).status_code == 404
    response = _post_score(client, submitted, score, points="0", reason="x")
    assert response.status_code == 404
    assert _score(submitted, score.criterion.code).appraised_at is None


def test_the_communes_people_are_refused(client, submitted, leader, secretary):
    for person in (leader, secretary):
        client.force_login(person)
        assert client.get(reverse("appraise:submission", args=[submitted.pk])).status_code == 403
        assert client.get(reverse("appraise:list")).status_code == 403


def test_council_members_read_but_do_not_score(client, submitted, council_member):
    client.force_login(council_member)
    page = client.get(reverse("appraise:submission", args=[submitted.pk]))
    assert page.status_code == 200
    assert 'data-testid="score-form"' not in page.content.decode()
    score = _leaf(submitted)
    assert _post_score(client, submitted, score, points="0", reason="x").status_code == 403


def test_a_criterion_assigned_to_another_appraiser_is_refused(
    client, submitted, appraiser, second_appraiser, city_admin
):
    score = _leaf(submitted)
    root = score.criterion
    while root.parent_id:
        root = root.parent
    appraisers_assign(submission=submitted, by=appraiser, appraisers={root.pk: second_appraiser})
    client.force_login(appraiser)
    response = _post_score(client, submitted, score, points="0", reason="x")
    assert any("phân công cho chuyên viên khác" in e for e in _errors(response))
    assert _score(submitted, score.criterion.code).appraised_at is None
    # The page shows no form there, and "Của tôi" leaves that criterion out.
    page = client.get(reverse("appraise:submission", args=[submitted.pk]), {"cua-toi": "1"})
    assert f'data-code="{root.code}"' not in page.content.decode()
    # The city's administrator appraises any criterion.
    appraisal_score_save(
        submission=submitted,
        criterion=score.criterion,
        by=city_admin,
        expected_version=score.version,
        points=D(0),
        reason="Quản trị chấm.",
    )


def test_the_split_is_made_on_the_assign_page(client, submitted, appraiser, second_appraiser):
    roots = list(
        Criterion.objects.filter(
            criteria_set=submitted.assessment.criteria_set, parent__isnull=True
        ).order_by("order")
    )
    client.force_login(appraiser)
    assert client.get(reverse("appraise:assign", args=[submitted.pk])).status_code == 200
    response = client.post(
        reverse("appraise:assign", args=[submitted.pk]),
        {
            "criterion": [r.pk for r in roots[:2]],
            "appraiser": [appraiser.pk, second_appraiser.pk],
        },
    )
    assert response.status_code == 302
    assert dict(
        AppraiserAssignment.objects.filter(submission=submitted).values_list(
            "criterion_id", "appraiser_id"
        )
    ) == {roots[0].pk: appraiser.pk, roots[1].pk: second_appraiser.pk}


def test_a_council_member_cannot_be_given_criteria(submitted, appraiser, council_member):
    root = Criterion.objects.filter(
        criteria_set=submitted.assessment.criteria_set, parent__isnull=True
    ).first()
    with pytest.raises(ValidationError, match="không phải chuyên viên"):
        appraisers_assign(submission=submitted, by=appraiser, appraisers={root.pk: council_member})
    with pytest.raises(PermissionDenied):
        appraisers_assign(submission=submitted, by=council_member, appraisers={})


# -- findings on deductions and disqualifiers -------------------------------------------------


def test_a_disqualifier_found_by_the_city_fails_the_conditions(client, submitted, appraiser):
    disqualifier = Adjustment.objects.filter(
        criteria_set=submitted.assessment.criteria_set, kind=Adjustment.Kind.DISQUALIFIER
    ).first()
    if disqualifier is None:
        disqualifier = Adjustment.objects.create(
            criteria_set=submitted.assessment.criteria_set,
            kind=Adjustment.Kind.DISQUALIFIER,
            title="Người đứng đầu bị kỷ luật trong năm",
        )
    client.force_login(appraiser)
    url = reverse("appraise:adjustment", args=[submitted.pk, disqualifier.pk])
    response = client.post(url, {"cases": "1", "note": ""}, follow=True)
    assert any("căn cứ" in e for e in _errors(response))
    response = client.post(
        url, {"cases": "1", "note": "Quyết định kỷ luật số 12/QĐ-UBND."}, follow=True
    )
    assert not _errors(response)
    submitted.refresh_from_db()
    assert submitted.conditions["disqualifiers"][0]["cases"] == 1
    assert not submitted.conditions_met
    with pytest.raises(ValidationError):
        city_adjustment_save(
            submission=submitted, adjustment=disqualifier, by=appraiser, cases=2, note="x"
        )


# -- request to explain ----------------------------------------------------------------------


def test_a_request_to_explain_moves_the_stage_and_lists_its_items(client, submitted, appraiser):
    first = _leaf(submitted)
    second = _leaf(submitted, exclude=[first.criterion.code])
    client.force_login(appraiser)
    url = reverse("appraise:request", args=[submitted.pk])
    assert client.get(url).status_code == 200
    deadline = timezone.localdate() + timedelta(days=7)
    response = client.post(
        url,
        {
            "criteria": [first.criterion_id, second.criterion_id],
            "question_for": [first.criterion_id, second.criterion_id],
            "question": ["Bổ sung biên bản họp.", ""],
            "message": "Đề nghị xã giải trình các nội dung sau.",
            "deadline": deadline.isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = ExplanationRequest.objects.get(submission=submitted)
    assert request.deadline == deadline and request.created_by == appraiser
    assert {(i.criterion_id, i.question) for i in request.items.all()} == {
        (first.criterion_id, "Bổ sung biên bản họp."),
        (second.criterion_id, ""),
    }
    submitted.refresh_from_db()
    assert submitted.stage == Submission.Stage.EXPLAINING
    page = client.get(reverse("appraise:submission", args=[submitted.pk])).content.decode()
    assert page.count('data-testid="explanation-item"') == 2
    assert "Bổ sung biên bản họp." in page
    # While the commune explains, the appraiser may still score (and re-score after).
    appraisal_score_save(
        submission=submitted,
        criterion=first.criterion,
        by=appraiser,
        expected_version=first.version,
        points=None,
        reason="",
        accept=True,
    )


def test_a_request_needs_a_future_deadline_and_an_item(client, submitted, appraiser):
    score = _leaf(submitted)
    client.force_login(appraiser)
    url = reverse("appraise:request", args=[submitted.pk])
    response = client.post(
        url,
        {
            "criteria": [score.criterion_id],
            "message": "Giải trình.",
            "deadline": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "Hạn giải trình phải sau ngày hôm nay." in response.content.decode()
    response = client.post(
        url,
        {"message": "Giải trình.", "deadline": (timezone.localdate() + timedelta(1)).isoformat()},
    )
    assert "Chọn ít nhất một tiêu chí" in response.content.decode()
    assert not ExplanationRequest.objects.exists()
    submitted.refresh_from_db()
    assert submitted.stage == Submission.Stage.SUBMITTED


def test_a_request_is_refused_once_concluded(submitted, appraiser):
    Submission.objects.filter(pk=submitted.pk).update(stage=Submission.Stage.CONCLUDED)
    score = _leaf(submitted)
    with pytest.raises(ValidationError):
        explanation_request_create(
            submission=submitted,
            by=appraiser,
            items=[Asked(score.criterion, "")],
            message="x",
            deadline=timezone.localdate() + timedelta(days=3),
        )


def test_the_communes_answer_shows_next_to_the_item_with_its_evidence(
    client, submitted, appraiser, own_criterion, own_staff, leader
):
    request = explanation_request_create(
        submission=submitted,
        by=appraiser,
        items=[Asked(own_criterion.criterion, "Bổ sung biên bản.")],
        message="Đề nghị giải trình.",
        deadline=timezone.localdate() + timedelta(days=3),
    )
    evidence = evidence_upload(
        assessment=submitted.assessment,
        criterion=own_criterion.criterion,
        upload=SimpleUploadedFile("Biên bản bổ sung.pdf", pdf_bytes(), "application/pdf"),
        by=leader,
    ).evidence
    item = request.items.get()
    item.answer = "Đã bổ sung biên bản họp ngày 12/3."
    item.answered_by, item.answered_at = leader, timezone.now()
    item.save()
    item.evidence.add(evidence)
    client.force_login(appraiser)
    page = client.get(reverse("appraise:submission", args=[submitted.pk])).content.decode()
    assert "Đã bổ sung biên bản họp ngày 12/3." in page
    link = reverse("appraise:evidence_file", args=[submitted.pk, evidence.current_file_id])
    assert link in page
    response = client.get(link, {"xem": "1"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]
    b"".join(response.streaming_content)


# -- evidence files --------------------------------------------------------------------------


def test_evidence_opens_for_the_city_and_nobody_else(
    client, demo_scored, own_criterion, own_staff, secretary, appraiser, other_city_appraiser
):
    outcome = evidence_upload(
        assessment=demo_scored.assessment,
        criterion=own_criterion.criterion,
        upload=SimpleUploadedFile("Biên bản.pdf", pdf_bytes(), "application/pdf"),
        by=own_staff,
    )
    submission = _submit(demo_scored.assessment, secretary)
    file_id = outcome.evidence.current_file_id
    client.force_login(appraiser)
    page = client.get(reverse("appraise:submission", args=[submission.pk])).content.decode()
    url = reverse("appraise:evidence_file", args=[submission.pk, file_id])
    assert f"{url}?xem=1" in page
    response = client.get(url, {"xem": "1"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    b"".join(response.streaming_content)
    client.force_login(other_city_appraiser)
    assert client.get(url).status_code == 404
    # Another commune's file through this submission's address: 404.
    other = evidence_upload(
        assessment=demo_scored.other_assessment,
        criterion=Criterion.objects.get(
            criteria_set=demo_scored.other_assessment.criteria_set,
            code=own_criterion.criterion.code,
        ),
        upload=SimpleUploadedFile("Khác.pdf", pdf_bytes(), "application/pdf"),
        by=demo_scored.user("anlao_vhxh"),
    )
    client.force_login(appraiser)
    foreign = reverse(
        "appraise:evidence_file", args=[submission.pk, other.evidence.current_file_id]
    )
    assert client.get(foreign).status_code == 404


# -- pages and their queries -----------------------------------------------------------------


def _add_leaves(submission, count: int) -> None:
    """More sub-criteria under the first criterion, each with a score and an evidence row."""
    root = Criterion.objects.filter(
        criteria_set=submission.assessment.criteria_set, parent__isnull=True
    ).first()
    for n in range(count):
        leaf = Criterion.objects.create(
            criteria_set=submission.assessment.criteria_set,
            parent=root,
            code=f"{root.code}.x{n}",
            title=f"Tiêu chí thêm {n}",
            max_points=D(1),
            order=9000 + n,
        )
        Score.objects.create(assessment=submission.assessment, criterion=leaf, proposed_points=D(1))
    submission.snapshot = _snapshot(submission.assessment)
    submission.save(update_fields=["snapshot"])


def test_the_submission_page_costs_the_same_whatever_the_number_of_criteria(
    client, submitted, appraiser
):
    explanation_request_create(
        submission=submitted,
        by=appraiser,
        items=[Asked(_leaf(submitted).criterion, "Vì sao?")],
        message="Giải trình.",
        deadline=timezone.localdate() + timedelta(days=3),
    )
    client.force_login(appraiser)
    url = reverse("appraise:submission", args=[submitted.pk])
    # Expect at most 16: session, user, city membership, submission (joined), events,
    # criteria, scores, assignments, evidence files, requests, items, their evidence,
    # adjustments, findings, and the savepoints of the test client.
    why = "session, user, membership, submission, events, criteria, scores, assignments, files"
    with at_most(16, why) as few:
        assert client.get(url).status_code == 200
    _add_leaves(submitted, 12)
    with at_most(16, why) as many:
        page = client.get(url)
    assert (
        page.content.decode().count('data-testid="leaf"')
        == Score.objects.filter(assessment=submitted.assessment).count()
    )
    assert len(many) == len(few)


def test_the_list_shows_progress_mine_and_costs_the_same(
    client, demo_scored, secretary, appraiser, second_appraiser
):
    first = _submit(demo_scored.assessment, secretary)
    client.force_login(appraiser)
    url = reverse("appraise:list")
    with at_most(8, "session, user, membership, count, page of submissions") as few:
        page = client.get(url)
    html = page.content.decode()
    assert "Nghi Dương" in html and f"0/{first.leaf_count}" in html
    _submit(demo_scored.other_assessment, demo_scored.user("anlao_lanhdao"))
    with at_most(8, "session, user, membership, count, page of submissions") as many:
        page = client.get(url)
    assert "An Lão" in page.content.decode()
    assert len(many) == len(few)
    # "Của tôi": only submissions with a criterion assigned to the person.
    root = Criterion.objects.filter(
        criteria_set=first.assessment.criteria_set, parent__isnull=True
    ).first()
    appraisers_assign(submission=first, by=appraiser, appraisers={root.pk: appraiser})
    mine = client.get(url, {"cua-toi": "1"}).content.decode()
    assert "Nghi Dương" in mine and "An Lão" not in mine
    client.force_login(second_appraiser)
    assert "Nghi Dương" not in client.get(url, {"cua-toi": "1"}).content.decode()
