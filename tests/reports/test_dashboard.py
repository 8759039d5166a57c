"""Leaders' dashboard and the per-unit table: what they show, who sees them, what they cost."""

import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import Score
from assessments.services import assessment_create, score_approve, score_propose
from criteria.models import CriteriaSet
from criteria.services import criteria_set_replace_tree
from criteria.tree import NodeRow
from tests.queries import at_most, exactly


def url(name, assessment):
    return reverse(f"reports:{name}", args=[assessment.pk])


def test_dashboard_shows_the_seed_outcome(client, demo_scored, login_as, leader):
    login_as(leader)
    response = client.get(url("dashboard", demo_scored.assessment))
    assert response.status_code == 200
    results = response.context["results"]
    # The seed's four shortfalls, and the second half's tasks the demo scores 0 (not done yet)
    assert [leaf.criterion.code for leaf in results.losing] == [
        "2.1.a",
        "1.2.d",
        "2.1.c",
        "2.1.e",
        "4.2.c",
        "4.2.f",
        "4.3",
        "2.2.e",
        "4.2.d",
        "4.2.e",
    ]
    html = response.content.decode()
    for reason in [
        "Chưa có kinh phí triển khai thực hiện.",
        "Có 04 hồ sơ TTHC giải quyết quá hạn",
        "Không có công dân ở cộng đồng dân cư có sáng kiến",
        "Không có phương thức trích xuất chính xác kết quả.",
    ]:
        assert reason in html
    assert results.approved.final == D(80)
    assert "Còn thiếu 5 điểm để đạt mức 2" in html  # against the registered mức 2
    assert response.context["board"].without_evidence  # no evidence in the demo yet


@pytest.mark.parametrize("persona", ["leader", "chairman", "secretary", "administrator"])
def test_leaders_and_secretary_see_the_dashboard(client, demo, login_as, request, persona):
    login_as(request.getfixturevalue(persona))
    for name in ("dashboard", "units", "units_xlsx"):
        assert client.get(url(name, demo.assessment)).status_code == 200


@pytest.mark.parametrize("persona", ["own_staff", "centre_staff"])
def test_staff_do_not_see_the_commune_dashboard(client, demo, login_as, request, persona):
    login_as(request.getfixturevalue(persona))
    for name in ("dashboard", "units", "units_xlsx"):
        assert client.get(url(name, demo.assessment)).status_code == 403


@pytest.mark.parametrize("persona", ["outsider", "outsider_staff"])
def test_other_commune_gets_404(client, demo, login_as, request, persona):
    login_as(request.getfixturevalue(persona))
    for name in ("dashboard", "units", "units_xlsx"):
        assert client.get(url(name, demo.assessment)).status_code == 404


def test_anonymous_goes_to_login(client, demo):
    response = client.get(url("dashboard", demo.assessment))
    assert response.status_code == 302 and "/dang-nhap/" in response.url


def test_unit_table_xlsx_reads_back(client, demo_scored, login_as, leader):
    login_as(leader)
    response = client.get(url("units_xlsx", demo_scored.assessment))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "BẢNG TỔNG HỢP CHẤM ĐIỂM THEO ĐƠN VỊ CHỦ TRÌ"
    headers = [cell.value for cell in sheet[4]]
    assert headers[:6] == [
        "Stt",
        "Đơn vị chủ trì",
        "Số tiêu chí thành phần được giao",
        "Điểm tối đa được giao",
        "Điểm tự chấm",
        "Điểm lãnh đạo duyệt",
    ]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}
    ttpvhcc = rows["Trung tâm Phục vụ hành chính công"]
    # TTPVHCC leads 14 sub-criteria worth 23 points and lost 10 (the App 2; home service,
    # QR code, VNeID, ticket machine and AI 8, tasks of the second half) → 13 approved.
    assert ttpvhcc[2:6] == (14, 23, 13, 13)
    assert ttpvhcc[11].startswith("=IF(C")
    total_row = next(
        row for row in sheet.iter_rows(min_row=5, values_only=True) if row[1] == "Tổng cộng"
    )
    assert total_row[2].startswith("=SUM(C5:C")
    assert sum(row[3] for row in rows.values()) == 100
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$4:$4"


def synthetic(demo, leader, leaves_per_group: int):
    criteria_set = CriteriaSet.objects.create(
        title=f"Tổng hợp {leaves_per_group}", scale=D(5 * leaves_per_group)
    )
    rows, n = [], 2
    for i in range(1, 6):
        rows.append(NodeRow(n, f"{i}", f"Tiêu chí {i}", D(leaves_per_group)))
        n += 1
        for k in range(1, leaves_per_group + 1):
            unit = ["Phòng Văn hóa - Xã hội", "Phòng Kinh tế", "Các cơ quan, đơn vị"][k % 3]
            rows.append(NodeRow(n, f"{i}.{k}", f"Mục {i}.{k}", D(1), default_lead_unit=unit))
            n += 1
    criteria_set_replace_tree(criteria_set=criteria_set, rows=rows)
    assessment = assessment_create(
        commune=demo.commune, criteria_set=criteria_set, year=2000 + leaves_per_group, period="year"
    )
    for score in Score.objects.filter(assessment=assessment).select_related("criterion")[::2]:
        score = score_propose(
            score=score, by=leader, expected_version=0, points=D(1), result_text="x", submit=True
        )
        score_approve(score=score, by=leader, expected_version=score.version)
    return assessment


# Expect at most 12 queries: session, user, membership, assessment, criteria, assignments,
# scores, levels, adjustments, evidence links, units, commune; the dashboard adds the
# adjustment entries, the adjustments that can be recorded and the count of sub-criteria
# with points but no evidence, the reports awaiting the person's signature, the units'
# own deadlines (late units) and the bell (18).
PAGES = {
    "dashboard": (
        18,
        "session, user, membership, assessment, criteria, assignments, scores, levels, adjustments, evidence links, units, adjustment entries, adjustments, commune, reports awaiting signature, missing evidence, units' deadlines (late units), bell",
    ),
    "units": (
        13,
        "session, user, membership, assessment, criteria, assignments, scores, levels, adjustments, evidence links, units, commune, bell",
    ),
}


@pytest.mark.parametrize("name", ["dashboard", "units"])
def test_query_count_is_the_same_for_5_and_500_subcriteria(client, demo, login_as, leader, name):
    small, large = synthetic(demo, leader, 1), synthetic(demo, leader, 100)  # 5 and 500 leaves
    assert large.scores.count() == 500
    login_as(leader)
    counts = []
    for assessment in (small, large):
        with at_most(*PAGES[name]) as queries:
            assert client.get(url(name, assessment)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# The second view of a page after no change: the results come from the cache (guards.versions),
# so criteria, assignments, scores, levels and adjustment entries are not read again.
AGAIN = {"dashboard": 12, "units": 7}


@pytest.mark.parametrize("name", ["dashboard", "units"])
def test_a_second_view_after_no_change_reads_no_results(
    client, demo_scored, login_as, leader, name
):
    login_as(leader)
    with at_most(*PAGES[name]) as first:
        assert client.get(url(name, demo_scored.assessment)).status_code == 200
    with exactly(AGAIN[name], "the first view's queries but the results' five") as again:
        assert client.get(url(name, demo_scored.assessment)).status_code == 200
    assert len(again) == len(first) - 5
    results = ("criteria_criterion", "assessments_assignment", "criteria_level")
    assert not [q for q in again if any(f'FROM "{table}"' in q["sql"] for table in results)]
