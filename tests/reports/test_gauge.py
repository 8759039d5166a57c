"""The dashboard's level gauge (issue 13): the levels' band gets most of the width, and every
place on it comes from the criteria set's Level rows, not from numbers written in code."""

from decimal import Decimal as D

import pytest

from criteria.models import Level
from reports.selectors import Dashboard, dashboard


@pytest.fixture
def board(demo) -> Dashboard:
    return dashboard(demo.assessment)  # levels: under 85, 85 to under 90, 90 and more (of 100)


def test_the_levels_band_takes_three_quarters_of_the_gauge(board):
    assert board.gauge_floor == D(85)
    assert board.gauge_left(D(0)) == 0
    assert board.gauge_left(D(85)) == 25
    assert board.gauge_left(D(90)) == pytest.approx(25 + 75 * 5 / 15)
    assert board.gauge_left(D(100)) == 100
    assert board.gauge_left(D("42.5")) == pytest.approx(12.5)
    # Totals outside 0..scale (deductions, rounding) stay on the gauge.
    assert board.gauge_left(D(-3)) == 0
    assert board.gauge_left(D(120)) == 100


def test_bands_and_ticks_follow_the_levels(board):
    bands = board.level_bands
    assert [b["level"].name for b in bands] == ["mức 1", "mức 2", "mức 3"]
    assert [round(b["left"], 2) for b in bands] == [0, 25, 50]
    assert [round(b["width"], 2) for b in bands] == [25, 25, 50]
    assert [t["points"] for t in board.gauge_ticks] == [D(0), D(85), D(90), D(100)]


def test_other_thresholds_move_the_gauge(demo, board):
    Level.objects.filter(criteria_set=demo.assessment.criteria_set, name="mức 2").update(
        min_points=D(80)
    )
    Level.objects.filter(criteria_set=demo.assessment.criteria_set, name="mức 1").update(
        max_points_exclusive=D(80)
    )
    moved = dashboard(demo.assessment)
    assert moved.gauge_floor == D(80)
    assert moved.gauge_left(D(80)) == 25
    assert [t["points"] for t in moved.gauge_ticks] == [D(0), D(80), D(90), D(100)]


def test_low_thresholds_keep_a_linear_gauge(demo):
    criteria_set = demo.assessment.criteria_set
    Level.objects.filter(criteria_set=criteria_set, name="mức 1").update(max_points_exclusive=D(20))
    Level.objects.filter(criteria_set=criteria_set, name="mức 2").update(min_points=D(20))
    linear = dashboard(demo.assessment)
    assert linear.gauge_left(D(20)) == 20
    assert linear.gauge_left(D(60)) == 60
