"""Issuing and signing the city's documents, through the commune report's path: a number from
the issuing body's own register (reports.services.issuing.register_next_number), the PDF
made by the reports renderer with its signature space located, signed with pyHanko
(reports.services.signing) first by the person named to sign, then by the body (its seal).

Sở Nội vụ's report takes its number from the department's register (BC-SNV); the recognition
decision from the People's Committee's (QĐ-UBND). When the decision carries both signatures,
the submissions it lists are settled as the council concluded (`recognition_record`).
Each step is one transaction: a failed step keeps no number, no row and no file.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from appraisal import documents
from appraisal.council_services import recognition_record
from appraisal.models import CityDocument, CityDocumentFile, Round, Submission
from assessments.access import (
    city_document_seal_refusal,
    city_document_sign_refusal,
    is_city_leader,
    require_city_admin,
)
from assessments.models import City, CityMembership
from audit.services import Action, audit_record
from guards.storage import StoredFiles, removed_on_error
from notifications.models import Notification
from notifications.services import notifications_settle, notify
from reports.documents import render_signable_pdf
from reports.models import RegisteredNumber, SigningKey
from reports.services.issuing import register_next_number
from reports.services.signing import key_material, sign_as_organisation, sign_as_person
from reports.services.signing_attempts import signing_attempts_limited
from reports.signing import CertificateInfo

Kind = CityDocument.Kind
Stage = CityDocumentFile.Stage

TEMPLATES = {Kind.SUMMARY: documents.SUMMARY_TEMPLATE, Kind.DECISION: documents.DECISION_TEMPLATE}
CONTEXTS = {Kind.SUMMARY: documents.summary_context, Kind.DECISION: documents.decision_context}


def city_leaders(city: City | int) -> QuerySet[CityMembership]:
    """The city's leaders who can be named to sign: active, with a personal signing key of
    the city."""
    city_id = city if isinstance(city, int) else city.pk
    return (
        CityMembership.objects.filter(
            city_id=city_id,
            role=CityMembership.Role.LEADER,
            user__is_active=True,
            user__signing_keys__city_id=city_id,
        )
        .select_related("user")
        .distinct()
        .order_by("user__last_name", "user__first_name")
    )


def signer_keys(user: User, city: City | int) -> QuerySet[SigningKey]:
    city_id = city if isinstance(city, int) else city.pk
    return SigningKey.objects.filter(city_id=city_id, owner=user).order_by("label")


def seal_keys(city: City | int) -> QuerySet[SigningKey]:
    city_id = city if isinstance(city, int) else city.pk
    return SigningKey.objects.filter(city_id=city_id, owner__isnull=True).order_by("label")


def issue_refusal(round_: Round, kind: str) -> str:
    """Why the round's document of `kind` cannot be issued now, or ""."""
    if CityDocument.objects.filter(round=round_, kind=kind).exists():
        return "Văn bản này của đợt đã được ban hành."
    if kind == Kind.SUMMARY and not Submission.objects.filter(round=round_).exists():
        return "Chưa có xã, phường nào gửi hồ sơ trong đợt này."
    if kind == Kind.DECISION and not documents.decided_submissions(round_):
        return "Chưa có hồ sơ nào có kết luận của Hội đồng để quyết định công nhận."
    return ""


def _store(
    document: CityDocument,
    *,
    stage: str,
    data: bytes,
    by: User,
    meta: dict[str, Any],
    stored: StoredFiles,
    name: str = "",
) -> CityDocumentFile:
    record = CityDocumentFile(
        document=document,
        stage=stage,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        meta=meta,
        created_by=by,
    )
    if name:  # decided and announced beforehand (`city_document_file_name`)
        stored.add_name(record.file.storage, name)
        saved = record.file.storage.save(name, ContentFile(data))
        if saved != name:
            stored.add_name(record.file.storage, saved)
            raise RuntimeError(f"Storage saved {name!r} as {saved!r}")
        record.file.name = saved
    else:
        record.file.save(f"{stage}.pdf", ContentFile(data), save=False)
        stored.add(record.file)
    record.save()
    return record


def city_document_file_name() -> str:
    """A fresh storage name for the PDF `city_document_issue` freezes, decided before it
    starts: the issuing job announces it (jobs.services.Run.track), so that the file of an
    attempt killed half-way is removed by the next one."""
    return f"city-documents/issued/{uuid.uuid4().hex}"


def _certificate(info: CertificateInfo, signed_at: Any, key: SigningKey) -> dict[str, Any]:
    return {
        "common_name": info.common_name,
        "issuer": info.issuer_name,
        "serial": str(info.serial),
        "fingerprint": info.sha256_fingerprint,
        "signed_at": signed_at.isoformat(),
        "key": key.pk,
        "is_test": key.is_test,
    }


def _notice_key(document: CityDocument) -> str:
    return f"city-document-sign:{document.pk}"


def city_document_issue(
    *,
    round_: Round,
    kind: str,
    signer: User,
    authority: str,
    by: User,
    file_name: str = "",
    on_issued: Callable[[CityDocument], None] | None = None,
) -> CityDocument:
    """Give the round's report or decision its number and today's date from the issuing
    body's register and freeze its PDF, to be signed by `signer` (a leader of the city with a
    signing key of the city) with `authority` (head, deputy, acting).

    Run as a job (appraisal/job_kinds.py): `file_name` is the PDF's storage name announced
    beforehand, and `on_issued` is called last inside the transaction (the job is done with
    the number, or neither is)."""
    require_city_admin(by, round_.city_id)
    with removed_on_error() as stored, transaction.atomic():
        round_ = (
            Round.objects.select_for_update()
            .select_related("city", "criteria_set")
            .get(pk=round_.pk)
        )
        city = round_.city
        errors: dict[str, str] = {}
        if kind not in Kind.values:
            raise ValidationError("Không có loại văn bản này.")
        if authority not in CityDocument.Authority.values:
            errors["authority"] = "Hãy chọn thẩm quyền ký."
        if not is_city_leader(signer, city) or not signer.is_active:
            errors["signer"] = "Người ký phải là lãnh đạo của thành phố đang hoạt động."
        elif not signer_keys(signer, city).exists():
            errors["signer"] = (
                f"{signer.get_full_name()} chưa có khóa ký số của thành phố; quản trị hệ "
                "thống thêm khóa trước khi ban hành."
            )
        if errors:
            raise ValidationError(errors)
        refusal = issue_refusal(round_, kind)
        if refusal:
            raise ValidationError(refusal)
        today = timezone.localdate()
        book, symbol = documents.book_and_symbol(kind, city.department)
        number = register_next_number(year=today.year, city=city, book=book)
        registration = RegisteredNumber.objects.create(
            city=city, book=book, year=today.year, number=number, symbol=symbol
        )
        document = CityDocument.objects.create(
            round=round_,
            kind=kind,
            registration=registration,
            number_text=f"{number:02d}/{symbol}",
            issue_date=today,
            signer=signer,
            signer_name=signer.get_full_name() or signer.get_username(),
            authority=authority,
            issued_by=by,
        )
        if kind == Kind.DECISION:
            document.submissions.set(documents.decided_submissions(round_))
        context = CONTEXTS[Kind(kind)](round_, document=document)
        rendered = render_signable_pdf(
            TEMPLATES[Kind(kind)], context, identifier=f"cqtt-city:{uuid.uuid4().hex}"
        )
        if not rendered.signature_box:
            raise ValidationError("Không xác định được chỗ ký trên văn bản; hãy báo quản trị.")
        unsigned = _store(
            document,
            stage=Stage.UNSIGNED,
            data=rendered.data,
            by=by,
            meta={"signature_box": rendered.signature_box},
            stored=stored,
            name=file_name,
        )
        audit_record(
            action=Action.CITY_DOCUMENT_ISSUE,
            user=by,
            target=document,
            target_label=str(document),
            summary=f"Ban hành {document}; người ký: {document.signer_name}",
            details={"round": round_.pk, "kind": kind, "sha256": unsigned.sha256},
        )
        notify(
            user=signer,
            kind=Notification.Kind.AWAITING_SIGNATURE,
            title=f"{document.get_kind_display()} số {document.number_text} chờ Đồng chí ký số",
            url=f"/thanh-pho/{city.pk}/van-ban/{round_.pk}/",
            key=_notice_key(document),
        )
        if on_issued is not None:
            on_issued(document)
    return document


def _locked(document: CityDocument) -> CityDocument:
    return (
        CityDocument.objects.select_for_update(of=("self",))
        .select_related("round__city")
        .get(pk=document.pk)
    )


@signing_attempts_limited
def city_document_sign(
    *, document: CityDocument, key: SigningKey, secret: str, by: User
) -> CityDocumentFile:
    """The person named to sign signs the issued document visibly, from their own account
    and with their own key: nobody signs for them."""
    with removed_on_error() as stored, transaction.atomic():
        document = _locked(document)
        refusal = city_document_sign_refusal(by, document)
        if refusal:
            raise ValidationError(refusal, code="not_allowed")
        if key.owner_id != by.pk or key.city_id != document.round.city_id:
            raise ValidationError(
                "Hãy chọn khóa ký số của chính Đồng chí (khóa của người khác không ký thay được).",
                code="not_allowed",
            )
        unsigned = document.files.get(stage=Stage.UNSIGNED)
        place = unsigned.meta["signature_box"]
        result = sign_as_person(
            unsigned.read(),
            key=key,
            secret=secret,
            place=place,
            name=document.signer_name,
            reason=f"Ký ban hành {document.number_text}",
            location=document.round.city.document_place,
        )
        record = _store(
            document,
            stage=Stage.PERSON,
            data=result.data,
            by=by,
            meta={
                "signature_box": place,
                "signer_box": result.box,
                "signature": _certificate(result.info, result.at, key),
            },
            stored=stored,
        )
        document.status = CityDocument.Status.SIGNED
        document.save(update_fields=["status"])
        audit_record(
            action=Action.CITY_DOCUMENT_SIGN,
            user=by,
            target=document,
            target_label=str(document),
            summary=f"Người có thẩm quyền ký số {document}: {result.info.common_name}",
            details={
                "role": "person",
                "serial": str(result.info.serial),
                "sha256": record.sha256,
            },
        )
        notifications_settle(key=_notice_key(document))
    return record


@signing_attempts_limited
def city_document_seal(
    *, document: CityDocument, key: SigningKey, secret: str, by: User
) -> CityDocumentFile:
    """The issuing body signs after the signer: its seal over the left third of the
    signature. A recognition decision then settles the submissions it lists."""
    with removed_on_error() as stored, transaction.atomic():
        document = _locked(document)
        refusal = city_document_seal_refusal(by, document)
        if refusal:
            raise ValidationError(refusal, code="not_allowed")
        if key.owner_id is not None or key.city_id != document.round.city_id:
            raise ValidationError("Hãy chọn khóa ký số của cơ quan (con dấu) thuộc thành phố này.")
        person = document.files.get(stage=Stage.PERSON)
        result = sign_as_organisation(
            person.read(),
            key=key,
            material=key_material(key, secret),
            place=person.meta["signature_box"],
            signer=person.meta["signer_box"],
            name=key.label,
            reason=f"Ký số của cơ quan, ban hành {document.number_text}",
            location=document.round.city.document_place,
        )
        record = _store(
            document,
            stage=Stage.ORGANISATION,
            data=result.data,
            by=by,
            meta={**person.meta, "seal": _certificate(result.info, result.at, key)},
            stored=stored,
        )
        document.status = CityDocument.Status.SEALED
        document.save(update_fields=["status"])
        audit_record(
            action=Action.CITY_DOCUMENT_SIGN,
            user=by,
            target=document,
            target_label=str(document),
            summary=f"Cơ quan ký số {document}: {result.info.common_name}",
            details={
                "role": "organisation",
                "serial": str(result.info.serial),
                "sha256": record.sha256,
            },
        )
        if document.kind == Kind.DECISION:
            recognition_record(
                round_=document.round,
                by=by,
                number=document.number_text,
                signed_on=document.issue_date,
                signer_name=document.signer_name,
                submissions=list(document.submissions.all()),
                document=document,
            )
    return record


def current_file(document: CityDocument) -> CityDocumentFile:
    """The most signed file of the document."""
    files = {f.stage: f for f in document.files.all()}
    for stage in (Stage.ORGANISATION, Stage.PERSON, Stage.UNSIGNED):
        if stage in files:
            return files[stage]
    raise CityDocumentFile.DoesNotExist
