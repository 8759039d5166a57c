"""Issue 13, part 1: every main page of every role (a leader, the Chủ tịch, the secretary, a
unit's staff member, the system administrator) fits a 360 px phone (no sideways scrolling of the page) and keep their layout at 1366 px. A
screenshot of every page is saved into $SHOTS_DIR when set."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appraisal import standing
from appraisal.models import CouncilSession, ExplanationRequest, Round, Submission
from assessments.models import Score
from criteria.models import Criterion
from evidence.models import Evidence
from evidence.services import evidence_upload
from reports.models import Report
from reports.services.drafting import report_create
from reports.services.issuing import assessment_reopen, report_issue
from tests.browser.test_commune_setup import OVERFLOWING, shot_dirs
from tests.conftest import DEMO_PASSWORD
from tests.evidence.conftest import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 1366)
# The first few elements that reach past the right edge, outermost first (for the message).
LEAF = "2.2.e"  # led by vhxh's unit in the demo, scored and with a shortfall
WAITING = ("2.1.c", "2.1.e", "4.2.c")  # sent back to the leader, so the queue has rows
# An appraiser, the council's chair (issue 14), the city's administrator (its people).
CITY_ROLES = ("sonoivu", "chutichhd", "quantritp")
ROLES = ("lanhdao", "chutich", "vanthu", "vhxh", "admin", *CITY_ROLES)
REVIEWERS = {"lanhdao", "chutich", "vanthu", "admin"}  # the dashboard and the reports
LEADERS = {"lanhdao", "chutich", "admin"}  # the queue, deadlines, the trail
STAFF = {"vhxh"}  # the unit's home and "send all"
COMMUNE_ADMINS = {"chutich", "admin"}  # Quản trị xã (the Chủ tịch is the demo's administrator)


def pages_of(username: str, demo) -> list[tuple[str, str]]:
    """(name, path) of every main page `username` opens in the demo: the pages of every role
    (leader, Chủ tịch, secretary, a unit's staff, the system administrator). Pages about a
    report or an evidence appear when the demo has one (see set_the_scene)."""
    assessment = demo.assessment
    if username in CITY_ROLES:
        return city_pages_of(username, demo)
    pk = assessment.pk
    leaf = Criterion.objects.get(criteria_set=assessment.criteria_set, code=LEAF)
    pages = [
        ("home", "/"),  # the dashboard of a leader and the secretary; the unit's list; admin's
        ("tree", reverse("assessments:detail", args=[pk])),
        ("criterion", reverse("assessments:criterion", args=[pk, leaf.pk])),
        ("evidence", reverse("evidence:overview", args=[pk])),
    ]
    evidence = Evidence.objects.filter(assessment=assessment).order_by("pk").first()
    if evidence is not None:
        pages.append(("evidence-item", reverse("evidence:detail", args=[pk, evidence.pk])))
    pages += [
        ("missing-evidence", reverse("assessments:missing_evidence", args=[pk])),
        ("periods", reverse("assessments:periods")),
        ("criteria-sets", reverse("criteria:set_list")),
        ("criteria-set", reverse("criteria:set_detail", args=[assessment.criteria_set_id])),
        ("notifications", reverse("notifications:list")),  # with the settings
        ("security", reverse("accounts:security")),
        ("password", reverse("password_change")),
    ]
    if username in STAFF:
        pages.append(("send-all", reverse("assessments:submit_unit_confirm", args=[pk])))
    if username in REVIEWERS:
        pages += [
            ("dashboard", reverse("reports:dashboard", args=[pk])),
            ("units", reverse("reports:units", args=[pk])),
            ("compare", reverse("assessments:compare", args=[pk])),
            ("reports", reverse("reports:home", args=[pk])),
            ("documents", reverse("reports:documents", args=[pk])),
        ]
        reports = assessment.reports.order_by("pk")
        draft = reports.filter(status=Report.Status.DRAFT).first()
        issued = reports.filter(status=Report.Status.ISSUED).first()
        if draft is not None:
            pages.append(("report-edit", reverse("reports:edit", args=[pk, draft.pk])))
        if issued is not None:  # its page holds the signing steps
            pages.append(("report-issued", reverse("reports:issued", args=[pk, issued.pk])))
    if username in LEADERS:
        pages += [
            ("queue", reverse("assessments:queue", args=[pk])),
            ("deadlines", reverse("assessments:deadlines", args=[pk])),
            ("trail", reverse("audit:list")),
            ("evidence-history", reverse("evidence:history", args=[pk])),
        ]
    if username in COMMUNE_ADMINS:
        commune = assessment.commune_id
        pages += [
            ("commune-admin", reverse("commune_admin:home", args=[commune])),
            ("commune-units", reverse("commune_admin:units", args=[commune])),
            ("commune-users", reverse("commune_admin:users", args=[commune])),
            ("commune-report-settings", reverse("commune_admin:report_settings", args=[commune])),
        ]
    if username == "admin":
        pages += [
            ("system-admin", reverse("system_admin:home")),
            ("system-commune-new", reverse("system_admin:commune_create")),
            (
                "system-accounts-import",
                reverse("system_admin:accounts_import", args=[assessment.commune_id]),
            ),
        ]
    return pages


def city_pages_of(username: str, demo) -> list[tuple[str, str]]:
    """The city's pages (set_the_scene sends Nghi Dương's dossier and lists it in a council
    session): the dashboard, communes, ranking, rounds, sessions; the appraiser's list, the
    dossier and its forms; the chair's session page."""
    city = demo.assessment.commune.city_id
    submission = Submission.objects.filter(assessment=demo.assessment).first()
    meeting = CouncilSession.objects.filter(round__city_id=city).first()
    pages = [
        ("city-home", "/"),
        ("city-communes", reverse("appraisal:communes", args=[city])),
        ("city-ranking", reverse("appraisal:ranking", args=[city])),
        ("city-rounds", reverse("council:rounds", args=[city])),
        ("security", reverse("accounts:security")),
    ]
    if username == "sonoivu" and submission is not None:
        pages += [
            ("appraise-list", reverse("appraise:list")),
            ("appraise-dossier", reverse("appraise:submission", args=[submission.pk])),
            ("appraise-request", reverse("appraise:request", args=[submission.pk])),
            ("appraise-assign", reverse("appraise:assign", args=[submission.pk])),
        ]
    if username == "chutichhd" and meeting is not None:
        pages += [
            ("city-sessions", reverse("council:sessions", args=[city])),
            ("council-session", reverse("council:session", args=[city, meeting.pk])),
            (
                "council-session-new",
                reverse("council:session_add", args=[city, meeting.round_id]),
            ),
        ]
    if username == "quantritp":
        person = demo.user("sonoivu").pk
        pages += [
            ("city-people", reverse("appraisal:people", args=[city])),
            ("city-person-add", reverse("appraisal:person_add", args=[city])),
            ("city-person-edit", reverse("appraisal:person_edit", args=[city, person])),
        ]
        if meeting is not None:  # the round's documents, with the issue forms
            pages.append(
                ("city-documents", reverse("city_documents:round", args=[city, meeting.round_id]))
            )
    return pages


def city_scene(demo, issued: Report) -> None:
    """Nghi Dương's dossier at the city, appraised but for one sub-criterion, asked to explain
    it, and listed in an open council session (rows: tests/appraisal covers the services)."""
    assessment = demo.assessment
    round_ = Round.objects.create(
        city=assessment.commune.city,
        criteria_set=assessment.criteria_set,
        year=assessment.year,
        period=assessment.period,
        submission_deadline=timezone.localdate() + dt.timedelta(days=3),
    )
    submission = Submission.objects.create(
        round=round_,
        assessment=assessment,
        report=issued,
        stage=Submission.Stage.APPRAISING,
        submitted_by=demo.user("vanthu"),
        submitted_at=timezone.now(),
    )
    appraiser = demo.user("sonoivu")
    scores = Score.objects.filter(assessment=assessment).exclude(criterion__code=LEAF)
    scores.update(
        appraised_points=F("leader_points"), appraised_by=appraiser, appraised_at=timezone.now()
    )
    standing.refresh(submission)
    request = ExplanationRequest.objects.create(
        submission=submission,
        message="Đề nghị xã bổ sung minh chứng.",
        deadline=timezone.localdate() + dt.timedelta(days=5),
        created_by=appraiser,
    )
    request.items.create(
        criterion=Criterion.objects.get(criteria_set=assessment.criteria_set, code=LEAF),
        question="Bổ sung kế hoạch tuyên truyền.",
    )
    chair = demo.user("chutichhd")
    meeting = CouncilSession.objects.create(
        round=round_,
        title="Phiên họp thứ nhất",
        held_on=timezone.localdate(),
        chair=chair,
        created_by=chair,
    )
    meeting.members.set([chair, demo.user("hoidong1"), demo.user("hoidong2")])
    meeting.items.create(submission=submission, total=submission.appraised_total)


def set_the_scene(demo) -> None:
    """Rows on every page: scores waiting in the queue, a long-named evidence, an issued report
    (issuing freezes the assessment; the leader reopens it) and a draft after it."""
    assessment = demo.assessment
    Score.objects.filter(assessment=assessment, criterion__code__in=WAITING).update(
        status=Score.Status.SUBMITTED, leader_points=None, leader_by=None, leader_at=None
    )
    evidence_upload(
        assessment=assessment,
        criterion=Criterion.objects.get(criteria_set=assessment.criteria_set, code=LEAF),
        upload=SimpleUploadedFile(
            "Kế hoạch tuyên truyền thư biểu dương công dân có sáng kiến năm 2026.pdf",
            pdf_bytes(),
            content_type="application/pdf",
        ),
        by=demo.user("vhxh"),
    )
    leader, secretary = demo.user("lanhdao"), demo.user("vanthu")
    issued = report_issue(
        report=report_create(assessment=assessment, by=secretary),
        by=leader,
        override_reason="Kịp hạn gửi báo cáo.",
    )
    assessment_reopen(report=issued, by=leader, reason="Bổ sung minh chứng.")
    report_create(assessment=assessment, by=secretary)
    city_scene(demo, issued)


# The page has loaded (goto waits for it) and the htmx requests it starts on load (the
# evidence panel) have come back and settled: no element carries htmx's `htmx-request` class
# for three looks 30 ms apart. Playwright's "networkidle" waits 500 ms of silence instead,
# which is most of a page's time in a walk through every page of every role.
HTMX_SETTLED = """() => new Promise((settled) => {
  let quiet = 0;
  const look = () => {
    quiet = document.querySelector(".htmx-request") ? 0 : quiet + 1;
    if (quiet >= 3) settled(true); else setTimeout(look, 30);
  };
  look();
})"""


def settle(page) -> None:
    """Wait until the htmx panels the page loads by itself are in (see HTMX_SETTLED)."""
    page.evaluate(HTMX_SETTLED)


def log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(re.compile(r"/dang-nhap/"))


@pytest.mark.parametrize("username", ROLES)
def test_main_pages_fit_the_screen(live_server, demo_scored, page, username):
    directories = shot_dirs()
    set_the_scene(demo_scored)
    log_in(page, live_server.url, username)
    too_wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for name, url in pages_of(username, demo_scored):
            response = page.goto(live_server.url + url)
            assert response is not None and response.ok, (name, url)
            settle(page)  # htmx panels (evidence) have loaded
            for directory in directories:
                page.screenshot(path=directory / f"{username}-{name}-{width}.png", full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                culprits = ", ".join(page.evaluate(OVERFLOWING))
                too_wide.append(f"{name} at {width}: {scroll_width} px ({culprits})")
    assert too_wide == []


def test_document_previews_show_the_whole_page_on_a_phone(live_server, demo_scored, browser):
    """The report's and the appendix's previews are the printed A4 page (the same HTML becomes
    the PDF), so they keep their paper width; a phone shows the whole sheet, zoomed out to its
    width (no viewport meta), and nothing scrolls sideways at that zoom."""
    directories = shot_dirs()
    report = report_create(assessment=demo_scored.assessment, by=demo_scored.user("vanthu"))
    phone = browser.new_context(
        viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    log_in(page, live_server.url, "vanthu")
    pk = demo_scored.assessment.pk
    for name in ("preview", "appendix_preview"):
        response = page.goto(live_server.url + reverse(f"reports:{name}", args=[pk, report.pk]))
        assert response is not None and response.ok, name
        for directory in directories:
            page.screenshot(path=directory / f"vanthu-{name}-360-phone.png")
        shown, document = page.evaluate(
            "[visualViewport.width, document.documentElement.scrollWidth]"
        )
        assert shown >= document - 1, (name, shown, document)
    phone.close()


@pytest.mark.parametrize("username", ["chutich", "admin"])
def test_the_navbar_keeps_one_line_per_link_on_a_small_laptop(
    live_server, demo_scored, page, username
):
    """From 1200 px the navbar is expanded: the longest one (a leader who administers the
    commune, the system administrator's menu) fits without wrapping a link onto two lines."""
    log_in(page, live_server.url, username)
    for width in (1200, 1366):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(live_server.url + "/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        heights = page.evaluate(
            """() => [...document.querySelectorAll('#nav .nav-link')]
                .map((link) => link.getBoundingClientRect().height)"""
        )
        assert heights and max(heights) < 48, (width, heights)  # one line of text, padded
