"""A unit's staff member logs in and sees the sub-criteria of their unit, in a real browser."""

import re

import pytest
from django.db.models import Q
from playwright.sync_api import expect

from assessments.models import Assignment, Unit
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

OWN_BADGE = "Đơn vị của bạn"


def leaf_codes(page) -> set[str]:
    rows = page.locator("[data-testid=criteria-tree] tr[data-leaf]")
    return {rows.nth(i).get_attribute("data-leaf") for i in range(rows.count())}


def assert_only_own_leaves(page, expected: set[str]) -> None:
    page.wait_for_load_state()
    tree = page.get_by_test_id("criteria-tree")
    leaves = tree.locator("tr[data-leaf]")
    expect(leaves).to_have_count(len(expected))
    assert leaf_codes(page) == expected
    for i in range(leaves.count()):
        expect(leaves.nth(i)).to_contain_text(OWN_BADGE)
    lead_unit = tree.locator('tr[data-leaf="2.2.e"] td').nth(5)  # code, name, status, points, max
    expect(lead_unit).to_have_text("Phòng Văn hóa - Xã hội")
    expect(tree.locator('tr[data-leaf="2.1.b"]')).to_have_count(0)


def test_staff_logs_in_and_sees_own_unit_subcriteria(live_server, demo, page, screenshot):
    vhxh = Unit.objects.get(commune=demo.commune, name="Phòng Văn hóa - Xã hội")
    # What the unit leads or supports, and what "Các cơ quan, đơn vị" leads for every unit.
    expected = set(
        Assignment.objects.filter(assessment=demo.assessment)
        .filter(Q(lead_unit=vhxh) | Q(supporting_units=vhxh) | Q(lead_unit__is_collective=True))
        .values_list("criterion__code", flat=True)
    )
    assert "2.2.e" in expected
    assert "2.1.b" not in expected

    page.goto(live_server.url + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("vhxh")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    expect(page).to_have_url(live_server.url + "/")
    heading = page.get_by_role("heading", name="Tiêu chí thành phần của Phòng Văn hóa - Xã hội")
    expect(heading).to_be_visible()
    mine = page.get_by_test_id("my-subcriteria").locator("tr[data-leaf]")
    expect(mine).to_have_count(len(expected))
    assert {mine.nth(i).get_attribute("data-leaf") for i in range(mine.count())} == expected
    expect(mine.filter(has_text="Chưa chấm")).to_have_count(len(expected))
    screenshot("browser-vhxh-home")

    page.goto(f"{live_server.url}/ky-danh-gia/{demo.assessment.pk}/")
    assert "2.1.b" in leaf_codes(page)

    unit_filter = page.get_by_role("combobox", name=re.compile(r"^Lọc theo đơn vị"))
    mine = unit_filter.locator("option", has_text="Đơn vị của tôi").text_content()
    unit_filter.select_option(label=mine)
    expect(page).to_have_url(re.compile(r"\?don-vi=cua-toi$"))
    expect(unit_filter).to_have_value("cua-toi")
    assert_only_own_leaves(page, expected)
    screenshot("browser-vhxh")
