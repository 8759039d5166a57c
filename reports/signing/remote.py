"""Remote signing with pyHanko's interrupted signing: the portal prepares the PDF and the hash,
a remote service (the signer confirms on the phone) signs the hash, the portal embeds the
signature later, in another request. No Django here.

1. `prepare_pdf` writes the new signature field (same field, box and look as local signing)
   with reserved space, digests the document, and builds the CMS signed attributes for the
   signer's certificate; `PreparedPdf` keeps what finishing needs (plain data, storable).
2. A `RemoteSigner` signs `SigningRequest.digest` (the SHA-256 of the signed attributes):
   `start` sends it to the provider, `poll` asks until the signer confirmed, refused, or the
   request expired. `reports.signing.csc.CSCService` does it with a CSC API service.
3. `finish_pdf` checks the returned signature against the certificate, assembles the CMS and
   fills the reserved space (`PdfTBSDocument.async_finish_signing`).

Another provider plugs in by implementing `RemoteSigner` (three methods) and naming its class
in the SIGNING_REMOTE_BACKEND setting; nothing else changes.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from reports.signing.certificates import (
    Appearance,
    CertificateInfo,
    SigningError,
    asn1_certificates,
    check_validity,
    describe,
    run_coroutine,
)
from reports.signing.pades import open_for_signing, signature_metadata

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

DIGEST = "sha256"
# Room for the provider's raw signature in the size estimate: RSA up to 4096 bits.
SIGNATURE_ROOM = 512


class RemoteError(SigningError):
    """The provider could not be reached or answered something the portal cannot use."""


class Outcome(StrEnum):
    PENDING = "pending"
    REFUSED = "refused"
    EXPIRED = "expired"
    SIGNED = "signed"


@dataclass(frozen=True)
class RemoteCredential:
    """The signer's credential at the provider: certificate (DER) first, then its chain."""

    certificate: bytes
    chain: list[bytes] = field(default_factory=list)


@dataclass(frozen=True)
class SigningRequest:
    """What the provider signs: `digest`, the SHA-256 of `signed_data` (the DER-encoded CMS
    signed attributes, for providers that hash themselves); `description` is what the
    signer reads on the phone. A provider that builds the whole CMS itself signs
    `document_digest` (the PDF's byte range) instead."""

    credential_id: str
    digest: bytes
    signed_data: bytes
    description: str
    document_digest: bytes = b""
    digest_algorithm: str = DIGEST


@dataclass(frozen=True)
class RemoteResult:
    """A provider's answer: still pending, refused, expired, or signed with either the raw
    signature value over `SigningRequest.signed_data` or a complete CMS SignedData."""

    outcome: Outcome
    signature: bytes = b""
    cms: bytes = b""
    message: str = ""


class RemoteSigner(Protocol):
    """A remote signing provider. Every call is synchronous and bounded in time; network and
    protocol failures raise RemoteError (a SigningError) with a Vietnamese message."""

    def credential(self, credential_id: str, user_id: str = "") -> tuple[str, RemoteCredential]:
        """The credential's id (the user's only one when `credential_id` is empty) and its
        certificates."""
        ...

    def start(self, request: SigningRequest) -> str:
        """Send the request to the signer's phone; return the provider's transaction id."""
        ...

    def poll(self, transaction: str, request: SigningRequest) -> RemoteResult:
        """Ask how the transaction stands; a signature once the signer confirmed."""
        ...


@dataclass(frozen=True)
class PreparedPdf:
    """A PDF waiting for its signature, and what finishing it needs. `state()` is plain JSON
    data; the PDF itself is kept apart (bytes)."""

    pdf: bytes
    field_name: str
    document_digest: bytes
    region: tuple[int, int]
    signed_attrs: bytes
    certificate: bytes
    chain: list[bytes]
    mechanism: str

    @property
    def digest(self) -> bytes:
        """What the signer's key signs: the hash of the signed attributes."""
        return hashlib.sha256(self.signed_attrs).digest()

    def state(self) -> dict[str, Any]:
        b64 = base64.b64encode
        return {
            "field_name": self.field_name,
            "document_digest": b64(self.document_digest).decode(),
            "region": list(self.region),
            "signed_attrs": b64(self.signed_attrs).decode(),
            "certificate": b64(self.certificate).decode(),
            "chain": [b64(c).decode() for c in self.chain],
            "mechanism": self.mechanism,
        }

    @classmethod
    def from_state(cls, pdf: bytes, state: dict[str, Any]) -> PreparedPdf:
        try:
            b64 = base64.b64decode
            start, end = state["region"]
            return cls(
                pdf=pdf,
                field_name=state["field_name"],
                document_digest=b64(state["document_digest"]),
                region=(int(start), int(end)),
                signed_attrs=b64(state["signed_attrs"]),
                certificate=b64(state["certificate"]),
                chain=[b64(c) for c in state["chain"]],
                mechanism=state["mechanism"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SigningError("Dữ liệu chờ ký bị hỏng; hãy ký lại.") from exc


def _mechanism(cert: x509.Certificate) -> str:
    public = cert.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        return "sha256_rsa"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return "sha256_ecdsa"
    raise SigningError("Chứng thư số dùng loại khóa chưa được hỗ trợ (chỉ RSA hoặc ECDSA).")


def _load(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise RemoteError("Dịch vụ ký số trả về chứng thư số không đọc được.") from exc


def prepare_pdf(
    pdf: bytes,
    *,
    credential: RemoteCredential,
    field_name: str,
    appearance: Appearance | None,
    reason: str = "",
    location: str = "",
    timestamper: TimeStamper | None = None,
) -> PreparedPdf:
    """The PDF with the new signature field and reserved space, and the signed attributes
    the provider must sign (step 1 of pyHanko's interrupted signing)."""
    from pyhanko.sign import signers  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes  # noqa: PLC0415
    from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: PLC0415

    cert = _load(credential.certificate)
    check_validity(cert)
    mechanism = _mechanism(cert)
    writer, field_spec, stamp_style = open_for_signing(pdf, field_name, appearance)
    meta = signature_metadata(field_name, reason, location)
    [signing_cert] = asn1_certificates([credential.certificate])
    store = SimpleCertificateStore()
    store.register_multiple(asn1_certificates(credential.chain))
    placeholder = signers.ExternalSigner(
        signing_cert=signing_cert,
        cert_registry=store,
        signature_value=SIGNATURE_ROOM,
    )

    async def prepare() -> tuple[Any, bytes, bytes]:
        pdf_signer = signers.PdfSigner(
            meta,
            signer=placeholder,
            timestamper=timestamper,
            stamp_style=stamp_style,
            new_field_spec=field_spec,
        )
        output = io.BytesIO()
        digest, _tbs, _out = await pdf_signer.async_digest_doc_for_signing(writer, output=output)
        attributes = await placeholder.signed_attrs(
            digest.document_digest,
            DIGEST,
            attr_settings=PdfCMSSignedAttributes(signing_time=datetime.now(UTC)),
            use_pades=True,
        )
        return digest, output.getvalue(), attributes.dump()

    try:
        digest, prepared, signed_attrs = run_coroutine(prepare)
    except SigningError:
        raise
    except Exception as exc:
        raise SigningError(f"Không chuẩn bị được tệp để ký: {exc}") from exc
    return PreparedPdf(
        pdf=prepared,
        field_name=field_name,
        document_digest=digest.document_digest,
        region=(digest.reserved_region_start, digest.reserved_region_end),
        signed_attrs=signed_attrs,
        certificate=credential.certificate,
        chain=list(credential.chain),
        mechanism=mechanism,
    )


def _check_signature(prepared: PreparedPdf, signature: bytes) -> None:
    """The provider's signature must verify with the certificate the PDF names: a wrong or
    garbled answer is refused before it is written into a document."""
    public = _load(prepared.certificate).public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, prepared.signed_attrs, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, prepared.signed_attrs, ec.ECDSA(hashes.SHA256()))
        else:  # prepare_pdf refused other keys
            raise InvalidSignature
    except InvalidSignature:
        raise RemoteError(
            "Chữ ký do dịch vụ ký số trả về không khớp với chứng thư số của người ký."
        ) from None


def _cms_digest(cms_der: bytes) -> bytes:
    from asn1crypto import cms  # noqa: PLC0415

    try:
        info = cms.ContentInfo.load(cms_der)
        [signer_info] = info["content"]["signer_infos"]
        for attribute in signer_info["signed_attrs"]:
            if attribute["type"].native == "message_digest":
                return bytes(attribute["values"][0].native)
    except Exception as exc:
        raise RemoteError("Dịch vụ ký số trả về gói chữ ký (CMS) không đọc được.") from exc
    raise RemoteError("Gói chữ ký (CMS) của dịch vụ ký số thiếu giá trị băm của văn bản.")


def finish_pdf(
    prepared: PreparedPdf,
    result: RemoteResult,
    *,
    timestamper: TimeStamper | None = None,
) -> tuple[bytes, CertificateInfo, datetime]:
    """The signed PDF, the signer and the signing time, from the provider's answer (step 3
    of the interrupted signing): a raw signature is packed into the CMS with the signed
    attributes prepared earlier, a complete CMS is embedded as it is."""
    from asn1crypto import algos, cms  # noqa: PLC0415
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.sign import signers  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest  # noqa: PLC0415
    from pyhanko.sign.signers.pdf_signer import PdfTBSDocument  # noqa: PLC0415
    from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: PLC0415

    if result.outcome != Outcome.SIGNED or not (result.signature or result.cms):
        raise SigningError("Chưa có chữ ký từ dịch vụ ký số.")
    if result.cms:
        if _cms_digest(result.cms) != prepared.document_digest:
            raise RemoteError("Gói chữ ký (CMS) của dịch vụ ký số không phải cho văn bản này.")
    else:
        _check_signature(prepared, result.signature)
    [signing_cert] = asn1_certificates([prepared.certificate])
    store = SimpleCertificateStore()
    store.register_multiple(asn1_certificates(prepared.chain))
    signer = signers.ExternalSigner(
        signing_cert=signing_cert,
        cert_registry=store,
        signature_value=result.signature or SIGNATURE_ROOM,
        signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": prepared.mechanism}),
    )
    start, end = prepared.region

    async def finish() -> bytes:
        if result.cms:
            signature_cms: bytes | cms.ContentInfo = result.cms
        else:
            signature_cms = await signer.async_sign_prescribed_attributes(
                DIGEST,
                signed_attrs=cms.CMSAttributes.load(prepared.signed_attrs),
                timestamper=timestamper,
            )
        output = io.BytesIO(prepared.pdf)
        await PdfTBSDocument.async_finish_signing(
            output,
            PreparedByteRangeDigest(prepared.document_digest, start, end),
            signature_cms,
        )
        return output.getvalue()

    try:
        signed = run_coroutine(finish)
    except SigningError:
        raise
    except Exception as exc:
        if timestamper is not None and "timestamp" in f"{type(exc).__name__} {exc}".lower():
            raise SigningError(
                "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian."
            ) from exc
        raise SigningError(f"Không hoàn tất được chữ ký: {exc}") from exc

    reader = PdfFileReader(io.BytesIO(signed))
    sig = next(s for s in reader.embedded_signatures if s.field_name == prepared.field_name)
    signing_time = sig.self_reported_timestamp or datetime.now(UTC)
    return signed, describe(_load(prepared.certificate)), signing_time
