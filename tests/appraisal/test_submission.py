"""The commune sends its signed dossier to the city, follows its stage, and answers the city's
requests to explain (appraisal.submission_services, appraisal.views.commune)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from appraisal import notices, stages
from appraisal.models import (
    CityAdjustment,
    ExplanationRequest,
    Round,
    Submission,
    SubmissionEvent,
)
from appraisal.notices import notify_explanation_requested
from appraisal.submission_services import (
    explanation_item_answer,
    explanation_item_upload,
    explanation_send,
    submission_readiness,
    submission_send,
)
from assessments.access import evidence_change_refusal, explanation_upload_refusal, may_unfreeze
from assessments.models import AdjustmentEntry, Assessment, Score
from audit.models import AuditEntry
from criteria.models import Adjustment
from evidence.models import Evidence
from evidence.services import evidence_upload
from notifications.models import Notification
from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
from reports.models import SigningKey
from reports.services import report_create
from reports.services.issuing import assessment_reopen, report_issue
from reports.services.signing import report_sign_organisation, report_sign_person
from tests.evidence.conftest import pdf_bytes
from tests.queries import at_most

pytestmark = pytest.mark.django_db


def _pdf(name: str = "Biên bản bổ sung.pdf", pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(pages=pages), "application/pdf")


@pytest.fixture
def evidence(demo_scored, own_criterion, own_staff) -> Evidence:
    """An evidence of 2.2.e uploaded before the report froze the assessment."""
    outcome = evidence_upload(
        assessment=demo_scored.assessment,
        criterion=own_criterion.criterion,
        upload=_pdf("Kế hoạch.pdf", pages=2),
        by=own_staff,
    )
    assert outcome.evidence is not None, outcome.message
    return outcome.evidence


@pytest.fixture
def declared(demo_scored, leader) -> AdjustmentEntry:
    """A deduction the commune declared (one case)."""
    deduction = Adjustment.objects.filter(
        criteria_set=demo_scored.assessment.criteria_set, kind=Adjustment.Kind.DEDUCTION
    ).first()
    assert deduction is not None
    return AdjustmentEntry.objects.create(
        assessment=demo_scored.assessment,
        adjustment=deduction,
        cases=1,
        note="Một cán bộ bị kỷ luật.",
        entered_by=leader,
    )


@pytest.fixture
def issued(demo_scored, evidence, declared, secretary):
    return report_issue(
        report=report_create(assessment=demo_scored.assessment, by=secretary), by=secretary
    )


@pytest.fixture
def keys(demo_scored):
    demo_signing_setup(commune=demo_scored.commune)
    return (
        SigningKey.objects.get(commune=demo_scored.commune, owner__isnull=False),
        SigningKey.objects.get(commune=demo_scored.commune, owner__isnull=True),
    )


@pytest.fixture
def signed(issued, keys, secretary):
    person, organisation = keys
    report_sign_person(report=issued, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    report_sign_organisation(report=issued, key=organisation, secret=DEMO_PASSPHRASE, by=secretary)
    return issued


def _round(assessment: Assessment, *, days: int = 10) -> Round:
    return Round.objects.create(
        city=assessment.commune.city,
        criteria_set=assessment.criteria_set,
        year=assessment.year,
        period=assessment.period,
        submission_deadline=timezone.localdate() + timedelta(days=days),
    )


@pytest.fixture
def round_(demo_scored) -> Round:
    return _round(demo_scored.assessment)


@pytest.fixture
def submission(signed, round_, secretary) -> Submission:
    return submission_send(assessment=signed.assessment, by=secretary)


def _assessment(demo) -> Assessment:
    return Assessment.objects.select_related("commune").get(pk=demo.assessment.pk)


# -- sending ---------------------------------------------------------------------------------


def test_not_before_both_signatures(demo_scored, issued, keys, round_, secretary):
    assessment = _assessment(demo_scored)
    state = submission_readiness(assessment)
    assert "chưa được" in state.refusal and "ký số" in state.refusal
    with pytest.raises(ValidationError, match="ký số"):
        submission_send(assessment=assessment, by=secretary)
    person, _organisation = keys
    report_sign_person(report=issued, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    with pytest.raises(ValidationError, match="đóng dấu"):
        submission_send(assessment=_assessment(demo_scored), by=secretary)
    assert not Submission.objects.exists()


def test_not_without_an_issued_report(demo_scored, round_, secretary):
    with pytest.raises(ValidationError, match="Chưa có báo cáo đã ban hành"):
        submission_send(assessment=_assessment(demo_scored), by=secretary)


def test_not_without_a_round(demo_scored, signed, secretary):
    with pytest.raises(ValidationError, match="chưa mở đợt thẩm định"):
        submission_send(assessment=_assessment(demo_scored), by=secretary)
    assert not Submission.objects.exists()


def test_not_twice(submission, secretary):
    with pytest.raises(ValidationError, match="đã gửi lên thành phố"):
        submission_send(assessment=_assessment_of(submission), by=secretary)
    assert Submission.objects.count() == 1


def _assessment_of(submission: Submission) -> Assessment:
    return Assessment.objects.select_related("commune").get(pk=submission.assessment_id)


def test_only_the_secretary(demo_scored, signed, round_, leader, own_staff, outsider):
    for person in (leader, own_staff, outsider):
        with pytest.raises(PermissionDenied):
            submission_send(assessment=_assessment(demo_scored), by=person)
    assert not Submission.objects.exists()


def test_the_snapshot_is_what_was_sent(submission, signed, evidence, declared, secretary):
    snapshot = submission.snapshot
    assessment = submission.assessment
    scores = Score.objects.filter(assessment=assessment).select_related("criterion")
    assert set(snapshot["scores"]) == {s.criterion.code for s in scores}
    for score in scores:
        row = snapshot["scores"][score.criterion.code]
        assert row["proposed"] == (
            None if score.proposed_points is None else str(score.proposed_points)
        )
        assert row["leader"] == (None if score.leader_points is None else str(score.leader_points))
        assert row["status"] == score.status
        assert row["result_text"] == score.result_text
    assert snapshot["scores"]["2.2.e"]["unit"]  # the lead unit's name
    files = {f["id"]: f for f in snapshot["files"]}
    for issued_file in signed.files.all():
        assert files[issued_file.pk]["sha256"] == issued_file.sha256
        assert files[issued_file.pk]["size"] == issued_file.size
    assert ("report", "organisation") in {(f["kind"], f["stage"]) for f in files.values()}
    stored = evidence.current_file
    row = next(e for e in snapshot["evidence"] if e["id"] == evidence.pk)
    assert row == {
        "id": evidence.pk,
        "code": evidence.code,
        "title": evidence.title,
        "criterion": "2.2.e",
        "file_id": stored.pk,
        "file_name": stored.original_name,
        "sha256": stored.sha256,
        "size": stored.size,
    }
    assert snapshot["report"]["id"] == signed.pk
    assert [a["title"] for a in snapshot["adjustments"]] == [declared.adjustment.title]


def test_sending_records_the_stage_the_findings_and_tells_the_city(
    submission, declared, secretary, appraiser, second_appraiser
):
    assert submission.stage == Submission.Stage.SUBMITTED
    assert submission.submitted_by == secretary
    event = SubmissionEvent.objects.get(submission=submission)
    assert event.stage == Submission.Stage.SUBMITTED and event.user == secretary
    assert "trễ hạn" not in event.detail
    finding = CityAdjustment.objects.get(submission=submission)
    assert (finding.adjustment, finding.cases, finding.entered_by) == (
        declared.adjustment,
        1,
        secretary,
    )
    submission.refresh_from_db()
    assert submission.leaf_count > 0 and submission.appraised_count == 0
    assert submission.self_total is not None
    for person in (appraiser, second_appraiser):
        assert Notification.objects.filter(user=person, key=f"submission-sent:{submission.pk}")
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.SUBMISSION_SEND).get()
    assert entry.user_id == secretary.pk and entry.target_id == str(submission.pk)
    assert submission.assessment.status == Assessment.Status.FROZEN


def test_past_the_deadline_it_is_sent_and_marked_late(demo_scored, signed, secretary, client):
    _round(demo_scored.assessment, days=-1)
    client.force_login(secretary)
    detail = reverse("submission:detail", kwargs={"pk": demo_scored.assessment.pk})
    page = client.get(detail).content.decode()
    assert "Đã quá hạn gửi hồ sơ" in page
    response = client.post(reverse("submission:send", kwargs={"pk": demo_scored.assessment.pk}))
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert "trễ hạn" in submission.events.get().detail
    assert "gửi trễ hạn" in client.get(detail).content.decode()


def test_a_submitted_assessment_is_not_reopened(submission, leader):
    assessment = _assessment_of(submission)
    assert not may_unfreeze(leader, assessment)
    with pytest.raises(ValidationError, match="đã gửi lên thành phố"):
        assessment_reopen(report=submission.report, by=leader, reason="Sửa điểm.")
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.FROZEN


def test_the_frozen_banner_says_the_dossier_is_at_the_city(
    demo_scored, signed, round_, submission, leader, own_staff, own_criterion, client
):
    """Reopening is refused once sent (reopen_refusal): the banner does not offer it nor
    tell anyone a leader may do it; it says when the dossier was sent and how changes go."""
    pk = submission.assessment_id
    sent = f"{timezone.localtime(submission.submitted_at):%d/%m/%Y}"
    criterion_url = reverse("assessments:criterion", args=[pk, own_criterion.criterion_id])
    for person in (leader, own_staff):
        client.force_login(person)
        page = client.get(criterion_url).content.decode()
        banner = page[page.index('data-testid="frozen-banner"') :]
        banner = banner[: banner.index("</div>")]
        assert 'data-testid="frozen-at-city"' in banner, person
        assert f"đã gửi lên thành phố</a> ngày {sent}" in banner or (
            f"đã gửi lên thành phố ngày {sent}" in banner
        ), person
        assert "đề nghị giải trình của thành phố" in banner, person
        assert "lãnh đạo mở lại" not in banner and "Mở lại kỳ đánh giá" not in banner, person
        frozen = page[page.index('data-testid="score-frozen"') :]
        frozen = frozen[: frozen.index("</div>")]
        assert f"Hồ sơ đã gửi lên thành phố ngày {sent}" in frozen, person
        assert "lãnh đạo mở lại" not in frozen, person


def test_before_it_is_sent_the_leader_is_offered_the_reopening(demo_scored, signed, leader, client):
    client.force_login(leader)
    page = client.get(reverse("reports:dashboard", args=[demo_scored.assessment.pk]))
    html = page.content.decode()
    assert "Mở lại kỳ đánh giá (có lý do)" in html and 'data-testid="frozen-at-city"' not in html


def test_the_send_is_audited_before_the_city_is_told(
    demo_scored, signed, round_, secretary, monkeypatch
):
    told = []
    tell = notices.notify_submission_sent

    def audited_first(submission):
        told.append(AuditEntry.objects.filter(action=AuditEntry.Action.SUBMISSION_SEND).count())
        tell(submission)

    monkeypatch.setattr(notices, "notify_submission_sent", audited_first)
    submission_send(assessment=signed.assessment, by=secretary)
    assert told == [1]


# -- the pages --------------------------------------------------------------------------------


def test_the_secretary_sends_from_the_issued_reports_page(
    demo_scored, signed, round_, secretary, leader, client
):
    pk = demo_scored.assessment.pk
    issued_page = reverse("reports:issued", args=[pk, signed.pk])
    client.force_login(leader)
    page = client.get(issued_page).content.decode()
    assert 'data-testid="submission-panel"' in page and "Văn thư gửi hồ sơ" in page
    assert client.post(reverse("submission:send", kwargs={"pk": pk})).status_code == 403
    client.force_login(secretary)
    page = client.get(issued_page).content.decode()
    assert 'data-testid="send"' in page
    response = client.post(reverse("submission:send", kwargs={"pk": pk}))
    assert response.status_code == 302
    assert Submission.objects.filter(assessment_id=pk).exists()
    page = client.get(reverse("submission:detail", kwargs={"pk": pk})).content.decode()
    assert "Đã gửi hồ sơ" in page and 'data-testid="events"' in page


def test_the_panel_says_why_not_yet(demo_scored, issued, round_, secretary, client):
    client.force_login(secretary)
    page = client.get(
        reverse("reports:issued", args=[demo_scored.assessment.pk, issued.pk])
    ).content.decode()
    assert 'data-testid="not-ready"' in page and 'data-testid="send"' not in page


def test_other_communes_and_the_city_find_nothing(
    submission, outsider, appraiser, own_staff, client
):
    url = reverse("submission:detail", kwargs={"pk": submission.assessment_id})
    for person, status in ((outsider, 404), (appraiser, 404), (own_staff, 403)):
        client.force_login(person)
        assert client.get(url).status_code == status, person


# -- answering a request to explain ----------------------------------------------------------


def _ask(submission: Submission, appraiser, criterion, *, days: int = 5) -> ExplanationRequest:
    """What the city's request service does (helper B): a request with one item, the stage
    moved to "explaining", the commune told."""
    if submission.stage == Submission.Stage.SUBMITTED:
        stages.advance(submission, Submission.Stage.APPRAISING, by=appraiser, actor="appraiser")
    if submission.stage == Submission.Stage.APPRAISING:
        stages.advance(submission, Submission.Stage.EXPLAINING, by=appraiser, actor="appraiser")
    request = ExplanationRequest.objects.create(
        submission=submission,
        message="Đề nghị bổ sung biên bản kiểm tra.",
        deadline=timezone.localdate() + timedelta(days=days),
        created_by=appraiser,
    )
    request.items.create(criterion=criterion, question="Bổ sung biên bản.")
    notify_explanation_requested(request)
    return request


@pytest.fixture
def asked(submission, appraiser, own_criterion) -> ExplanationRequest:
    return _ask(submission, appraiser, own_criterion.criterion)


def test_the_commune_is_told_when_the_city_asks(asked, leader, chairman, secretary, own_staff):
    key = f"explanation-requested:{asked.pk}"
    for person in (leader, chairman, secretary):
        notice = Notification.objects.get(user=person, key=key)
        assert notice.url == reverse(
            "submission:request",
            kwargs={"pk": asked.submission.assessment_id, "request_pk": asked.pk},
        )
    assert not Notification.objects.filter(user=own_staff, key=key).exists()


def test_a_leader_answers_with_evidence_and_the_city_appraises_again(
    asked, leader, appraiser, client
):
    submission = asked.submission
    pk = submission.assessment_id
    item = asked.items.get()
    page_url = reverse("submission:request", kwargs={"pk": pk, "request_pk": asked.pk})
    args = {"pk": pk, "request_pk": asked.pk, "item_pk": item.pk}
    client.force_login(leader)
    assert "Gửi giải trình" in client.get(page_url).content.decode()
    response = client.post(
        reverse("submission:item_answer", kwargs=args),
        {"answer": "Xã đã bổ sung biên bản kiểm tra ngày 10/6."},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("submission:item_upload", kwargs=args),
        {"file": _pdf(pages=3), "title": "Biên bản kiểm tra"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    added = item.evidence.get()
    assert added.criterion_id == item.criterion_id and added.title == "Biên bản kiểm tra"
    assert added.assessment_id == pk
    assert "Biên bản kiểm tra" in client.get(page_url).content.decode()
    response = client.post(
        reverse("submission:request_send", kwargs={"pk": pk, "request_pk": asked.pk})
    )
    assert response.status_code == 302
    asked.refresh_from_db()
    submission.refresh_from_db()
    assert asked.status == ExplanationRequest.Status.ANSWERED
    assert asked.answered_by == leader and asked.answered_at is not None
    assert submission.stage == Submission.Stage.APPRAISING
    event = submission.events.last()
    assert event.stage == Submission.Stage.APPRAISING and event.user == leader
    assert Notification.objects.filter(user=appraiser, key=f"explanation-answered:{asked.pk}")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPLANATION_ANSWER).count() == 1
    # Sent: no more changes.
    with pytest.raises(ValidationError, match="đã được trả lời"):
        explanation_item_answer(item=item, by=leader, answer="Sửa lại.")


def test_the_answer_is_audited_before_the_city_is_told(asked, leader, monkeypatch):
    told = []
    tell = notices.notify_explanation_answered

    def audited_first(request, *, late=False):
        told.append(AuditEntry.objects.filter(action=AuditEntry.Action.EXPLANATION_ANSWER).count())
        tell(request, late=late)

    monkeypatch.setattr(notices, "notify_explanation_answered", audited_first)
    item = asked.items.get()
    explanation_item_answer(item=item, by=leader, answer="Xã đã bổ sung biên bản.")
    explanation_send(request=asked, by=leader)
    assert told == [1]


def test_the_answer_is_the_leaders(asked, secretary, own_staff, client):
    pk = asked.submission.assessment_id
    item = asked.items.get()
    args = {"pk": pk, "request_pk": asked.pk, "item_pk": item.pk}
    for person in (secretary, own_staff):
        client.force_login(person)
        assert (
            client.post(reverse("submission:item_answer", kwargs=args), {"answer": "x"}).status_code
            == 403
        )
        assert (
            client.post(
                reverse("submission:item_upload", kwargs=args), {"file": _pdf()}
            ).status_code
            == 403
        )
        with pytest.raises(PermissionDenied):
            explanation_send(request=asked, by=person)
    item.refresh_from_db()
    assert item.answer == "" and not item.evidence.exists()


def test_the_frozen_assessment_takes_evidence_for_the_asked_item_only(
    asked, leader, own_staff, own_criterion, client
):
    assessment = _assessment_of(asked.submission)
    assert assessment.status == Assessment.Status.FROZEN
    other = Score.objects.filter(assessment=assessment).exclude(criterion=own_criterion.criterion)
    other_criterion = other.first().criterion
    asked_ids = {own_criterion.criterion_id}
    # The rule book: leaders, on the asked sub-criterion; the frozen assessment otherwise.
    assert (
        explanation_upload_refusal(leader, assessment, own_criterion.criterion_id, asked_ids) == ""
    )
    assert explanation_upload_refusal(own_staff, assessment, own_criterion.criterion_id, asked_ids)
    assert explanation_upload_refusal(leader, assessment, other_criterion.pk, asked_ids)
    assert evidence_change_refusal(assessment, other_criterion.pk, frozenset(asked_ids))
    assert evidence_change_refusal(assessment, own_criterion.criterion_id) != ""
    # The ordinary upload of the evidence app stays closed, for staff and leaders alike.
    before = Evidence.objects.count()
    for person in (own_staff, leader):
        client.force_login(person)
        client.post(
            reverse("evidence:upload", args=[assessment.pk, own_criterion.criterion_id]),
            {"files": _pdf("Lén.pdf", pages=4)},
        )
    with pytest.raises(ValidationError, match="đóng băng"):
        evidence_upload(
            assessment=assessment,
            criterion=own_criterion.criterion,
            upload=_pdf("Lén.pdf", pages=4),
            by=leader,
        )
    assert Evidence.objects.count() == before


def test_an_item_not_asked_is_not_answered(asked, leader, appraiser, demo_scored, client):
    """An answered request takes nothing more; another commune's request is 404."""
    item = asked.items.get()
    explanation_item_answer(item=item, by=leader, answer="Đã bổ sung.")
    explanation_send(request=asked, by=leader)
    with pytest.raises(ValidationError):
        explanation_item_upload(item=asked.items.get(), upload=_pdf(pages=5), by=leader)
    other_pk = demo_scored.other_assessment.pk
    client.force_login(leader)
    response = client.get(
        reverse("submission:request", kwargs={"pk": other_pk, "request_pk": asked.pk})
    )
    assert response.status_code == 404


def test_the_answer_needs_every_item(asked, leader):
    with pytest.raises(ValidationError, match="Chưa có nội dung giải trình"):
        explanation_send(request=asked, by=leader)
    asked.refresh_from_db()
    assert asked.status == ExplanationRequest.Status.OPEN
    assert asked.submission.stage == Submission.Stage.EXPLAINING


def test_a_late_answer_is_accepted_and_marked(submission, appraiser, own_criterion, leader, client):
    asked = _ask(submission, appraiser, own_criterion.criterion, days=-2)
    item = asked.items.get()
    explanation_item_answer(item=item, by=leader, answer="Giải trình muộn.")
    client.force_login(leader)
    pk = submission.assessment_id
    page = client.get(reverse("submission:request", kwargs={"pk": pk, "request_pk": asked.pk}))
    assert "Đã quá hạn giải trình" in page.content.decode()
    explanation_send(request=asked, by=leader)
    submission.refresh_from_db()
    assert submission.stage == Submission.Stage.APPRAISING
    assert "trễ hạn" in submission.events.last().detail
    page = client.get(reverse("submission:detail", kwargs={"pk": pk})).content.decode()
    assert "trả lời trễ hạn" in page


def test_the_stage_waits_for_every_open_request(submission, appraiser, own_criterion, leader):
    first = _ask(submission, appraiser, own_criterion.criterion)
    other = (
        Score.objects.filter(assessment=submission.assessment)
        .exclude(criterion=own_criterion.criterion)
        .first()
        .criterion
    )
    second = _ask(submission, appraiser, other)
    for request in (first, second):
        explanation_item_answer(item=request.items.get(), by=leader, answer="Đã giải trình.")
    explanation_send(request=first, by=leader)
    submission.refresh_from_db()
    assert submission.stage == Submission.Stage.EXPLAINING
    explanation_send(request=second, by=leader)
    submission.refresh_from_db()
    assert submission.stage == Submission.Stage.APPRAISING


def test_the_detail_page_does_not_grow_with_requests(
    submission, appraiser, own_criterion, leader, client
):
    client.force_login(leader)
    url = reverse("submission:detail", kwargs={"pk": submission.assessment_id})
    _ask(submission, appraiser, own_criterion.criterion)
    client.get(url)  # warm the caches the navigation keeps
    why = (
        "session, person, the assessment, the readiness (report, signing stages, round), "
        "the events, the requests with their items and criteria, the navigation's own"
    )
    with at_most(30, why) as one:
        client.get(url)
    for score in (
        Score.objects.filter(assessment=submission.assessment)
        .exclude(criterion=own_criterion.criterion)
        .select_related("criterion")[:5]
    ):
        _ask(submission, appraiser, score.criterion)
    with at_most(30, why) as six:
        response = client.get(url)
    assert response.content.decode().count("Đề nghị ngày") == 6
    assert len(six) == len(one)  # does not grow with the requests
