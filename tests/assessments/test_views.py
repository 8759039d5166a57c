"""Pages of the assessment: who sees what, and how many queries it costs."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import Assessment, Assignment, Commune, Unit
from assessments.services import assessment_create, score_propose, score_return
from criteria.models import CriteriaSet
from criteria.services import criteria_set_replace_tree
from criteria.tree import NodeRow
from tests.queries import at_most

NGHI_DUONG = ["vhxh", "ttpvhcc", "vanphong", "kinhte", "lanhdao", "chutich", "vanthu"]
AN_LAO = ["anlao_lanhdao", "anlao_vhxh"]


def detail_url(assessment):
    return reverse("assessments:detail", args=[assessment.pk])


def assign_url(assessment, code):
    criterion = assessment.criteria_set.criteria.get(code=code)
    return reverse("assessments:assignment_edit", args=[assessment.pk, criterion.pk])


# -- anonymous --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["home", "criteria:set_list", "password_change"])
def test_anonymous_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_cannot_open_an_assessment(client, demo):
    for url in [detail_url(demo.assessment), assign_url(demo.assessment, "2.2.e")]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_login_page_is_in_vietnamese(client, db):
    response = client.get(reverse("login"))
    assert "Đăng nhập" in response.content.decode()
    assert response["Content-Language"] == "vi"


def test_login_with_demo_account_lands_on_home(client, demo):
    response = client.post(
        reverse("login"), {"username": "vhxh", "password": "demo12345"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Tiêu chí thành phần của Phòng Văn hóa - Xã hội" in response.content.decode()


# -- assessment tree ---------------------------------------------------------------------------


@pytest.mark.parametrize("username", [*NGHI_DUONG, "admin"])
def test_commune_members_and_admin_see_the_tree(client, demo, login_as, username):
    login_as(username)
    response = client.get(detail_url(demo.assessment))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Chính quyền công khai minh bạch" in html
    assert "Bộ tiêu chí dựng lại, cần đối chiếu với văn bản chính thức." in html
    assert "Mức đăng ký: <strong>mức 2</strong>" in html
    assert "Công văn số 343/UBND-VHXXH ngày 10/02/2026" in html


@pytest.mark.parametrize("username", AN_LAO)
def test_another_commune_gets_404(client, demo, login_as, username):
    login_as(username)
    assert client.get(detail_url(demo.assessment)).status_code == 404
    assert client.get(assign_url(demo.assessment, "2.2.e")).status_code == 404
    assert client.post(assign_url(demo.assessment, "2.2.e"), {}).status_code == 404
    # ...and its own assessment is fine.
    assert client.get(detail_url(demo.other_assessment)).status_code == 200


def test_tree_shows_points_units_and_totals(client, demo, login_as, leader):
    login_as(leader)
    tree = client.get(detail_url(demo.assessment)).context["tree"]
    assert [(r.criterion.code, r.criterion.max_points) for r in tree.roots] == [
        ("1", Decimal(24)),
        ("2", Decimal(24)),
        ("3", Decimal(26)),
        ("4", Decimal(26)),
    ]
    assert tree.total_points == Decimal(100)
    leaf = next(r for r in tree.rows() if r.criterion.code == "2.2.e")
    assert leaf.assignment.lead_unit.name == "Phòng Văn hóa - Xã hội"
    collective = next(r for r in tree.rows() if r.criterion.code == "2.1.a")
    assert collective.assignment.lead_unit.name == "Các cơ quan, đơn vị"
    assert tree.unassigned == 0


def test_filter_by_unit_keeps_its_leaves_and_their_totals(client, demo, login_as, leader):
    login_as(leader)
    unit = Unit.objects.get(commune=demo.commune, name="Trung tâm Phục vụ hành chính công")
    collective = Unit.objects.get(commune=demo.commune, is_collective=True)
    response = client.get(detail_url(demo.assessment), {"don-vi": unit.pk})
    tree = response.context["tree"]
    leaves = [r for r in tree.rows() if r.is_leaf]
    assert leaves and all(r.assignment.lead_unit in (unit, collective) for r in leaves)
    expected = sum(
        a.criterion.max_points
        for a in Assignment.objects.filter(
            assessment=demo.assessment, lead_unit__in=[unit, collective]
        )
    )
    assert tree.shown_points == expected
    # Each criterion's row shows the unit's share of its points.
    for root in tree.roots:
        assert root.shown_points == sum(
            leaf.criterion.max_points for leaf in root.walk() if leaf.is_leaf
        )


def test_supporting_unit_sees_the_subcriterion_in_its_filter(client, demo, login_as, own_staff):
    vhxh = Unit.objects.get(commune=demo.commune, name="Phòng Văn hóa - Xã hội")
    assignment = Assignment.objects.get(assessment=demo.assessment, criterion__code="2.1.b")
    assignment.supporting_units.add(vhxh)
    login_as(own_staff)
    tree = client.get(detail_url(demo.assessment), {"don-vi": "cua-toi"}).context["tree"]
    codes = {r.criterion.code for r in tree.rows() if r.is_leaf}
    assert "2.1.b" in codes and "2.2.e" in codes and "1.1.a" not in codes


def test_staff_rows_of_their_unit_are_marked(client, demo, login_as, own_staff):
    login_as(own_staff)
    html = client.get(detail_url(demo.assessment)).content.decode()
    assert html.count("Đơn vị của bạn") == sum(
        1
        for a in Assignment.objects.filter(assessment=demo.assessment).select_related("lead_unit")
        if a.lead_unit.name in {"Phòng Văn hóa - Xã hội", "Các cơ quan, đơn vị"}
    )
    # Staff get no assignment buttons.
    assert "Đổi phân công" not in html


def large_assessment(demo, leaves_per_group: int, year: int | None = None):
    """A synthetic criteria set: 4 criteria × 5 groups × `leaves_per_group` leaves."""
    scale = Decimal(4 * 5 * leaves_per_group)
    criteria_set = CriteriaSet.objects.create(title=f"Lớn {leaves_per_group}", scale=scale)
    rows, n = [], 2
    for i in range(1, 5):
        rows.append(NodeRow(n, f"{i}", f"Tiêu chí {i}", Decimal(5 * leaves_per_group)))
        n += 1
        for j in range(1, 6):
            rows.append(NodeRow(n, f"{i}.{j}", f"Nhóm {i}.{j}", Decimal(leaves_per_group)))
            n += 1
            for k in range(1, leaves_per_group + 1):
                unit = ["Phòng Văn hóa - Xã hội", "Phòng Kinh tế"][k % 2]
                rows.append(
                    NodeRow(
                        n, f"{i}.{j}.{k}", f"Mục {i}.{j}.{k}", Decimal(1), default_lead_unit=unit
                    )
                )
                n += 1
    criteria_set_replace_tree(criteria_set=criteria_set, rows=rows)
    assessment = assessment_create(
        commune=demo.commune,
        criteria_set=criteria_set,
        year=year or 2000 + leaves_per_group,
        period="year",
    )
    vanphong = Unit.objects.get(commune=demo.commune, name="Văn phòng HĐND và UBND")
    for assignment in assessment.assignments.all()[:10]:
        assignment.supporting_units.add(vanphong)
    return assessment


TREE_PAGE = "session, user, membership, assessment, units, criteria, assignments, supporting units, scores, commune, unit, bell"
STAFF_HOME = "session, user, membership, assessment, criteria, assignments, scores, levels, adjustments, supporting units, commune, unit, unit deadlines, bell"


@pytest.mark.parametrize("username", ["lanhdao", "vhxh"])
def test_tree_page_query_count_does_not_grow_with_the_tree(client, demo, login_as, username):
    small = large_assessment(demo, 1)  # 20 leaves
    large = large_assessment(demo, 15)  # 300 leaves
    login_as(username)
    counts = []
    for assessment in (small, large):
        # Expect at most 12 queries: session, user, membership, assessment, units, criteria,
        # assignments, supporting units, scores (status and points), commune, the bell; for
        # staff, their unit.
        with at_most(12, TREE_PAGE) as queries:
            response = client.get(detail_url(assessment))
        assert response.status_code == 200
        counts.append(len(queries))
    assert response.context["tree"].leaf_count == 300
    assert counts[0] == counts[1]


def test_staff_home_query_count_does_not_grow_with_the_tree(client, demo, login_as, own_staff):
    login_as(own_staff)
    counts = []
    for leaves_per_group in (1, 15):  # the newest assessment is the one shown
        assessment = large_assessment(demo, leaves_per_group, year=2080 + leaves_per_group)
        # Expect at most 12 queries: session, user, membership, assessment, criteria,
        # assignments, scores, levels, adjustments, supporting units, commune, unit.
        with at_most(14, STAFF_HOME) as queries:
            response = client.get(reverse("home"))
        assert response.context["current"] == assessment
        counts.append(len(queries))
    assert len(response.context["leaves"]) == 140  # leaves with an even number are the unit's
    assert counts[0] == counts[1]


# -- assignment -----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["lanhdao", "chutich", "admin"])
def test_leaders_change_lead_and_supporting_units(client, demo, login_as, username):
    login_as(username)
    url = assign_url(demo.assessment, "2.2.e")
    assert client.get(url).status_code == 200
    kinhte = Unit.objects.get(commune=demo.commune, name="Phòng Kinh tế")
    vanphong = Unit.objects.get(commune=demo.commune, name="Văn phòng HĐND và UBND")
    response = client.post(url, {"lead_unit": kinhte.pk, "supporting_units": [vanphong.pk]})
    assert response.status_code == 302
    assignment = Assignment.objects.get(assessment=demo.assessment, criterion__code="2.2.e")
    assert assignment.lead_unit == kinhte
    assert list(assignment.supporting_units.all()) == [vanphong]
    assert assignment.updated_by.username == username


@pytest.mark.parametrize("username", ["vhxh", "ttpvhcc", "vanphong", "kinhte", "vanthu"])
def test_staff_and_secretary_cannot_change_assignments(client, demo, login_as, username):
    login_as(username)
    url = assign_url(demo.assessment, "2.2.e")
    assert client.get(url).status_code == 403
    kinhte = Unit.objects.get(commune=demo.commune, name="Phòng Kinh tế")
    assert client.post(url, {"lead_unit": kinhte.pk}).status_code == 403
    assignment = Assignment.objects.get(assessment=demo.assessment, criterion__code="2.2.e")
    assert assignment.lead_unit.name == "Phòng Văn hóa - Xã hội"


def test_a_unit_of_another_commune_is_refused(client, demo, login_as, leader):
    login_as(leader)
    foreign = Unit.objects.filter(commune=demo.other_commune).first()
    response = client.post(assign_url(demo.assessment, "2.2.e"), {"lead_unit": foreign.pk})
    assert response.status_code == 200
    assert "lead_unit" in response.context["form"].errors
    assignment = Assignment.objects.get(assessment=demo.assessment, criterion__code="2.2.e")
    assert assignment.lead_unit.name == "Phòng Văn hóa - Xã hội"


def test_lead_cannot_also_support(client, demo, login_as, leader):
    login_as(leader)
    kinhte = Unit.objects.get(commune=demo.commune, name="Phòng Kinh tế")
    response = client.post(
        assign_url(demo.assessment, "2.2.e"),
        {"lead_unit": kinhte.pk, "supporting_units": [kinhte.pk]},
    )
    assert "Đơn vị chủ trì không thể đồng thời là đơn vị phối hợp." in response.content.decode()


def test_parent_criterion_has_no_assignment_page(client, demo, login_as, leader):
    login_as(leader)
    assert client.get(assign_url(demo.assessment, "2.2")).status_code == 404


# -- home per role -------------------------------------------------------------------------------


def test_staff_home_lists_only_their_units_subcriteria(client, demo, login_as, own_staff):
    login_as(own_staff)
    response = client.get(reverse("home"))
    assert response.templates[0].name == "assessments/home_staff.html"
    leaves = response.context["leaves"]
    assert {r.assignment.lead_unit.name for r in leaves} == {
        "Phòng Văn hóa - Xã hội",
        "Các cơ quan, đơn vị",  # shared by every unit
    }
    codes = {r.criterion.code for r in leaves}
    assert "2.2.e" in codes and "2.1.a" in codes and "2.1.b" not in codes


def test_staff_home_shows_what_was_returned_and_why(client, demo, login_as, own_staff, leader):
    score = demo.assessment.scores.get(criterion__code="2.2.e")
    score = score_propose(
        score=score,
        by=own_staff,
        expected_version=0,
        points=1,
        result_text="Đã gửi thư",
        submit=True,
    )
    score_return(
        score=score,
        by=leader,
        expected_version=score.version,
        comment="Bổ sung danh sách công dân được biểu dương.",
    )
    login_as(own_staff)
    response = client.get(reverse("home"))
    assert [leaf.criterion.code for leaf in response.context["returned"]] == ["2.2.e"]
    html = response.content.decode()
    assert "Bổ sung danh sách công dân được biểu dương." in html
    # "Send all" opens its confirmation (which leaves this untouched return out).
    confirm_url = reverse("assessments:submit_unit_confirm", args=[demo.assessment.pk])
    assert f'href="{confirm_url}"' in html and "Gửi lãnh đạo tất cả tiêu chí đã chấm" in html


@pytest.mark.parametrize(
    ("username", "template", "text"),
    [
        ("lanhdao", "reports/dashboard.html", "Tiêu chí thành phần bị mất điểm"),
        ("chutich", "reports/dashboard.html", "Tiêu chí thành phần bị mất điểm"),
        ("vanthu", "reports/dashboard.html", "Tiến độ của các đơn vị"),
        ("admin", "assessments/home_admin.html", "Quản trị hệ thống"),
        ("anlao_lanhdao", "reports/dashboard.html", "Tiến độ của các đơn vị"),
    ],
)
def test_each_role_has_its_home(client, demo, login_as, username, template, text):
    login_as(username)
    response = client.get(reverse("home"), follow=True)
    assert response.templates[0].name == template
    assert text in response.content.decode()


def test_leader_without_an_assessment_is_told_so(client, demo, login_as, outsider):
    demo.other_assessment.delete()
    login_as(outsider)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Xã chưa mở kỳ đánh giá nào" in response.content.decode()


def test_outsider_home_shows_only_their_commune(client, demo, login_as, outsider):
    login_as(outsider)
    html = client.get(reverse("home"), follow=True).content.decode()
    assert "An Lão" in html and "Nghi Dương" not in html


# -- criteria sets and admin -----------------------------------------------------------------


@pytest.mark.parametrize("username", ["vhxh", "lanhdao", "anlao_vhxh", "admin"])
def test_criteria_sets_are_readable_by_everyone_logged_in(client, demo, login_as, username):
    login_as(username)
    criteria_set = demo.assessment.criteria_set
    assert "5049/QĐ-UBND" in client.get(reverse("criteria:set_list")).content.decode()
    html = client.get(reverse("criteria:set_detail", args=[criteria_set.pk])).content.decode()
    assert "Bộ tiêu chí dựng lại, cần đối chiếu với văn bản chính thức." in html
    assert ("Nguồn gốc</th>" in html) == (username == "admin")


@pytest.mark.parametrize("username", ["lanhdao", "vanthu", "vhxh"])
def test_only_administrators_reach_the_admin(client, demo, login_as, username):
    login_as(username)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_administrator_reaches_the_admin(client, demo, login_as, administrator):
    login_as(administrator)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:criteria_criteriaset_changelist")).status_code == 200


def test_password_change(client, demo, login_as, own_staff):
    login_as(own_staff)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "demo12345",
            "new_password1": "Nghiduong@2026",
            "new_password2": "Nghiduong@2026",
        },
    )
    assert response.status_code == 302
    own_staff.refresh_from_db()
    assert own_staff.check_password("Nghiduong@2026")


def test_logout_is_a_post(client, demo, login_as, own_staff):
    login_as(own_staff)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_staff_home_counts_what_the_unit_only_supports(client, demo, login_as, own_staff):
    vhxh = Unit.objects.get(commune=demo.commune, name="Phòng Văn hóa - Xã hội")
    for code in ("1.1.a", "1.1.b", "2.1.a"):  # 2.1.a is led by every unit already
        Assignment.objects.get(
            assessment=demo.assessment, criterion__code=code
        ).supporting_units.add(vhxh)
    login_as(own_staff)
    response = client.get(reverse("home"))
    assert response.context["supported"] == 2
    assert "và phối hợp 2 tiêu chí thành phần khác" in response.content.decode()


def test_the_administrators_home_lists_assessments_in_pages(
    client, demo, login_as, django_assert_max_num_queries
):
    """A city has a hundred communes and more: the administrator's home shows 50 assessments a
    page, in the same number of queries whatever their number."""
    login_as("admin")
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("home"))
    template = demo.assessment
    communes = Commune.objects.bulk_create(
        Commune(name=f"Xã Thử {index:03d}", city=template.commune.city) for index in range(70)
    )
    Assessment.objects.bulk_create(
        Assessment(
            commune=commune,
            criteria_set=template.criteria_set,
            year=template.year,
            period=template.period,
        )
        for commune in communes
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = client.get(reverse("home"))
    assert len(first.context["assessments"]) == 50
    html = first.content.decode()
    assert "Trang 1 / 2" in html and "(72)" in html
    second = client.get(reverse("home"), {"trang": "2"})
    assert len(second.context["assessments"]) == 22
    assert client.get(reverse("home"), {"trang": "x"}).status_code == 200  # first page
