"""Decide what an uploaded file is from its bytes, never from its name alone.

Each accepted kind lists the extensions it may carry; a file whose content and extension
disagree (an HTML page named .pdf, a program named .jpg) is refused with a Vietnamese reason.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, UnidentifiedImageError


class Refused(Exception):
    """The file is not accepted; `str(error)` is the reason in Vietnamese."""


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    content_type: str
    extensions: tuple[str, ...]
    previewable: bool = False


KINDS = {
    kind.key: kind
    for kind in [
        Kind("pdf", "PDF", "application/pdf", ("pdf",), previewable=True),
        Kind("doc", "Word 97-2003", "application/msword", ("doc",)),
        Kind(
            "docx",
            "Word",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
        ),
        Kind("xls", "Excel 97-2003", "application/vnd.ms-excel", ("xls",)),
        Kind(
            "xlsx",
            "Excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ("xlsx",),
        ),
        Kind("odt", "OpenDocument Text", "application/vnd.oasis.opendocument.text", ("odt",)),
        Kind(
            "ods",
            "OpenDocument Spreadsheet",
            "application/vnd.oasis.opendocument.spreadsheet",
            ("ods",),
        ),
        Kind("jpeg", "Ảnh JPEG", "image/jpeg", ("jpg", "jpeg"), previewable=True),
        Kind("png", "Ảnh PNG", "image/png", ("png",), previewable=True),
        Kind("webp", "Ảnh WebP", "image/webp", ("webp",), previewable=True),
        Kind("mp4", "Video MP4", "video/mp4", ("mp4", "m4v"), previewable=True),
    ]
}
IMAGE_KINDS = {"jpeg", "png", "webp"}
ACCEPTED_TEXT = "PDF, Word, Excel, OpenDocument (ODT, ODS), ảnh JPEG, PNG, WebP và video MP4"
ACCEPT_ATTRIBUTE = ",".join(
    f".{ext}" for kind in KINDS.values() for ext in kind.extensions
)  # for <input type="file" accept="...">

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"MSNV",
    b"dash",
}
# Things people upload by mistake, named so the message helps.
KNOWN_OTHERS = [
    (b"MZ", "tệp chương trình (.exe)"),
    (b"\x7fELF", "tệp chương trình"),
    (b"Rar!", "tệp nén RAR"),
    (b"7z\xbc\xaf", "tệp nén 7z"),
    (b"GIF8", "ảnh GIF"),
    (b"%!PS", "tệp PostScript"),
    (b"{\\rtf", "tệp RTF"),
]


# Markup a browser would act on: `<` then a letter, `!` (doctype, comment), `?` or `/`.
TAG = re.compile(rb"<[a-z!?/]", re.IGNORECASE)
POLYGLOT = (
    "Tệp có nội dung trang web (HTML) đứng trước phần PDF: tệp như vậy có thể chạy mã khi mở "
    "trong trình duyệt nên không được chấp nhận. Hãy mở tệp bằng phần mềm đã tạo ra nó và "
    "xuất (lưu) lại thành PDF."
)


def extension_of(name: str) -> str:
    return Path(name).suffix.lower().lstrip(".")


def detect(path: Path) -> str | None:
    """The kind key the bytes say, or None."""
    with open(path, "rb") as handle:
        head = handle.read(2048)
    marker = head.find(b"%PDF-", 0, 1024)
    if marker >= 0:
        # PDF readers look for the marker anywhere in the first kilobyte; a browser sniffing
        # what comes before it may see a page. A few bytes of binary junk are tolerated
        # (some scanners and mail gateways add them); markup is not.
        return "pdf_after_markup" if _has_markup(head[:marker]) else "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "mp4"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        return _detect_zip(path)
    return None


def _has_markup(prefix: bytes) -> bool:
    # Without NULs, so that UTF-16 text ("<\0h\0t\0m\0l\0") is read like ASCII.
    return bool(TAG.search(prefix.replace(b"\0", b"")))


def _detect_zip(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                for key in ("odt", "ods"):
                    if mimetype == KINDS[key].content_type:
                        return key
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return None
    return "zip"


def describe_unknown(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(512)
    for magic, label in KNOWN_OTHERS:
        if head.startswith(magic):
            return label
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<svg")):
        return "trang web (HTML/XML)"
    return ""


def sniff(path: Path, name: str) -> Kind:
    """The accepted kind of the file at `path` uploaded as `name`, or raise Refused."""
    size = path.stat().st_size
    if size == 0:
        raise Refused("Tệp rỗng (0 byte).")
    extension = extension_of(name)
    detected = detect(path)
    if detected == "pdf_after_markup":
        raise Refused(POLYGLOT)
    if detected == "ole":
        # Word and Excel 97-2003 share one container; the extension tells which.
        if extension in ("doc", "xls"):
            detected = extension
        else:
            raise Refused(
                f"Nội dung là tài liệu Office 97-2003 nhưng phần mở rộng là “.{extension}”."
            )
    if detected is None or detected == "zip":
        what = "tệp nén ZIP" if detected == "zip" else describe_unknown(path)
        prefix = f"Nội dung tệp là {what}: " if what else ""
        raise Refused(f"{prefix}định dạng không được chấp nhận. Chỉ nhận {ACCEPTED_TEXT}.")
    kind = KINDS[detected]
    if extension not in kind.extensions:
        shown = f"“.{extension}”" if extension else "trống"
        raise Refused(
            f"Nội dung tệp là {kind.label} nhưng phần mở rộng là {shown}; "
            "hãy kiểm tra lại tệp hoặc đổi tên cho đúng."
        )
    if kind.key in IMAGE_KINDS:
        _check_image(path)
    return kind


def _check_image(path: Path) -> None:
    limit = settings.EVIDENCE_MAX_IMAGE_PIXELS
    try:
        # Opening reads only the header: the size is known before any pixel is decoded.
        with Image.open(path) as image:
            width, height = image.size
            if width * height > limit:
                raise Refused(
                    f"Ảnh {width}×{height} điểm ảnh vượt giới hạn {limit:,} điểm ảnh "
                    "(có thể là tệp độc hại dạng “bom giải nén”).".replace(",", ".")
                )
            image.verify()
    except Image.DecompressionBombError:
        raise Refused("Ảnh quá lớn, có thể là tệp độc hại dạng “bom giải nén”.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Refused("Tệp ảnh bị hỏng hoặc không đọc được.") from None
