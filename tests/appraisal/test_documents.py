"""The city's draft documents state what the data holds: the counts of the round, the
council's results per level, the ranking; read back from the PDFs."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from appraisal import documents
from appraisal.models import CouncilItem, CouncilSession, Round, Submission
from appraisal.standing import refresh
from assessments.models import Score
from reports.models import Report

pytestmark = pytest.mark.django_db


def _pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages
    )


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


def test_the_decision_recognises_the_councils_communes(concluded):
    """The demo's criteria set is a reconstruction with inferred levels: the decision lists the
    communes and their points but names no level (assessments.levels)."""
    text = _pdf_text(documents.decision_pdf(concluded.round))
    assert "QUYẾT ĐỊNH" in text and "DỰ THẢO" in text
    assert "Công nhận 1 xã, phường, đặc khu" in text
    assert "đạt mức" not in text and "Mức đạt" not in text
    assert "Quyết định số 5049/QĐ-UBND" in text  # the criteria set's own decision, its data
    assert "Nghi Dương" in text and "An Lão" not in text
    assert "Theo đề nghị của Giám đốc Sở Nội vụ" in text
    preview = documents.decision_context(concluded.round, for_pdf=False)
    assert "bản dựng lại" in preview["level_note"]


def test_with_verified_levels_the_decision_names_them(concluded):
    criteria_set = concluded.round.criteria_set
    criteria_set.needs_verification = False
    criteria_set.save()
    criteria_set.levels.update(provenance="Quyết định 5049/QĐ-UBND")
    level = concluded.level_reached.name
    text = _pdf_text(documents.decision_pdf(concluded.round))
    assert f"1 đơn vị đạt {level.lower()}" in text and "Mức đạt" in text
    summary = _pdf_text(documents.summary_pdf(concluded.round))
    assert f"(1 đơn vị đạt {level.lower()})" in summary


def test_the_summary_counts_what_the_round_holds(concluded):
    text = _pdf_text(documents.summary_pdf(concluded.round))
    assert "BÁO CÁO" in text and "SỞ NỘI VỤ" in text
    # Two communes in the demo city, both with an assessment; one dossier sent, on time.
    assert "có 2 đơn vị hành chính cấp xã" in text
    assert "1 đơn vị đã gửi hồ sơ (1 đúng hạn" in text
    assert "1 đơn vị được đề nghị công nhận" in text
    assert "Khối xã" in text and "Nghi Dương" in text


def test_nothing_recognised_is_said_plainly(concluded):
    CouncilItem.objects.update(result=CouncilItem.Result.NOT_RECOGNISED)
    text = _pdf_text(documents.decision_pdf(concluded.round))
    assert "Công nhận 0 xã" in text
    assert "Hội đồng chưa đề nghị công nhận đơn vị nào" in text


def test_the_documents_are_the_citys_own(
    client, concluded, appraiser, other_city_appraiser, leader
):
    round_ = concluded.round
    for kind in ("bao-cao", "quyet-dinh"):
        args = [round_.city_id, round_.pk, kind]
        client.force_login(appraiser)
        assert client.get(reverse("city_documents:preview", args=args)).status_code == 200
        response = client.get(reverse("city_documents:pdf", args=args))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        client.force_login(other_city_appraiser)
        assert client.get(reverse("city_documents:pdf", args=args)).status_code == 404
        client.force_login(leader)
        assert client.get(reverse("city_documents:pdf", args=args)).status_code == 403
    client.force_login(appraiser)
    missing = reverse("city_documents:pdf", args=[round_.city_id, round_.pk, "khac"])
    assert client.get(missing).status_code == 404
