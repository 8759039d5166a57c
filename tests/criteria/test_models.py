"""Single-row rules live in the database, so bulk imports cannot bypass them."""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assessments.services import assessment_create, commune_create
from criteria.codes import is_safe_code
from criteria.models import CriteriaSet, Criterion, Level
from criteria.services import (
    FIXTURE_5049,
    criteria_set_is_locked,
    criteria_set_load_yaml,
    criteria_set_new_version,
    criteria_set_problems,
    criteria_set_replace_tree,
    rows_from_criteria_set,
)
from criteria.tree import NodeRow

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def empty_set():
    return CriteriaSet.objects.create(title="Bộ thử", scale=D("10"))


def test_code_is_unique_within_a_set(empty_set):
    Criterion.objects.create(criteria_set=empty_set, code="1", title="A", max_points=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.create(criteria_set=empty_set, code="1", title="B", max_points=1)


def test_same_code_is_allowed_in_another_set(empty_set):
    other = CriteriaSet.objects.create(title="Bộ khác")
    Criterion.objects.create(criteria_set=empty_set, code="1", title="A", max_points=1)
    Criterion.objects.create(criteria_set=other, code="1", title="A", max_points=1)


def test_points_cannot_be_negative(empty_set):
    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.create(criteria_set=empty_set, code="1", title="A", max_points=-1)


def test_level_range_must_be_increasing(empty_set):
    with pytest.raises(IntegrityError), transaction.atomic():
        Level.objects.create(
            criteria_set=empty_set, name="mức 2", min_points=90, max_points_exclusive=85
        )


def test_level_names_are_unique_in_a_set(empty_set):
    Level.objects.create(criteria_set=empty_set, name="mức 1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Level.objects.create(criteria_set=empty_set, name="mức 1")


def test_scale_must_be_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        CriteriaSet.objects.create(title="Sai", scale=0)


def test_level_range_label_and_contains():
    level = Level(name="mức 2", min_points=D("85"), max_points_exclusive=D("90"))
    assert level.range_label == "Đạt từ 85 đến dưới 90 điểm"
    assert level.contains(D("85")) and level.contains(D("89.99"))
    assert not level.contains(D("90")) and not level.contains(D("84.5"))


def test_the_5049_fixture_loads_with_its_top_level_and_levels():
    criteria_set = criteria_set_load_yaml(path=FIXTURE_5049)
    top = list(criteria_set.criteria.filter(parent=None).values_list("code", "max_points"))
    assert top == [("1", D("24")), ("2", D("24")), ("3", D("26")), ("4", D("26"))]
    assert criteria_set.needs_verification
    assert criteria_set.decision_reference == (
        "Quyết định số 5049/QĐ-UBND ngày 11/12/2025 của Ủy ban nhân dân thành phố Hải Phòng"
    )
    level2 = criteria_set.levels.get(name="mức 2")
    assert (level2.min_points, level2.max_points_exclusive) == (D("85"), D("90"))
    assert criteria_set_problems(criteria_set) == []
    # The four sub-criteria of the seed report's table are there with their points and units.
    app = criteria_set.criteria.get(code="1.2.d")
    assert (app.max_points, app.default_lead_unit, app.provenance) == (
        D("2"),
        "Trung tâm phục vụ hành chính công",
        "seed",
    )
    assert criteria_set.criteria.get(code="2.1.a").max_points == D("5")
    assert criteria_set.criteria.get(code="1.1.a").is_reconstructed


def test_replace_tree_refuses_a_broken_tree_and_keeps_the_old_one(empty_set):
    good = [NodeRow(2, "1", "A", D("10"))]
    criteria_set_replace_tree(criteria_set=empty_set, rows=good)
    broken = [NodeRow(2, "1", "A", D("10")), NodeRow(3, "1.1", "B", D("4"))]
    with pytest.raises(ValidationError) as error:
        criteria_set_replace_tree(criteria_set=empty_set, rows=broken)
    assert "tổng điểm các tiêu chí con" in str(error.value)
    assert list(empty_set.criteria.values_list("code", flat=True)) == ["1"]


def test_problems_of_a_stored_set_are_reported(empty_set):
    Criterion.objects.create(criteria_set=empty_set, code="1", title="A", max_points=4)
    Level.objects.create(criteria_set=empty_set, name="a", min_points=1, max_points_exclusive=5)
    Level.objects.create(criteria_set=empty_set, name="b", min_points=3, max_points_exclusive=8)
    assert criteria_set_problems(empty_set) == [
        "Tổng điểm các tiêu chí cấp cao nhất là 4, khác thang điểm 10.",
        "Mức “a” và mức “b” có khoảng điểm chồng lên nhau.",
    ]


def test_a_set_in_use_is_locked_and_new_version_copies_it():
    criteria_set = criteria_set_load_yaml(path=FIXTURE_5049)
    commune = commune_create(name="Thử", units=[{"name": "Phòng Văn hóa - Xã hội"}])
    assert not criteria_set_is_locked(criteria_set)
    assessment_create(commune=commune, criteria_set=criteria_set, year=2026, period="h1")
    criteria_set.refresh_from_db()
    assert criteria_set_is_locked(criteria_set)
    assert criteria_set.status == CriteriaSet.Status.IN_USE
    with pytest.raises(ValidationError, match="Tạo phiên bản mới"):
        criteria_set_replace_tree(criteria_set=criteria_set, rows=[NodeRow(2, "1", "A", D(1))])

    copy = criteria_set_new_version(criteria_set=criteria_set)
    assert (copy.version, copy.previous_version, copy.status) == (2, criteria_set, "draft")
    assert not criteria_set_is_locked(copy)

    def shape(cs):
        return [(r.code, r.title, r.max_points, r.parent_code) for r in rows_from_criteria_set(cs)]

    assert shape(copy) == shape(criteria_set)
    assert list(copy.levels.values_list("name", "min_points")) == list(
        criteria_set.levels.values_list("name", "min_points")
    )


# -- the code alphabet (criteria.codes) --------------------------------------------------

SAFE_CODES = ["1", "1.1", "1.1.a", "2.1.j", "TD-b", "II.3-bis", "A1.b2"]
UNSAFE_CODES = [
    "1'+alert(origin)+'",  # the stored XSS of issue 9
    '1"><script>',
    "1.1 a",
    "1.1.",
    ".1",
    "1..1",
    "1-",
    "1.1.đ",  # Vietnamese letters: the sheet must say "d" or "dd"
    "1/2",
    "..",
    "1\n",  # `$` would let a final newline through; the pattern ends with \Z
    "1\t",
    "１",  # a full-width digit
]


def _yaml_codes(path):
    def walk(nodes):
        for node in nodes or []:
            yield str(node["code"])
            yield from walk(node.get("children"))

    return list(walk(yaml.safe_load(Path(path).read_text(encoding="utf-8"))["criteria"]))


def test_every_code_of_the_5049_fixture_is_in_the_alphabet():
    codes = _yaml_codes(FIXTURE_5049)

    assert len(codes) == 59
    assert [code for code in codes if not is_safe_code(code)] == []


@pytest.mark.parametrize("code", SAFE_CODES)
def test_safe_codes_are_stored(empty_set, code):
    criterion = Criterion(criteria_set=empty_set, code=code, title="A", max_points=1)
    criterion.full_clean()
    criterion.save()

    assert Criterion.objects.get(pk=criterion.pk).code == code


@pytest.mark.parametrize("code", UNSAFE_CODES)
def test_the_validator_refuses_unsafe_codes(empty_set, code):
    criterion = Criterion(criteria_set=empty_set, code=code, title="A", max_points=1)

    with pytest.raises(ValidationError) as refused:
        criterion.full_clean()

    assert "chữ cái không dấu" in " ".join(refused.value.message_dict["code"])


@pytest.mark.parametrize("code", UNSAFE_CODES)
def test_the_database_refuses_unsafe_codes_even_in_bulk(empty_set, code):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Criterion.objects.bulk_create(
            [Criterion(criteria_set=empty_set, code=code, title="A", max_points=1)]
        )

    assert "criterion_code_safe_alphabet" in str(refused.value)
    assert not Criterion.objects.filter(criteria_set=empty_set).exists()


def test_an_update_cannot_bring_an_unsafe_code_in_either(empty_set):
    Criterion.objects.create(criteria_set=empty_set, code="1", title="A", max_points=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.filter(criteria_set=empty_set).update(code="1'+alert(1)+'")
    assert Criterion.objects.get(criteria_set=empty_set).code == "1"


def test_replace_tree_refuses_an_unsafe_code_with_its_row(empty_set):
    rows = [
        NodeRow(row=1, code="1", title="A", max_points=D("10")),
        NodeRow(row=2, code="1'+alert(origin)+'", title="B", max_points=D("10"), parent_code="1"),
    ]

    with pytest.raises(ValidationError) as refused:
        criteria_set_replace_tree(criteria_set=empty_set, rows=rows)

    assert (
        "Dòng 2: Mã “1'+alert(origin)+'” không hợp lệ: mã chỉ gồm chữ số, chữ cái không dấu"
        in refused.value.messages[0]
    )
    assert not empty_set.criteria.exists()


def test_the_admin_form_refuses_an_unsafe_code(admin_client, empty_set):
    response = admin_client.post(
        "/admin/criteria/criterion/add/",
        {
            "criteria_set": empty_set.pk,
            "code": "1'+alert(origin)+'",
            "title": "Tiêu chí",
            "max_points": "10",
            "order": "1",
            "rule": "free",
            "step": "0.25",
            "not_arising": "",
        },
    )

    assert response.status_code == 200
    assert "chữ cái không dấu" in " ".join(response.context["adminform"].form.errors["code"])
    assert not Criterion.objects.exists()
