"""Issue 13, part 2: the main pages of every role pass axe-core's WCAG 2.1 A/AA rules with no
serious or critical violation. axe-core comes from npm (package.json, `npm ci`) and is served
to the tests only (tests/settings.py). The counts of every page, all impacts, are printed and
written to $SHOTS_DIR/axe-summary.txt when that is set."""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from criteria.models import Criterion
from tests.browser.test_phone_width import CITY_ROLES, log_in, pages_of, set_the_scene, settle

pytestmark = pytest.mark.django_db(transaction=True)

AXE_FILE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/static/test-vendor/axe/axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = {"critical", "serious"}
WIDTHS = (1366, 360)
# The rule id, impact and the first targets of each violation (with the colours, for a
# contrast failure), as small as the message needs.
RUN_AXE = """async ([tags, all]) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  const where = (n) => {
    const data = (n.any[0] || {}).data || {};
    const colours = data.contrastRatio
      ? ` (${data.fgColor} on ${data.bgColor}: ${data.contrastRatio}:1)` : "";
    return n.target.join(" ") + colours;
  };
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
    targets: v.nodes.slice(0, all ? undefined : 3).map(where),
  }));
}"""
POSITIVE_TABINDEX = """() => [...document.querySelectorAll("[tabindex]")]
  .filter((e) => e.tabIndex > 0).slice(0, 3).map((e) => e.outerHTML.slice(0, 80))"""
# Each control the keyboard reaches shows where focus is (an outline or Bootstrap's ring).
FOCUS_SHOWN = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  const shown = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== "none";
  return shown ? null : `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} ${e.textContent.trim().slice(0, 30)}`;
}"""
# AXE_ALL=1 lists every element of a violation, not the first three (to fix many at once).
ALL_TARGETS = bool(os.environ.get("AXE_ALL"))


@pytest.fixture(scope="module")
def summary():
    """Lines of "<who> <page> <width>: critical n, serious n, …", printed and saved at the end."""
    lines: list[str] = []
    yield lines
    head = f"axe-core {axe_version()}, rules {', '.join(WCAG)}: {len(lines)} page views"
    text = "\n".join([head, *lines]) + "\n"
    print("\n" + text)
    if os.environ.get("SHOTS_DIR"):
        directory = Path(os.environ["SHOTS_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "axe-summary.txt").write_text(text, encoding="utf-8")


def axe_version() -> str:
    package = AXE_FILE.parent / "package.json"
    if not package.exists():
        return "(missing)"
    return json.loads(package.read_text(encoding="utf-8"))["version"]


def require_axe() -> None:
    if not AXE_FILE.exists():
        pytest.fail(
            f"axe-core is missing ({AXE_FILE}): run `npm ci` in the project folder "
            "(`make test` does it), then run the tests again.",
            pytrace=False,
        )


def audit(page, base_url: str, label: str, summary: list[str]) -> list[str]:
    """Runs axe on the page as shown; returns the serious and critical violations, one line each."""
    settle(page)  # htmx panels (evidence) have loaded
    page.add_script_tag(url=base_url + AXE_URL)
    violations = page.evaluate(RUN_AXE, [WCAG, ALL_TARGETS])
    counts = Counter()
    for violation in violations:
        counts[violation["impact"]] += violation["nodes"]
    rules = ", ".join(f"{v['id']}({v['impact']})" for v in violations) or "none"
    summary.append(
        f"{label}: " + ", ".join(f"{impact} {counts[impact]}" for impact in IMPACTS) + f" [{rules}]"
    )
    found = [
        f"{label}: {v['id']} ({v['impact']}, {v['nodes']} elements: {v['help']}) "
        f"at {'; '.join(v['targets'])}"
        for v in violations
        if v["impact"] in BLOCKING
    ]
    # Focus follows the page: nothing jumps the queue with a positive tabindex.
    jumping = page.evaluate(POSITIVE_TABINDEX)
    if jumping:
        found.append(f"{label}: positive tabindex (focus order) at {'; '.join(jumping)}")
    return found


LEADERS = ("lanhdao", "chutich")
REVIEWERS = (*LEADERS, "vanthu")


def more_pages_of(username: str, demo) -> list[tuple[str, str]]:
    """Pages beyond test_phone_width's main ones: the person's account, the rulebook, and
    what their role opens (the leaders' and the secretary's dashboards, reports, audit)."""
    pk = demo.assessment.pk
    account = [("security", reverse("accounts:security")), ("password", reverse("password_change"))]
    if username in CITY_ROLES:  # test_phone_width lists the city's pages
        return account
    if username == "admin":  # the system administrator belongs to no commune
        return [("home", "/"), ("criteria-sets", reverse("criteria:set_list")), *account]
    pages = [
        *account,
        ("criteria-sets", reverse("criteria:set_list")),
        ("criteria-set", reverse("criteria:set_detail", args=[demo.assessment.criteria_set_id])),
        ("missing-evidence", reverse("assessments:missing_evidence", args=[pk])),
    ]
    if username in REVIEWERS:
        pages += [
            ("dashboard", reverse("reports:dashboard", args=[pk])),
            ("units", reverse("reports:units", args=[pk])),
            ("report", reverse("reports:home", args=[pk])),
            ("documents", reverse("reports:documents", args=[pk])),
        ]
    if username in LEADERS:
        pages += [
            ("deadlines", reverse("assessments:deadlines", args=[pk])),
            ("compare", reverse("assessments:compare", args=[pk])),
            ("audit", reverse("audit:list")),
        ]
    if username == "vhxh":
        pages.append(("send-all", reverse("assessments:submit_unit_confirm", args=[pk])))
    return pages


def every_page_of(username: str, demo) -> list[tuple[str, str]]:
    """test_phone_width's pages, then ours that it does not list already."""
    main = pages_of(username, demo)
    listed = {url for _name, url in main}
    return main + [(name, url) for name, url in more_pages_of(username, demo) if url not in listed]


@pytest.mark.parametrize("username", ["lanhdao", "chutich", "vanthu", "vhxh", "admin", *CITY_ROLES])
def test_main_pages_have_no_serious_violation(live_server, demo_scored, page, summary, username):
    require_axe()
    set_the_scene(demo_scored)  # queue rows, an evidence item, an issued report and a draft
    log_in(page, live_server.url, username)
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for name, url in every_page_of(username, demo_scored):
            response = page.goto(live_server.url + url)
            assert response is not None and response.ok, (name, url)
            found += audit(page, live_server.url, f"{username} {name} {width}", summary)
    assert found == [], "\n".join(found)


def test_the_check_sees_a_violation(live_server, page, summary):
    """The check itself can fail: yellow text on white (1.6:1) is reported as serious."""
    require_axe()
    page.goto(live_server.url + "/dang-nhap/")
    page.evaluate("""() => {
      const text = document.createElement("p");
      text.textContent = "Trả lại đơn vị";
      text.id = "low-contrast";
      text.style.color = "#ffc107";
      text.style.background = "#ffffff";
      document.querySelector("main").append(text);
    }""")
    [found] = audit(page, live_server.url, "anonymous login with yellow text", [])
    assert found.startswith("anonymous login with yellow text: color-contrast (serious, 1 ")
    assert "#low-contrast (#ffc107 on #ffffff: 1.63:1)" in found


def test_public_pages_have_no_serious_violation(live_server, page, summary):
    require_axe()
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for name, url in (("login", "/dang-nhap/"), ("verify", "/xac-minh/")):
            response = page.goto(live_server.url + url)
            assert response is not None and response.ok, (name, url)
            found += audit(page, live_server.url, f"anonymous {name} {width}", summary)
    assert found == [], "\n".join(found)


def shots(name: str, page) -> None:
    if os.environ.get("SHOTS_DIR"):
        directory = Path(os.environ["SHOTS_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=directory / f"{name}.png", full_page=True)


def test_a_scoring_error_is_marked_on_its_field(live_server, demo, page, summary):
    """A proposal below the maximum without its reason: the reason field is marked (read out
    with its message by a screen reader), and the page still passes axe."""
    require_axe()
    leaf = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code="1.1.j")
    log_in(page, live_server.url, "vhxh")
    page.goto(
        live_server.url + reverse("assessments:criterion", args=[demo.assessment.pk, leaf.pk])
    )
    form = page.get_by_test_id("score-form")
    form.get_by_label("Điểm tự chấm").fill("2")
    form.get_by_label("Kết quả thực hiện").fill("Niêm yết tại Trung tâm Phục vụ hành chính công.")
    form.get_by_label("Vẫn gửi khi chưa có minh chứng").check()
    form.get_by_role("button", name="Gửi lãnh đạo").click()
    reason = page.get_by_test_id("score-form").get_by_label("Lý do chưa thực hiện")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(reason).to_have_accessible_description(
        re.compile("điểm thấp hơn điểm tối đa nên phải ghi lý do chưa thực hiện")
    )
    message = page.locator("#id_shortfall_reason_error")
    expect(message).to_be_visible()
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        message.scroll_into_view_if_needed()
        shots(f"scoring-error-{width}", page)
        found += audit(page, live_server.url, f"vhxh scoring-error {width}", summary)
    assert found == [], "\n".join(found)


def test_the_keyboard_starts_at_a_visible_skip_link(live_server, demo, page):
    log_in(page, live_server.url, "lanhdao")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Bỏ qua menu, đến nội dung chính")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#content$"))
    page.keyboard.press("Tab")  # the next stop is inside the page's content, past the navbar
    assert page.evaluate("document.activeElement.closest('main') !== null")


@pytest.mark.parametrize("username", ["lanhdao", "vhxh"])
def test_focus_is_visible_on_every_control(live_server, demo, page, username):
    """Tabs through the whole criterion page (the scoring form, the review forms, evidence)
    and the dashboard: every stop shows its focus."""
    leaf = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code="1.1.j")
    log_in(page, live_server.url, username)
    hidden = []
    for url in ("/", reverse("assessments:criterion", args=[demo.assessment.pk, leaf.pk])):
        page.goto(live_server.url + url)
        settle(page)
        stops = 0
        while stops < 60:
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement === document.body"):
                break  # past the last control
            stops += 1
            if (where := page.evaluate(FOCUS_SHOWN)) is not None:
                hidden.append(f"{url}: {where}")
        assert stops > 15, (url, stops)  # the walk reached the page's controls
    assert hidden == []


def test_without_axe_the_check_fails_and_says_to_run_npm_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "AXE_FILE", tmp_path / "axe.min.js")
    with pytest.raises(pytest.fail.Exception, match=r"run `npm ci`"):
        require_axe()
