"""The city's draft documents state what the data holds: the counts of the round, the
council's results per level, the ranking; read back from the PDFs."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from appraisal import documents
from appraisal.models import CouncilItem

pytestmark = pytest.mark.django_db


def _pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages
    )


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
