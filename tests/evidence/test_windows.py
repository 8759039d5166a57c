"""Evidence follows the scoring windows: the staff deadline, the lock, and approval."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Assessment, Score
from assessments.services import score_approve, score_propose, score_return
from criteria.models import Criterion
from evidence.models import Evidence
from evidence.services import evidence_upload
from tests.evidence.conftest import pdf_bytes

LEAF = "2.2.e"  # led by Phòng Văn hóa - Xã hội


@pytest.fixture
def evidence(demo, own_staff):
    criterion = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code=LEAF)
    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=criterion,
        upload=SimpleUploadedFile("thu-bieu-duong.pdf", pdf_bytes()),
        by=own_staff,
    )
    return outcome.evidence


def upload_url(demo):
    criterion = Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code=LEAF)
    return reverse("evidence:upload", args=[demo.assessment.pk, criterion.pk])


def post_file(client, demo, name="ke-hoach.pdf", pages=2):
    return client.post(
        upload_url(demo),
        {"files": [SimpleUploadedFile(name, pdf_bytes(pages=pages))]},
        HTTP_ACCEPT="application/json",
    )


def past_deadline(demo):
    Assessment.objects.filter(pk=demo.assessment.pk).update(
        scoring_deadline=dt.date.today() - dt.timedelta(days=1)
    )


def test_after_the_deadline_staff_cannot_upload_but_leaders_and_secretary_can(
    client, demo, login_as, own_staff
):
    past_deadline(demo)
    login_as(own_staff)
    response = post_file(client, demo)
    assert response.status_code == 403
    assert "quá hạn" in response.content.decode()
    for pages, username in enumerate(("lanhdao", "vanthu"), start=2):
        login_as(username)
        response = post_file(client, demo, f"{username}.pdf", pages=pages)
        assert response.json()["results"][0]["status"] == "stored"


def test_after_the_deadline_staff_cannot_delete(
    client, demo, evidence, login_as, own_staff, leader
):
    past_deadline(demo)
    login_as(own_staff)
    url = reverse("evidence:delete", args=[demo.assessment.pk, evidence.pk])
    assert client.post(url).status_code == 403
    login_as(leader)
    assert client.post(url).status_code == 302
    assert Evidence.objects.get(pk=evidence.pk).is_deleted


def test_evidence_of_an_approved_subcriterion_cannot_be_deleted_until_returned(
    client, demo, evidence, login_as, leader, own_staff
):
    score = Score.objects.get(assessment=demo.assessment, criterion__code=LEAF)
    score = score_propose(
        score=score,
        by=own_staff,
        expected_version=0,
        points=1,
        result_text="Đã gửi",
        submit=True,
    )
    score = score_approve(score=score, by=leader, expected_version=score.version)
    url = reverse("evidence:delete", args=[demo.assessment.pk, evidence.pk])
    for username in ("vhxh", "lanhdao"):
        login_as(username)
        response = client.post(url)
        assert response.status_code == 403
        assert f"Tiêu chí {LEAF} đã được duyệt" in response.content.decode()
    # The panel offers no delete button for it.
    login_as(leader)
    panel = client.get(reverse("evidence:panel", args=[demo.assessment.pk, evidence.criterion_id]))
    assert f'action="{url}"' not in panel.content.decode()
    score_return(score=score, by=leader, expected_version=score.version, comment="Bổ sung")
    assert client.post(url).status_code == 302


def test_locked_assessment_refuses_every_change(client, demo, evidence, login_as, leader):
    Assessment.objects.filter(pk=demo.assessment.pk).update(status="locked")
    login_as(leader)
    assert post_file(client, demo).status_code == 403
    url = reverse("evidence:delete", args=[demo.assessment.pk, evidence.pk])
    assert client.post(url).status_code == 403
