"""What signing and validation share: errors, key material, certificate details, and a
way to run pyHanko's coroutines from sync code. No Django here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from reports.names import common_name

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
        return common_name(self.issuer)


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
    # SHA-256 (hex) of the trust root the certificate chains to, when trusted: the caller
    # knows which roots are for tests only and says so wherever trust is shown.
    trust_root: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.modified_after


def load_certificate(data: bytes) -> x509.Certificate:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise SigningError("Tệp chứng thư số không đọc được (không phải X.509 PEM/DER).") from exc


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def asn1_certificates(blobs: list[bytes]) -> list[asn1_x509.Certificate]:
    certs = []
    for blob in blobs:
        if pem.detect(blob):
            for _, _, der in pem.unarmor(blob, multiple=True):
                certs.append(asn1_x509.Certificate.load(der))
        else:
            certs.append(asn1_x509.Certificate.load(blob))
    return certs


def describe(cert: x509.Certificate) -> CertificateInfo:
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
    return describe(load_certificate(cert_pem_or_der))


def check_validity(cert: x509.Certificate) -> None:
    now = datetime.now(UTC)
    if cert.not_valid_after_utc < now:
        day = cert.not_valid_after_utc.strftime("%d/%m/%Y")
        raise SigningError(f"Chứng thư số đã hết hạn từ ngày {day}.")
    if cert.not_valid_before_utc > now:
        day = cert.not_valid_before_utc.strftime("%d/%m/%Y")
        raise SigningError(f"Chứng thư số chưa có hiệu lực (từ ngày {day}).")


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
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
