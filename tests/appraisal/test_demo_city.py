"""`make run`'s city: every stage of the appraisal reached through the portal's services
(fixtures/demo/city.yaml), so the demo shows what the services allow and nothing else."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from appraisal.models import CouncilItem, RecognitionDecision, Submission
from assessments.models import Assessment, Commune
from reports.models import Report

pytestmark = pytest.mark.django_db

Stage = Submission.Stage


def test_the_demo_city_has_every_stage(demo_scored, settings):
    settings.DEBUG = True
    call_command("load_demo_city", verbosity=0)
    stages = dict(Submission.objects.values_list("assessment__commune__name", "stage"))
    assert stages == {
        "Hoa Phượng": Stage.SUBMITTED,
        "Hướng Dương": Stage.EXPLAINING,
        "Đồng Lúa": Stage.APPRAISING,
        "Cánh Buồm": Stage.RECOGNISED,
        "Sông Xanh": Stage.RECOGNISED,
        "Hải Đảo": Stage.RECOGNISED,
        "Bến Cảng": Stage.CONCLUDED,
        "Cánh Đồng": Stage.CONCLUDED,
    }
    # Before sending: no assessment, self-assessing (the demo's two), a report issued.
    assert not Assessment.objects.filter(commune__name="Bình Minh").exists()
    issued = Report.objects.filter(assessment__commune__name="Ánh Sáng", status="issued")
    assert (
        issued.exists()
        and not Submission.objects.filter(assessment__commune__name="Ánh Sáng").exists()
    )
    assert Commune.objects.filter(city__name="Hải Phòng").count() == 12
    # Bến Cảng's criterion 3 is under half its maximum: the council could not recognise it.
    ben_cang = Submission.objects.get(assessment__commune__name="Bến Cảng")
    assert not ben_cang.conditions_met
    assert CouncilItem.objects.get(submission=ben_cang).result == "not_recognised"
    explaining = Submission.objects.get(assessment__commune__name="Hướng Dương")
    assert explaining.explanation_requests.get().items.count() == 2
    assert RecognitionDecision.objects.get().submissions.count() == 3
    # The dossiers were sent as signed: each snapshot holds the issued files' hashes.
    for submission in Submission.objects.all():
        assert submission.snapshot["files"], submission
    call_command("load_demo_city", verbosity=0)  # a second run leaves the data alone
    assert Submission.objects.count() == 8
