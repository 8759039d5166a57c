"""PAdES signing of a PDF with pyHanko: bytes in, bytes out. No Django here.

Signing is PAdES baseline (SubFilter ETSI.CAdES.detached, SHA-256) as an incremental update,
so a second signature (the organisation's, after the person's) keeps the first one valid.
B-B by default, B-T when a timestamp authority is given.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reports.signing.appearance import appearance_style
from reports.signing.certificates import (
    Appearance,
    CertificateInfo,
    KeyMaterial,
    SigningError,
    describe,
    run_coroutine,
)
from reports.signing.keys import open_key

if TYPE_CHECKING:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec
    from pyhanko.sign.signers import PdfSignatureMetadata
    from pyhanko.sign.timestamps import TimeStamper
    from pyhanko.stamp import BaseStampStyle


def _page_count(writer: IncrementalPdfFileWriter) -> int:
    return int(writer.root["/Pages"]["/Count"])


def open_for_signing(
    pdf: bytes, field_name: str, appearance: Appearance | None
) -> tuple[IncrementalPdfFileWriter, SigFieldSpec | None, BaseStampStyle | None]:
    """The writer for an incremental update of `pdf`, the new field and its look; refuses a
    damaged or encrypted file and a field that is already signed. Local and remote signing
    share it, so both put the same field in the same place."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.sign import fields  # noqa: PLC0415 (pyHanko: slow import)

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
        stamp_style = appearance_style(appearance)
    return writer, field_spec, stamp_style


def signature_metadata(field_name: str, reason: str, location: str) -> PdfSignatureMetadata:
    """PAdES baseline, SHA-256, with the reason and place shown by PDF readers."""
    from pyhanko.sign import fields, signers  # noqa: PLC0415 (pyHanko: slow import)

    return signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
    )


def sign_pdf(
    pdf: bytes,
    *,
    material: KeyMaterial,
    field_name: str,
    appearance: Appearance | None,
    reason: str = "",
    location: str = "",
    timestamp_url: str | None = None,
    timestamper: TimeStamper | None = None,
) -> tuple[bytes, CertificateInfo, datetime]:
    """Sign `pdf` in a new signature field; return (signed pdf, signer, signing time).

    `timestamper` (any pyHanko TimeStamper, e.g. DummyTimeStamper in tests) wins over
    `timestamp_url`; with either, the signature is PAdES B-T, otherwise B-B.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.sign import signers, timestamps  # noqa: PLC0415 (pyHanko: slow import)

    if timestamper is None and timestamp_url:
        timestamper = timestamps.HTTPTimeStamper(timestamp_url)
    writer, field_spec, stamp_style = open_for_signing(pdf, field_name, appearance)
    meta = signature_metadata(field_name, reason, location)

    loaded = open_key(material)

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
        signed = run_coroutine(sign)
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
    return signed, describe(loaded.cert), signing_time
