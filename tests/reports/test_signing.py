"""PAdES signing and validation (reports.signing) on a real WeasyPrint PDF with a test PKI."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
import threading

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfReader

from reports.demo.pki import seal_png, signature_png
from reports.signing import (
    Appearance,
    KeyMaterial,
    SigningError,
    certificate_info,
    inspect_key,
    sign_pdf,
    validate_pdf,
)
from tests.reports.conftest import A4_HEIGHT, ORGANISATION, SEAL_BOX, SIGNATURE_BOX, SIGNER_NAME
from tests.reports.pdf_fields import signature_boxes

A4_WIDTH = 595.28
VALID = "Chữ ký hợp lệ, chứng thư tin cậy"


def signer_material(pki) -> KeyMaterial:
    return KeyMaterial(kind="pkcs12", pkcs12=pki.signer_p12, passphrase=pki.signer_passphrase)


def org_material(pki) -> KeyMaterial:
    return KeyMaterial(kind="pkcs12", pkcs12=pki.org_p12, passphrase=pki.org_passphrase)


def sign_as_signer(pdf: bytes, pki, **kwargs):
    return sign_pdf(
        pdf,
        material=signer_material(pki),
        field_name="NguoiKy",
        appearance=Appearance(page=-1, box=SIGNATURE_BOX, image_png=signature_png(SIGNER_NAME)),
        reason="Ký duyệt báo cáo",
        location="xã Nghi Dương",
        **kwargs,
    )


def sign_as_organisation(pdf: bytes, pki):
    return sign_pdf(
        pdf,
        material=org_material(pki),
        field_name="CoQuan",
        appearance=Appearance(page=-1, box=SEAL_BOX, image_png=seal_png(ORGANISATION)),
        reason="Ký phát hành",
    )


@pytest.fixture(scope="module")
def signed_once(report_pdf, pki):
    return sign_as_signer(report_pdf, pki)


@pytest.fixture(scope="module")
def signed_twice(signed_once, pki) -> bytes:
    signed, _, _ = sign_as_organisation(signed_once[0], pki)
    return signed


def render(pdf: bytes, page: int, tmp_path) -> Image.Image:
    """Page `page` (0-based) as poppler draws it, 72 dpi so pixels are PDF points."""
    src = tmp_path / "page.pdf"
    src.write_bytes(pdf)
    n = page + 1
    subprocess.run(
        ["pdftoppm", "-f", str(n), "-l", str(n), "-r", "72", "-png", str(src), str(tmp_path / "p")],
        check=True,
    )
    return Image.open(next(tmp_path.glob("p-*.png"))).convert("RGB")


def crop(image: Image.Image, box) -> Image.Image:
    x1, y1, x2, y2 = box
    return image.crop((round(x1), round(A4_HEIGHT - y2), round(x2), round(A4_HEIGHT - y1)))


def count(image: Image.Image, test) -> int:
    data = image.tobytes()
    return sum(1 for pixel in zip(data[0::3], data[1::3], data[2::3], strict=True) if test(*pixel))


def appearance_fonts(pdf: bytes, page: int) -> set[str]:
    fonts = set()
    for ref in PdfReader(io.BytesIO(pdf)).pages[page]["/Annots"]:
        resources = ref.get_object()["/AP"]["/N"].get_object().get("/Resources", {})
        for font in resources.get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


def appearance_stream(pdf: bytes, page: int) -> bytes:
    [ref] = PdfReader(io.BytesIO(pdf)).pages[page]["/Annots"]
    return ref.get_object()["/AP"]["/N"].get_object().get_data()


def is_blue(r, g, b):
    return b > 120 and r < 90 and g < 110


def is_red(r, g, b):
    return r > 150 and g < 90 and b < 90


# --- signing with PKCS#12 ------------------------------------------------------------------


def test_signer_signature_is_valid_and_trusted(signed_once, report_pdf, pki):
    signed, info, signing_time = signed_once

    assert signed.startswith(report_pdf)  # an incremental update: the report bytes are untouched
    assert info == certificate_info(pki.signer_cert_pem)
    assert info.common_name == SIGNER_NAME
    [check] = validate_pdf(signed, trust_roots=[pki.root_pem])
    assert check.field_name == "NguoiKy"
    assert check.signer == info
    assert check.signing_time == signing_time
    assert (check.intact, check.valid, check.trusted) == (True, True, True)
    assert check.covers_whole_file and not check.modified_after
    assert check.timestamp is None  # B-B
    assert check.summary == VALID


def test_organisation_signs_after_the_signer_and_both_stay_valid(signed_twice, signed_once, pki):
    assert signed_twice.startswith(signed_once[0])

    first, second = validate_pdf(signed_twice, trust_roots=[pki.root_pem])

    assert [first.field_name, second.field_name] == ["NguoiKy", "CoQuan"]
    assert first.signer.common_name == SIGNER_NAME
    assert second.signer.common_name == ORGANISATION
    for check in (first, second):
        assert (check.intact, check.valid, check.trusted) == (True, True, True)
        assert not check.modified_after
        assert check.summary == VALID
    assert not first.covers_whole_file  # the organisation's signature came after it
    assert second.covers_whole_file


def test_signature_image_and_seal_sit_in_the_signing_block(signed_twice, tmp_path):
    boxes = signature_boxes(signed_twice)

    assert boxes["NguoiKy"] == (1, pytest.approx(SIGNATURE_BOX, abs=1))
    assert boxes["CoQuan"] == (1, pytest.approx(SEAL_BOX, abs=1))
    # The seal covers about the left third of the signature image, on its left.
    sig_x1, _, sig_x2, _ = SIGNATURE_BOX
    seal_x1, _, seal_x2, _ = SEAL_BOX
    assert seal_x1 < sig_x1 < seal_x2
    assert (seal_x2 - sig_x1) / (sig_x2 - sig_x1) == pytest.approx(1 / 3, abs=0.05)

    page = render(signed_twice, 1, tmp_path)
    right_of_seal = (seal_x2 + 2, SIGNATURE_BOX[1], sig_x2, SIGNATURE_BOX[3])
    assert count(crop(page, right_of_seal), is_blue) > 200  # blue ink where only the signature is
    assert count(crop(page, SEAL_BOX), is_red) > 500  # the red seal
    assert count(crop(page, (0, 0, 300, 400)), is_blue) == 0  # nothing elsewhere


@pytest.mark.parametrize("root", ["impostor root of the same name", "unrelated certificate"])
def test_validation_against_another_root_is_not_trusted(signed_twice, other_pki, root):
    trust_root = other_pki.root_pem if root.startswith("impostor") else other_pki.tsa_cert_pem
    checks = validate_pdf(signed_twice, trust_roots=[trust_root])

    assert len(checks) == 2
    for check in checks:
        assert check.intact and check.valid
        assert not check.trusted
        assert check.summary == "Chứng thư không thuộc tổ chức chứng thực được tin cậy"


def test_changed_byte_in_the_signed_content_breaks_both_signatures(signed_twice, pki):
    # The first signature's byte range starts at byte 0 and covers the whole report.
    index = signed_twice.index(b"/Producer")
    tampered = bytearray(signed_twice)
    start = tampered.index(b"(", index) + 1
    tampered[start] ^= 0x20  # upper/lower case of one letter of the producer name

    checks = validate_pdf(bytes(tampered), trust_roots=[pki.root_pem])

    assert [c.intact for c in checks] == [False, False]
    assert all(
        c.summary == "Nội dung đã ký bị thay đổi, chữ ký không còn nguyên vẹn" for c in checks
    )


def test_page_changed_after_signing_is_reported(signed_twice, pki):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_twice))
    forged = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 700 200 50 re f"))
    writer.add_stream_to_page(0, forged)
    out = io.BytesIO()
    writer.write(out)

    checks = validate_pdf(out.getvalue(), trust_roots=[pki.root_pem])

    for check in checks:
        assert check.intact and check.valid  # the signed revisions themselves are untouched
        assert check.modified_after
        assert not check.covers_whole_file
        assert check.summary == "Tài liệu đã bị sửa sau khi ký"


def test_poppler_pdfsig_finds_both_signatures_valid(signed_twice, tmp_path):
    pdfsig = shutil.which("pdfsig")
    assert pdfsig, "poppler-utils (pdfsig) is needed: scripts/system-deps.sh --test"
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_twice)

    output = subprocess.run([pdfsig, str(path)], capture_output=True, text=True).stdout

    assert output.count("Signature Validation: Signature is Valid") == 2, output
    assert output.count("ETSI.CAdES.detached") == 2
    assert "Total document signed" in output


def test_timestamped_signature_is_pades_b_t(report_pdf, pki):
    tsa_cert = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(pki.tsa_cert_pem).public_bytes(serialization.Encoding.DER)
    )
    tsa_key = asn1_keys.PrivateKeyInfo.load(
        serialization.load_pem_private_key(pki.tsa_key_pem, None).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(pki.root_pem).public_bytes(serialization.Encoding.DER)
    )
    stamper = DummyTimeStamper(
        tsa_cert=tsa_cert,
        tsa_key=tsa_key,
        certs_to_embed=SimpleCertificateStore.from_certs([root]),
    )

    signed, _, signing_time = sign_as_signer(report_pdf, pki, timestamper=stamper)

    [check] = validate_pdf(signed, trust_roots=[pki.root_pem])
    assert check.timestamp is not None
    assert abs((check.timestamp - signing_time).total_seconds()) < 60
    assert check.trusted
    assert check.summary == "Chữ ký hợp lệ, chứng thư tin cậy, có dấu thời gian"


def test_separate_appendix_gets_a_text_stamp_top_right_of_page_one(report_pdf, pki, tmp_path):
    box = (
        A4_WIDTH - 15 * 72 / 25.4 - 180,
        A4_HEIGHT - 60,
        A4_WIDTH - 15 * 72 / 25.4,
        A4_HEIGHT - 20,
    )
    text = "Số: 05/BC-UBND\n2026-07-10T09:15:00+07:00"

    signed, _, _ = sign_pdf(
        report_pdf,
        material=org_material(pki),
        field_name="PhuLuc",
        appearance=Appearance(page=0, box=box, text=text, font_size=10),
    )

    page_index, rect = signature_boxes(signed)["PhuLuc"]
    assert page_index == 0
    assert rect[2] > 0.9 * A4_WIDTH and rect[3] > 0.9 * A4_HEIGHT
    # Vietnamese text needs an embedded font with its glyphs, not the default Courier.
    # The reports' Times-metric font (issue 11, item 9).
    assert any("LiberationSerif" in font for font in appearance_fonts(signed, 0))
    # 10 pt as asked, not shrunk to fit: every transformation in the stamp is unscaled.
    stream = appearance_stream(signed, 0)
    assert b"/F1 10 Tf" in stream
    scales = re.findall(rb"([\d.]+) 0 0 ([\d.]+) [-\d.]+ [-\d.]+ cm", stream)
    assert scales and all(float(a) == float(d) == 1 for a, d in scales)
    page = render(signed, 0, tmp_path)
    assert count(crop(page, box), lambda r, g, b: r + g + b < 200) > 50  # black text drawn
    assert count(crop(page, box), is_red) == 0  # no image: no seal
    [check] = validate_pdf(signed, trust_roots=[pki.root_pem])
    assert check.summary == VALID


# --- errors and secrets --------------------------------------------------------------------


def test_wrong_passphrase_is_refused_in_vietnamese(report_pdf, pki):
    wrong = KeyMaterial(kind="pkcs12", pkcs12=pki.signer_p12, passphrase=b"sai-mat-khau")

    with pytest.raises(SigningError, match="Sai mật khẩu"):
        inspect_key(wrong)
    with pytest.raises(SigningError, match="Sai mật khẩu"):
        sign_pdf(report_pdf, material=wrong, field_name="NguoiKy", appearance=None)


def test_corrupt_key_file_is_refused(pki):
    with pytest.raises(SigningError, match="bị hỏng"):
        inspect_key(KeyMaterial(kind="pkcs12", pkcs12=b"not a p12 file", passphrase=b"x"))


def test_expired_certificate_is_refused(pki):
    root = x509.load_pem_x509_certificate(pki.root_pem)
    root_key = serialization.load_pem_private_key(pki.root_key_pem, None)
    key = serialization.load_pem_private_key(pki.signer_key_pem, None)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.load_pem_x509_certificate(pki.signer_cert_pem).subject)
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(root.not_valid_before_utc)
        .not_valid_after(root.not_valid_before_utc)
        .sign(root_key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"old", key, cert, None, serialization.BestAvailableEncryption(b"pw")
    )

    with pytest.raises(SigningError, match="hết hạn"):
        inspect_key(KeyMaterial(kind="pkcs12", pkcs12=p12, passphrase=b"pw"))


def test_inspect_key_returns_the_signing_certificate(pki):
    info = inspect_key(org_material(pki))

    assert info == certificate_info(pki.org_cert_pem)
    assert info.common_name == ORGANISATION
    assert "THỬ NGHIỆM" in info.issuer and "TEST" in info.subject
    assert re.fullmatch("[0-9a-f]{64}", info.sha256_fingerprint)


def test_passphrases_never_reach_the_signed_pdf(signed_twice, pki):
    for secret in (pki.signer_passphrase, pki.org_passphrase):
        assert secret not in signed_twice
        assert secret.hex().encode() not in signed_twice
    # nor logs and tracebacks that show the key material
    assert "mat-khau" not in repr(signer_material(pki))
    assert "1234" not in repr(KeyMaterial(kind="pkcs11", pin="1234"))


def test_signing_twice_in_the_same_field_is_refused(signed_once, pki):
    with pytest.raises(SigningError, match="đã được ký"):
        sign_as_signer(signed_once[0], pki)


def test_works_inside_a_running_event_loop(report_pdf, pki):
    """pytest-playwright keeps a loop running in the main thread; asyncio.run would refuse."""

    async def inside_loop():
        signed, _, _ = sign_pdf(
            report_pdf, material=signer_material(pki), field_name="NguoiKy", appearance=None
        )
        return validate_pdf(signed, trust_roots=[pki.root_pem])

    # Run the loop in a thread of its own: after the browser tests, this thread may already
    # have pytest-playwright's loop running, where asyncio.run() itself would refuse.
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(checks=asyncio.run(inside_loop())))
    worker.start()
    worker.join()
    [check] = outcome["checks"]
    assert check.summary == VALID


# --- PKCS#11 (SoftHSM2) --------------------------------------------------------------------


def token_material(token, pki, **changes) -> KeyMaterial:
    values = {
        "kind": "pkcs11",
        "pkcs11_module": token.module,
        "token_label": token.token_label,
        "key_label": token.key_label,
        "pin": token.pin,
        "certificate_pem": pki.signer_cert_pem,
        "chain_pem": [pki.root_pem],
    }
    return KeyMaterial(**(values | changes))


def test_sign_with_a_key_on_a_pkcs11_token(softhsm_token, report_pdf, pki):
    material = token_material(softhsm_token, pki)
    assert inspect_key(material) == certificate_info(pki.signer_cert_pem)

    signed, info, _ = sign_pdf(
        report_pdf,
        material=material,
        field_name="NguoiKy",
        appearance=Appearance(page=-1, box=SIGNATURE_BOX, image_png=signature_png(SIGNER_NAME)),
    )
    # ... and the organisation countersigns with its .p12, as the văn thư would.
    signed, _, _ = sign_as_organisation(signed, pki)

    first, second = validate_pdf(signed, trust_roots=[pki.root_pem])
    assert first.signer == info
    assert info.common_name == SIGNER_NAME
    assert first.summary == second.summary == VALID


def test_pkcs11_wrong_pin_unknown_token_and_missing_key_are_refused(softhsm_token, pki):
    with pytest.raises(SigningError, match="Sai mã PIN"):
        inspect_key(token_material(softhsm_token, pki, pin="9999"))
    with pytest.raises(SigningError, match="Không tìm thấy thiết bị ký"):
        inspect_key(token_material(softhsm_token, pki, token_label="khong-co"))
    with pytest.raises(SigningError, match="Không tìm thấy khóa"):
        inspect_key(token_material(softhsm_token, pki, key_label="khong-co"))
    with pytest.raises(SigningError, match="không khớp"):
        inspect_key(token_material(softhsm_token, pki, certificate_pem=pki.org_cert_pem))
