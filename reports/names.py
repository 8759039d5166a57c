"""Names as a person reads them: certificate holders, signature levels, the files of a report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from guards.filenames import file_name

if TYPE_CHECKING:
    from reports.models import IssuedFile, Report


def common_name(distinguished_name: object) -> str:
    """'CN=CA THỬ NGHIỆM,OU=…,C=VN' -> 'CA THỬ NGHIỆM'; the whole text when it has no CN."""
    text = str(distinguished_name or "")
    for part in text.replace("\\,", "\x00").split(","):
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN":
            return value.replace("\x00", ",").strip()
    return text


# PAdES baseline levels: plain words first; the standard's name is for a specialist.
SIGNATURE_LEVELS = {
    "B-B": ("Chữ ký số cơ bản", "PAdES B-B"),
    "B-T": ("Chữ ký số có dấu thời gian", "PAdES B-T"),
    "B-LT": ("Chữ ký số có dấu thời gian, kèm dữ liệu kiểm tra lâu dài", "PAdES B-LT"),
    "B-LTA": ("Chữ ký số lưu trữ lâu dài", "PAdES B-LTA"),
}


def signature_level(level: str) -> str:
    """'B-T' -> 'Chữ ký số có dấu thời gian'."""
    return SIGNATURE_LEVELS.get(level, ("Chữ ký số", level))[0]


def signature_level_technical(level: str) -> str:
    """'B-T' -> 'Chữ ký số có dấu thời gian (PAdES B-T)', for the technical details."""
    words, standard = SIGNATURE_LEVELS.get(level, ("Chữ ký số", level))
    return f"{words} ({standard})" if standard else words


def issued_file_label(record: IssuedFile) -> str:
    """The kind of an issued file for the page: the evidence list is data for a later check,
    its format is no concern of the reader's."""
    if record.kind == "evidence_list":
        return "Danh mục minh chứng lúc ban hành (dữ liệu để đối chiếu)"
    return str(record.get_kind_display())


# What each issued file is called in a file name, and what each signing stage adds to it.
ISSUED_FILE_WORDS = {
    "report": ("Báo cáo", ".pdf"),
    "appendix": ("Phụ lục báo cáo", ".pdf"),
    "appendix_xlsx": ("Bảng chấm điểm", ".xlsx"),
    "evidence_list": ("Danh mục minh chứng", ".json"),
}
STAGE_WORDS = {
    "unsigned": "chưa ký",
    "person": "đã ký (người có thẩm quyền)",
    "organisation": "đã ký (cơ quan)",
}


def _number(report: Report) -> str:
    return f"số {report.number:02d}" if report.number else "dự thảo"


def issued_file_name(report: Report, record: IssuedFile) -> str:
    """'bao-cao-so-01-da-ky-co-quan.pdf', 'bang-cham-diem-so-01.xlsx' (Excel is never signed)."""
    words, extension = ISSUED_FILE_WORDS[record.kind]
    stage = STAGE_WORDS[record.stage] if extension == ".pdf" else ""
    return file_name(words, _number(report), stage, extension=extension)


def live_file_name(report: Report, document: str, extension: str) -> str:
    """A document made from the live data, not an issued file:
    'du-thao-bao-cao-nam-2025-xa-nghi-duong.pdf', 'phu-luc-bao-cao-nam-2025-xa-nghi-duong.xlsx'."""
    assessment = report.assessment
    kind = report.get_kind_display()
    return file_name(
        "dự thảo" if report.status == report.Status.DRAFT else "",
        f"Phụ lục {kind}" if document == "appendix" else kind,
        assessment.year,
        assessment.commune,
        extension=extension,
    )


def dossier_file_name(report: Report) -> str:
    """'ho-so-chinh-quyen-than-thien-2025-bao-cao-so-01.zip'."""
    return file_name(
        "Hồ sơ Chính quyền thân thiện",
        report.assessment.year,
        "báo cáo",
        _number(report),
        extension=".zip",
    )
