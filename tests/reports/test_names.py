"""What a secretary sees of an issued report and what the downloads are called: plain words,
no internal codes ('organisation', 'B-B', 'JSON'), Vietnamese file names."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reports.names import signature_level, signature_level_technical
from reports.services.dossier import dossier_build
from tests.jobs.follow import through_job

pytestmark = pytest.mark.django_db

ISSUED_NAMES = {
    ("report", "unsigned"): "bao-cao-so-01-chua-ky.pdf",
    ("report", "person"): "bao-cao-so-01-da-ky-nguoi-co-tham-quyen.pdf",
    ("report", "organisation"): "bao-cao-so-01-da-ky-co-quan.pdf",
    ("appendix", "unsigned"): "phu-luc-bao-cao-so-01-chua-ky.pdf",
    ("appendix", "organisation"): "phu-luc-bao-cao-so-01-da-ky-co-quan.pdf",
    ("appendix_xlsx", "unsigned"): "bang-cham-diem-so-01.xlsx",
    ("evidence_list", "unsigned"): "danh-muc-minh-chung-so-01.json",
}


def disposition_name(response) -> str:
    match = re.fullmatch(
        r'(attachment|inline); filename="([^"]+)"', response["Content-Disposition"]
    )
    assert match, response["Content-Disposition"]
    return match.group(2)


def test_every_issued_file_downloads_under_its_vietnamese_name(client, signed, login_as, secretary):
    login_as(secretary)
    files = {(f.kind, f.stage): f for f in signed.files.all()}
    assert set(files) == set(ISSUED_NAMES)
    for key, expected in ISSUED_NAMES.items():
        url = reverse("reports:issued_file", args=[signed.assessment_id, signed.pk, files[key].pk])
        assert disposition_name(client.get(url)) == expected
    viewed = client.get(
        reverse("reports:latest", args=[signed.assessment_id, signed.pk, "report"]) + "?xem=1"
    )
    assert viewed["Content-Disposition"] == 'inline; filename="bao-cao-so-01-da-ky-co-quan.pdf"'


def test_the_dossier_downloads_under_its_vietnamese_name(client, signed, login_as, secretary):
    dossier = dossier_build(report=signed, by=secretary)
    login_as(secretary)
    url = reverse("reports:dossier_download", args=[signed.assessment_id, signed.pk, dossier.pk])
    year = signed.assessment.year
    assert disposition_name(client.get(url)) == (
        f"ho-so-chinh-quyen-than-thien-{year}-bao-cao-so-01.zip"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pdf", "du-thao-{kind}-{year}-xa-nghi-duong.pdf"),
        ("docx", "du-thao-{kind}-{year}-xa-nghi-duong.docx"),
        ("appendix_pdf", "du-thao-phu-luc-{kind}-{year}-xa-nghi-duong.pdf"),
        ("appendix_xlsx", "du-thao-phu-luc-{kind}-{year}-xa-nghi-duong.xlsx"),
        ("appendix_docx", "du-thao-phu-luc-{kind}-{year}-xa-nghi-duong.docx"),
    ],
)
def test_documents_of_a_draft_are_named_as_drafts(
    client, draft, login_as, leader, name, expected, django_capture_on_commit_callbacks
):
    login_as(leader)
    kind = {"annual": "bao-cao-nam", "six_month": "bao-cao-6-thang"}[draft.kind]
    url = reverse(f"reports:{name}", args=[draft.assessment_id, draft.pk])
    # A PDF is made by a job first (reports.job_kinds), then downloaded.
    response = through_job(client, url, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert disposition_name(response) == expected.format(kind=kind, year=draft.assessment.year)


def test_the_unit_table_downloads_under_its_vietnamese_name(client, demo_scored, login_as, leader):
    login_as(leader)
    assessment = demo_scored.assessment
    response = client.get(reverse("reports:units_xlsx", args=[assessment.pk]))
    period = {"h1": "6-thang-dau-nam", "year": "ca-nam"}[assessment.period]
    assert disposition_name(response) == (
        f"cham-diem-theo-don-vi-xa-nghi-duong-{period}-{assessment.year}.xlsx"
    )


def test_issued_page_speaks_plain_words_and_folds_the_technical_details(
    client, signed, login_as, secretary
):
    login_as(secretary)
    page = client.get(reverse("reports:issued", args=[signed.assessment_id, signed.pk]))
    html = page.content.decode()
    files = html[html.index('data-testid="issued-files"') :]
    files = files[: files.index("</ul>")]
    visible = re.sub(r"<details.*?</details>", "", files, flags=re.S)
    for code in ("B-B", "B-T", "PAdES", "JSON", "organisation", "person", "SHA-256", "số hiệu"):
        assert code not in visible, code
    level = signed.files.get(kind="report", stage="organisation").signatures.get().level
    assert f"· {signature_level(level)}</div>" in visible
    # A specialist still finds the hash, the certificate and the standard, folded away.
    technical = re.findall(r"<details.*?</details>", files, flags=re.S)
    assert all("<summary>Chi tiết kỹ thuật</summary>" in block for block in technical)
    assert any(signature_level_technical(level) in block for block in technical)
    assert any("SHA-256" in block for block in technical)


def test_signature_levels_in_words():
    assert signature_level("B-B") == "Chữ ký số cơ bản"
    assert signature_level("B-T") == "Chữ ký số có dấu thời gian"
    assert signature_level_technical("B-B") == "Chữ ký số cơ bản (PAdES B-B)"
    assert signature_level("X-Y") == "Chữ ký số"
