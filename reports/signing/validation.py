"""Validating the signatures of a PDF with pyHanko, also from a bounded child process
(`check_file` returns plain data). Nothing is fetched from the network. No Django here."""

from __future__ import annotations

import gc
import io
import zlib
from dataclasses import asdict

from cryptography import x509

from reports.signing.certificates import (
    CertificateInfo,
    SignatureCheck,
    SigningError,
    asn1_certificates,
    describe,
    run_coroutine,
)

# Bytes after the last signature (an incremental update, or anything else written after it):
# no signature covers them, whatever they are.
APPENDED = "Tệp có thêm nội dung sau khi ký: chữ ký không bao trùm toàn bộ tệp"


def _summary(
    *,
    intact: bool,
    valid: bool,
    trusted: bool,
    modified_after: bool,
    appended: bool,
    trust_problem: object,
    timestamped: bool,
) -> str:
    from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate  # noqa: PLC0415 (pyHanko: slow import)

    if not intact:
        return "Nội dung đã ký bị thay đổi, chữ ký không còn nguyên vẹn"
    if not valid:
        return "Chữ ký số không hợp lệ"
    if modified_after:
        if appended:
            return APPENDED
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
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.sign.validation import async_validate_pdf_signature  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.sign.validation.status import SignatureCoverageLevel  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko_certvalidator import ValidationContext  # noqa: PLC0415 (pyHanko: slow import)

    roots = asn1_certificates(trust_roots)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = reader.embedded_signatures
    except Exception as exc:
        raise SigningError("Tệp PDF bị hỏng hoặc không đọc được.") from exc

    async def check_all() -> list[SignatureCheck]:
        statuses = []
        for sig in embedded:
            vc = ValidationContext(trust_roots=roots, allow_fetching=False)
            statuses.append((sig, await async_validate_pdf_signature(sig, vc)))
        # Only the last signature may cover the whole file: the earlier ones are followed by
        # the later signatures (checked by pyHanko's diff analysis, docmdp_ok). Anything
        # after the last one is covered by none of them, so every signature says so.
        last = max((sig.byte_range[-2] + sig.byte_range[-1] for sig in embedded), default=0)
        appended = any(
            sig.byte_range[-2] + sig.byte_range[-1] == last
            and status.coverage != SignatureCoverageLevel.ENTIRE_FILE
            for sig, status in statuses
        )
        checks = []
        for sig, status in statuses:
            signer = describe(x509.load_der_x509_certificate(sig.signer_cert.dump()))
            modified_after = (
                appended
                or status.docmdp_ok is False
                or status.coverage
                not in (
                    SignatureCoverageLevel.ENTIRE_FILE,
                    SignatureCoverageLevel.ENTIRE_REVISION,
                )
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
                        appended=appended and status.docmdp_ok is not False,
                        trust_problem=status.trust_problem_indic,
                        timestamped=ts is not None and ts.intact and ts.valid,
                    ),
                    trust_root=_trust_root(status) if status.trusted else "",
                )
            )
        return checks

    return run_coroutine(check_all)


def _trust_root(status: object) -> str:
    """SHA-256 (hex) of the root certificate that the signer's chain ends at."""
    path = getattr(status, "validation_path", None)
    anchor = getattr(path, "trust_anchor", None)
    certificate = getattr(getattr(anchor, "authority", None), "certificate", None)
    return certificate.sha256.hex() if certificate is not None else ""


def _inflate_problem(data: bytes) -> str:
    """Why a Flate stream does not inflate (its Adler-32 check catches a changed byte), or
    "". Inflated by the megabyte and thrown away: only whether it inflates matters."""
    inflater = zlib.decompressobj()
    try:
        while data:
            inflater.decompress(data, 1 << 20)
            data = inflater.unconsumed_tail
    except zlib.error as exc:
        return f"zlib: {exc}"
    return ""


def structure_problem(pdf: bytes) -> str:
    """Why `pdf` is damaged, or "" when every object reachable from its trailer parses and
    every Flate stream inflates. A flipped byte in a compressed stream (fonts, page content)
    or a cut-off file fails here even when the file has no signature to break. Only the
    Flate layer is checked, not predictors or image filters: the decoders of a validator are
    stricter than PDF readers, and a file every reader shows is not damaged."""
    from pyhanko.pdf_utils import generic  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415 (pyHanko: slow import)

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        seen: set[tuple[int, int]] = set()
        stack: list[object] = [reader.trailer_view]
        while stack:
            item = stack.pop()
            if isinstance(item, generic.IndirectObject):
                key = (item.idnum, item.generation)
                if key in seen:
                    continue
                seen.add(key)
                item = item.get_object()
            if isinstance(item, generic.StreamObject):
                filters = item.get("/Filter")
                first = filters[0] if isinstance(filters, list) and filters else filters
                if first == "/FlateDecode":
                    problem = _inflate_problem(item.encoded_data)
                    if problem:
                        return problem
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    except Exception as exc:
        if _out_of_memory(exc):
            raise
        return f"{type(exc).__name__}: {exc}"[:300]
    return ""


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
    plain data, {"checks": [...]} (with "damaged": "..." when a stream or object of it does
    not parse) or {"unreadable": "..."} for what is not a readable PDF."""
    # Given back as soon as anything fails: looking at an error needs a little memory, and
    # the parser may have left none.
    reserve = bytearray(8 * 1024 * 1024)
    with open(path, "rb") as handle:
        pdf = handle.read()
    try:
        checks = validate_pdf(pdf, trust_roots=trust_roots)
        damaged = structure_problem(pdf)
    except Exception as exc:
        del reserve
        if not _out_of_memory(exc):  # not a PDF, or signatures pyHanko cannot read
            return {"unreadable": f"{type(exc).__name__}: {exc}"[:300]}
    else:
        found: dict = {"checks": [asdict(check) for check in checks]}
        if damaged:
            found["damaged"] = damaged
        return found
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
