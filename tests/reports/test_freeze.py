"""Issuing a report freezes its assessment: scores and evidence are read-only for everyone
(secretary and administrators included) and every page of the assessment says which report
froze it; a leader reopens it with a reason, which flags the report for correction, and
issuing the correction freezes it again. Comments stay open: they change no score."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import (
    AdjustmentEntry,
    Assessment,
    AssessmentEvent,
    Assignment,
    Score,
    ScoreEvent,
)
from assessments.services import (
    adjustment_record,
    assessment_lock,
    assignment_update,
    score_adjust,
    score_approve,
    score_comment,
    score_propose,
    score_return,
    score_submit_many,
)
from assessments.services import (
    assessment_reopen as lock_reopen,
)
from audit.models import AuditEntry
from criteria.models import Adjustment
from evidence.models import Evidence, EvidenceEvent, EvidenceLink
from evidence.services import (
    evidence_delete,
    evidence_describe,
    evidence_link,
    evidence_replace,
    evidence_restore,
    evidence_unlink,
    evidence_upload,
)
from reports.models import Report
from reports.services import report_create
from reports.services.issuing import assessment_reopen, report_issue
from tests.evidence.conftest import pdf_bytes

pytestmark = pytest.mark.django_db

ROLES = ["own_staff", "secretary", "leader", "chairman", "administrator"]


def frozen_text(report: Report) -> str:
    return (
        f"Kỳ đánh giá đã đóng băng khi ban hành Báo cáo số {report.number:02d}/BC-UBND ngày "
        f"{report.issue_date:%d/%m/%Y}; muốn sửa, lãnh đạo mở lại kỳ đánh giá (có lý do)."
    )


def pdf(name: str = "Biên bản.pdf", pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(pages), "application/pdf")


@dataclass
class Frozen:
    demo: object
    assessment: Assessment
    report: Report
    evidence: Evidence  # live, of 2.2.e, also backing 2.2.d
    deleted: Evidence  # deleted before issuing

    def score(self, code: str = "2.2.e") -> Score:
        return Score.objects.select_related("criterion", "assessment").get(
            assessment=self.assessment, criterion__code=code
        )

    def fresh_evidence(self, which: str = "evidence") -> Evidence:
        return Evidence.objects.select_related("assessment").get(pk=getattr(self, which).pk)

    def fresh_assessment(self) -> Assessment:
        return Assessment.objects.get(pk=self.assessment.pk)


def _evidence(demo, own_staff, name: str, pages: int) -> Evidence:
    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=demo.assessment.criteria_set.criteria.get(code="2.2.e"),
        upload=pdf(name, pages),
        by=own_staff,
    )
    assert outcome.status == "stored", outcome.message
    return outcome.evidence


@pytest.fixture
def frozen(demo_scored, own_staff, secretary, leader) -> Frozen:
    """The demo with every score approved, two evidences of 2.2.e (one linked to 2.2.d, one
    deleted), and its report issued by the secretary."""
    demo = demo_scored
    evidence = _evidence(demo, own_staff, "Biên bản.pdf", 1)
    evidence_link(
        evidence=evidence,
        criterion=demo.assessment.criteria_set.criteria.get(code="2.2.d"),
        by=own_staff,
    )
    deleted = _evidence(demo, own_staff, "Bản nháp.pdf", 2)
    evidence_delete(evidence=deleted, by=own_staff)
    report = report_issue(
        report=report_create(assessment=demo.assessment, by=secretary), by=secretary
    )
    return Frozen(demo, Assessment.objects.get(pk=demo.assessment.pk), report, evidence, deleted)


# -- issuing freezes --------------------------------------------------------------------------


def test_issuing_freezes_the_assessment_and_records_it(frozen, secretary):
    assert frozen.assessment.status == Assessment.Status.FROZEN
    assert frozen.assessment.get_status_display() == "Đã ban hành báo cáo"
    event = frozen.assessment.events.get(action=AssessmentEvent.Action.FREEZE)
    assert event.user == secretary
    assert (
        event.reason == f"Ban hành Báo cáo số 01/BC-UBND ngày {frozen.report.issue_date:%d/%m/%Y}"
    )


def test_a_refused_issue_leaves_the_assessment_open(demo, secretary):
    draft = report_create(assessment=demo.assessment, by=secretary)  # nothing approved yet
    with pytest.raises(ValidationError, match="chưa được lãnh đạo duyệt"):
        report_issue(report=draft, by=secretary)
    demo.assessment.refresh_from_db()
    assert demo.assessment.status == Assessment.Status.OPEN
    assert not demo.assessment.events.filter(action=AssessmentEvent.Action.FREEZE).exists()


# -- every score and evidence change is refused, for everyone -----------------------------------


def _propose(f: Frozen, by) -> None:
    score = f.score()
    score_propose(
        score=score, by=by, expected_version=score.version, points=Decimal(1), result_text="x"
    )


def _submit_many(f: Frozen, by) -> None:
    score_submit_many(scores=[f.score()], by=by)


def _approve(f: Frozen, by) -> None:
    score = f.score()
    score_approve(score=score, by=by, expected_version=score.version)


def _return(f: Frozen, by) -> None:
    score = f.score()
    score_return(score=score, by=by, expected_version=score.version, comment="Sửa lại.")


def _adjust(f: Frozen, by) -> None:
    score = f.score()
    score_adjust(score=score, by=by, expected_version=score.version, points=Decimal(0), reason="x")


def _assign(f: Frozen, by) -> None:
    assignment = Assignment.objects.get(assessment=f.assessment, criterion__code="2.2.e")
    assignment_update(assignment=assignment, lead_unit=None, supporting_units=[], by=by)


def _adjustment(f: Frozen, by) -> None:
    adjustment = Adjustment.objects.filter(criteria_set=f.assessment.criteria_set).first()
    adjustment_record(
        assessment=f.fresh_assessment(), adjustment=adjustment, cases=1, note="", by=by
    )


def _upload(f: Frozen, by) -> None:
    outcome = evidence_upload(
        assessment=f.fresh_assessment(),
        criterion=f.assessment.criteria_set.criteria.get(code="2.2.e"),
        upload=pdf("Mới.pdf", 3),
        by=by,
    )
    raise AssertionError(f"upload not refused: {outcome}")


def _replace(f: Frozen, by) -> None:
    evidence_replace(evidence=f.fresh_evidence(), upload=pdf("Bản mới.pdf", 4), by=by)


def _describe(f: Frozen, by) -> None:
    evidence_describe(evidence=f.fresh_evidence(), by=by, title="Trích yếu khác")


def _link(f: Frozen, by) -> None:
    criterion = f.assessment.criteria_set.criteria.get(code="2.2.c")
    evidence_link(evidence=f.fresh_evidence(), criterion=criterion, by=by)


def _unlink(f: Frozen, by) -> None:
    criterion = f.assessment.criteria_set.criteria.get(code="2.2.d")
    evidence_unlink(evidence=f.fresh_evidence(), criterion=criterion, by=by)


def _delete(f: Frozen, by) -> None:
    evidence_delete(evidence=f.fresh_evidence(), by=by)


def _restore(f: Frozen, by) -> None:
    evidence_restore(evidence=f.fresh_evidence("deleted"), by=by)


CHANGES: dict[str, Callable[[Frozen, object], None]] = {
    "score_propose": _propose,
    "score_submit_many": _submit_many,
    "score_approve": _approve,
    "score_return": _return,
    "score_adjust": _adjust,
    "assignment_update": _assign,
    "adjustment_record": _adjustment,
    "evidence_upload": _upload,
    "evidence_replace": _replace,
    "evidence_describe": _describe,
    "evidence_link": _link,
    "evidence_unlink": _unlink,
    "evidence_delete": _delete,
    "evidence_restore": _restore,
}


# What a change needs to be possible at all (but for the freeze).
READY = {"score_submit_many": Score.Status.DRAFT, "score_approve": Score.Status.SUBMITTED}


def _state(f: Frozen) -> tuple:
    """Everything the changes above could touch."""
    scores = list(Score.objects.filter(assessment=f.assessment).values_list("status", "version"))
    evidence = list(
        Evidence.objects.filter(assessment=f.assessment).values_list(
            "pk", "title", "deleted_at", "current_file_id"
        )
    )
    links = list(EvidenceLink.objects.values_list("evidence_id", "criterion_id"))
    assignments = list(
        Assignment.objects.filter(assessment=f.assessment).values_list("pk", "lead_unit_id")
    )
    return (
        sorted(scores),
        sorted(evidence, key=str),
        sorted(links),
        sorted(assignments),
        AdjustmentEntry.objects.count(),
        ScoreEvent.objects.count(),
        EvidenceEvent.objects.count(),
    )


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_is_refused_for_every_role_naming_the_report(frozen, request, change):
    if change in READY:
        Score.objects.filter(pk=frozen.score().pk).update(status=READY[change])
    before = _state(frozen)
    for role in ROLES:
        by = request.getfixturevalue(role)
        with pytest.raises(ValidationError) as refused:
            CHANGES[change](frozen, by)
        assert refused.value.messages == [frozen_text(frozen.report)], (change, role)
    assert _state(frozen) == before


def test_comments_stay_open_on_a_frozen_assessment(frozen, other_staff):
    score_comment(score=frozen.score(), by=other_staff, comment="Điểm 2.2.e cần xem lại.")
    assert ScoreEvent.objects.filter(action=ScoreEvent.Action.COMMENT).count() == 1
    assert frozen.fresh_assessment().status == Assessment.Status.FROZEN


def test_lock_and_unlock_do_not_unfreeze(frozen, leader):
    with pytest.raises(ValidationError) as refused:
        assessment_lock(assessment=frozen.assessment, by=leader, reason="Khóa")
    assert refused.value.messages == [frozen_text(frozen.report)]
    with pytest.raises(ValidationError) as refused:
        lock_reopen(assessment=frozen.assessment, by=leader, reason="Mở")
    assert refused.value.messages == [frozen_text(frozen.report)]
    assert frozen.fresh_assessment().status == Assessment.Status.FROZEN


def test_the_lock_button_says_why_and_changes_nothing(client, frozen, login_as, leader):
    login_as(leader)
    response = client.post(
        reverse("assessments:lock", args=[frozen.assessment.pk]), {"reason": "Khóa"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [frozen_text(frozen.report)]
    assert frozen.fresh_assessment().status == Assessment.Status.FROZEN


def test_signing_after_issuing_keeps_working_on_the_frozen_assessment(signed):
    assert signed.assessment.status == Assessment.Status.FROZEN
    assert signed.files.filter(stage="organisation").exists()


# -- pages: a banner naming the report, no forms --------------------------------------------------


def _pages(f: Frozen) -> dict[str, str]:
    pk = f.assessment.pk
    criterion = f.assessment.criteria_set.criteria.get(code="2.2.e").pk
    return {
        "tree": reverse("assessments:detail", args=[pk]),
        "criterion": reverse("assessments:criterion", args=[pk, criterion]),
        "evidence": reverse("evidence:overview", args=[pk]),
        "evidence_panel": reverse("evidence:panel", args=[pk, criterion]),
        "evidence_detail": reverse("evidence:detail", args=[pk, f.evidence.pk]),
        "dashboard": reverse("reports:dashboard", args=[pk]),
        "reports": reverse("reports:home", args=[pk]),
        "issued": reverse("reports:issued", args=[pk, f.report.pk]),
    }


FORMS = [
    'name="points"',  # the score form
    "assessments/%d/tieu-chi/%d/duyet/",  # review
    "tai-len/",  # upload
    "lien-ket/",  # link and unlink
    "thay-tep/",  # replace
    'name="title"',  # describe
    "/xoa/",  # delete
    "/khoa/",  # lock
    '/mo-lai/" class',  # the lock's reopen form (not the freeze's reopen link)
    "/phan-cong/",  # assignment
]


@pytest.mark.parametrize("persona", ["leader", "secretary", "administrator"])
def test_reviewers_pages_show_the_banner_linking_the_report_and_no_forms(
    client, frozen, login_as, request, persona
):
    login_as(request.getfixturevalue(persona))
    issued_url = reverse("reports:issued", args=[frozen.assessment.pk, frozen.report.pk])
    reference = f"Báo cáo số 01/BC-UBND ngày {frozen.report.issue_date:%d/%m/%Y}"
    criterion = frozen.assessment.criteria_set.criteria.get(code="2.2.e").pk
    for name, url in _pages(frozen).items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        assert 'data-testid="frozen-banner"' in html, name
        assert f'href="{issued_url}" data-testid="frozen-report">{reference}</a>' in html, name
        for form in FORMS:
            if "%d" in form:
                form = form % (frozen.assessment.pk, criterion)
            assert form not in html, (name, form)
        reopen = reverse("reports:reopen", args=[frozen.assessment.pk, frozen.report.pk])
        assert (reopen in html) == (persona != "secretary"), name


@pytest.mark.parametrize("persona", ["own_staff", "other_staff"])
def test_staff_pages_show_the_banner_linking_the_public_verification(
    client, frozen, login_as, request, persona
):
    login_as(request.getfixturevalue(persona))
    verify_url = reverse("verify:document", args=[frozen.report.verify_token])
    pages = _pages(frozen)
    for name in ["tree", "criterion", "evidence", "evidence_panel", "evidence_detail"]:
        html = client.get(pages[name]).content.decode()
        assert f'href="{verify_url}" data-testid="frozen-report"' in html, name
        assert 'name="points"' not in html and "tai-len/" not in html, name
    assert 'data-testid="score-frozen"' in client.get(pages["criterion"]).content.decode()
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="frozen-banner"' in home
    assert "gui-tat-ca/" not in home  # "send all that is ready"


def test_the_criterion_page_still_offers_comments(client, frozen, login_as, other_staff):
    login_as(other_staff)
    page = _pages(frozen)["criterion"]
    assert client.get(page).context["comment_form"] is not None


def test_an_open_assessment_shows_no_banner(client, demo_scored, login_as, leader):
    login_as(leader)
    html = client.get(reverse("reports:dashboard", args=[demo_scored.assessment.pk])).content
    assert b"frozen-banner" not in html


def test_the_public_verification_page_shows_no_banner(client, frozen):
    html = client.get(reverse("verify:document", args=[frozen.report.verify_token])).content
    assert b"frozen-banner" not in html


# -- reopening ------------------------------------------------------------------------------------


def reopen_url(f: Frozen, report: Report | None = None) -> str:
    return reverse("reports:reopen", args=[f.assessment.pk, (report or f.report).pk])


def test_a_leader_reopens_with_a_reason_and_the_report_needs_a_correction(
    client, frozen, login_as, leader
):
    login_as(leader)
    page = client.get(reopen_url(frozen))
    assert page.status_code == 200 and page.context["form"] is not None
    response = client.post(reopen_url(frozen), {"reason": "Sửa điểm 2.2.e theo minh chứng mới."})
    assert response.status_code == 302
    assert frozen.fresh_assessment().status == Assessment.Status.OPEN  # as before issuing
    report = Report.objects.get(pk=frozen.report.pk)
    assert report.reopened_by == leader and report.reopened_at is not None
    assert report.reopen_reason == "Sửa điểm 2.2.e theo minh chứng mới."
    event = frozen.assessment.events.get(action=AssessmentEvent.Action.UNFREEZE)
    assert event.user == leader and "Sửa điểm 2.2.e" in event.reason
    entry = AuditEntry.objects.filter(action="assessment_reopen").latest("pk")
    assert "Báo cáo số 01/BC-UBND" in entry.summary and "Sửa điểm 2.2.e" in entry.summary
    # The report's page and the list of reports say it needs a correction.
    issued = client.get(_pages(frozen)["issued"]).content.decode()
    assert 'data-testid="needs-correction"' in issued and "cần đính chính" in issued
    assert reopen_url(frozen) not in issued  # nothing left to reopen
    listing = client.get(_pages(frozen)["reports"]).content.decode()
    assert "cần đính chính" in listing
    # Scores change again; no banner.
    _adjust(frozen, leader)
    assert b"frozen-banner" not in client.get(_pages(frozen)["dashboard"]).content


def test_reopening_goes_back_to_locked_when_it_was_locked(demo_scored, leader, secretary):
    assessment_lock(assessment=demo_scored.assessment, by=leader, reason="Tổng hợp báo cáo")
    report = report_issue(
        report=report_create(assessment=demo_scored.assessment, by=secretary), by=secretary
    )
    demo_scored.assessment.refresh_from_db()
    assert demo_scored.assessment.status == Assessment.Status.FROZEN
    assessment_reopen(report=report, by=leader, reason="Bổ sung minh chứng.")
    demo_scored.assessment.refresh_from_db()
    assert demo_scored.assessment.status == Assessment.Status.LOCKED
    # ... and the lock's own reopening takes it from there.
    lock_reopen(assessment=demo_scored.assessment, by=leader, reason="Bổ sung")
    demo_scored.assessment.refresh_from_db()
    assert demo_scored.assessment.status == Assessment.Status.OPEN


def test_the_reason_is_required(client, frozen, login_as, leader):
    login_as(leader)
    response = client.post(reopen_url(frozen), {"reason": "   "})
    assert response.status_code == 200
    assert "Phải ghi lý do mở lại kỳ đánh giá." in response.content.decode()
    assert frozen.fresh_assessment().status == Assessment.Status.FROZEN
    with pytest.raises(ValidationError, match="Phải ghi lý do"):
        assessment_reopen(report=frozen.report, by=leader, reason=" ")
    assert Report.objects.get(pk=frozen.report.pk).reopened_at is None


@pytest.mark.parametrize(
    ("persona", "status"),
    [("own_staff", 403), ("other_staff", 403), ("secretary", 403), ("outsider", 404)],
)
def test_only_leaders_reopen(client, frozen, login_as, request, persona, status):
    login_as(request.getfixturevalue(persona))
    assert client.get(reopen_url(frozen)).status_code == status
    assert client.post(reopen_url(frozen), {"reason": "Sửa"}).status_code == status
    assert frozen.fresh_assessment().status == Assessment.Status.FROZEN


@pytest.mark.parametrize("persona", ["secretary", "own_staff"])
def test_the_service_refuses_others_too(frozen, request, persona):
    with pytest.raises(PermissionDenied):
        assessment_reopen(report=frozen.report, by=request.getfixturevalue(persona), reason="x")
    assert frozen.fresh_assessment().status == Assessment.Status.FROZEN


def test_issuing_the_correction_freezes_again_and_only_it_can_be_reopened(
    client, frozen, login_as, leader, secretary
):
    assessment_reopen(report=frozen.report, by=leader, reason="Sửa điểm 2.2.e.")
    score = frozen.score()
    score_adjust(
        score=score, by=leader, expected_version=score.version, points=Decimal(0), reason="Thiếu"
    )
    correction = report_create(assessment=frozen.assessment, by=secretary)
    assert correction.replaces == frozen.report
    correction = report_issue(report=correction, by=secretary)
    assessment = frozen.fresh_assessment()
    assert assessment.status == Assessment.Status.FROZEN
    assert assessment.events.filter(action=AssessmentEvent.Action.FREEZE).count() == 2
    with pytest.raises(ValidationError) as refused:
        _adjust(frozen, leader)
    assert refused.value.messages == [frozen_text(correction)]
    assert correction.number == 2
    # The old report no longer froze it: nothing to reopen from there.
    with pytest.raises(ValidationError, match="không còn đóng băng"):
        assessment_reopen(report=frozen.report, by=leader, reason="Nhầm")
    login_as(leader)
    html = client.get(_pages(frozen)["dashboard"]).content.decode()
    assert reverse("reports:issued", args=[frozen.assessment.pk, correction.pk]) in html
    assert reopen_url(frozen, correction) in html


def test_the_admin_cannot_unfreeze_by_editing_the_status(client, frozen, login_as, administrator):
    login_as(administrator)
    url = reverse("admin:assessments_assessment_change", args=[frozen.assessment.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(status="open", commune=frozen.assessment.commune_id)
    data.update({k: "0" for k in ("assignments-TOTAL_FORMS", "assignments-INITIAL_FORMS")})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "do việc ban hành báo cáo đặt" in response.content.decode()
    assert frozen.fresh_assessment().status == Assessment.Status.FROZEN
