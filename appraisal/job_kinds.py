"""The city's work done in the worker (jobs/).

Its documents are issued as a job, like the commune's reports (reports/job_kinds.py): the
number, the rendered PDF and its storage are done in the worker, the PDF's name announced
before it is written, and the job marked done in the transaction that uses the number, so
that a worker killed half-way issues nothing twice.

Its spreadsheets grow with the city's communes, so the request only starts them
(appraisal/views/city.py) and the person waits on the job's page, then downloads the file."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from appraisal import standing, xlsx
from appraisal.document_services import city_document_file_name, city_document_issue
from appraisal.models import CityDocument, Round
from assessments.access import get_city_for_user
from audit.context import restored
from audit.services import Action, audit_record
from criteria.models import Criterion
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


def _round(run: Run) -> Round:
    """The round, if the person who asked may still read its city (as the page checked)."""
    round_ = Round.objects.select_related("city", "criteria_set", "previous").get(
        pk=run.params["round"]
    )
    get_city_for_user(run.job.user, round_.city_id)
    return round_


def _finish(run: Run, round_: Round, data: bytes, document: str) -> None:
    """Store the file, then record the export with the person who asked for it, together
    with the job's end."""
    name = xlsx.export_name(round_, document)
    run.progress(80, "Đang lưu tệp")
    run.save_result(data, name)
    with restored(run.params.get("origin")), transaction.atomic():
        audit_record(
            action=Action.EXPORT,
            user=run.job.user,
            target=round_,
            summary=f"Xuất {document.lower()} (Excel): {name}",
        )
        run.finish(note=f"Đã lập xong {document.lower()}.")


@job_kind("appraisal.ranking_xlsx")
def ranking_xlsx(run: Run) -> None:
    round_ = _round(run)
    run.progress(10, "Đang xếp hạng các xã, phường")
    data = xlsx.ranking_xlsx(round_, standing.ranking(round_))
    _finish(run, round_, data, "Xếp hạng thẩm định")


@job_kind("appraisal.results_xlsx")
def results_xlsx(run: Run) -> None:
    round_ = _round(run)
    run.progress(10, "Đang đọc kết quả thẩm định của các xã, phường")
    roots = list(
        Criterion.objects.filter(criteria_set_id=round_.criteria_set_id, parent=None).order_by(
            "order", "id"
        )
    )
    data = xlsx.results_xlsx(round_, standing.ranking(round_), roots)
    _finish(run, round_, data, "Kết quả thẩm định")
