"""Fixtures of the city's side shared by its test modules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from appraisal.models import CouncilItem, CouncilSession, Round, Submission
from appraisal.standing import refresh
from assessments.models import Score
from reports.models import Report


@pytest.fixture
def concluded(demo_scored, secretary, appraiser, council_chair):
    """Nghi Dương's dossier appraised at its leaders' points and recommended by the council."""
    assessment = demo_scored.assessment
    round_ = Round.objects.create(
        city=assessment.commune.city,
        criteria_set=assessment.criteria_set,
        year=assessment.year,
        period=assessment.period,
        submission_deadline=timezone.localdate() + timedelta(days=3),
    )
    report = Report.objects.create(
        assessment=assessment,
        kind=Report.Kind.SIX_MONTH,
        status=Report.Status.ISSUED,
        summary="Kết quả thực hiện",
        created_by=secretary,
    )
    submission = Submission.objects.create(
        round=round_,
        assessment=assessment,
        report=report,
        stage=Submission.Stage.CONCLUDED,
        submitted_by=secretary,
        submitted_at=timezone.now(),
    )
    now = timezone.now()
    for score in Score.objects.filter(assessment=assessment):
        score.appraised_points = score.leader_points
        score.appraised_by, score.appraised_at = appraiser, now
        score.save()
    refresh(submission)
    assert submission.appraised_total is not None and submission.level_reached is not None
    session = CouncilSession.objects.create(
        round=round_,
        title="Phiên họp thứ nhất",
        held_on=timezone.localdate(),
        chair=council_chair,
        created_by=council_chair,
    )
    session.items.create(
        submission=submission,
        result=CouncilItem.Result.RECOGNISED,
        level=submission.level_reached,
        total=submission.appraised_total,
        votes_for=3,
        decided_at=now,
    )
    return submission
