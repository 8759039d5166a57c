"""Score: the points that count, defined once on the model."""

from decimal import Decimal as D

import pytest

from assessments.models import Score

S = Score.Status


@pytest.mark.parametrize(
    ("status", "proposed", "leader", "not_arising", "points", "approved", "excluded"),
    [
        (S.NOT_STARTED, None, None, False, None, None, False),
        (S.SUBMITTED, D(2), None, False, D(2), None, False),
        (S.APPROVED, D(2), D(2), False, D(2), D(2), False),
        (S.APPROVED, D(2), D("1.5"), False, D("1.5"), D("1.5"), False),  # adjusted
        (S.RETURNED, D(2), None, False, D(2), None, False),
        # "Không phát sinh": full and zero policies give points; exclude gives none.
        (S.APPROVED, D(3), D(3), True, D(3), D(3), False),
        (S.APPROVED, D(0), D(0), True, D(0), D(0), False),
        (S.APPROVED, None, None, True, None, None, True),
        (S.SUBMITTED, None, None, True, None, None, True),
    ],
)
def test_points_that_count(status, proposed, leader, not_arising, points, approved, excluded):
    score = Score(
        status=status, proposed_points=proposed, leader_points=leader, not_arising=not_arising
    )
    assert score.points == points
    assert score.approved_points == approved
    assert score.excluded is excluded
    assert score.is_approved is (status == S.APPROVED)
