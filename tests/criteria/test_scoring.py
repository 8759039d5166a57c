"""Scoring rules against hand-computed points and totals."""

import subprocess
import sys
from decimal import Decimal as D

import pytest

from criteria.models import Criterion
from criteria.rules import NotArisingPolicy, RuleKind
from criteria.scoring import (
    LeafResult,
    Tier,
    check_points,
    check_rule_points,
    describe_tiers,
    format_tiers,
    not_arising_points,
    parse_tiers,
    ratio_points,
    total,
)


def test_tiers_are_parsed_highest_first_and_formatted_back():
    tiers = parse_tiers("0:0; 100:5; 95:3", D(5))
    assert tiers == [Tier(D(100), D(5)), Tier(D(95), D(3)), Tier(D(0), D(0))]
    assert format_tiers(tiers) == "100:5; 95:3; 0:0"
    assert describe_tiers(tiers) == (
        "Từ 100%: 5 điểm; từ 95% đến dưới 100%: 3 điểm; từ 0% đến dưới 95%: 0 điểm"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "ít nhất một bậc"),
        ("100-5", "phải có dạng tỷ lệ:điểm"),
        ("120:5", "phải từ 0 đến 100"),
        ("100:6", "phải từ 0 đến 5"),
        ("abc:1", "không phải là số"),
        ("100:5; 100:3", "cùng tỷ lệ"),
    ],
)
def test_bad_tiers_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_tiers(text, D(5))


@pytest.mark.parametrize(
    ("numerator", "denominator", "percent", "points"),
    [
        (D(120), D(120), D("100.00"), D(5)),  # all files on time
        (D(116), D(120), D("96.67"), D(3)),  # 95 % to under 100 %
        (D(114), D(120), D("95.00"), D(3)),  # exactly 95 %
        (D(113), D(120), D("94.17"), D(0)),
        (D(0), D(50), D("0.00"), D(0)),
    ],
)
def test_ratio_picks_the_tier(numerator, denominator, percent, points):
    tiers = parse_tiers("100:5; 95:3; 0:0", D(5))
    assert ratio_points(tiers, numerator, denominator) == (percent, points)


def test_ratio_below_every_tier_earns_nothing():
    assert ratio_points(parse_tiers("100:2", D(2)), D(9), D(10)) == (D("90.00"), D(0))


@pytest.mark.parametrize(
    ("numerator", "denominator", "message"),
    [
        (D(5), D(0), "Mẫu số phải lớn hơn 0"),
        (D(11), D(10), "không được lớn hơn"),
        (D(-1), D(10), "không được âm"),
        (None, D(10), "đủ tử số và mẫu số"),
    ],
)
def test_ratio_refuses_impossible_numbers(numerator, denominator, message):
    with pytest.raises(ValueError, match=message):
        ratio_points(parse_tiers("100:5", D(5)), numerator, denominator)


def test_points_must_be_within_the_maximum_and_on_the_step():
    check_points(D("1.5"), max_points=D(2), step=D("0.5"))
    with pytest.raises(ValueError, match="Điểm phải từ 0 đến 2"):
        check_points(D("2.5"), max_points=D(2), step=D("0.5"))
    with pytest.raises(ValueError, match="bội số của 0,5"):
        check_points(D("1.25"), max_points=D(2), step=D("0.5"))
    with pytest.raises(ValueError, match="Điểm phải từ 0"):
        check_points(D(-1), max_points=D(2), step=D("0.5"))


def test_not_arising_policies():
    assert not_arising_points("full", D(2)) == D(2)
    assert not_arising_points("zero", D(2)) == D(0)
    assert not_arising_points("exclude", D(2)) is None
    with pytest.raises(ValueError, match="không cho phép"):
        not_arising_points("", D(2))


def test_total_without_exclusions_is_the_plain_sum():
    leaves = [LeafResult(D(60), D(55)), LeafResult(D(40), D(32))]
    result = total(leaves, scale=D(100))
    assert (result.points, result.final, result.rebased) == (D(87), D(87), False)


def test_total_rebases_when_a_leaf_does_not_arise():
    # 98 of the 100 points can be earned; 86 of them were: 86 × 100 / 98 = 87.755… → 87.76
    leaves = [
        LeafResult(D(60), D(56)),
        LeafResult(D(38), D(30)),
        LeafResult(D(2), None, excluded=True),
    ]
    result = total(leaves, scale=D(100))
    assert result.raw_points == D(86)
    assert result.counted_max == D(98)
    assert result.points == D("87.76")
    assert result.rebased


def test_deductions_come_off_the_rebased_total_and_never_below_zero():
    leaves = [LeafResult(D(100), D(88))]
    assert total(leaves, scale=D(100), deductions=D(6)).final == D(82)
    assert total([LeafResult(D(100), D(2))], scale=D(100), deductions=D(6)).final == D(0)


def test_a_disqualifier_is_carried_on_the_total():
    result = total([LeafResult(D(100), D(95))], scale=D(100), disqualified=True)
    assert result.disqualified and result.final == D(95)


def test_unscored_leaves_count_as_zero_but_are_reported():
    result = total([LeafResult(D(50), D(50)), LeafResult(D(50), None)], scale=D(100))
    assert (result.points, result.scored, result.leaves) == (D(50), 1, 2)


def test_scoring_and_tree_import_without_a_loop():
    """criteria.scoring needs neither criteria.tree nor the models: no import loop to dodge."""
    code = (
        "import sys, criteria.scoring; "
        "assert 'criteria.tree' not in sys.modules, 'scoring imports tree'; "
        "assert 'criteria.models' not in sys.modules, 'scoring imports the models'; "
        "import criteria.tree"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_model_fields_use_the_one_definition_of_the_rules():
    assert Criterion._meta.get_field("rule").choices == RuleKind.choices
    assert Criterion._meta.get_field("not_arising").choices == NotArisingPolicy.choices


def test_pass_fail_takes_zero_or_the_maximum_only():
    check_rule_points(RuleKind.PASS_FAIL, D(3), max_points=D(3), step=D("0.25"))
    check_rule_points(RuleKind.PASS_FAIL, D(0), max_points=D(3), step=D("0.25"))
    with pytest.raises(ValueError, match="chỉ nhận 0 hoặc 3 điểm"):
        check_rule_points(RuleKind.PASS_FAIL, D("1.5"), max_points=D(3), step=D("0.25"))
    check_rule_points(RuleKind.FREE, D("1.5"), max_points=D(3), step=D("0.25"))
    with pytest.raises(ValueError, match="bội số của 0,25"):
        check_rule_points(RuleKind.FREE, D("1.3"), max_points=D(3), step=D("0.25"))
