"""Issue 14 C in a browser at a 360 px phone width: a council member votes on a commune, the
second vote decides it, the page shows the result with the names; the council's pages do not
overflow the screen. Screenshots go to the test's tmp dir, and to $SHOTS_DIR when set."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appraisal.council_services import session_open
from tests.appraisal.test_council import _appraise, _round, _submit
from tests.browser.test_commune_setup import OVERFLOWING, log_in, shot_dirs
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_member_votes_on_a_phone(page, live_server, demo, secretary, appraiser):
    round_ = _round(demo)
    submission = _appraise(_submit(demo.assessment, round_, secretary), appraiser)
    chair = demo.user("chutichhd")
    members = [chair, demo.user("hoidong1"), demo.user("hoidong2")]
    meeting = session_open(
        round_=round_,
        by=chair,
        title="Phiên họp thẩm định đợt 1",
        held_on=timezone.localdate(),
        members=members,
        chair=chair,
        submissions=[submission],
    )
    city = round_.city_id
    url = live_server.url + reverse("council:session", args=[city, meeting.pk])
    page.set_viewport_size({"width": 360, "height": 800})
    shots = shot_dirs()

    log_in(page, live_server.url, "hoidong1", DEMO_PASSWORD)
    page.goto(url)
    expect(page.get_by_test_id("decision-rule")).to_contain_text("2/3")
    page.get_by_label("Không đồng ý").check()
    page.get_by_label("Ý kiến (không bắt buộc)").fill("Cần bổ sung minh chứng tiêu chí 2.")
    page.get_by_role("button", name="Ghi biểu quyết").click()
    expect(page.get_by_test_id("own-vote")).to_contain_text("Không đồng ý")
    expect(page.get_by_test_id("vote-counts")).to_contain_text("0 đồng ý, 1 không đồng ý")
    assert page.evaluate(OVERFLOWING) == []
    for directory in shots:
        page.screenshot(path=directory / "council-session-360.png", full_page=True)

    page.context.clear_cookies()
    log_in(page, live_server.url, "hoidong2", DEMO_PASSWORD)
    page.goto(url)
    page.get_by_label("Không đồng ý").check()
    page.get_by_role("button", name="Ghi biểu quyết").click()
    expect(page.get_by_test_id("item-result")).to_have_text("Không đề nghị công nhận")
    expect(page.get_by_test_id("votes-by-name")).to_contain_text("Phạm Thị Thu: Không đồng ý")
    assert page.evaluate(OVERFLOWING) == []

    for name in ("rounds", "sessions"):
        page.goto(live_server.url + reverse(f"council:{name}", args=[city]))
        assert page.evaluate(OVERFLOWING) == [], name
        for directory in shots:
            page.screenshot(path=directory / f"council-{name}-360.png", full_page=True)
