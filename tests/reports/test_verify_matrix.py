"""The verification page never contradicts itself: for every kind of file a visitor may
upload, the headline and each signature box below it, read from the rendered page.

Real files throughout: the demo's report issued and signed through the portal (under the
demo's test root), copies of it changed the ways files get changed, drafts, and files signed
by others."""

from __future__ import annotations

import html as html_lib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports import documents
from reports.models import IssuedFile, Report, TrustAnchor
from reports.services.issuing import current_file, report_issue
from reports.services.verifying import TEST_LABEL, Verdict, document_verify
from reports.signing import Appearance, KeyMaterial, sign_pdf
from reports.signing.validation import APPENDED
from tests.reports.conftest import reference_bomb

VALID = "Chữ ký hợp lệ, chứng thư tin cậy"
TEST_VALID = f"Chữ ký hợp lệ, chứng thư {TEST_LABEL}"
BROKEN = "Nội dung đã ký bị thay đổi, chữ ký không còn nguyên vẹn"
UNTRUSTED = "Chứng thư không thuộc tổ chức chứng thực được tin cậy"
FOREIGN = "Chữ ký hợp lệ nhưng tệp không phải văn bản đã ban hành trên cổng"

HEADLINES = {
    Verdict.ISSUED: "Đúng là văn bản đã ban hành",
    Verdict.TEST: "Văn bản đã ban hành trên cổng, chữ ký số THỬ NGHIỆM – không có giá trị pháp lý",
    Verdict.UNSIGNED_COPY: "Bản sao không có chữ ký số của văn bản đã ban hành",
    Verdict.MODIFIED: "Tệp đã bị thay đổi sau khi ký.",
    Verdict.DAMAGED: "Tệp bị hỏng hoặc đã bị thay đổi.",
    Verdict.UNTRUSTED: "Chữ ký số không do tổ chức chứng thực được tin cậy cấp",
    Verdict.FOREIGN: "Không phải văn bản đã ban hành trên cổng.",
    Verdict.UNCHECKED: "Không kiểm tra được tệp này trong giới hạn thời gian và bộ nhớ cho phép.",
    Verdict.UNKNOWN: "Không phải văn bản do cổng ban hành.",
}
WHOLE = "toàn bộ tệp"
REVISION = "bản đã ký; sau đó chỉ thêm chữ ký số khác"
NOT_WHOLE = "không bao trùm toàn bộ tệp: có nội dung thêm hoặc sửa sau khi ký"


@dataclass(frozen=True)
class Box:
    """One signature box as the page shows it."""

    state: str
    text: str
    trust: str
    coverage: str
    not_the_signer: bool = False


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _field(item: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</(?:div|span)>', item, re.S)
    return _text(found.group(1)) if found else ""


def read_result(page: str) -> tuple[str, str, list[Box]]:
    """(verdict attribute, headline text, boxes) of the uploaded file's result."""
    result = page[page.index('data-testid="verdict"') :]
    verdict = re.search(r'data-verdict="(\w+)"', result).group(1)
    headline = _text(re.search(r'data-testid="headline"[^>]*>(.*?)</div>', result, re.S).group(1))
    boxes = [
        Box(
            state=state,
            text=_field(item, "box-text"),
            trust=_field(item, "box-trust"),
            coverage=_field(item, "box-coverage"),
            not_the_signer='data-testid="box-signer"' in item,
        )
        for state, item in re.findall(
            r'data-testid="signature-box" data-state="(\w+)">(.*?)</li>', result, re.S
        )
    ]
    return verdict, headline, boxes


# -- the files ------------------------------------------------------------------------------------


def _signed_file(report: Report) -> bytes:
    return current_file(report, IssuedFile.Kind.REPORT).read()


def _unsigned_file(report: Report) -> bytes:
    return report.files.get(kind=IssuedFile.Kind.REPORT, stage=IssuedFile.Stage.UNSIGNED).read()


def _real_root() -> None:
    """The demo's root taken as a production root (as the Ban Cơ yếu root would be)."""
    TrustAnchor.objects.update(is_test=False)


def _flip_in_first_stream(data: bytes, after: int = 0) -> bytes:
    """One byte changed inside the first compressed stream after `after`: the file still
    opens, but its bytes are no longer those signed, and the stream no longer inflates."""
    start = data.index(b">>\nstream\n", after) + len(b">>\nstream\n") + 10  # not "endstream"
    changed = bytearray(data)
    changed[start] ^= 0x55
    return bytes(changed)


def _flip_in_producer(data: bytes) -> bytes:
    """One letter of the producer's name changed: every object still reads."""
    changed = bytearray(data)
    changed[data.index(b"(", data.index(b"/Producer")) + 1] ^= 0x20
    return bytes(changed)


def _incremental_update(data: bytes) -> bytes:
    """A well-formed incremental update after the last signature, as an editor saves one."""
    from pyhanko.pdf_utils import generic  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    forged = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 700 200 50 re f"))
    writer.add_stream_to_page(0, forged)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _signed_by(data: bytes, p12: bytes, passphrase: bytes) -> bytes:
    signed, _, _ = sign_pdf(
        data,
        material=KeyMaterial(kind="pkcs12", pkcs12=p12, passphrase=passphrase),
        field_name="ChuKyKhac",
        appearance=Appearance(page=-1, box=(300, 200, 500, 300), text="Người ký khác"),
    )
    return signed


def _test_root_from_settings(request, report: Report) -> bytes:
    """The demo's root given in SIGNING_TEST_TRUST_ROOTS instead of the admin."""
    anchor = TrustAnchor.objects.get()
    path = request.getfixturevalue("tmp_path") / "test-root.pem"
    path.write_text(anchor.certificate_pem)
    request.getfixturevalue("settings").SIGNING_TEST_TRUST_ROOTS = [str(path)]
    anchor.delete()
    return _signed_file(report)


def _other_signer_trusted(request, report: Report) -> bytes:
    """The unsigned issued report signed outside the portal by someone else, whose
    certificate chains to a root the page trusts."""
    pki = request.getfixturevalue("pki")
    TrustAnchor.objects.create(label="Gốc khác", certificate_pem=pki.root_pem.decode())
    return _signed_by(_unsigned_file(report), pki.signer_p12, pki.signer_passphrase)


def _stranger(request, report: Report) -> bytes:
    other = request.getfixturevalue("other_pki")
    return _signed_by(_unsigned_file(report), other.signer_p12, other.signer_passphrase)


def _untrusted_issued(request, report: Report) -> bytes:
    TrustAnchor.objects.all().delete()
    return _signed_file(report)


def _unchecked(request, report: Report) -> bytes:
    request.getfixturevalue("settings").VERIFY_CHECK_MEMORY_MB = 64
    return reference_bomb(4 * 1024 * 1024)


Make = Callable[[pytest.FixtureRequest, Report], bytes]


CASES: list[tuple[str, Make, str, list[Box]]] = [
    (
        "issued, signed, production root",
        lambda request, report: (_real_root(), _signed_file(report))[1],
        Verdict.ISSUED,
        [Box("ok", VALID, "có", REVISION), Box("ok", VALID, "có", WHOLE)],
    ),
    (
        "issued, signed, test root in the admin",
        lambda request, report: _signed_file(report),
        Verdict.TEST,
        [Box("test", TEST_VALID, TEST_LABEL, REVISION), Box("test", TEST_VALID, TEST_LABEL, WHOLE)],
    ),
    (
        "issued, signed, test root in the settings",
        _test_root_from_settings,
        Verdict.TEST,
        [Box("test", TEST_VALID, TEST_LABEL, REVISION), Box("test", TEST_VALID, TEST_LABEL, WHOLE)],
    ),
    (
        "issued, signed, root no longer trusted",
        _untrusted_issued,
        Verdict.UNTRUSTED,
        [
            Box("untrusted", UNTRUSTED, "không", REVISION),
            Box("untrusted", UNTRUSTED, "không", WHOLE),
        ],
    ),
    (
        "issued file before signing",
        lambda request, report: _unsigned_file(report),
        Verdict.UNSIGNED_COPY,
        [],
    ),
    (
        "plain garbage after the last signature",
        lambda request, report: (_real_root(), _signed_file(report) + b"\n% appended\n")[1],
        Verdict.MODIFIED,
        [Box("modified", APPENDED, "có", NOT_WHOLE)] * 2,
    ),
    (
        "an incremental update after the last signature",
        lambda request, report: _incremental_update(_signed_file(report)),
        Verdict.MODIFIED,
        [Box("modified", "Tài liệu đã bị sửa sau khi ký", TEST_LABEL, NOT_WHOLE)] * 2,
    ),
    (
        "a byte flipped in the middle, in a compressed stream",
        lambda request, report: _flip_in_first_stream(
            (data := _signed_file(report)), len(data) // 3
        ),
        Verdict.DAMAGED,
        [Box("broken", BROKEN, "không", REVISION), Box("broken", BROKEN, "không", WHOLE)],
    ),
    (
        "a byte changed in what is signed, the file still readable",
        lambda request, report: _flip_in_producer(_signed_file(report)),
        Verdict.DAMAGED,
        [Box("broken", BROKEN, "không", REVISION), Box("broken", BROKEN, "không", WHOLE)],
    ),
    (
        "a byte flipped in an unsigned issued file",
        lambda request, report: _flip_in_first_stream(_unsigned_file(report)),
        Verdict.DAMAGED,
        [],
    ),
    (
        "truncated",
        lambda request, report: (data := _signed_file(report))[: len(data) * 2 // 3],
        Verdict.DAMAGED,
        [],
    ),
    ("not a PDF", lambda request, report: b"GIF89a not a PDF at all", Verdict.DAMAGED, []),
    (
        "the preview's PDF of the report",
        lambda request, report: documents.report_pdf(report, cached=False),
        Verdict.UNKNOWN,
        [],
    ),
    (
        "signed by someone else under a trusted root",
        _other_signer_trusted,
        Verdict.FOREIGN,
        [Box("foreign", FOREIGN, "có", WHOLE, not_the_signer=True)],
    ),
    (
        "signed by a stranger under an unknown root",
        _stranger,
        Verdict.UNTRUSTED,
        [Box("untrusted", UNTRUSTED, "không", WHOLE, not_the_signer=True)],
    ),
    ("too costly to check", _unchecked, Verdict.UNCHECKED, []),
]


@pytest.mark.parametrize(
    ("make", "verdict", "boxes"),
    [pytest.param(make, verdict, boxes, id=name) for name, make, verdict, boxes in CASES],
)
def test_the_headline_and_every_box_agree(client, signed, request, make, verdict, boxes):
    data = make(request, signed)

    response = client.post(
        reverse("verify:document", args=[signed.verify_token]),
        {"file": SimpleUploadedFile("tep.pdf", data)},
    )

    shown_verdict, headline, shown_boxes = read_result(response.content.decode())
    assert shown_verdict == verdict
    assert headline.startswith(HEADLINES[verdict]), headline
    assert shown_boxes == boxes
    # Nothing on the result reads as trusted without saying that a test root is not.
    result = response.content.decode().split('data-testid="verdict"')[1]
    if TEST_LABEL in result:
        assert VALID not in result


def test_every_verdict_is_in_the_matrix():
    assert {verdict for _, _, verdict, _ in CASES} == set(HEADLINES)


# -- drafts are never issued documents -----------------------------------------------------------


def test_the_draft_appendix_is_not_the_issued_one(draft, secretary):
    # What the secretary downloaded from the preview just before issuing: the same data.
    before = documents.appendix_pdf(draft, cached=False)

    issued = report_issue(report=draft, by=secretary)

    frozen = issued.files.get(kind=IssuedFile.Kind.APPENDIX, stage=IssuedFile.Stage.UNSIGNED)
    assert frozen.read() != before
    assert document_verify(before)["verdict"] == Verdict.UNKNOWN
    assert document_verify(frozen.read())["verdict"] == Verdict.UNSIGNED_COPY


def test_issued_pdfs_differ_from_drafts_by_their_identifier_alone(draft):
    """Whatever the templates show (the draft's watermark is one difference), the same HTML
    rendered for issuing gives other bytes than rendered for a preview."""
    html = "<!doctype html><p>Phụ lục</p>"

    [preview] = documents._pdfs([(html, None)], cached=False)
    [issued] = documents._pdfs([(html, None)], cached=False, identifier="cqtt-issued:x")

    assert preview.data != issued.data
    assert b"cqtt-issued:x/0" in issued.data or b"cqtt-issued:x/0".hex().encode() in issued.data


# -- the issued document's own signatures, on its link -------------------------------------------


def test_the_link_of_a_report_signed_under_a_test_root_says_so(client, signed):
    page = client.get(reverse("verify:document", args=[signed.verify_token])).content.decode()

    assert "Chữ ký số THỬ NGHIỆM – không có giá trị pháp lý." in page
    assert page.count(TEST_VALID) == 2 and VALID not in page
    assert page.count(f'data-testid="box-trust">{TEST_LABEL}<') == 2


def test_the_link_of_a_report_under_a_production_root_shows_it_trusted(client, signed):
    _real_root()

    page = client.get(reverse("verify:document", args=[signed.verify_token])).content.decode()

    assert page.count(VALID) == 2 and TEST_LABEL not in page
    assert 'data-testid="final-verdict"' not in page
