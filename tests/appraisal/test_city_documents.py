"""The city's documents issued and signed through the portal: a number from the issuing
body's own register, the PDF frozen with the signer's block, the signer's signature then the
body's, and the recognition decision settling the submissions it lists. Read back from the
PDFs and checked with pyHanko."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.urls import reverse
from pypdf import PdfReader

from appraisal import document_services as services
from appraisal.models import CityDocument, RecognitionDecision, Submission
from audit.models import AuditEntry
from guards.storage import StoredFiles
from jobs.models import Job
from jobs.services import job_run
from reports.demo.signing import DEMO_PASSPHRASE, demo_city_signing_setup
from reports.models import NumberSequence, RegisteredNumber, SigningKey, TrustAnchor
from reports.signing import validate_pdf

pytestmark = pytest.mark.django_db

Kind = CityDocument.Kind


def _text(data: bytes) -> str:
    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages
    )


@pytest.fixture
def city_keys(demo):
    city = demo.commune.city
    demo_city_signing_setup(city=city)
    return city


def _person_key(user, city):
    return SigningKey.objects.get(city=city, owner=user)


def _seal_key(city, words):
    return SigningKey.objects.get(city=city, owner__isnull=True, label__contains=words)


def _checks(data: bytes):
    roots = [a.certificate_pem.encode() for a in TrustAnchor.objects.all()]
    return validate_pdf(data, trust_roots=roots)


def test_issuing_gives_each_body_its_own_register(
    concluded, city_keys, city_admin, city_leader, city_deputy
):
    round_ = concluded.round
    summary = services.city_document_issue(
        round_=round_, kind=Kind.SUMMARY, signer=city_leader, authority="head", by=city_admin
    )
    decision = services.city_document_issue(
        round_=round_, kind=Kind.DECISION, signer=city_deputy, authority="deputy", by=city_admin
    )
    assert summary.number_text == "01/BC-SNV"
    assert decision.number_text == "01/QĐ-UBND"
    books = set(NumberSequence.objects.filter(city=city_keys).values_list("book", "last_number"))
    assert books == {("SNV", 1), ("UBND", 1)}
    assert RegisteredNumber.objects.filter(city=city_keys).count() == 2
    text = _text(services.current_file(summary).read())
    assert "Số: 01/BC-SNV" in text
    assert f"ngày {summary.issue_date:%d} tháng {summary.issue_date:%m}" in text
    assert "GIÁM ĐỐC" in text and city_leader.get_full_name() in text
    assert "DỰ THẢO" not in text
    text = _text(services.current_file(decision).read())
    assert "KT. CHỦ TỊCH" in text and "PHÓ CHỦ TỊCH" in text
    assert city_deputy.get_full_name() in text
    assert f"Kèm theo Quyết định số 01/QĐ-UBND ngày {decision.issue_date:%d/%m/%Y}" in text
    assert concluded.assessment.commune.name in text
    assert list(decision.submissions.all()) == [concluded]
    with pytest.raises(ValidationError, match="đã được ban hành"):
        services.city_document_issue(
            round_=round_, kind=Kind.SUMMARY, signer=city_leader, authority="head", by=city_admin
        )
    assert AuditEntry.objects.filter(action="city_document_issue").count() == 2


def test_a_refused_issue_keeps_no_number(concluded, city_keys, city_admin, city_leader, appraiser):
    round_ = concluded.round
    with pytest.raises(ValidationError) as refused:
        services.city_document_issue(
            round_=round_, kind=Kind.SUMMARY, signer=appraiser, authority="head", by=city_admin
        )
    assert "lãnh đạo" in str(refused.value)
    SigningKey.objects.filter(owner=city_leader).delete()
    with pytest.raises(ValidationError, match="chưa có khóa ký số"):
        services.city_document_issue(
            round_=round_, kind=Kind.SUMMARY, signer=city_leader, authority="head", by=city_admin
        )
    with pytest.raises(PermissionDenied):
        services.city_document_issue(
            round_=round_, kind=Kind.SUMMARY, signer=city_leader, authority="head", by=appraiser
        )
    assert not CityDocument.objects.exists()
    assert not RegisteredNumber.objects.filter(city=city_keys).exists()


def test_signer_then_body_sign_and_the_decision_recognises(
    concluded,
    city_keys,
    city_admin,
    city_deputy,
    city_leader,
):
    decision = services.city_document_issue(
        round_=concluded.round,
        kind=Kind.DECISION,
        signer=city_deputy,
        authority="deputy",
        by=city_admin,
    )
    key = _person_key(city_deputy, city_keys)
    with pytest.raises(ValidationError, match="người có thẩm quyền"):
        services.city_document_sign(
            document=decision,
            key=_person_key(city_leader, city_keys),
            secret=DEMO_PASSPHRASE,
            by=city_leader,
        )
    with pytest.raises(ValidationError, match="chính Đồng chí"):
        services.city_document_sign(
            document=decision,
            key=_person_key(city_leader, city_keys),
            secret=DEMO_PASSPHRASE,
            by=city_deputy,
        )
    with pytest.raises(ValidationError, match="Người có thẩm quyền chưa ký"):
        services.city_document_seal(
            document=decision,
            key=_seal_key(city_keys, "Ủy ban"),
            secret=DEMO_PASSPHRASE,
            by=city_admin,
        )
    signed = services.city_document_sign(
        document=decision, key=key, secret=DEMO_PASSPHRASE, by=city_deputy
    )
    decision.refresh_from_db()
    assert decision.status == CityDocument.Status.SIGNED
    (check,) = _checks(signed.read())
    assert check.valid and check.intact and city_deputy.get_full_name() in check.signer.common_name
    sealed = services.city_document_seal(
        document=decision, key=_seal_key(city_keys, "Ủy ban"), secret=DEMO_PASSPHRASE, by=city_admin
    )
    decision.refresh_from_db()
    assert decision.status == CityDocument.Status.SEALED
    person, body = _checks(sealed.read())
    assert person.valid and body.valid and body.covers_whole_file
    assert "Ủy ban nhân dân" in body.signer.common_name
    recognition = RecognitionDecision.objects.get(document=decision)
    assert recognition.number == "01/QĐ-UBND" and recognition.signer_name == decision.signer_name
    concluded.refresh_from_db()
    assert concluded.stage == Submission.Stage.RECOGNISED
    assert [f.stage for f in decision.files.order_by("created_at")] == [
        "unsigned",
        "person",
        "organisation",
    ]


def test_a_wrong_passphrase_signs_nothing(concluded, city_keys, city_admin, city_leader):
    summary = services.city_document_issue(
        round_=concluded.round,
        kind=Kind.SUMMARY,
        signer=city_leader,
        authority="head",
        by=city_admin,
    )
    with pytest.raises(ValidationError):
        services.city_document_sign(
            document=summary,
            key=_person_key(city_leader, city_keys),
            secret="sai",
            by=city_leader,
        )
    summary.refresh_from_db()
    assert summary.status == CityDocument.Status.ISSUED
    assert summary.files.count() == 1


def test_the_page_offers_each_person_their_step(
    client,
    concluded,
    city_keys,
    city_admin,
    city_leader,
    appraiser,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    round_ = concluded.round
    url = reverse("city_documents:round", args=[round_.city_id, round_.pk])
    client.force_login(city_admin)
    with django_assert_max_num_queries(30):
        page = client.get(url)
    assert page.status_code == 200
    assert b'data-testid="issue-form"' in page.content
    with django_capture_on_commit_callbacks(execute=True):  # the issuing job, at the commit
        response = client.post(
            reverse("city_documents:issue", args=[round_.city_id, round_.pk, "bao-cao"]),
            {"signer": city_leader.pk, "authority": "head"},
        )
    response = client.get(response["Location"], follow=True)
    assert "Đã ban hành" in response.content.decode()
    summary = CityDocument.objects.get(round=round_, kind=Kind.SUMMARY)
    client.force_login(appraiser)
    page = client.get(url)
    assert b"sign-person" not in page.content and b"issue-form" not in page.content
    refused = client.post(
        reverse("city_documents:sign", args=[round_.city_id, round_.pk, "bao-cao"]),
        {"key": _person_key(city_leader, city_keys).pk, "secret": DEMO_PASSPHRASE},
    )
    assert refused.status_code == 403
    client.force_login(city_leader)
    page = client.get(url)
    assert b'data-testid="sign-person"' in page.content
    response = client.post(
        reverse("city_documents:sign", args=[round_.city_id, round_.pk, "bao-cao"]),
        {
            "key": _person_key(city_leader, city_keys).pk,
            "secret": DEMO_PASSPHRASE,
            "confirm": "on",
        },
        follow=True,
    )
    assert "Đã ký số" in response.content.decode()
    summary.refresh_from_db()
    assert summary.status == CityDocument.Status.SIGNED
    pdf = client.get(
        reverse("city_documents:issued_pdf", args=[round_.city_id, round_.pk, "bao-cao"])
    )
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert len(_checks(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content)) == 1


def test_another_citys_people_find_nothing(client, concluded, other_city_appraiser):
    round_ = concluded.round
    client.force_login(other_city_appraiser)
    page = client.get(reverse("city_documents:round", args=[round_.city_id, round_.pk]))
    assert page.status_code == 404


# -- issuing as a job (appraisal/job_kinds.py) ------------------------------------------------------


def test_a_refused_issue_is_told_on_the_jobs_page(
    client, concluded, city_keys, city_admin, city_leader, django_capture_on_commit_callbacks
):
    round_ = concluded.round
    issued = services.city_document_issue(  # by someone else, since the page was shown
        round_=round_, kind=Kind.SUMMARY, signer=city_leader, authority="head", by=city_admin
    )
    client.force_login(city_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("city_documents:issue", args=[round_.city_id, round_.pk, "bao-cao"]),
            {"signer": city_leader.pk, "authority": "head"},
        )
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "đã được ban hành" in page and job.state == "failed"
    back = reverse("city_documents:round", args=[round_.city_id, round_.pk])
    assert f'href="{back}">Quay lại</a>' in page
    assert job.title == f"Ban hành báo cáo kết quả thẩm định: {round_}"
    assert list(CityDocument.objects.all()) == [issued]
    assert RegisteredNumber.objects.filter(city=city_keys).count() == 1


class Killed(BaseException):
    """As SIGKILL: no `except Exception` runs, and files are not removed on the way out."""


def test_an_issue_killed_before_its_commit_is_issued_once_under_the_same_number(
    concluded, city_keys, city_admin, city_leader, monkeypatch
):
    round_ = concluded.round
    job = Job.objects.create(
        kind="appraisal.city_document_issue",
        user=city_admin,
        title="Ban hành",
        params={"round": round_.pk, "kind": "summary", "signer": city_leader.pk,
                "authority": "head", "back": "/"},
    )  # fmt: skip

    def killed(**kwargs):
        raise Killed

    # The first attempt has numbered the document and stored its PDF when it dies.
    monkeypatch.setattr(StoredFiles, "remove_all", lambda self: None)
    monkeypatch.setattr(services, "notify", killed)
    with pytest.raises(Killed):
        job_run(str(job.pk), last_attempt=False)
    job.refresh_from_db()
    [[alias, left]] = job.partial
    assert storages[alias].exists(left)
    assert not RegisteredNumber.objects.filter(city=city_keys).exists()
    monkeypatch.undo()

    assert job_run(str(job.pk)) == "done"
    assert job_run(str(job.pk)) == "skipped"

    document = CityDocument.objects.get()
    assert document.number_text == "01/BC-SNV"
    assert RegisteredNumber.objects.filter(city=city_keys).count() == 1
    assert AuditEntry.objects.filter(action="city_document_issue").count() == 1
    assert not storages[alias].exists(left)
    assert [f.file.name for f in document.files.all()] != [left]
    job.refresh_from_db()
    assert job.state == "done" and job.attempts == 2
    assert job.result_note == (
        f"Đã ban hành {document}. Chờ {document.signer_name} ký số bằng tài khoản của mình."
    )
