"""The level statement: what a document may say about the level a total reaches.

Built on unsaved criteria sets and levels (no database): the statement is a pure function of
the set's levels, their provenance, the registered level and the total."""

from decimal import Decimal as D

import pytest

from assessments.levels import (
    SHORTFALL,
    level_statement,
    levels_verified,
    statement_branches,
    statement_for_points,
)
from assessments.models import Assessment
from assessments.selectors import Results
from criteria import scoring
from criteria.models import CriteriaSet, Level
from criteria.rules import fmt_points
from reports.xlsx import level_formula
from tests.reports.test_formats import _evaluate

BOUNDARIES = ["0", "84.99", "85", "89.99", "90", "92.5", "100"]
MUC_2 = "mức 2: Đạt từ 85 đến dưới 90 điểm"


def draft_levels() -> list[Level]:
    """As the reconstructed 5049 set: mức 1 and mức 3 inferred, mức 2 from the seed report."""
    return [
        Level(name="mức 1", max_points_exclusive=D(85), provenance="inferred"),
        Level(
            name="mức 2",
            min_points=D(85),
            max_points_exclusive=D(90),
            label="Đạt từ 85 đến dưới 90 điểm",
            provenance="seed",
        ),
        Level(name="mức 3", min_points=D(90), provenance="inferred"),
    ]


def official_levels() -> list[Level]:
    """A verified set whose top level's band stops below the scale (100 is past it)."""
    return [
        Level(name="mức 2", min_points=D(85), max_points_exclusive=D(90), provenance="official"),
        Level(name="mức 3", min_points=D(90), max_points_exclusive=D(100), provenance="official"),
    ]


def total(points: str | D, *, disqualified: bool = False) -> scoring.Total:
    points = D(points)
    return scoring.Total(
        points=points,
        raw_points=points,
        counted_max=D(100),
        scale=D(100),
        deductions=D(0),
        disqualified=disqualified,
        scored=1,
        leaves=1,
    )


def results(
    levels: list[Level],
    *,
    target: str | None = None,
    needs_verification: bool = False,
    points: str = "0",
    disqualified: bool = False,
) -> Results:
    criteria_set = CriteriaSet(title="Bộ thử", scale=D(100), needs_verification=needs_verification)
    for level in levels:
        level.criteria_set = criteria_set
    by_name = {level.name: level for level in levels}
    assessment = Assessment(
        criteria_set=criteria_set, year=2026, target_level=by_name[target] if target else None
    )
    return Results(
        assessment=assessment,
        roots=[],
        leaves=[],
        proposed=total(points),
        approved=total(points, disqualified=disqualified),
        levels=levels,
        deductions=[],
        disqualifiers=[],
    )


def draft(**kwargs) -> Results:
    return results(draft_levels(), needs_verification=True, **kwargs)


def verified(**kwargs) -> Results:
    return results(official_levels(), **kwargs)


def say(res: Results, points: str) -> str:
    return level_statement(res, total(points)).text


# -- verified or not ------------------------------------------------------------------------


def test_a_reconstructed_set_is_not_verified():
    assert not levels_verified(draft())
    assert not levels_verified(results(official_levels(), needs_verification=True))


def test_an_inferred_level_makes_an_official_set_unverified_whatever_the_case():
    levels = official_levels()
    levels[1].provenance = " INFERRED "
    res = results(levels, target="mức 2")
    assert not levels_verified(res)
    statement = level_statement(res, total("95"))
    assert statement.level is None
    assert statement.why_not_stated == (
        "Khung điểm của mức 3 là suy luận, chưa đối chiếu quyết định chính thức, nên báo cáo "
        "không ghi mức đạt được."
    )


def test_an_official_set_is_verified():
    assert levels_verified(verified())


# -- not verified: only against the registered level ----------------------------------------


@pytest.mark.parametrize(
    ("points", "text"),
    [
        ("0", f"chưa đạt mức đã đăng ký ({MUC_2}), còn thiếu 85 điểm"),
        ("84.99", f"chưa đạt mức đã đăng ký ({MUC_2}), còn thiếu 0,01 điểm"),
        ("85", f"đạt mức đã đăng ký ({MUC_2})"),
        ("89.99", f"đạt mức đã đăng ký ({MUC_2})"),
        ("90", f"vượt khung điểm của mức đã đăng ký ({MUC_2})"),
        ("92.5", f"vượt khung điểm của mức đã đăng ký ({MUC_2})"),
        ("100", f"vượt khung điểm của mức đã đăng ký ({MUC_2})"),
    ],
)
def test_unverified_with_a_registered_level_says_only_whether_it_is_reached(points, text):
    statement = level_statement(draft(target="mức 2"), total(points))
    assert statement.text == text
    assert statement.level is None and not statement.verified
    assert statement.why_not_stated == (
        "Bộ tiêu chí đang dùng là bản dựng lại chưa đối chiếu quyết định chính thức (mức 1 và "
        "mức 3 là suy luận), nên báo cáo không ghi mức đạt được."
    )
    assert "mức 3" not in statement.text


@pytest.mark.parametrize(
    ("points", "target_text"),
    [
        ("0", "còn thiếu 85 điểm để đạt mức 2"),
        ("84.99", "còn thiếu 0,01 điểm để đạt mức 2"),
        ("85", "đạt mức đã đăng ký"),
        ("89.99", "đạt mức đã đăng ký"),
        ("90", "vượt khung điểm của mức đã đăng ký"),
        ("100", "vượt khung điểm của mức đã đăng ký"),
    ],
)
def test_unverified_target_text_for_the_registered_level_tile(points, target_text):
    assert level_statement(draft(target="mức 2"), total(points)).target_text == target_text


def test_unverified_shortfall_is_kept_apart_for_formulas():
    statement = level_statement(draft(target="mức 2"), total("84.5"))
    assert statement.shortfall == D("0.5")
    assert statement.template == f"chưa đạt mức đã đăng ký ({MUC_2}), còn thiếu {SHORTFALL} điểm"
    assert statement.template_parts == (f"chưa đạt mức đã đăng ký ({MUC_2}), còn thiếu ", " điểm")
    reached = level_statement(draft(target="mức 2"), total("85"))
    assert reached.shortfall == 0 and reached.template_parts is None


@pytest.mark.parametrize(
    ("points", "text"),
    [
        ("0", "chưa đạt mức đã đăng ký (mức 3: Đạt từ 90 điểm trở lên), còn thiếu 90 điểm"),
        ("84.99", "chưa đạt mức đã đăng ký (mức 3: Đạt từ 90 điểm trở lên), còn thiếu 5,01 điểm"),
        ("85", "chưa đạt mức đã đăng ký (mức 3: Đạt từ 90 điểm trở lên), còn thiếu 5 điểm"),
        ("89.99", "chưa đạt mức đã đăng ký (mức 3: Đạt từ 90 điểm trở lên), còn thiếu 0,01 điểm"),
        ("90", "đạt mức đã đăng ký (mức 3: Đạt từ 90 điểm trở lên)"),
        ("100", "đạt mức đã đăng ký (mức 3: Đạt từ 90 điểm trở lên)"),
    ],
)
def test_unverified_with_an_inferred_registered_level_says_its_band_is_inferred(points, text):
    statement = level_statement(draft(target="mức 3"), total(points))
    assert statement.text == text and statement.level is None
    assert statement.why_not_stated.endswith(
        "Khung điểm của mức đã đăng ký (mức 3) cũng là suy luận."
    )


@pytest.mark.parametrize("points", BOUNDARIES)
def test_unverified_without_a_registered_level_states_the_total_alone(points):
    statement = level_statement(draft(), total(points))
    assert statement.text == "" and statement.level is None and statement.target_text == ""
    assert statement.why_not_stated.endswith(
        "Kỳ đánh giá chưa có mức đăng ký, nên báo cáo chỉ ghi tổng điểm."
    )


@pytest.mark.parametrize("target", [None, "mức 2"])
@pytest.mark.parametrize("points", BOUNDARIES)
def test_unverified_disqualified_is_not_recognised_whatever_the_points(points, target):
    res = draft(target=target, points=points, disqualified=True)
    statement = level_statement(res)
    assert statement.text == "không đủ điều kiện xét công nhận" and statement.level is None
    assert statement.why_not_stated == "Kỳ đánh giá có trường hợp thuộc diện không xét công nhận."
    assert statement.target_text == ("không đủ điều kiện xét công nhận" if target else "")


# -- verified: the level reached -----------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "level", "text"),
    [
        ("0", None, f"chưa đạt mức nào, còn thiếu 85 điểm để đạt mức đã đăng ký ({MUC_2})"),
        ("84.99", None, f"chưa đạt mức nào, còn thiếu 0,01 điểm để đạt mức đã đăng ký ({MUC_2})"),
        ("85", "mức 2", "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm), đúng mức đã đăng ký"),
        ("89.99", "mức 2", "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm), đúng mức đã đăng ký"),
        (
            "90",
            "mức 3",
            "đạt mức 3 (Đạt từ 90 đến 100 điểm), cao hơn mức đã đăng ký (mức 2)",
        ),
        # past the top level's band: the top level is still the one reached
        (
            "100",
            "mức 3",
            "đạt mức 3 (Đạt từ 90 đến 100 điểm), cao hơn mức đã đăng ký (mức 2)",
        ),
    ],
)
def test_verified_with_a_registered_level(points, level, text):
    statement = level_statement(verified(target="mức 2"), total(points))
    assert statement.text == text and statement.verified
    assert (statement.level.name if statement.level else None) == level
    assert statement.why_not_stated == (
        ""
        if level
        else "Tổng điểm chưa đến khung điểm của mức thấp nhất (mức 2: Đạt từ 85 đến dưới 90 điểm)."
    )


@pytest.mark.parametrize(
    ("points", "text", "target_text"),
    [
        (
            "0",
            "chưa đạt mức nào, còn thiếu 90 điểm để đạt mức đã đăng ký "
            "(mức 3: Đạt từ 90 đến 100 điểm)",
            "còn thiếu 90 điểm để đạt mức 3",
        ),
        (
            "85",
            "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm), còn thiếu 5 điểm để đạt mức đã đăng ký "
            "(mức 3: Đạt từ 90 đến 100 điểm)",
            "còn thiếu 5 điểm để đạt mức 3",
        ),
        (
            "89.99",
            "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm), còn thiếu 0,01 điểm để đạt mức đã đăng ký "
            "(mức 3: Đạt từ 90 đến 100 điểm)",
            "còn thiếu 0,01 điểm để đạt mức 3",
        ),
        (
            "90",
            "đạt mức 3 (Đạt từ 90 đến 100 điểm), đúng mức đã đăng ký",
            "đạt mức đã đăng ký",
        ),
        (
            "100",
            "đạt mức 3 (Đạt từ 90 đến 100 điểm), đúng mức đã đăng ký",
            "đạt mức đã đăng ký",
        ),
    ],
)
def test_verified_below_the_registered_level_says_the_shortfall(points, text, target_text):
    statement = level_statement(verified(target="mức 3"), total(points))
    assert (statement.text, statement.target_text) == (text, target_text)


@pytest.mark.parametrize(
    ("points", "text"),
    [
        ("0", "chưa đạt mức nào"),
        ("84.99", "chưa đạt mức nào"),
        ("85", "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm)"),
        ("89.99", "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm)"),
        ("90", "đạt mức 3 (Đạt từ 90 đến 100 điểm)"),
        ("100", "đạt mức 3 (Đạt từ 90 đến 100 điểm)"),
    ],
)
def test_verified_without_a_registered_level_names_the_level_alone(points, text):
    statement = level_statement(verified(), total(points))
    assert statement.text == text and statement.target_text == ""


def test_verified_open_top_level_and_a_level_without_a_floor():
    levels = draft_levels()
    for level in levels:
        level.provenance = "official"
    res = results(levels)
    assert say(res, "0") == "đạt mức 1 (Dưới 85 điểm)"
    assert say(res, "84.99") == "đạt mức 1 (Dưới 85 điểm)"
    assert say(res, "90") == say(res, "100") == "đạt mức 3 (Đạt từ 90 điểm trở lên)"


@pytest.mark.parametrize("target", [None, "mức 2"])
@pytest.mark.parametrize("points", BOUNDARIES)
def test_verified_disqualified_is_not_recognised_whatever_the_points(points, target):
    statement = level_statement(verified(target=target, points=points, disqualified=True))
    assert statement.text == "không đủ điều kiện xét công nhận" and statement.level is None
    assert statement.target_text == ("không đủ điều kiện xét công nhận" if target else "")
    assert statement.why_not_stated == "Kỳ đánh giá có trường hợp thuộc diện không xét công nhận."


def test_the_proposed_total_can_be_stated_too():
    res = verified(target="mức 2", points="80")
    assert level_statement(res).level is None
    assert level_statement(res, total("91")).level.name == "mức 3"


# -- for the spreadsheet formula -------------------------------------------------------------


@pytest.mark.parametrize(
    "res", [draft(target="mức 2"), draft(), verified(target="mức 2"), verified()]
)
@pytest.mark.parametrize("points", ["92.5", "37.25", "89.75"])
def test_texts_never_contain_the_total(res, points):
    statement = statement_for_points(res, D(points))
    assert fmt_points(D(points)) not in statement.text
    assert fmt_points(D(points)) not in statement.target_text
    assert statement == level_statement(res, total(points))


def test_statement_for_points_keeps_the_assessment_disqualified():
    res = verified(target="mức 2", points="95", disqualified=True)
    assert statement_for_points(res, D(95)).text == "không đủ điều kiện xét công nhận"


def test_branches_of_an_unverified_set():
    branches = statement_branches(draft(target="mức 2"))
    assert [(bound, s.template) for bound, s in branches] == [
        (D(90), f"vượt khung điểm của mức đã đăng ký ({MUC_2})"),
        (D(85), f"đạt mức đã đăng ký ({MUC_2})"),
        (D(0), f"chưa đạt mức đã đăng ký ({MUC_2}), còn thiếu {SHORTFALL} điểm"),
    ]


def test_branches_of_a_verified_set_match_the_statement_at_every_point():
    res = verified(target="mức 3")
    branches = statement_branches(res)
    assert [bound for bound, _ in branches] == [D(90), D(85), D(0)]
    for points in ["0", "12.5", "84.99", "85", "89.99", "90", "99.99", "100"]:
        branch = next(s for bound, s in branches if D(points) >= bound)
        statement = statement_for_points(res, D(points))
        assert statement.template == branch.template
        if branch.template_parts is None:
            assert statement.text == branch.text
        else:
            before, after = branch.template_parts
            assert statement.text == f"{before}{fmt_points(D(90) - D(points))}{after}"


def test_without_levels_nothing_is_named():
    statement = level_statement(results([]), total("95"))
    assert (
        statement.text == ""
        and statement.why_not_stated == "Bộ tiêu chí chưa có mức đạt chuẩn nào."
    )


def test_range_labels_use_a_decimal_comma():
    assert Level(name="mức 1", max_points_exclusive=D("84.5")).range_label == "Dưới 84,5 điểm"
    level = Level(name="mức 2", min_points=D("84.5"), max_points_exclusive=D("90"))
    assert level.range_label == "Đạt từ 84,5 đến dưới 90 điểm"


# -- issue 13: the wording at every total, in every configuration -----------------------------

MUC_1 = "mức 1: Dưới 85 điểm"
MUC_3_OPEN = "mức 3: Đạt từ 90 điểm trở lên"


def open_official_levels() -> list[Level]:
    """The draft set's bands, verified: mức 1 has no floor, mức 3 no ceiling."""
    levels = draft_levels()
    for level in levels:
        level.provenance = "official"
    return levels


@pytest.mark.parametrize(
    ("points", "text", "target_text"),
    [
        # issue 13 said "Đã đủ điểm dưới 85 điểm" at 0: the registered level without a floor
        ("0", f"đạt mức đã đăng ký ({MUC_1})", "đạt mức đã đăng ký"),
        ("84.99", f"đạt mức đã đăng ký ({MUC_1})", "đạt mức đã đăng ký"),
        (
            "85",
            f"vượt khung điểm của mức đã đăng ký ({MUC_1})",
            "vượt khung điểm của mức đã đăng ký",
        ),
        (
            "92.5",
            f"vượt khung điểm của mức đã đăng ký ({MUC_1})",
            "vượt khung điểm của mức đã đăng ký",
        ),
    ],
)
def test_unverified_registered_level_without_a_floor(points, text, target_text):
    statement = level_statement(draft(target="mức 1"), total(points))
    assert (statement.text, statement.target_text) == (text, target_text)
    assert statement.shortfall == 0 and statement.level is None


@pytest.mark.parametrize(
    ("target", "points", "text"),
    [
        # issue 13 said "Đã đủ điểm đạt từ 85 đến dưới 90 điểm" at 90 and 92.5
        (
            "mức 2",
            "92.5",
            "đạt mức 3 (Đạt từ 90 đến 100 điểm), cao hơn mức đã đăng ký (mức 2)",
        ),
        ("mức 3", "92.5", "đạt mức 3 (Đạt từ 90 đến 100 điểm), đúng mức đã đăng ký"),
        (None, "92.5", "đạt mức 3 (Đạt từ 90 đến 100 điểm)"),
    ],
)
def test_verified_at_92_5(target, points, text):
    assert say(verified(target=target), points) == text


@pytest.mark.parametrize(
    ("target", "points", "text"),
    [
        ("mức 1", "0", "đạt mức 1 (Dưới 85 điểm), đúng mức đã đăng ký"),
        ("mức 1", "84.99", "đạt mức 1 (Dưới 85 điểm), đúng mức đã đăng ký"),
        ("mức 1", "85", "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm), cao hơn mức đã đăng ký (mức 1)"),
        ("mức 1", "100", "đạt mức 3 (Đạt từ 90 điểm trở lên), cao hơn mức đã đăng ký (mức 1)"),
        (
            "mức 2",
            "0",
            f"đạt mức 1 (Dưới 85 điểm), còn thiếu 85 điểm để đạt mức đã đăng ký ({MUC_2})",
        ),
        ("mức 2", "90", "đạt mức 3 (Đạt từ 90 điểm trở lên), cao hơn mức đã đăng ký (mức 2)"),
        (
            "mức 3",
            "89.99",
            "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm), còn thiếu 0,01 điểm để đạt mức đã đăng ký "
            f"({MUC_3_OPEN})",
        ),
        # above the top level (no ceiling): still the top level, the registered one
        ("mức 3", "100", "đạt mức 3 (Đạt từ 90 điểm trở lên), đúng mức đã đăng ký"),
    ],
)
def test_verified_open_bands_against_the_registered_level(target, points, text):
    assert say(results(open_official_levels(), target=target), points) == text


CONFIGURATIONS = {
    "draft, none": lambda: draft(),
    "draft, mức 1": lambda: draft(target="mức 1"),
    "draft, mức 2": lambda: draft(target="mức 2"),
    "draft, mức 3": lambda: draft(target="mức 3"),
    "verified, none": lambda: verified(),
    "verified, mức 2": lambda: verified(target="mức 2"),
    "verified, mức 3": lambda: verified(target="mức 3"),
    "open, mức 1": lambda: results(open_official_levels(), target="mức 1"),
    "open, mức 3": lambda: results(open_official_levels(), target="mức 3"),
}


def _band_holds(level: Level, points: D) -> bool:
    return (level.min_points is None or points >= level.min_points) and (
        level.max_points_exclusive is None or points < level.max_points_exclusive
    )


@pytest.mark.parametrize("name", CONFIGURATIONS)
@pytest.mark.parametrize("points", BOUNDARIES)
def test_the_statement_never_contradicts_the_total(name, points):
    """Whatever the configuration: "reached" only when the band holds the total, "còn thiếu"
    only below the registered floor, "vượt" only past its ceiling; never "Đã đủ điểm"."""
    res = CONFIGURATIONS[name]()
    statement = level_statement(res, total(points))
    said = f"{statement.text} {statement.target_text}"
    assert "đủ điểm" not in said.lower()
    target, value = res.assessment.target_level, D(points)
    if target is None:
        assert statement.target_text == ""
        return
    below = target.min_points is not None and value < target.min_points
    above = target.max_points_exclusive is not None and value >= target.max_points_exclusive
    assert ("còn thiếu" in said) == below
    if statement.level is None:
        assert ("vượt khung" in said) == above
        assert ("đạt mức đã đăng ký" in said and not below and not above) == _band_holds(
            target, value
        )
    else:
        assert _band_holds(statement.level, value) or statement.level == max(
            res.levels, key=lambda lv: lv.min_points or D(0)
        )


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_the_xlsx_formula_says_the_statement_at_every_boundary(name):
    res = CONFIGURATIONS[name]()
    _, branches = level_formula(res, "E9")
    for points in [D(p) for p in [*BOUNDARIES, "12.25", "99.99"]]:
        expected = statement_for_points(res, points).text
        expected = f"{expected[:1].upper()}{expected[1:]}." if expected else ""
        chosen = next(expression for bound, expression in branches if points >= bound)
        assert _evaluate(chosen, points) == expected, points


# -- the top level: a total past its band (up to the scale) reaches it -----------------------


def official_unverified(**kwargs) -> Results:
    """The official bands (mức 3 from 90 to under 100) in a set still to be checked."""
    return results(official_levels(), needs_verification=True, **kwargs)


@pytest.mark.parametrize(
    ("points", "text"),
    [
        ("89.99", "chưa đạt mức đã đăng ký (mức 3: Đạt từ 90 đến 100 điểm), còn thiếu 0,01 điểm"),
        ("90", "đạt mức đã đăng ký (mức 3: Đạt từ 90 đến 100 điểm)"),
        ("99.99", "đạt mức đã đăng ký (mức 3: Đạt từ 90 đến 100 điểm)"),
        ("100", "đạt mức đã đăng ký (mức 3: Đạt từ 90 đến 100 điểm)"),
    ],
)
def test_unverified_registered_top_level_is_reached_at_the_full_scale(points, text):
    statement = level_statement(official_unverified(target="mức 3"), total(points))
    assert statement.text == text
    assert "vượt" not in statement.text and "dưới" not in statement.text
    reached = "đạt mức đã đăng ký"
    assert statement.target_text == (
        reached if D(points) >= 90 else "còn thiếu 0,01 điểm để đạt mức 3"
    )


@pytest.mark.parametrize("points", ["90", "95", "99.99", "100"])
def test_verified_top_level_at_and_above_its_floor_reads_to_the_scale(points):
    statement = level_statement(verified(target="mức 3"), total(points))
    assert statement.text == "đạt mức 3 (Đạt từ 90 đến 100 điểm), đúng mức đã đăng ký"
    assert statement.level_band == statement.target_band == "Đạt từ 90 đến 100 điểm"


@pytest.mark.parametrize(
    ("target", "points", "text"),
    [
        # below the registered level, at the boundary
        (
            "mức 3",
            "89.99",
            "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm), còn thiếu 0,01 điểm để đạt "
            "mức đã đăng ký (mức 3: Đạt từ 90 đến 100 điểm)",
        ),
        # at the registered level's floor and top
        ("mức 2", "85", "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm), đúng mức đã đăng ký"),
        ("mức 2", "89.99", "đạt mức 2 (Đạt từ 85 đến dưới 90 điểm), đúng mức đã đăng ký"),
        # above the registered level, at the next level's floor and at the full scale
        ("mức 2", "90", "đạt mức 3 (Đạt từ 90 đến 100 điểm), cao hơn mức đã đăng ký (mức 2)"),
        ("mức 2", "100", "đạt mức 3 (Đạt từ 90 đến 100 điểm), cao hơn mức đã đăng ký (mức 2)"),
    ],
)
def test_at_above_and_below_the_registered_level_at_the_boundaries(target, points, text):
    assert say(verified(target=target), points) == text


def test_a_band_written_by_hand_is_quoted_as_written():
    levels = official_levels()
    levels[1].label = "Đạt từ 90 điểm trở lên"
    statement = level_statement(results(levels, target="mức 3"), total("100"))
    assert statement.text == "đạt mức 3 (Đạt từ 90 điểm trở lên), đúng mức đã đăng ký"


def test_a_band_below_the_top_keeps_its_under():
    statement = level_statement(verified(target="mức 2"), total("87"))
    assert statement.level_band == statement.target_band == "Đạt từ 85 đến dưới 90 điểm"


@pytest.mark.parametrize(("points", "name"), [("84.99", None), ("85", "mức 2"), ("100", "mức 3")])
def test_the_results_level_agrees_with_the_statement(points, name):
    res = results(official_levels(), points=points)
    assert getattr(res.level, "name", None) == name
    assert level_statement(res).level == res.level
