"""Remote signing (ký số từ xa) of an issued report: the portal sends the document's hash to
the signer's remote signing service, the signer confirms on the phone, the portal embeds the
returned signature.

`remote_sign_start` checks the same rules as local signing, prepares the PDF (the same field,
box and look as `report_sign_person`, so verification and the dossier see no difference),
sends the request and records a RemoteSigning (waiting). `remote_sign_poll` asks the
provider; once signed it finishes the PDF and stores it the way local signing does (issued
file, signature record, document event, audit), once: a poll already asking the provider
holds a short lease (`busy_until`), and storing re-checks under the report's row lock.

Network calls never run inside a database transaction (SQLite's write lock would wait for
the provider); each is bounded by the provider's request time-out.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from assessments.access import report_reference, sign_person_refusal
from guards.storage import StoredFiles, removed_on_error
from reports.models import (
    IssuedFile,
    RemoteSigning,
    Report,
    SignatureRecord,
    SigningKey,
)
from reports.services.signing import person_signature_store, signer_box
from reports.signing import Appearance, CertificateInfo, SigningError, certificate_info
from reports.signing.remote import (
    Outcome,
    PreparedPdf,
    RemoteResult,
    RemoteSigner,
    SigningRequest,
    finish_pdf,
    prepare_pdf,
)

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

FIELD = "ChuKyNguoiKy"  # the person's field, as report_sign_person names it
REQUEST_TIMEOUT = 20  # seconds for one call to the provider


def remote_signer() -> RemoteSigner:
    """The configured provider (SIGNING_REMOTE_BACKEND, the CSC client by default)."""
    backend = import_string(settings.SIGNING_REMOTE_BACKEND)
    return cast(
        RemoteSigner,
        backend(
            url=settings.SIGNING_CSC_URL,
            client_id=settings.SIGNING_CSC_CLIENT_ID,
            client_secret=settings.SIGNING_CSC_CLIENT_SECRET,
            request_timeout=REQUEST_TIMEOUT,
        ),
    )


def _timestamper() -> TimeStamper | None:
    if not settings.SIGNING_TSA_URL:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper  # noqa: PLC0415 (pyHanko: slow import)

    return HTTPTimeStamper(settings.SIGNING_TSA_URL)


def _person_signed(report: Report) -> bool:
    return (
        report.files.filter(kind=IssuedFile.Kind.REPORT)
        .exclude(stage=IssuedFile.Stage.UNSIGNED)
        .exists()
    )


def remote_sign_refusal(*, report: Report, key: SigningKey, by: User) -> str:
    """Why `by` may not sign `report` remotely with `key` now ("" if they may): the rules of
    report_sign_person, and the person signs only as the report's named signer, with their
    own key at the remote service."""
    refusal = sign_person_refusal(by, report)
    if refusal:
        return refusal
    if (
        key.kind != SigningKey.Kind.CSC
        or key.owner_id != by.pk
        or key.commune_id != report.assessment.commune_id
    ):
        return "Hãy chọn khóa ký số từ xa của chính Đồng chí."
    return ""


def _waiting(report: Report) -> RemoteSigning | None:
    return (
        RemoteSigning.objects.filter(
            report=report, role=SignatureRecord.Role.PERSON, status=RemoteSigning.Status.WAITING
        )
        .select_related("user")
        .first()
    )


def _close(signing: RemoteSigning, status: str, message: str = "") -> RemoteSigning:
    """The end of a request: its status and message; the prepared PDF is no longer needed."""
    signing.status = status
    signing.message = message
    signing.finished_at = timezone.now()
    signing.busy_until = None
    signing.prepared_pdf = b""
    signing.save()
    return signing


def _expired_message() -> str:
    minutes = max(settings.SIGNING_CSC_TIMEOUT_SECONDS // 60, 1)
    return (
        f"Quá {minutes} phút mà chưa có xác nhận trên điện thoại: yêu cầu ký đã hết hạn. "
        "Bấm “Thử lại” để gửi yêu cầu mới."
    )


def remote_sign_start(*, report: Report, key: SigningKey, by: User) -> RemoteSigning:
    """Send the report's hash to the signer's remote signing service and wait for the
    confirmation on the phone. A request already waiting for this signer is returned as it
    is (no second notice on the phone)."""
    report = Report.objects.select_related("assessment__commune").get(pk=report.pk)
    refusal = remote_sign_refusal(report=report, key=key, by=by)
    if refusal:
        raise ValidationError(refusal, code="not_allowed")
    current = _waiting(report)
    if current is not None and current.expires_at > timezone.now():
        if current.user_id == by.pk:
            return current
        raise ValidationError("Đang có một yêu cầu ký chờ xác nhận.")

    unsigned = report.files.get(kind=IssuedFile.Kind.REPORT, stage=IssuedFile.Stage.UNSIGNED)
    place = unsigned.meta["signature_box"]
    box = signer_box(place["box"])
    description = (
        f"Ký {report_reference(report)} của {report.assessment.commune.committee_name}: "
        f"{report.summary}"
    )
    try:
        provider = remote_signer()
        credential_id, credential = provider.credential(key.csc_credential_id, key.csc_user_id)
        if key.serial and certificate_info(credential.certificate).serial != key.serial:
            raise SigningError(
                "Chứng thư số tại dịch vụ ký số từ xa đã thay đổi so với khóa đã đăng ký; "
                "hãy nhờ quản trị viên đăng ký lại khóa."
            )
        prepared = prepare_pdf(
            unsigned.read(),
            credential=credential,
            field_name=FIELD,
            appearance=Appearance(
                page=place["page"],
                box=box,
                image_png=_image(key),
                text=None if key.appearance else report.signer_name,
            ),
            reason=f"Ký ban hành {report.number_text}",
            location=report.assessment.commune.document_place,
            timestamper=_timestamper(),
        )
        request = SigningRequest(
            credential_id=credential_id,
            digest=prepared.digest,
            signed_data=prepared.signed_attrs,
            description=description,
            document_digest=prepared.document_digest,
        )
        remote_id = provider.start(request)
    except SigningError as error:
        raise ValidationError(str(error)) from None

    now = timezone.now()
    try:
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report.pk)
            refusal = remote_sign_refusal(report=report, key=key, by=by)
            if refusal:
                raise ValidationError(refusal, code="not_allowed")
            stale = _waiting(report)
            if stale is not None:  # only an expired one is left by the check above
                _close(stale, RemoteSigning.Status.EXPIRED, _expired_message())
            return RemoteSigning.objects.create(
                report=report,
                key=key,
                user=by,
                role=SignatureRecord.Role.PERSON,
                started_at=now,
                expires_at=now + timedelta(seconds=settings.SIGNING_CSC_TIMEOUT_SECONDS),
                transaction=remote_id,
                prepared_pdf=prepared.pdf,
                state={
                    **prepared.state(),
                    "credential_id": credential_id,
                    "description": description,
                    "signature_box": place,
                    "signer_box": list(box),
                },
            )
    except IntegrityError:
        # Another request of the same signer got there first (one_waiting_... constraint).
        raise ValidationError("Đang có một yêu cầu ký chờ xác nhận.") from None


def _image(key: SigningKey) -> bytes | None:
    if not key.appearance:
        return None
    with key.appearance.open("rb") as handle:
        return handle.read()


def _request(signing: RemoteSigning) -> SigningRequest:
    prepared = PreparedPdf.from_state(bytes(signing.prepared_pdf), signing.state)
    return SigningRequest(
        credential_id=signing.state.get("credential_id", ""),
        digest=prepared.digest,
        signed_data=prepared.signed_attrs,
        description=signing.state.get("description", ""),
        document_digest=prepared.document_digest,
    )


def remote_sign_poll(*, signing: RemoteSigning) -> RemoteSigning:
    """Ask the provider how the request stands and act on the answer: still waiting (or
    expired after SIGNING_CSC_TIMEOUT_SECONDS), refused, or signed: the signed report is
    stored, once, however many polls come at the same time."""
    now = timezone.now()
    lease = now + timedelta(seconds=REQUEST_TIMEOUT + 5)
    with transaction.atomic():
        taken = RemoteSigning.objects.filter(
            Q(busy_until__isnull=True) | Q(busy_until__lt=now),
            pk=signing.pk,
            status=RemoteSigning.Status.WAITING,
        ).update(busy_until=lease)
        signing = RemoteSigning.objects.select_related("report", "key").get(pk=signing.pk)
    if not taken:  # over already, or another poll is asking the provider right now
        return signing

    try:
        return _poll_and_store(signing)
    except BaseException:
        _release(signing.pk, lease)
        raise


def _release(pk: int, lease: datetime) -> None:
    """Let the next poll ask again at once rather than when the lease runs out. The failure
    being handled may be a database momentarily busy (SQLite): try again briefly, else the
    lease simply runs out."""
    for _ in range(50):
        try:
            RemoteSigning.objects.filter(pk=pk, busy_until=lease).update(busy_until=None)
            return
        except OperationalError:
            time.sleep(0.01)


def _poll_and_store(signing: RemoteSigning) -> RemoteSigning:
    """With the lease held: ask the provider, finish the PDF outside any transaction, then
    record the outcome under the report's row lock, if the request is still waiting."""
    try:
        request = _request(signing)
        result = remote_signer().poll(signing.transaction, request)
    except SigningError as error:
        result = RemoteResult(outcome=Outcome.PENDING, message=str(error))
        trouble = True
    else:
        trouble = False

    signed = None
    failure = ""
    if result.outcome == Outcome.SIGNED:
        try:
            prepared = PreparedPdf.from_state(bytes(signing.prepared_pdf), signing.state)
            signed = finish_pdf(prepared, result, timestamper=_timestamper())
        except SigningError as error:
            failure = str(error)

    with removed_on_error() as stored, transaction.atomic():
        Report.objects.select_for_update().filter(pk=signing.report_id).exists()
        signing = (
            RemoteSigning.objects.select_for_update(of=("self",))
            .select_related("report__assessment__commune", "key", "user")
            .get(pk=signing.pk)
        )
        if not signing.is_waiting:
            return signing
        if failure:
            return _close(signing, RemoteSigning.Status.FAILED, failure)
        if result.outcome == Outcome.REFUSED:
            at = timezone.localtime()
            text = (
                f"Yêu cầu bị từ chối trên ứng dụng ký số lúc {at:%H:%M}. Nếu bấm nhầm, "
                "bấm “Thử lại” để gửi yêu cầu mới."
            )
            return _close(signing, RemoteSigning.Status.REFUSED, text)
        if result.outcome == Outcome.EXPIRED:
            return _close(signing, RemoteSigning.Status.EXPIRED, _expired_message())
        if signed is None:  # pending, or the provider could not be asked
            if timezone.now() >= signing.expires_at:
                return _close(signing, RemoteSigning.Status.EXPIRED, _expired_message())
            signing.polled_at = timezone.now()
            signing.busy_until = None
            signing.message = result.message if trouble else ""
            signing.save(update_fields=["polled_at", "busy_until", "message"])
            return signing
        report = signing.report
        if _person_signed(report):
            return _close(
                signing, RemoteSigning.Status.FAILED, "Người có thẩm quyền đã ký báo cáo này."
            )
        issued = _store(signing, *signed, stored=stored)
        signing.issued_file = issued
        return _close(signing, RemoteSigning.Status.SIGNED)


def _store(
    signing: RemoteSigning,
    data: bytes,
    info: CertificateInfo,
    signed_at: datetime,
    *,
    stored: StoredFiles,
) -> IssuedFile:
    """The person's signed report, recorded the way report_sign_person records it."""
    return person_signature_store(
        report=signing.report,
        key=signing.key,
        by=signing.user,
        data=data,
        meta={key_: signing.state[key_] for key_ in ("signature_box", "signer_box")},
        info=info,
        signed_at=signed_at,
        stored=stored,
        remote=signing.transaction,
    )
