"""The city's documents are issued as a job (jobs/), like the commune's reports
(reports/job_kinds.py): the number, the rendered PDF and its storage are done in the worker,
the PDF's name announced before it is written, and the job marked done in the transaction
that uses the number, so that a worker killed half-way issues nothing twice."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from appraisal.document_services import city_document_file_name, city_document_issue
from appraisal.models import CityDocument, Round
from guards.storage import DOCUMENTS
from jobs.registry import job_kind
from jobs.services import Run


def issued_note(document: CityDocument) -> str:
    return f"Đã ban hành {document}. Chờ {document.signer_name} ký số bằng tài khoản của mình."


@job_kind("appraisal.city_document_issue")
def issue(run: Run) -> None:
    """params: round, kind (CityDocument.Kind), signer, authority, back."""
    round_ = Round.objects.get(pk=run.params["round"])
    signer = get_user_model().objects.filter(pk=run.params["signer"]).first()
    if signer is None:
        raise ValidationError("Người ký không còn trong hệ thống; hãy chọn người ký khác.")
    run.progress(10, "Đang cấp số, tạo văn bản và lưu tệp ban hành")
    name = run.track(DOCUMENTS, city_document_file_name())
    url = reverse("city_documents:round", args=[round_.city_id, round_.pk])

    def done(document: CityDocument) -> None:
        run.finish(url=url, note=issued_note(document))

    city_document_issue(
        round_=round_,
        kind=run.params["kind"],
        signer=signer,
        authority=run.params["authority"],
        by=run.job.user,
        file_name=name,
        on_issued=done,
    )
