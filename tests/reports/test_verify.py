"""The public verification page under load and attack: rate limits per address, size limits,
parsing in a bounded child, the cached validation of an issued document, and failures
counted in bounded rows. (The verdicts themselves are tested in test_verify_matrix.py.)"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guards import bounded
from guards.bounded import MB, Limits
from reports.models import DocumentEvent, TrustAnchor, VerificationFailure
from reports.services import verifying
from reports.services.issuing import current_file
from reports.services.verifying import (
    Verdict,
    document_verify,
    verification_failure_record,
)
from reports.signing import Appearance, KeyMaterial, check_file, sign_pdf, validate_pdf
from reports.signing.validation import APPENDED, structure_problem
from reports.views import verify
from tests.guards import workloads
from tests.queries import exactly
from tests.reports.conftest import reference_bomb

VALID = "Chữ ký hợp lệ, chứng thư tin cậy"
UNTRUSTED = "Chứng thư không thuộc tổ chức chứng thực được tin cậy"
VISITOR = "203.0.113.5"


@pytest.fixture
def production_root(signed) -> None:
    """The demo's test root taken as a production root, so that its signatures read as
    plainly trusted (test roots are labelled as such: test_verify_matrix.py)."""
    TrustAnchor.objects.update(is_test=False)


@pytest.fixture
def checks_run(monkeypatch) -> list[tuple]:
    """Every PDF validation sent to a bounded child, as (function, path)."""
    calls = []
    real_run = bounded.run

    def spy(func, *args, **kwargs):
        calls.append((func, args[0]))
        return real_run(func, *args, **kwargs)

    monkeypatch.setattr(verifying.bounded, "run", spy)
    return calls


@pytest.fixture
def verifications(monkeypatch) -> list:
    """document_verify as the page calls it, counted."""

    calls = []
    real = verify.document_verify

    def spy(source, **kwargs):
        calls.append(source)
        return real(source, **kwargs)

    monkeypatch.setattr(verify, "document_verify", spy)
    return calls


def post_file(client, url, data: bytes, **extra):
    return client.post(url, {"file": SimpleUploadedFile("x.pdf", data)}, **extra)


# -- rate limits ---------------------------------------------------------------------------------


def test_visits_are_limited_per_address_with_a_vietnamese_page(client, db, settings):
    settings.VERIFY_RATE_GET = "3/m"
    url = reverse("verify:upload")

    statuses = [client.get(url, REMOTE_ADDR=VISITOR).status_code for _ in range(2)]
    statuses.append(client.head(url, REMOTE_ADDR=VISITOR).status_code)  # HEAD costs as GET
    limited = client.get(url, REMOTE_ADDR=VISITOR)

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    html = limited.content.decode()
    assert "quá nhiều yêu cầu" in html and "Vui lòng thử lại sau" in html
    assert "Traceback" not in html
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert client.get(url, REMOTE_ADDR="203.0.113.6").status_code == 200  # someone else


def test_uploads_are_limited_before_the_body_is_read(db, settings, verifications):
    settings.VERIFY_RATE_POST = "2/m"
    url = reverse("verify:upload")
    strict = Client(enforce_csrf_checks=True)  # no token: CSRF refuses after reading the body

    statuses = [post_file(strict, url, b"%PDF-1.7 x").status_code for _ in range(3)]

    # The third is refused by the limit, which runs before the CSRF check reads the upload.
    assert statuses == [403, 403, 429]
    assert verifications == []


def test_checks_stop_at_the_post_limit(client, db, settings, verifications):
    settings.VERIFY_RATE_POST = "2/m"
    url = reverse("verify:upload")

    statuses = [post_file(client, url, b"not a pdf").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert len(verifications) == 2
    assert client.get(url).status_code == 200  # reading the page is counted apart


def test_behind_a_proxy_each_client_is_counted_by_its_own_address(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.VERIFY_RATE_GET = "1/m"
    url = reverse("verify:upload")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    first = client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    again = client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    # A client cannot start afresh by writing its own X-Forwarded-For in front.
    spoofed = client.get(url, HTTP_X_FORWARDED_FOR="192.0.2.77, 198.51.100.1", **proxy)
    other = client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)

    assert [r.status_code for r in (first, again, spoofed, other)] == [200, 429, 429, 200]


# -- size ---------------------------------------------------------------------------------------


def test_a_200_mb_upload_is_refused_as_too_large_unread(client, db, verifications):
    response = client.generic(
        "POST",
        reverse("verify:upload"),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(200 * MB),
    )

    html = response.content.decode()
    assert response.status_code == 413
    assert "Tệp lớn hơn giới hạn 30 MB." in html
    assert "Hãy chọn tệp PDF" not in html
    assert verifications == []


def test_a_file_over_the_limit_in_a_smaller_declared_body_gets_the_same_message(
    client, db, settings, verifications
):
    settings.VERIFY_MAX_UPLOAD_SIZE = 100 * 1024  # the body's declared length passes the check

    response = post_file(client, reverse("verify:upload"), b"%PDF-1.7\n" + b"0" * 200 * 1024)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Tệp lớn hơn giới hạn 100 KB." in html
    assert "Hãy chọn tệp PDF" not in html
    assert response.context["result"] is None
    assert verifications == []


def test_no_file_asks_for_one(client, db):
    response = client.post(reverse("verify:upload"), {})

    assert "Hãy chọn tệp PDF cần kiểm tra." in response.content.decode()


# -- parsing in a bounded child -------------------------------------------------------------------


def test_an_upload_is_checked_in_a_child_from_its_temporary_file(
    client, signed, production_root, settings, tmp_path, checks_run
):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path

    response = post_file(
        client,
        reverse("verify:document", args=[signed.verify_token]),
        current_file(signed, "report").read(),
    )

    assert response.context["result"]["verdict"] == Verdict.ISSUED
    assert response.content.decode().count(VALID) == 4  # the upload's two and the issued two
    # One child, reading the upload where the upload handler spooled it: the issued file
    # shown on the same page is the same file, so its validation comes from the cache.
    [(func, path)] = checks_run
    assert func is check_file and Path(path).parent == tmp_path
    assert list(tmp_path.iterdir()) == []  # and the temporary file is gone


def test_a_hostile_pdf_gets_a_message_not_an_error(client, db, settings):
    settings.VERIFY_CHECK_MEMORY_MB = 64

    response = post_file(client, reverse("verify:upload"), reference_bomb(4 * MB))

    assert response.status_code == 200
    assert response.context["result"]["verdict"] == Verdict.UNCHECKED
    assert "Không kiểm tra được tệp này trong giới hạn" in response.content.decode()
    assert VerificationFailure.objects.get().verdict == Verdict.UNCHECKED


@pytest.mark.parametrize(
    ("limits", "status"),
    [
        (Limits(memory=64 * MB, cpu_seconds=30, wall_seconds=60), "memory"),
        (Limits(memory=1024 * MB, cpu_seconds=1, wall_seconds=60), "timeout"),
    ],
)
def test_the_hostile_pdf_is_stopped_by_each_limit(tmp_path, limits, status):
    path = tmp_path / "bomb.pdf"
    path.write_bytes(reference_bomb(4 * MB))  # ~200 MB and ~4 s of CPU when not stopped

    outcome = bounded.run(check_file, str(path), [], limits=limits)

    assert outcome.status == status
    if status == "memory":
        # the child's start-up size (Python and pyHanko, shared with its server) + the budget
        assert 0 < outcome.peak_rss < 64 * MB + 100 * MB


def test_a_normal_pdf_fits_the_default_limits(tmp_path, pki, report_pdf):

    signed, _, _ = sign_pdf(
        report_pdf,
        material=KeyMaterial(
            kind="pkcs12", pkcs12=pki.signer_p12, passphrase=pki.signer_passphrase
        ),
        field_name="NguoiKy",
        appearance=Appearance(page=-1, box=(300, 200, 500, 300), text="Người ký"),
    )
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)

    outcome = bounded.run(check_file, str(path), [pki.root_pem], limits=verifying.limits())

    assert outcome.ok
    [check] = outcome.value["checks"]
    assert check["summary"] == VALID and check["signer"]["common_name"]
    assert outcome.peak_rss < django_settings.VERIFY_CHECK_MEMORY_MB * MB
    # Plain data, cheap to cache: nothing of pyHanko's reader travels with it.
    assert len(pickle.dumps(outcome.value)) < 2048


def test_the_check_runs_without_django(tmp_path, pki, report_pdf):
    """What the child runs imports no Django and takes plain bytes in, plain data out."""

    signed, _, _ = sign_pdf(
        report_pdf,
        material=KeyMaterial(
            kind="pkcs12", pkcs12=pki.signer_p12, passphrase=pki.signer_passphrase
        ),
        field_name="NguoiKy",
        appearance=Appearance(page=-1, box=(300, 200, 500, 300), text="Người ký"),
    )
    (tmp_path / "signed.pdf").write_bytes(signed)
    (tmp_path / "root.pem").write_bytes(pki.root_pem)
    code = (
        "import json, sys\n"
        "from reports.signing import check_file\n"
        f"root = open({str(tmp_path / 'root.pem')!r}, 'rb').read()\n"
        f"result = check_file({str(tmp_path / 'signed.pdf')!r}, [root])\n"
        "print(json.dumps({'django': any(m.startswith('django') for m in sys.modules),"
        " 'summaries': [c['summary'] for c in result['checks']]}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        env=env,
        check=True,
    )

    assert json.loads(done.stdout) == {"django": False, "summaries": [VALID]}


def test_children_start_with_pyhanko_already_imported():
    outcome = bounded.run(workloads.imported, "pyhanko.sign.validation")

    assert outcome.ok and outcome.value is True


# -- the cached validation of an issued document ------------------------------------------------------


def test_the_link_validates_the_stored_pdf_once(client, signed, production_root, checks_run):
    url = reverse("verify:document", args=[signed.verify_token])

    first = client.get(url)
    # Expect 3 queries: the report (with its commune), its latest file, the trust anchors.
    with exactly(3, "the report and its commune, its latest file, the trust anchors"):
        second = client.get(url)

    assert len(checks_run) == 1
    assert first.content.decode().count(VALID) == 2
    assert second.content.decode().count(VALID) == 2
    assert current_file(signed, "report").sha256 in second.content.decode()


def test_changing_the_trust_roots_validates_again(
    client, signed, production_root, settings, tmp_path, other_pki, checks_run
):
    url = reverse("verify:document", args=[signed.verify_token])
    trusted = client.get(url).content.decode()
    other_root = tmp_path / "other-root.pem"
    other_root.write_bytes(other_pki.root_pem)

    settings.SIGNING_TRUST_ROOTS = [str(other_root)]  # a root added in the settings
    still_trusted = client.get(url).content.decode()
    TrustAnchor.objects.get().delete()  # the commune's root removed in the admin
    untrusted = client.get(url).content.decode()
    client.get(url)

    assert trusted.count(VALID) == 2 and still_trusted.count(VALID) == 2
    assert untrusted.count(UNTRUSTED) == 2 and VALID not in untrusted
    assert len(checks_run) == 3  # once per set of roots


def test_uploading_the_issued_file_after_visiting_reuses_its_validation(
    client, signed, production_root, checks_run
):
    url = reverse("verify:document", args=[signed.verify_token])
    client.get(url)

    response = post_file(client, url, current_file(signed, "report").read())

    assert response.context["result"]["verdict"] == Verdict.ISSUED
    assert len(checks_run) == 1


# -- failures, counted -------------------------------------------------------------------------


def test_a_thousand_failures_from_one_address_write_two_rows(db):
    for index in range(1000):
        result = document_verify(b"not a pdf %d" % index, address=VISITOR)
        assert result["verdict"] == Verdict.DAMAGED

    tally = VerificationFailure.objects.get()
    assert (tally.address, tally.verdict, tally.count) == (VISITOR, Verdict.DAMAGED, 1000)
    assert tally.report is None and tally.last_at >= tally.first_at
    assert DocumentEvent.objects.filter(action="verify_failed").count() == 1


def test_failures_are_counted_per_address_report_and_verdict(client, signed):
    url = reverse("verify:document", args=[signed.verify_token])
    appended = current_file(signed, "report").read() + b"\n% appended\n"

    for _ in range(3):
        post_file(client, url, b"not a pdf", REMOTE_ADDR=VISITOR)
    post_file(client, url, appended, REMOTE_ADDR=VISITOR)
    post_file(client, url, appended, REMOTE_ADDR=VISITOR)
    post_file(client, url, b"not a pdf", REMOTE_ADDR="2001:db8:1:2::7")

    rows = {
        (row.address, row.verdict): (row.count, row.report_id)
        for row in VerificationFailure.objects.all()
    }
    assert rows == {
        (VISITOR, Verdict.DAMAGED): (3, signed.pk),
        (VISITOR, Verdict.MODIFIED): (2, signed.pk),
        ("2001:db8:1:2::/64", Verdict.DAMAGED): (1, signed.pk),
    }
    # The report's log (shown to its leaders) gets the first of each, not every attempt.
    events = DocumentEvent.objects.filter(report=signed, action="verify_failed")
    assert sorted(events.values_list("detail", flat=True)) == ["damaged", "damaged", "modified"]


def test_copies_of_the_issued_files_are_not_counted_as_failures(client, signed):
    url = reverse("verify:document", args=[signed.verify_token])

    post_file(client, url, current_file(signed, "report").read())  # signed under a test root
    post_file(client, url, signed.files.get(kind="report", stage="unsigned").read())

    assert not VerificationFailure.objects.exists()


def test_a_new_day_starts_a_new_count(db, monkeypatch):

    for day in (date(2026, 5, 1), date(2026, 5, 1), date(2026, 5, 2)):
        monkeypatch.setattr(timezone, "localdate", lambda day=day: day)
        verification_failure_record(
            report=None, verdict=Verdict.UNKNOWN, address=VISITOR, sha256="0" * 64
        )

    assert sorted(VerificationFailure.objects.values_list("day", "count")) == [
        (date(2026, 5, 1), 2),
        (date(2026, 5, 2), 1),
    ]


def test_the_database_keeps_one_row_per_key_also_without_a_report(db):

    row = {"day": timezone.localdate(), "address": VISITOR, "verdict": Verdict.UNKNOWN}
    VerificationFailure.objects.create(**row, report=None, last_at=timezone.now())

    with pytest.raises(IntegrityError), transaction.atomic():
        VerificationFailure.objects.create(**row, report=None, last_at=timezone.now())


# -- what the child finds, without Django ----------------------------------------------------------


def _sign(pdf: bytes, pki) -> bytes:
    signed, _, _ = sign_pdf(
        pdf,
        material=KeyMaterial(
            kind="pkcs12", pkcs12=pki.signer_p12, passphrase=pki.signer_passphrase
        ),
        field_name="NguoiKy",
        appearance=Appearance(page=-1, box=(300, 200, 500, 300), text="Người ký"),
    )
    return signed


@pytest.mark.parametrize("tail", [b"\n% appended\n", b"garbage without a line break"])
def test_bytes_after_the_last_signature_are_found(pki, report_pdf, tail):
    signed = _sign(report_pdf, pki)

    [before] = validate_pdf(signed, trust_roots=[pki.root_pem])
    [after] = validate_pdf(signed + tail, trust_roots=[pki.root_pem])

    assert before.covers_whole_file and not before.modified_after
    assert (
        before.trust_root
        == hashlib.sha256(
            x509.load_pem_x509_certificate(pki.root_pem).public_bytes(Encoding.DER)
        ).hexdigest()
    )
    assert after.intact and after.valid and after.trusted  # pyHanko's own view...
    assert after.modified_after and after.summary == APPENDED  # ...and what the page says


def test_a_flipped_byte_in_an_unsigned_pdf_is_damage(report_pdf):
    start = report_pdf.index(b">>\nstream\n", len(report_pdf) // 2) + 30  # not "endstream"
    damaged = bytearray(report_pdf)
    damaged[start] ^= 0x55

    assert structure_problem(report_pdf) == ""
    assert structure_problem(bytes(damaged)).startswith("zlib:")
