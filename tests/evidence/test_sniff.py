"""The accepted kind of an upload comes from its bytes; the extension must agree."""

from __future__ import annotations

import io
import zipfile

import pypdfium2 as pdfium
import pytest
from openpyxl import Workbook
from PIL import Image

from evidence.sniff import Refused, sniff
from tests.evidence.conftest import image_bytes, pdf_bytes

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def zip_bytes(entries: dict[str, bytes | str], *, stored_first: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            # OpenDocument: `mimetype` comes first, uncompressed.
            archive.writestr(stored_first, entries[stored_first], zipfile.ZIP_STORED)
        for name, data in entries.items():
            if name != stored_first:
                archive.writestr(name, data)
    return out.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "word/document.xml": (
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                'main"><w:body><w:p><w:r><w:t>Biên bản họp</w:t></w:r></w:p></w:body>'
                "</w:document>"
            ),
        }
    )


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "Danh sách hộ nghèo"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def opendocument_bytes(kind: str) -> bytes:
    return zip_bytes(
        {
            "mimetype": f"application/vnd.oasis.opendocument.{kind}",
            "content.xml": "<office:document-content/>",
            "META-INF/manifest.xml": "<manifest:manifest/>",
        },
        stored_first="mimetype",
    )


def ole_bytes() -> bytes:
    # Word and Excel 97-2003 files are OLE compound documents: the magic, then 512-byte sectors.
    return OLE_MAGIC + b"\x00" * 1528


def mp4_bytes() -> bytes:
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return ftyp + b"\x00\x00\x00\x08free" + b"\x00\x00\x00\x10mdat" + b"\x00" * 8


def webp_bytes() -> bytes:
    return image_bytes("WEBP")


@pytest.fixture
def write(tmp_path):
    def _write(name: str, data: bytes):
        path = tmp_path / "upload.bin"  # the stored path never carries the user's name
        path.write_bytes(data)
        return path

    return _write


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("Kế hoạch 62-KH-UBND.pdf", pdf_bytes, "pdf"),
        ("Biên bản họp.docx", docx_bytes, "docx"),
        ("Danh sách.xlsx", xlsx_bytes, "xlsx"),
        ("Báo cáo.odt", lambda: opendocument_bytes("text"), "odt"),
        ("Bảng kê.ods", lambda: opendocument_bytes("spreadsheet"), "ods"),
        ("Công văn cũ.doc", ole_bytes, "doc"),
        ("Bảng lương cũ.xls", ole_bytes, "xls"),
        ("Ảnh hội nghị.jpg", lambda: image_bytes("JPEG"), "jpeg"),
        ("ẢNH HỘI NGHỊ.JPEG", lambda: image_bytes("JPEG"), "jpeg"),
        ("Sơ đồ.png", lambda: image_bytes("PNG"), "png"),
        ("Ảnh chụp.webp", webp_bytes, "webp"),
        ("Phóng sự.mp4", mp4_bytes, "mp4"),
    ],
)
def test_accepted_kinds_are_detected_from_real_bytes(write, name, make, kind):
    detected = sniff(write(name, make()), name)

    assert detected.key == kind


def test_content_type_is_the_sniffed_one(write):
    assert sniff(write("a.pdf", pdf_bytes()), "a.pdf").content_type == "application/pdf"
    assert sniff(write("a.png", image_bytes("PNG")), "a.png").content_type == "image/png"


def refusal(path, name) -> str:
    with pytest.raises(Refused) as raised:
        sniff(path, name)
    return str(raised.value)


def test_html_page_named_pdf_is_refused(write):
    page = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"

    message = refusal(write("Quyết định.pdf", page), "Quyết định.pdf")

    assert "trang web" in message
    assert "không được chấp nhận" in message


@pytest.mark.parametrize(
    "prefix",
    [
        b"<!DOCTYPE html><title>x</title>",
        b"<html><body onload=alert(origin)>",
        b"<SCRIPT>alert(document.cookie)</SCRIPT>\n",
        b"\r\n  <svg onload=alert(1)>",
        b"\x00\x01<iframe src=//x>",  # markup after binary junk
        "<html><script>alert(1)</script>".encode("utf-16-le"),
        b"<!-- a comment is markup too -->",
    ],
    ids=["doctype", "html", "script-upper", "svg", "junk-then-iframe", "utf16", "comment"],
)
def test_pdf_behind_markup_is_refused_as_a_polyglot(write, prefix):
    polyglot = prefix + pdf_bytes()
    assert b"%PDF-" in polyglot[:1024]  # what PDF readers accept

    message = refusal(write("Quyết định.pdf", polyglot), "Quyết định.pdf")

    assert "trang web (HTML) đứng trước phần PDF" in message


def test_pdf_behind_a_page_longer_than_a_kilobyte_is_refused_as_a_page(write):
    page = b"<html><body>" + b"x" * 1100 + b"</body></html>\n"

    message = refusal(write("Quyết định.pdf", page + pdf_bytes()), "Quyết định.pdf")

    assert "trang web (HTML/XML)" in message


def test_pdf_after_a_few_bytes_of_binary_junk_is_still_accepted(write):
    # Some scanners and mail gateways leave bytes before the header; readers skip them.
    junk = b"\xef\xbb\xbf\r\n\x00\x1a 12 > 3 \x89\n"
    path = write("Kế hoạch.pdf", junk + pdf_bytes())

    assert sniff(path, "Kế hoạch.pdf").key == "pdf"
    document = pdfium.PdfDocument(str(path))
    assert len(document) == 1  # a PDF reader opens it
    document.close()


def test_windows_program_named_jpg_is_refused(write):
    program = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120 + b"This program cannot be run in DOS"

    message = refusal(write("Ảnh.jpg", program), "Ảnh.jpg")

    assert "tệp chương trình" in message


def test_empty_file_is_refused(write):
    assert "rỗng" in refusal(write("Trống.pdf", b""), "Trống.pdf")


def test_decompression_bomb_png_is_refused(write):
    # 400 million pixels that compress to a few dozen KB.
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 100_000

    message = refusal(write("Ảnh.png", bomb.getvalue()), "Ảnh.png")

    assert "bom giải nén" in message


def test_image_over_the_pixel_limit_is_refused_with_its_size(write, settings):
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 1_000_000
    over = image_bytes("PNG", size=(2000, 501))
    at_limit = image_bytes("PNG", size=(2000, 500))

    message = refusal(write("Sơ đồ lớn.png", over), "Sơ đồ lớn.png")

    assert "2000×501" in message
    assert "1.000.000" in message
    assert sniff(write("Sơ đồ.png", at_limit), "Sơ đồ.png").key == "png"


def test_corrupt_jpeg_is_refused(write):
    real = image_bytes("JPEG")

    assert "hỏng" in refusal(write("Ảnh.jpg", real[:30]), "Ảnh.jpg")
    assert "hỏng" in refusal(write("Ảnh.jpg", b"\xff\xd8\xff\xe0" + b"\x13" * 300), "Ảnh.jpg")


def test_jpeg_named_png_is_refused_naming_both(write):
    message = refusal(write("Ảnh.png", image_bytes("JPEG")), "Ảnh.png")

    assert "Ảnh JPEG" in message
    assert "“.png”" in message


def test_plain_zip_named_docx_is_refused(write):
    plain = zip_bytes({"Biên bản.txt": "không phải tài liệu Word"})

    message = refusal(write("Biên bản.docx", plain), "Biên bản.docx")

    assert "tệp nén ZIP" in message


def test_word_document_named_xlsx_is_refused(write):
    message = refusal(write("Bảng.xlsx", docx_bytes()), "Bảng.xlsx")

    assert "Word" in message
    assert "“.xlsx”" in message


def test_office_97_container_with_other_extension_is_refused(write):
    message = refusal(write("Công văn.docx", ole_bytes()), "Công văn.docx")

    assert "Office 97-2003" in message


def test_text_file_is_refused_listing_what_is_accepted(write):
    message = refusal(write("Ghi chú.txt", "Ghi chú cuộc họp".encode()), "Ghi chú.txt")

    assert "không được chấp nhận" in message
    assert "PDF, Word, Excel" in message


def test_pdf_without_extension_is_refused(write):
    message = refusal(write("Quyết định", pdf_bytes()), "Quyết định")

    assert "phần mở rộng là trống" in message
