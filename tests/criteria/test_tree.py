"""The tree rules, checked on plain rows before anything is stored."""

from decimal import Decimal

import pytest

from criteria.tree import LevelRow, NodeRow, parse_points, validate_levels, validate_tree

D = Decimal


def row(n, code, points, parent=None, title="Tiêu chí"):
    return NodeRow(row=n, code=code, title=title, max_points=D(points), parent_code=parent)


def good_rows():
    return [
        row(2, "1", "60"),
        row(3, "1.1", "40"),
        row(4, "1.1.a", "25"),
        row(5, "1.1.b", "15"),
        row(6, "1.2", "20"),
        row(7, "2", "40"),
    ]


def test_a_consistent_tree_has_no_problems():
    assert not validate_tree(good_rows(), D("100"))


def test_parent_must_equal_sum_of_children():
    rows = good_rows()
    rows[3].max_points = D("14")  # 1.1.b
    problems = validate_tree(rows, D("100"))
    assert problems.by_row[3] == [
        "Điểm tối đa của “1.1” là 40 nhưng tổng điểm các tiêu chí con (1.1.a, 1.1.b) là 39."
    ]


def test_top_level_must_sum_to_scale():
    rows = [row(2, "1", "50"), row(3, "2", "49.5")]
    problems = validate_tree(rows, D("100"))
    assert problems.general == ["Tổng điểm các tiêu chí cấp cao nhất là 99,5, khác thang điểm 100."]


def test_duplicate_code_names_the_first_row():
    rows = [*good_rows(), row(8, "1.2", "0", parent="1")]
    problems = validate_tree(rows, D("100"))
    assert "Mã “1.2” trùng với mã ở dòng 6." in problems.by_row[8]


def test_orphan_code_is_reported_on_its_row():
    rows = [*good_rows(), row(8, "3.1", "1")]
    problems = validate_tree(rows, D("100"))
    assert any("mã mồ côi" in message for message in problems.by_row[8])


def test_explicit_parent_overrides_the_code_shape():
    rows = [row(2, "A", "10"), row(3, "B", "10", parent="A")]
    assert not validate_tree(rows, D("10"))


def test_parent_cycle_is_refused():
    rows = [row(2, "A", "1", parent="B"), row(3, "B", "1", parent="A")]
    problems = validate_tree(rows, None)
    assert any("vòng lặp" in m for m in problems.messages())


def test_missing_code_and_title():
    rows = [NodeRow(row=2, code="", title="", max_points=D("1"))]
    problems = validate_tree(rows, None)
    assert problems.by_row[2][:2] == ["Thiếu mã tiêu chí.", "Thiếu tên tiêu chí."]


def test_empty_tree():
    assert validate_tree([], D("100")).general == ["Không có tiêu chí nào."]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(2, D("2")), ("2,5", D("2.5")), (" 3 ", D("3")), (1.5, D("1.5")), ("0", D("0"))],
)
def test_parse_points_accepts_vietnamese_numbers(raw, expected):
    assert parse_points(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("hai", "Điểm tối đa “hai” không phải là số."),
        ("", "Thiếu điểm tối đa."),
        (None, "Thiếu điểm tối đa."),
        (-1, "Điểm tối đa không được âm (đang là -1)."),
        ("1.234", "Điểm tối đa 1.234 có quá 2 chữ số thập phân."),
        ("NaN", "Điểm tối đa “NaN” không phải là số."),
    ],
)
def test_parse_points_refuses_with_a_vietnamese_message(raw, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_points(raw)


def test_levels_must_not_overlap():
    levels = [
        LevelRow("mức 1", None, D("85")),
        LevelRow("mức 2", D("84"), D("90")),
        LevelRow("mức 3", D("90"), None),
    ]
    assert validate_levels(levels) == ["Mức “mức 1” và mức “mức 2” có khoảng điểm chồng lên nhau."]


def test_adjacent_levels_do_not_overlap():
    levels = [LevelRow("mức 2", D("85"), D("90")), LevelRow("mức 3", D("90"), None)]
    assert validate_levels(levels, D("100")) == []


def test_level_min_must_be_below_max():
    assert validate_levels([LevelRow("mức 2", D("90"), D("85"))]) == [
        "Mức “mức 2”: điểm từ 90 phải nhỏ hơn điểm đến dưới 85."
    ]
