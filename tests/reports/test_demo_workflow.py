"""The demo of `make run` beyond the seed report: a previous period with its issued and
signed report, and the current period mid-review."""

import datetime as dt

import pytest
from django.contrib.auth.models import User

from assessments.models import Assessment, Score, UnitDeadline
from notifications.models import Notification
from reports.demo.content import demo_documents
from reports.demo.workflow import demo_previous_period, demo_review
from reports.models import IssuedFile, Report

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def demo_workflow(demo_scored):
    demo_documents()
    report = demo_previous_period()
    demo_review(today=TODAY)
    return report


def test_the_previous_period_is_issued_signed_and_linked(demo_workflow, demo_scored):
    report = demo_workflow
    previous = report.assessment
    assert (previous.year, previous.period) == (2025, Assessment.Period.FULL_YEAR)
    assert previous.status == Assessment.Status.FROZEN
    assert report.status == Report.Status.ISSUED
    stages = set(report.files.filter(kind=IssuedFile.Kind.REPORT).values_list("stage", flat=True))
    assert {IssuedFile.Stage.PERSON, IssuedFile.Stage.ORGANISATION} <= stages
    current = Assessment.objects.get(pk=demo_scored.assessment.pk)
    assert current.previous_id == previous.pk
    # the previous period's own scores, all approved; the current period is still current
    assert not previous.scores.exclude(status=Score.Status.APPROVED).exists()
    assert Assessment.objects.filter(commune=demo_scored.commune).first() == current


def test_the_current_period_is_mid_review(demo_workflow, demo_scored):
    scores = Score.objects.filter(assessment=demo_scored.assessment)
    waiting = set(
        scores.filter(status=Score.Status.RESUBMITTED).values_list("criterion__code", flat=True)
    )
    assert waiting == {"1.1.g", "2.2.a", "3.1.a", "4.1.a"}
    returned = scores.get(status=Score.Status.RETURNED)
    assert returned.criterion.code == "2.1.b"
    assert returned.return_comment.startswith("Chưa có minh chứng")
    current = Assessment.objects.get(pk=demo_scored.assessment.pk)
    assert current.scoring_deadline == TODAY + dt.timedelta(days=4)
    late = UnitDeadline.objects.get(assessment=current)
    assert late.deadline < TODAY
    assert late.unit.name == "Trung tâm Phục vụ hành chính công"


def test_every_account_of_the_commune_has_something_new_to_read(demo_workflow, demo_scored):
    """The demo's notices: returns, deadlines, the late unit, the previous report; a signature
    already given is not waiting any more."""
    unread = {
        user.username: list(
            Notification.objects.filter(user=user, read_at__isnull=True).values_list(
                "title", flat=True
            )
        )
        for user in User.objects.filter(membership__commune=demo_scored.commune)
    }
    assert all(unread.values()), unread
    assert any("quá hạn" in title for title in unread["lanhdao"])
    assert any("2.1.b bị trả lại" in title for title in unread["ttpvhcc"])
    # an own deadline earlier than the common one is said as such, not as an extension
    assert (
        "Hạn tự chấm điểm riêng của Trung tâm Phục vụ hành chính công: 29/11/2026"
        in (unread["ttpvhcc"])
    )
    assert not any("chờ Đồng chí ký" in title for title in unread["lanhdao"])
    assert not any("chờ đóng dấu" in title for title in unread["vanthu"])
