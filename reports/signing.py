"""PAdES signing and validation of PDF files with pyHanko: bytes in, bytes out.

No Django here. The caller decides where key material comes from and where the signed file
goes; this module never stores a passphrase or PIN.

Signing is PAdES baseline (SubFilter ETSI.CAdES.detached, SHA-256) as an incremental update,
so a second signature (the organisation's, after the person's) keeps the first one valid.
B-B by default, B-T when a timestamp authority is given.
"""

from __future__ import annotations

import asyncio
import gc
import io
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import pem
from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

FONT = Path(__file__).resolve().parent.parent / "static" / "fonts" / "NotoSerif-Regular.ttf"
NAMES = {NameOID.TITLE: "title"}  # shown as "2.5.4.12=" otherwise
T = TypeVar("T")


class SigningError(Exception):
    """Signing could not go ahead; the message is Vietnamese and fit to show the user."""


class WrongSecret(SigningError):
    """The passphrase or PIN typed does not open the key (counted against guessing)."""


@dataclass
class KeyMaterial:
    kind: str  # "pkcs12" or "pkcs11"
    pkcs12: bytes | None = None
    passphrase: bytes | None = None  # never stored by the caller
    pkcs11_module: str | None = None  # e.g. /usr/lib/softhsm/libsofthsm2.so
    token_label: str | None = None
    key_label: str | None = None
    pin: str | None = None
    certificate_pem: bytes | None = None  # the signer certificate (PKCS#11; optional for p12)
    chain_pem: list[bytes] = field(default_factory=list)  # intermediates/root to embed

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return f"KeyMaterial(kind={self.kind!r}, token_label={self.token_label!r}, key_label={self.key_label!r})"


@dataclass
class Appearance:
    """Where and how a visible signature is drawn.

    The image fills the box, keeping its aspect ratio, centred. With both an image and text
    the text is drawn over the image. With neither the field is visible but empty.
    """

    page: int  # 0-based; -1 = last page
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points, origin bottom-left
    image_png: bytes | None = None
    text: str | None = None
    font_size: float = 10


@dataclass
class CertificateInfo:
    subject: str  # RFC 4514, most specific attribute first
    common_name: str
    issuer: str
    serial: str  # hex, lower case
    not_before: datetime
    not_after: datetime
    sha256_fingerprint: str  # hex, lower case, no separators

    @property
    def issuer_name(self) -> str:
        """The issuer's common name, the part a person reads ('CA THỬ NGHIỆM …')."""
        for part in self.issuer.replace("\\,", "\x00").split(","):
            key, _, value = part.partition("=")
            if key.strip().upper() == "CN":
                return value.replace("\x00", ",").strip()
        return self.issuer


@dataclass
class SignatureCheck:
    field_name: str
    signer: CertificateInfo
    signing_time: datetime | None  # as claimed by the signer
    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # ... and the cryptographic signature over it checks out
    trusted: bool  # the certificate chains to one of the trust roots
    covers_whole_file: bool
    modified_after: bool  # changed after this signature beyond adding signatures/form filling
    timestamp: datetime | None  # from an RFC 3161 timestamp token (B-T), if any
    summary: str  # Vietnamese one-line verdict

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.modified_after


# --- certificates --------------------------------------------------------------------------


def _load_cert(data: bytes) -> x509.Certificate:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise SigningError("Tệp chứng thư số không đọc được (không phải X.509 PEM/DER).") from exc


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_certs(blobs: list[bytes]) -> list[asn1_x509.Certificate]:
    certs = []
    for blob in blobs:
        if pem.detect(blob):
            for _, _, der in pem.unarmor(blob, multiple=True):
                certs.append(asn1_x509.Certificate.load(der))
        else:
            certs.append(asn1_x509.Certificate.load(blob))
    return certs


def _info(cert: x509.Certificate) -> CertificateInfo:
    common_names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(NAMES),
        common_name=str(common_names[0].value) if common_names else "",
        issuer=cert.issuer.rfc4514_string(NAMES),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
    )


def certificate_info(cert_pem_or_der: bytes) -> CertificateInfo:
    return _info(_load_cert(cert_pem_or_der))


def _check_validity(cert: x509.Certificate) -> None:
    now = datetime.now(UTC)
    if cert.not_valid_after_utc < now:
        day = cert.not_valid_after_utc.strftime("%d/%m/%Y")
        raise SigningError(f"Chứng thư số đã hết hạn từ ngày {day}.")
    if cert.not_valid_before_utc > now:
        day = cert.not_valid_before_utc.strftime("%d/%m/%Y")
        raise SigningError(f"Chứng thư số chưa có hiệu lực (từ ngày {day}).")


# --- key material --------------------------------------------------------------------------


@dataclass
class _Loaded:
    cert: x509.Certificate
    signer: object  # a pyHanko Signer
    close: Callable[[], None]


def _open_pkcs12(material: KeyMaterial) -> _Loaded:
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    if not material.pkcs12:
        raise SigningError("Chưa có tệp khóa PKCS#12 (.p12/.pfx).")
    try:
        asn1_pkcs12.Pfx.load(material.pkcs12).native  # noqa: B018 - parses the whole structure
    except Exception as exc:
        raise SigningError("Tệp khóa bị hỏng hoặc không phải tệp PKCS#12 (.p12/.pfx).") from exc
    if material.passphrase and b"\x00" in material.passphrase:
        # cryptography panics on it (a BaseException no `except Exception` catches).
        raise SigningError("Mật khẩu có ký tự không hợp lệ (ký tự NUL).")
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(material.pkcs12, material.passphrase)
    except ValueError as exc:
        raise WrongSecret("Sai mật khẩu của tệp khóa (.p12/.pfx).") from exc
    except Exception as exc:
        raise SigningError("Không mở được tệp khóa PKCS#12 (.p12/.pfx).") from exc
    if key is None or cert is None:
        raise SigningError("Tệp PKCS#12 không chứa khóa bí mật kèm chứng thư số của người ký.")
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise SigningError("Khóa bí mật trong tệp PKCS#12 không khớp với chứng thư số.")

    store = SimpleCertificateStore()
    store.register_multiple([_asn1_cert(c) for c in extra] + _asn1_certs(material.chain_pem))
    signer = SimpleSigner(
        signing_cert=_asn1_cert(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=store,
    )
    return _Loaded(cert=cert, signer=signer, close=lambda: None)


def _open_pkcs11(material: KeyMaterial) -> _Loaded:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    if not (material.pkcs11_module and material.token_label and material.key_label):
        raise SigningError("Thiếu thông tin thiết bị ký (thư viện PKCS#11, tên token, tên khóa).")
    if not Path(material.pkcs11_module).exists():
        raise SigningError(f"Không tìm thấy thư viện PKCS#11 {material.pkcs11_module}.")
    try:
        session = open_pkcs11_session(
            material.pkcs11_module,
            token_criteria=TokenCriteria(label=material.token_label),
            user_pin=material.pin,
        )
    except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange) as exc:
        raise WrongSecret("Sai mã PIN của thiết bị ký.") from exc
    except pkcs11.PinLocked as exc:
        raise SigningError("Thiết bị ký đã bị khóa do nhập sai mã PIN nhiều lần.") from exc
    except pkcs11.PKCS11Error as exc:
        if type(exc) is pkcs11.PKCS11Error:  # pyHanko's "no token matching the criteria"
            raise SigningError(
                f"Không tìm thấy thiết bị ký (token) “{material.token_label}”."
            ) from exc
        raise SigningError("Không kết nối được với thiết bị ký (PKCS#11).") from exc
    except Exception as exc:
        raise SigningError("Không kết nối được với thiết bị ký (PKCS#11).") from exc

    try:
        try:
            key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=material.key_label)
        except pkcs11.NoSuchKey as exc:
            raise SigningError(
                f"Không tìm thấy khóa bí mật “{material.key_label}” trên thiết bị ký."
            ) from exc
        except pkcs11.MultipleObjectsReturned as exc:
            raise SigningError(
                f"Có nhiều khóa cùng tên “{material.key_label}” trên thiết bị ký."
            ) from exc

        if material.certificate_pem:
            cert = _load_cert(material.certificate_pem)
        else:
            certs = list(
                session.get_objects(
                    {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: material.key_label}
                )
            )
            if not certs:
                raise SigningError(
                    "Thiết bị ký không có chứng thư số đi kèm khóa; hãy cung cấp chứng thư."
                )
            cert = x509.load_der_x509_certificate(certs[0][Attribute.VALUE])

        public = cert.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            modulus = int.from_bytes(key[Attribute.MODULUS], "big")
            if modulus != public.public_numbers().n:
                raise SigningError("Khóa bí mật trên thiết bị ký không khớp với chứng thư số.")

        signer = PKCS11Signer(
            pkcs11_session=session,
            key_label=material.key_label,
            signing_cert=_asn1_cert(cert),
            ca_chain=_asn1_certs(material.chain_pem),
            other_certs_to_pull=None,
        )
    except BaseException:
        session.close()
        raise
    return _Loaded(cert=cert, signer=signer, close=session.close)


def _open(material: KeyMaterial) -> _Loaded:
    if material.kind == "pkcs12":
        loaded = _open_pkcs12(material)
    elif material.kind == "pkcs11":
        loaded = _open_pkcs11(material)
    else:
        raise SigningError(f"Loại khóa không được hỗ trợ: {material.kind}.")
    try:
        _check_validity(loaded.cert)
    except SigningError:
        loaded.close()
        raise
    return loaded


def inspect_key(material: KeyMaterial) -> CertificateInfo:
    """Open the key material and return its signing certificate, or raise SigningError."""
    loaded = _open(material)
    loaded.close()
    return _info(loaded.cert)


# --- signing -------------------------------------------------------------------------------


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine from sync code, also when this thread already runs an event loop
    (pytest-playwright's sync API does), where asyncio.run() would refuse."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop_running = False
    else:
        loop_running = True
    if not loop_running:
        return asyncio.run(factory())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _stamp_style(appearance: Appearance):
    from PIL import Image
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import StaticStampStyle, TextStampStyle

    background = None
    if appearance.image_png:
        try:
            image = Image.open(io.BytesIO(appearance.image_png))
            image.load()
        except Exception as exc:
            raise SigningError("Ảnh chữ ký/con dấu không đọc được (cần tệp PNG).") from exc
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        background = PdfImage(image)
    fit = layout.SimpleBoxLayoutRule(
        x_align=layout.AxisAlignment.ALIGN_MID,
        y_align=layout.AxisAlignment.ALIGN_MID,
        margins=layout.Margins.uniform(0),
        inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
    )
    if not appearance.text:
        return StaticStampStyle(
            background=background, background_layout=fit, background_opacity=1.0, border_width=0
        )
    size = appearance.font_size
    return TextStampStyle(
        # stamp_text is %-formatted by pyHanko; the caller's text is taken literally
        stamp_text=appearance.text.replace("%", "%%"),
        text_box_style=TextBoxStyle(
            font=GlyphAccumulatorFactory(str(FONT), font_size=size),
            font_size=size,
            leading=round(size * 1.25),
            border_width=0,
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MAX,
                margins=layout.Margins.uniform(0),
            ),
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MAX,
            margins=layout.Margins.uniform(2),
        ),
        background=background,
        background_layout=fit,
        background_opacity=1.0,
        border_width=0,
    )


def _page_count(writer) -> int:
    return int(writer.root["/Pages"]["/Count"])


def sign_pdf(
    pdf: bytes,
    *,
    material: KeyMaterial,
    field_name: str,
    appearance: Appearance | None,
    reason: str = "",
    location: str = "",
    timestamp_url: str | None = None,
    timestamper=None,
) -> tuple[bytes, CertificateInfo, datetime]:
    """Sign `pdf` in a new signature field; return (signed pdf, signer, signing time).

    `timestamper` (any pyHanko TimeStamper, e.g. DummyTimeStamper in tests) wins over
    `timestamp_url`; with either, the signature is PAdES B-T, otherwise B-B.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers, timestamps

    if timestamper is None and timestamp_url:
        timestamper = timestamps.HTTPTimeStamper(timestamp_url)

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:
        raise SigningError("Tệp PDF bị hỏng hoặc không đọc được.") from exc
    if writer.prev.encrypted:
        raise SigningError("Không ký được tệp PDF đã đặt mật khẩu.")
    existing = {
        s.field_name for s in PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    }
    if field_name in existing:
        raise SigningError(f"Trường chữ ký “{field_name}” đã được ký.")

    field_spec = None
    stamp_style = None
    if appearance is not None:
        pages = _page_count(writer)
        page = appearance.page if appearance.page >= 0 else pages + appearance.page
        if not 0 <= page < pages:
            raise SigningError(f"Tài liệu không có trang {appearance.page + 1}.")
        x1, y1, x2, y2 = appearance.box
        field_spec = fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=page,
            box=(round(min(x1, x2)), round(min(y1, y2)), round(max(x1, x2)), round(max(y1, y2))),
        )
        stamp_style = _stamp_style(appearance)

    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
    )

    loaded = _open(material)

    async def sign() -> bytes:
        out = io.BytesIO()
        pdf_signer = signers.PdfSigner(
            meta,
            signer=loaded.signer,
            timestamper=timestamper,
            stamp_style=stamp_style,
            new_field_spec=field_spec,
        )
        await pdf_signer.async_sign_pdf(writer, output=out)
        return out.getvalue()

    try:
        signed = _run(sign)
    except SigningError:
        raise
    except Exception as exc:
        if timestamper is not None and "timestamp" in f"{type(exc).__name__} {exc}".lower():
            raise SigningError(
                "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian."
            ) from exc
        raise SigningError(f"Ký số không thành công: {exc}") from exc
    finally:
        loaded.close()

    reader = PdfFileReader(io.BytesIO(signed))
    sig = next(s for s in reader.embedded_signatures if s.field_name == field_name)
    signing_time = sig.self_reported_timestamp or datetime.now(UTC)
    return signed, _info(loaded.cert), signing_time


# --- validation ----------------------------------------------------------------------------


def _summary(*, intact, valid, trusted, modified_after, trust_problem, timestamped) -> str:
    from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate

    if not intact:
        return "Nội dung đã ký bị thay đổi, chữ ký không còn nguyên vẹn"
    if not valid:
        return "Chữ ký số không hợp lệ"
    if modified_after:
        return "Tài liệu đã bị sửa sau khi ký"
    if not trusted:
        if trust_problem in (AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE):
            return "Chứng thư số của người ký đã bị thu hồi"
        if trust_problem in (AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.EXPIRED):
            return "Chứng thư số đã hết hạn hoặc chưa có hiệu lực tại thời điểm ký"
        if trust_problem in (
            AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND,
            # a chain by name to a trusted root whose key did not sign it: an impostor CA
            AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE,
        ):
            return "Chứng thư không thuộc tổ chức chứng thực được tin cậy"
        return "Không xác thực được chứng thư số của người ký"
    if timestamped:
        return "Chữ ký hợp lệ, chứng thư tin cậy, có dấu thời gian"
    return "Chữ ký hợp lệ, chứng thư tin cậy"


def validate_pdf(pdf: bytes, *, trust_roots: list[bytes]) -> list[SignatureCheck]:
    """Check every signature in `pdf` against `trust_roots` (PEM or DER), in signing order.

    Nothing is fetched from the network; revocation is soft-fail (a test CA has no CRL/OCSP).
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    roots = _asn1_certs(trust_roots)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = reader.embedded_signatures
    except Exception as exc:
        raise SigningError("Tệp PDF bị hỏng hoặc không đọc được.") from exc

    async def check_all() -> list[SignatureCheck]:
        checks = []
        for sig in embedded:
            vc = ValidationContext(trust_roots=roots, allow_fetching=False)
            status = await async_validate_pdf_signature(sig, vc)
            signer = _info(x509.load_der_x509_certificate(sig.signer_cert.dump()))
            modified_after = status.docmdp_ok is False or status.coverage not in (
                SignatureCoverageLevel.ENTIRE_FILE,
                SignatureCoverageLevel.ENTIRE_REVISION,
            )
            ts = status.timestamp_validity
            checks.append(
                SignatureCheck(
                    field_name=str(sig.field_name),  # not pyHanko's string, which keeps its reader
                    signer=signer,
                    signing_time=status.signer_reported_dt,
                    intact=status.intact,
                    valid=status.valid,
                    trusted=status.trusted,
                    covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                    modified_after=modified_after,
                    timestamp=ts.timestamp if ts is not None else None,
                    summary=_summary(
                        intact=status.intact,
                        valid=status.valid,
                        trusted=status.trusted,
                        modified_after=modified_after,
                        trust_problem=status.trust_problem_indic,
                        timestamped=ts is not None and ts.intact and ts.valid,
                    ),
                )
            )
        return checks

    return _run(check_all)


def _out_of_memory(exc: BaseException | None) -> bool:
    """Whether an allocation failed somewhere in the chain (zlib and other C code say so in
    words, and pyHanko wraps what it catches)."""
    while exc is not None:
        if isinstance(exc, MemoryError) or "memory" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def check_file(path: str, trust_roots: list[bytes]) -> dict:
    """validate_pdf for a child process (guards.bounded): read the file at `path`, return
    plain data, {"checks": [...]} or {"unreadable": "..."} for what is not a readable PDF."""
    # Given back as soon as anything fails: looking at an error needs a little memory, and
    # the parser may have left none.
    reserve = bytearray(8 * 1024 * 1024)
    with open(path, "rb") as handle:
        pdf = handle.read()
    try:
        checks = validate_pdf(pdf, trust_roots=trust_roots)
    except Exception as exc:
        del reserve
        if not _out_of_memory(exc):  # not a PDF, or signatures pyHanko cannot read
            return {"unreadable": f"{type(exc).__name__}: {exc}"[:300]}
    else:
        return {"checks": [asdict(check) for check in checks]}
    # Out of memory: raised again out here, once the traceback and the parser's objects its
    # frames held are gone (some sit in reference cycles, hence the collection).
    del pdf
    gc.collect()
    raise MemoryError("over the memory limit while reading the PDF")


def checks_from_plain(plain: list[dict]) -> list[SignatureCheck]:
    """The other side of check_file: SignatureCheck objects from its plain data."""
    return [
        SignatureCheck(**{**check, "signer": CertificateInfo(**check["signer"])}) for check in plain
    ]


def signature_boxes(pdf: bytes) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Signature field name -> (page index, /Rect) of its widget, read back with pypdf."""
    from pypdf import PdfReader

    boxes = {}
    for index, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Widget":
                continue
            node, kind, names = annot, None, []
            while node is not None:
                kind = kind or node.get("/FT")
                if "/T" in node:
                    names.append(str(node["/T"]))
                node = node.get("/Parent")
                node = node.get_object() if node is not None else None
            if kind == "/Sig" and names:
                rect = tuple(float(v) for v in annot["/Rect"])
                boxes[".".join(reversed(names))] = (index, rect)
    return boxes
