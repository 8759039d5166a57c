"""Issue 14's whole path in a browser: Nghi Dương's signed dossier sent to the city; an
appraiser agrees with a sub-criterion and asks the commune to explain another; the commune's
leader answers with a new evidence file; the appraiser scores it with a reason and the dossier
is fully appraised; two council members vote it through; the ranking shows it first in its
block; the city's office issues the recognition decision, the Phó Chủ tịch signs it on a
phone, the office seals it and the dossier is recognised. Screenshots go to the test's tmp dir, and to $SHOTS_DIR when set."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appraisal.appraise_services import appraisal_score_save
from appraisal.council_services import session_open
from appraisal.models import CityDocument, ExplanationRequest, Round, Submission
from appraisal.submission_services import submission_send
from assessments.models import Score
from reports.demo.signing import DEMO_PASSPHRASE, demo_city_signing_setup, demo_signing_setup
from reports.services import report_create
from reports.services.issuing import report_issue
from reports.services.signing import report_sign_organisation, report_sign_person
from tests.browser.test_commune_setup import OVERFLOWING, log_in, shot_dirs
from tests.conftest import DEMO_PASSWORD, OWN_CRITERION
from tests.evidence.conftest import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

AGREED = "1.1.a"


def _sent(demo, secretary) -> Submission:
    """Nghi Dương's report issued, signed by its signer and sealed, and sent to the city."""
    assessment = demo.assessment
    Round.objects.create(
        city=assessment.commune.city,
        criteria_set=assessment.criteria_set,
        year=assessment.year,
        period=assessment.period,
        submission_deadline=timezone.localdate() + dt.timedelta(days=5),
    )
    report = report_issue(report=report_create(assessment=assessment, by=secretary), by=secretary)
    keys = demo_signing_setup(commune=assessment.commune)
    person = next(key for key in keys if key.owner_id == report.signer_id)
    seal = next(key for key in keys if key.owner_id is None)
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=report.signer)
    report_sign_organisation(report=report, key=seal, secret=DEMO_PASSPHRASE, by=secretary)
    return submission_send(assessment=assessment, by=secretary)


def _accept_the_rest(submission, appraiser, *, but: set[str]) -> None:
    for score in Score.objects.filter(
        assessment=submission.assessment, appraised_at__isnull=True
    ).select_related("criterion"):
        if score.criterion.code in but:
            continue
        appraisal_score_save(
            submission=submission,
            criterion=score.criterion,
            by=appraiser,
            expected_version=score.version,
            points=None,
            reason="",
            accept=True,
        )


def test_from_the_dossier_to_the_ranking(page, live_server, demo_scored, secretary, appraiser):
    submission = _sent(demo_scored, secretary)
    assessment = demo_scored.assessment
    criteria = {
        s.criterion.code: s.criterion
        for s in Score.objects.filter(assessment=assessment).select_related("criterion")
    }
    asked = criteria[OWN_CRITERION]
    base = live_server.url
    shots = shot_dirs()
    page.set_viewport_size({"width": 1366, "height": 900})

    # The appraiser agrees with one sub-criterion and asks about another.
    log_in(page, base, "sonoivu", DEMO_PASSWORD)
    page.goto(base + reverse("appraise:submission", args=[submission.pk]))
    expect(page.get_by_test_id("stage")).to_have_text("Đã gửi hồ sơ")
    agreed = page.locator(f'[data-testid="city-score"][data-code="{AGREED}"]')
    agreed.get_by_test_id("accept").click()
    expect(agreed.get_by_test_id("appraised-points")).to_be_visible()
    page.goto(base + reverse("appraise:request", args=[submission.pk]))
    page.locator(f"#chon-{asked.pk}").check()
    page.locator(f"#hoi-{asked.pk}").fill("Bổ sung biên bản kiểm tra việc thực hiện.")
    page.locator("textarea[name=message]").fill("Đề nghị xã giải trình, bổ sung minh chứng.")
    deadline = timezone.localdate() + dt.timedelta(days=5)
    page.locator("input[name=deadline]").fill(deadline.isoformat())
    page.get_by_role("button", name="Gửi đề nghị giải trình").click()
    expect(page.get_by_test_id("stage")).to_have_text("Đề nghị giải trình")

    # The commune's leader answers, with a new evidence file linked to the item.
    request = ExplanationRequest.objects.get(submission=submission)
    page.context.clear_cookies()
    log_in(page, base, "lanhdao", DEMO_PASSWORD)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(base + reverse("submission:request", args=[assessment.pk, request.pk]))
    item = page.get_by_test_id("item")
    item.get_by_label("Giải trình của xã").fill("Xã bổ sung biên bản kiểm tra ngày 15/6/2026.")
    item.get_by_role("button", name="Lưu giải trình").click()
    page.locator("input[type=file]").set_input_files(
        {"name": "Biên bản kiểm tra.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    page.get_by_role("button", name="Tải lên và gắn vào giải trình").click()
    expect(page.get_by_test_id("item-evidence")).to_contain_text("tải về")
    assert page.evaluate(OVERFLOWING) == []
    for directory in shots:
        page.screenshot(path=directory / "answer-360.png", full_page=True)
    page.get_by_test_id("send-answer").click()
    expect(page.locator("main, body").first).to_contain_text("Xã đã giải trình")
    request.refresh_from_db()
    assert request.status == ExplanationRequest.Status.ANSWERED

    # The appraiser scores the explained item with a reason; the rest is agreed with.
    _accept_the_rest(submission, appraiser, but={OWN_CRITERION})
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, base, "sonoivu", DEMO_PASSWORD)
    page.goto(base + reverse("appraise:submission", args=[submission.pk]))
    expect(page.get_by_test_id("stage")).to_have_text("Đang thẩm định")
    sent = Score.objects.get(assessment=assessment, criterion=asked).points
    other = "0" if sent else f"{asked.max_points:f}".rstrip("0").rstrip(".")
    row = page.locator(f'[data-testid="city-score"][data-code="{OWN_CRITERION}"]')
    row.locator("input[name=points]").fill(other)
    row.get_by_role("button", name="Lưu", exact=True).click()
    expect(row.locator(".invalid-feedback")).to_contain_text("lý do")  # a reason is required
    row.locator("input[name=points]").fill(other)
    row.locator("textarea[name=reason]").fill("Biên bản bổ sung lập sau kỳ báo cáo.")
    row.get_by_role("button", name="Lưu", exact=True).click()
    expect(row.get_by_test_id("appraised-points")).to_contain_text(other)
    submission.refresh_from_db()
    assert submission.fully_appraised and submission.appraised_total is not None
    for directory in shots:
        page.screenshot(path=directory / "appraised-1366.png", full_page=False)

    # The council: two of three members vote for; the second vote decides.
    chair = demo_scored.user("chutichhd")
    members = [chair, demo_scored.user("hoidong1"), demo_scored.user("hoidong2")]
    meeting = session_open(
        round_=submission.round,
        by=chair,
        title="Phiên họp thẩm định",
        held_on=timezone.localdate(),
        members=members,
        chair=chair,
        submissions=[submission],
    )
    city = submission.round.city_id
    for member in ("hoidong1", "hoidong2"):
        page.context.clear_cookies()
        log_in(page, base, member, DEMO_PASSWORD)
        page.goto(base + reverse("council:session", args=[city, meeting.pk]))
        page.get_by_label("Đồng ý công nhận").check()
        page.get_by_role("button", name="Ghi biểu quyết").click()
    expect(page.get_by_test_id("item-result")).to_have_text("Đề nghị công nhận")
    submission.refresh_from_db()
    assert submission.stage == Submission.Stage.CONCLUDED

    # The ranking shows it, first in the block of xã.
    page.goto(base + reverse("appraisal:ranking", args=[city]))
    row = page.get_by_test_id("ranking-xa").get_by_test_id("ranking-row").first
    expect(row.get_by_test_id("commune")).to_contain_text("Nghi Dương")
    expect(row.get_by_test_id("rank")).to_have_text("1")
    total = f"{submission.appraised_total:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    expect(row).to_contain_text(total)
    assert Decimal(submission.appraised_total) != Decimal(submission.self_total)
    for directory in shots:
        page.screenshot(path=directory / "ranking-1366.png", full_page=True)

    # The city's office issues the recognition decision, to be signed by the Phó Chủ tịch.
    demo_city_signing_setup(city=submission.round.city)
    documents = base + reverse("city_documents:round", args=[city, submission.round_id])
    page.context.clear_cookies()
    log_in(page, base, "quantritp", DEMO_PASSWORD)
    page.goto(documents)
    decision = page.get_by_test_id("city-document-quyet-dinh")
    decision.get_by_label("Người ký").select_option(
        label="Trịnh Văn Minh – Phó Chủ tịch Ủy ban nhân dân thành phố"
    )
    decision.get_by_label("Thẩm quyền ký").select_option("deputy")
    decision.get_by_role("button", name="Ban hành").click()
    expect(decision.get_by_test_id("number")).to_contain_text("01/QĐ-UBND")
    expect(decision.get_by_test_id("sign-waiting")).to_contain_text("Chờ Trịnh Văn Minh ký số")

    # The Phó Chủ tịch signs on a phone, with their own key.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, base, "lanhdaotp", DEMO_PASSWORD)
    page.goto(documents)
    decision = page.get_by_test_id("city-document-quyet-dinh")
    form = decision.get_by_test_id("sign-person")
    form.get_by_label("Mật khẩu / mã PIN").fill(DEMO_PASSPHRASE)
    form.get_by_label("Tôi đã đọc văn bản và đồng ý ký").check()
    assert page.evaluate(OVERFLOWING) == []
    for directory in shots:
        page.screenshot(path=directory / "decision-sign-360.png", full_page=True)
    form.get_by_role("button", name="Ký số").click()
    expect(decision.get_by_test_id("sign-waiting")).to_contain_text("đã ký")

    # The office seals it: the decision takes effect and the dossier is recognised.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, base, "quantritp", DEMO_PASSWORD)
    page.goto(documents)
    decision = page.get_by_test_id("city-document-quyet-dinh")
    form = decision.get_by_test_id("sign-organisation")
    form.get_by_label("Khóa ký số").select_option(
        label="[THỬ NGHIỆM] Chữ ký số thử nghiệm – Ủy ban nhân dân thành phố Hải Phòng"
    )
    form.get_by_label("Mật khẩu / mã PIN").fill(DEMO_PASSPHRASE)
    form.get_by_label("Tôi đã đọc văn bản và đồng ý ký").check()
    form.get_by_role("button", name="Ký số của cơ quan").click()
    expect(decision.get_by_test_id("sign-done")).to_be_visible()
    for directory in shots:
        page.screenshot(path=directory / "decision-sealed-1366.png", full_page=True)
    document = CityDocument.objects.get(round=submission.round, kind=CityDocument.Kind.DECISION)
    assert document.status == CityDocument.Status.SEALED
    submission.refresh_from_db()
    assert submission.stage == Submission.Stage.RECOGNISED
