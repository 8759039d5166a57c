"""Signing (ký số) an issued report, in the order of Nghị định 30/2020, Điều 14: the signer
(visible signature in the signature block), then the organisation (its seal over the left
third of the signature; the separately filed appendix gets the organisation's text stamp at
the top right of page 1).

The PDF work is done by reports.signing (no Django); here are the rules, the records and the
stored files. If a step fails after a signed file was stored, the file is removed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.access import sign_organisation_refusal, sign_person_refusal
from audit.services import Action
from guards.storage import StoredFiles, removed_on_error
from reports.models import DocumentEvent, IssuedFile, Report, SignatureRecord, SigningKey
from reports.services.drafting import report_audit
from reports.services.issuing import issued_file_store
from reports.services.notices import report_awaiting_seal_notify, report_signed_settle
from reports.services.signing_attempts import WRONG_SECRET, signing_attempts_limited
from reports.signing import (
    Appearance,
    CertificateInfo,
    KeyMaterial,
    SigningError,
    WrongSecret,
    sign_pdf,
)

MM = 72 / 25.4


def key_material(key: SigningKey, secret: str) -> KeyMaterial:
    """The key and the passphrase (or PIN) typed now, or read from the key's environment
    variable for an unattended organisation key. The secret is never stored."""
    if not secret and key.passphrase_env:
        secret = os.environ.get(key.passphrase_env, "")
    chain = [block.encode() for block in split_pem(key.chain_pem)]
    if key.kind == SigningKey.Kind.PKCS12:
        with key.pkcs12.open("rb") as handle:
            data = handle.read()
        return KeyMaterial(kind="pkcs12", pkcs12=data, passphrase=secret.encode(), chain_pem=chain)
    return KeyMaterial(
        kind="pkcs11",
        pkcs11_module=key.pkcs11_module,
        token_label=key.token_label,
        key_label=key.key_label,
        pin=secret,
        certificate_pem=key.certificate_pem.encode(),
        chain_pem=chain,
    )


def split_pem(text: str) -> list[str]:
    blocks, current = [], []
    for line in (text or "").splitlines():
        current.append(line)
        if line.startswith("-----END"):
            blocks.append("\n".join(current) + "\n")
            current = []
    return blocks


def _timestamp_url() -> str | None:
    return settings.SIGNING_TSA_URL or None


def _record_signature(
    issued: IssuedFile,
    role: str,
    field: str,
    key: SigningKey,
    info: CertificateInfo,
    signed_at: datetime,
    by: User,
) -> None:
    SignatureRecord.objects.create(
        issued_file=issued,
        role=role,
        field_name=field,
        key=key,
        subject=info.subject,
        common_name=info.common_name,
        issuer=info.issuer,
        serial=info.serial,
        not_before=info.not_before,
        not_after=info.not_after,
        fingerprint=info.sha256_fingerprint,
        signed_at=signed_at,
        level="B-T" if _timestamp_url() else "B-B",
        by=by,
    )


def pdf_sign(data: bytes, **kwargs: Any) -> tuple[bytes, CertificateInfo, datetime]:
    try:
        return sign_pdf(data, timestamp_url=_timestamp_url(), **kwargs)
    except WrongSecret as error:
        raise ValidationError(str(error), code=WRONG_SECRET) from None
    except SigningError as error:
        raise ValidationError(str(error)) from None


def key_image(key: SigningKey) -> bytes | None:
    if not key.appearance:
        return None
    with key.appearance.open("rb") as handle:
        return handle.read()


def signer_box(box: list[float]) -> tuple[float, float, float, float]:
    """The signature image fills the signature space's height, centred, at most 2.5:1."""
    x1, y1, x2, y2 = box
    width = min(x2 - x1, (y2 - y1) * 2.5)
    middle = (x1 + x2) / 2
    return (middle - width / 2, y1, middle + width / 2, y2)


def seal_box(signature: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The round seal over the left third of the signature image (Nghị định 30, Phụ lục I)."""
    x1, y1, x2, y2 = signature
    size = min((y2 - y1) * 1.25, 36 * MM)
    right = x1 + (x2 - x1) / 3
    middle = (y1 + y2) / 2
    return (right - size, middle - size / 2, right, middle + size / 2)


def appendix_stamp_box(page_size: tuple[float, float]) -> tuple[float, float, float, float]:
    width, height = page_size
    x2 = width - 15 * MM
    y2 = height - 4 * MM
    return (x2 - 72 * MM, y2 - 12 * MM, x2, y2)


@dataclass(frozen=True)
class Signed:
    data: bytes
    info: CertificateInfo
    at: datetime
    box: tuple[float, float, float, float]


def sign_as_person(
    data: bytes, *, key: SigningKey, secret: str, place: dict, name: str, reason: str, location: str
) -> Signed:
    """The signer's visible signature in the signature space `place` of an issued PDF (the
    key's image, or `name` when it has none): a commune's report and the city's documents."""
    box = signer_box(place["box"])
    signed, info, signed_at = pdf_sign(
        data,
        material=key_material(key, secret),
        field_name="ChuKyNguoiKy",
        appearance=Appearance(
            page=place["page"],
            box=box,
            image_png=key_image(key),
            text=None if key.appearance else name,
        ),
        reason=reason,
        location=location,
    )
    return Signed(signed, info, signed_at, box)


def sign_as_organisation(
    data: bytes,
    *,
    key: SigningKey,
    material: KeyMaterial,
    place: dict,
    signer: list[float],
    name: str,
    reason: str,
    location: str,
) -> Signed:
    """The organisation's seal over the left third of the signer's signature (`signer`, its
    box), on the page of the signature space `place`."""
    box = seal_box(tuple(signer))  # type: ignore[arg-type]
    signed, info, signed_at = pdf_sign(
        data,
        material=material,
        field_name="ChuKyCoQuan",
        appearance=Appearance(
            page=place["page"],
            box=box,
            image_png=key_image(key),
            text=None if key.appearance else name,
        ),
        reason=reason,
        location=location,
    )
    return Signed(signed, info, signed_at, box)


@signing_attempts_limited
def report_sign_person(*, report: Report, key: SigningKey, secret: str, by: User) -> IssuedFile:
    """The signer named in the signature block signs the issued report, visibly, from their
    own account (`by` is the signer) and with their own key: nobody signs for them."""
    with removed_on_error() as stored, transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("assessment", "signer")
            .get(pk=report.pk)
        )
        refusal = sign_person_refusal(by, report)
        if refusal:
            raise ValidationError(refusal, code="not_allowed")
        if key.owner_id != by.pk or key.commune_id != report.assessment.commune_id:
            raise ValidationError(
                "Hãy chọn khóa ký số của chính Đồng chí (khóa của người khác không ký thay được).",
                code="not_allowed",
            )
        unsigned = report.files.get(kind=IssuedFile.Kind.REPORT, stage=IssuedFile.Stage.UNSIGNED)
        place = unsigned.meta["signature_box"]
        result = sign_as_person(
            unsigned.read(),
            key=key,
            secret=secret,
            place=place,
            name=report.signer_name,
            reason=f"Ký ban hành {report.number_text}",
            location=report.assessment.commune.document_place,
        )
        signed, info, signed_at, box = result.data, result.info, result.at, result.box
        return person_signature_store(
            report=report,
            key=key,
            by=by,
            data=signed,
            meta={"signature_box": place, "signer_box": box},
            info=info,
            signed_at=signed_at,
            stored=stored,
        )


def person_signature_store(
    *,
    report: Report,
    key: SigningKey,
    by: User,
    data: bytes,
    meta: dict[str, Any],
    info: CertificateInfo,
    signed_at: datetime,
    stored: StoredFiles,
    remote: str = "",
) -> IssuedFile:
    """Store the report signed by the person and record it (signature, document log, audit),
    then settle the signer's notice and tell the secretary: the same for a local signature and
    a remote one (`remote`: the provider's transaction). Inside the caller's transaction."""
    issued = issued_file_store(
        report=report,
        kind=IssuedFile.Kind.REPORT,
        stage=IssuedFile.Stage.PERSON,
        data=data,
        by=by,
        meta=meta,
        stored=stored,
    )
    _record_signature(issued, SignatureRecord.Role.PERSON, "ChuKyNguoiKy", key, info, signed_at, by)
    how = " (ký số từ xa)" if remote else ""
    DocumentEvent.objects.create(
        report=report,
        action=DocumentEvent.Action.SIGN_PERSON,
        user=by,
        sha256=issued.sha256,
        detail=f"{info.common_name} – {info.issuer_name} – số hiệu {info.serial}{how}",
    )
    details: dict[str, Any] = {"remote": remote} if remote else {}
    report_audit(
        report,
        Action.REPORT_SIGN,
        by,
        f"Người có thẩm quyền ký số{' từ xa' if remote else ''} {report.number_text}: "
        f"{info.common_name}",
        role="person",
        key=key.pk,
        serial=str(info.serial),
        sha256=issued.sha256,
        **details,
    )
    report_signed_settle(report=report, step="person")
    report_awaiting_seal_notify(report=report)
    return issued


@signing_attempts_limited
def report_sign_organisation(
    *, report: Report, key: SigningKey, secret: str, by: User
) -> IssuedFile:
    """The commune signs after the signer: its seal on the report, a text stamp on the
    separately filed appendix."""
    with removed_on_error() as stored, transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("assessment", "signer")
            .get(pk=report.pk)
        )
        refusal = sign_organisation_refusal(by, report)
        if refusal:
            raise ValidationError(refusal, code="not_allowed")
        if key.owner_id is not None or key.commune_id != report.assessment.commune_id:
            raise ValidationError("Hãy chọn khóa ký số của cơ quan (con dấu) thuộc xã này.")
        person = report.files.get(kind=IssuedFile.Kind.REPORT, stage=IssuedFile.Stage.PERSON)
        material = key_material(key, secret)
        result = sign_as_organisation(
            person.read(),
            key=key,
            material=material,
            place=person.meta["signature_box"],
            signer=person.meta["signer_box"],
            name=report.assessment.commune.committee_name,
            reason=f"Ký số của cơ quan, ban hành {report.number_text}",
            location=report.assessment.commune.document_place,
        )
        signed, info, signed_at = result.data, result.info, result.at
        issued = issued_file_store(
            report=report,
            kind=IssuedFile.Kind.REPORT,
            stage=IssuedFile.Stage.ORGANISATION,
            data=signed,
            by=by,
            meta=person.meta,
            stored=stored,
        )
        _record_signature(
            issued, SignatureRecord.Role.ORGANISATION, "ChuKyCoQuan", key, info, signed_at, by
        )
        appendix = report.files.get(kind=IssuedFile.Kind.APPENDIX, stage=IssuedFile.Stage.UNSIGNED)
        now = timezone.localtime()
        stamp = f"{report.number_text}\n{now.isoformat(timespec='seconds')}"
        signed_appendix, info_a, signed_at_a = pdf_sign(
            appendix.read(),
            material=material,
            field_name="ChuKyCoQuanPhuLuc",
            appearance=Appearance(
                page=0, box=appendix_stamp_box((841.89, 595.28)), text=stamp, font_size=10
            ),
            reason=f"Phụ lục kèm theo {report.number_text}",
            location=report.assessment.commune.document_place,
        )
        issued_appendix = issued_file_store(
            report=report,
            kind=IssuedFile.Kind.APPENDIX,
            stage=IssuedFile.Stage.ORGANISATION,
            data=signed_appendix,
            by=by,
            stored=stored,
        )
        _record_signature(
            issued_appendix,
            SignatureRecord.Role.ORGANISATION,
            "ChuKyCoQuanPhuLuc",
            key,
            info_a,
            signed_at_a,
            by,
        )
        for action, record in (
            (DocumentEvent.Action.SIGN_ORGANISATION, issued),
            (DocumentEvent.Action.SIGN_APPENDIX, issued_appendix),
        ):
            DocumentEvent.objects.create(
                report=report,
                action=action,
                user=by,
                sha256=record.sha256,
                detail=f"{info.common_name} – {info.issuer_name} – số hiệu {info.serial}",
            )
        report_audit(
            report,
            Action.REPORT_SIGN,
            by,
            f"Cơ quan ký số {report.number_text} và phụ lục: {info.common_name}",
            role="organisation",
            key=key.pk,
            serial=str(info.serial),
            sha256=issued.sha256,
        )
        report_signed_settle(report=report, step="organisation")
    return issued
