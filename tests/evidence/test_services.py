"""Evidence write actions, driven with real tiny files in a temporary MEDIA_ROOT."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.management import call_command
from django.db import connection
from PIL import Image

from assessments.models import Assessment
from criteria.models import CriteriaSet, Criterion
from evidence import services
from evidence.models import Evidence, EvidenceEvent, EvidenceFile, EvidenceLink, evidence_storage
from evidence.services import (
    evidence_delete,
    evidence_describe,
    evidence_link,
    evidence_replace,
    evidence_restore,
    evidence_unlink,
    evidence_upload,
)
from evidence.sniff import sniff
from tests.evidence.conftest import pdf_bytes, stored_files
from tests.queries import at_most


def leaf(assessment: Assessment, code: str) -> Criterion:
    return Criterion.objects.get(criteria_set=assessment.criteria_set, code=code)


def actions(evidence: Evidence) -> list[str]:
    return list(evidence.events.order_by("at", "id").values_list("action", flat=True))


@pytest.fixture
def store(demo, own_staff, upload, django_capture_on_commit_callbacks):
    """`store(name, data)` uploads to 2.2.e as `own_staff` and returns the outcome.

    The upload commits as a request's would: the preview task (in process, no broker) runs."""

    def _store(name, data, *, code="2.2.e", by=None, assessment=None, **kwargs):
        assessment = assessment or demo.assessment
        with django_capture_on_commit_callbacks(execute=True):
            outcome = evidence_upload(
                assessment=assessment,
                criterion=leaf(assessment, code),
                upload=upload(name, data),
                by=by or own_staff,
                **kwargs,
            )
        if outcome.evidence is not None:
            outcome.evidence.current_file.refresh_from_db()  # the preview drawn at the commit
        return outcome

    return _store


def test_codes_are_numbered_per_subcriterion(store, make_pdf, make_png):
    first = store("Kế hoạch.pdf", make_pdf())
    second = store("Ảnh.png", make_png())
    other = store("Ảnh khác.png", make_png(color=(1, 2, 3)), code="2.2.b")

    assert [first.status, second.status, other.status] == ["stored"] * 3
    assert first.evidence.code == "MC-2.2.e-01"
    assert second.evidence.code == "MC-2.2.e-02"
    assert other.evidence.code == "MC-2.2.b-01"
    assert first.evidence.title == "Kế hoạch"  # the file name without its extension


def test_a_deleted_code_is_never_given_again(store, own_staff, make_pdf, make_png):
    first = store("Kế hoạch.pdf", make_pdf())
    evidence_delete(evidence=first.evidence, by=own_staff)

    again = store("Ảnh.png", make_png())

    assert again.evidence.code == "MC-2.2.e-02"


def test_stored_file_has_a_generated_name_and_no_url(store, media_root, demo, make_pdf):
    data = make_pdf()

    record = store("Quyết định 12-QĐ-UBND.pdf", data).evidence.current_file

    assert re.fullmatch(rf"{demo.assessment.pk}/[0-9a-f]{{32}}", record.file.name)
    path = Path(record.file.path)
    assert path.is_relative_to(media_root / "evidence")
    assert path.read_bytes() == data
    assert record.original_name == "Quyết định 12-QĐ-UBND.pdf"
    with pytest.raises(ValueError):
        _ = record.file.url
    with pytest.raises(ValueError):
        _ = record.thumbnail.url


def test_migrations_do_not_depend_on_media_root(db, media_root):
    # The storage is named by a function in migrations, not frozen with a folder path, so a
    # different MEDIA_ROOT (this test's temporary one) asks for no new migration.
    call_command("makemigrations", "evidence", "--check", "--dry-run", verbosity=0)


def test_user_supplied_path_parts_are_dropped(store, make_pdf):
    record = store("../../etc/Biên bản.pdf", make_pdf()).evidence.current_file

    assert record.original_name == "Biên bản.pdf"
    assert "etc" not in record.file.name


def test_decomposed_vietnamese_name_is_stored_nfc(store, make_pdf):
    decomposed = unicodedata.normalize("NFD", "Biên bản họp dân.pdf")
    assert decomposed != "Biên bản họp dân.pdf"

    evidence = store(decomposed, make_pdf()).evidence

    assert evidence.current_file.original_name == "Biên bản họp dân.pdf"
    assert evidence.title == "Biên bản họp dân"
    assert "bien ban hop dan" in evidence.search_text


def test_same_content_is_offered_as_duplicate_and_nothing_is_stored(store, media_root, make_pdf):
    data = make_pdf()
    first = store("Kế hoạch.pdf", data).evidence
    files_before = stored_files(media_root)

    outcome = store("Kế hoạch (bản sao).pdf", data, code="2.2.b")

    assert outcome.status == "duplicate"
    assert outcome.duplicate_of == first
    assert first.code in outcome.message
    assert Evidence.objects.count() == 1
    assert EvidenceFile.objects.count() == 1
    assert stored_files(media_root) == files_before


def test_allow_duplicate_stores_a_second_evidence(store, media_root, make_pdf):
    data = make_pdf()
    store("Kế hoạch.pdf", data)

    outcome = store("Kế hoạch.pdf", data, allow_duplicate=True)

    assert outcome.status == "stored"
    assert outcome.evidence.code == "MC-2.2.e-02"
    assert Evidence.objects.count() == 2
    names = {f.file.name for f in EvidenceFile.objects.all()}
    assert len(names) == 2
    assert all((media_root / "evidence" / name).is_file() for name in names)


def test_duplicates_are_looked_for_only_in_the_same_assessment(
    store, demo, make_pdf, outsider_staff
):
    data = make_pdf()
    store("Kế hoạch.pdf", data)

    elsewhere = store("Kế hoạch.pdf", data, assessment=demo.other_assessment, by=outsider_staff)

    assert elsewhere.status == "stored"
    assert elsewhere.evidence.assessment == demo.other_assessment


def test_a_deleted_evidence_is_not_a_duplicate(store, own_staff, make_pdf):
    data = make_pdf()
    evidence_delete(evidence=store("Kế hoạch.pdf", data).evidence, by=own_staff)

    assert store("Kế hoạch.pdf", data).status == "stored"


@pytest.mark.django_db(transaction=True)
def test_the_same_file_sent_ten_times_at_once_is_stored_once(demo, media_root, upload, own_staff):
    """The duplicate check and the insert are one step per assessment: ten requests carrying
    the same bytes, released together, store one evidence and are told the others are copies."""
    criteria = [leaf(demo.assessment, code) for code in ("2.2.e", "2.2.b")]
    data = pdf_bytes(pages=2)
    outcomes, errors, barrier = [], [], threading.Barrier(10)

    def send(i: int) -> None:
        try:
            barrier.wait()
            outcomes.append(
                evidence_upload(
                    assessment=demo.assessment,
                    criterion=criteria[i % 2],  # two sub-criteria: two different row locks
                    upload=upload(f"Kế hoạch {i}.pdf", data),
                    by=own_staff,
                )
            )
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(outcome.status for outcome in outcomes)
    [stored] = [outcome.evidence for outcome in outcomes if outcome.status == "stored"]
    assert Evidence.objects.count() == 1
    assert EvidenceFile.objects.count() == 1
    assert len(stored_files(media_root)) == 2  # the file and its preview, once
    assert all(o.duplicate_of == stored for o in outcomes if o.status == "duplicate")
    if connection.vendor == "postgresql":
        assert errors == []
        assert statuses == ["duplicate"] * 9 + ["stored"]
    else:
        # SQLite runs one writer at a time (BEGIN IMMEDIATE); a writer kept waiting too long
        # fails whole and stores nothing.
        assert statuses.count("stored") == 1
        assert len(outcomes) + len(errors) == 10


@pytest.mark.django_db(transaction=True)
def test_the_file_is_written_before_any_lock_is_taken(
    demo, media_root, upload, own_staff, make_png, monkeypatch
):
    """With an object store a write lasts as long as the network: it must not hold the
    assessment's row lock (every upload of the commune would wait behind it). So the bytes
    of a new evidence and of a new version are written outside any transaction; only the
    preview, drawn after the commit, is saved under its own row's lock."""
    writes: list[tuple[str, bool]] = []
    save = evidence_storage._save

    def spy(name, content):
        writes.append(("thumbs/" in name, connection.in_atomic_block))
        return save(name, content)

    monkeypatch.setattr(evidence_storage, "_save", spy)
    criterion = leaf(demo.assessment, "2.2.e")
    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=criterion,
        upload=upload("Ảnh.png", make_png()),
        by=own_staff,
    )
    replaced = evidence_replace(
        evidence=outcome.evidence,
        upload=upload("Ảnh 2.png", make_png(color=(9, 9, 9))),
        by=own_staff,
    )

    assert [outcome.status, replaced.status] == ["stored", "stored"]
    assert [in_transaction for thumbnail, in_transaction in writes if not thumbnail] == [
        False,
        False,
    ]
    assert len([w for w in writes if w[0]]) == 2  # each version's preview, after its commit


def test_refused_upload_leaves_nothing_behind(store, media_root):
    page = "<!DOCTYPE html><html><body>Không phải PDF</body></html>".encode()

    outcome = store("Quyết định.pdf", page)

    assert outcome.status == "refused"
    assert "trang web" in outcome.message
    assert outcome.name == "Quyết định.pdf"
    assert stored_files(media_root) == []
    assert not Evidence.objects.exists()
    assert not EvidenceEvent.objects.exists()


def test_an_upload_is_spooled_in_the_swept_folder_and_removed_after(
    store, settings, tmp_path, monkeypatch, make_pdf
):
    spool = tmp_path / "spool"
    settings.FILE_UPLOAD_TEMP_DIR = spool
    seen = []

    def watched(path, name):
        seen.append((path.parent, path.exists()))
        return sniff(path, name)

    monkeypatch.setattr(services, "sniff", watched)

    assert store("Kế hoạch.pdf", make_pdf()).status == "stored"
    assert store("Trang.pdf", b"<html><body>x</body></html>").status == "refused"

    # Where `manage.py clean_upload_tmp` sweeps what a killed process leaves behind.
    assert seen == [(spool, True), (spool, True)]
    assert list(spool.iterdir()) == []


def _failing_save(name, content, max_length=None):
    raise OSError("Ổ đĩa đầy")


def test_a_failed_upload_leaves_no_temporary_file_and_nothing_stored(
    demo, own_staff, settings, tmp_path, monkeypatch, media_root, make_pdf
):
    spool = tmp_path / "spool"
    settings.FILE_UPLOAD_TEMP_DIR = spool
    spool.mkdir()
    monkeypatch.setattr(evidence_storage, "_save", _failing_save)
    # As the upload handler leaves it: a temporary file in the spool folder, still open.
    on_disk = TemporaryUploadedFile("Kế hoạch 2.pdf", "application/pdf", 0, None)
    on_disk.write(make_pdf(pages=2))
    on_disk.seek(0)
    in_memory = SimpleUploadedFile("Kế hoạch.pdf", make_pdf())

    for upload in (in_memory, on_disk):
        with pytest.raises(OSError, match="Ổ đĩa đầy"):
            evidence_upload(
                assessment=demo.assessment,
                criterion=leaf(demo.assessment, "2.2.e"),
                upload=upload,
                by=own_staff,
            )

    assert list(spool.iterdir()) == []  # removed at once, not when the request ends
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []
    on_disk.close()  # what Django does at the end of the request: no error


def test_a_spooled_upload_left_by_a_killed_process_is_swept(settings, tmp_path):
    spool = tmp_path / "spool"
    # A process killed while it held an upload on disk (kill -9: no clean-up runs).
    script = (
        "import os, signal, django; django.setup()\n"
        "from django.core.files.uploadedfile import SimpleUploadedFile\n"
        "from evidence.services import _OnDisk\n"
        "with _OnDisk(SimpleUploadedFile('a.pdf', b'%PDF-1.4 ...')) as path:\n"
        "    print(path, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "DJANGO_UPLOAD_TEMP_DIR": str(spool), "DJANGO_DEBUG": "1"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "chinhquyen.settings")
    killed = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    left = Path(killed.stdout.strip())
    assert killed.returncode == -signal.SIGKILL
    assert left.parent == spool and left.exists()
    settings.FILE_UPLOAD_TEMP_DIR = spool
    fresh = spool / "tmp-in-progress.upload"  # another upload, under way
    fresh.write_bytes(b"x")
    old = time.time() - settings.UPLOAD_TEMP_MAX_AGE - 60
    os.utime(left, (old, old))

    call_command("clean_upload_tmp")

    assert not left.exists()
    assert fresh.exists()


def test_replace_keeps_earlier_versions_on_disk(
    store, demo, own_staff, make_pdf, make_png, upload, leader
):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence
    first = evidence.current_file

    outcome = evidence_replace(
        evidence=evidence, upload=upload("Kế hoạch (đã ký).png", make_png()), by=leader
    )

    assert outcome.status == "stored"
    evidence.refresh_from_db()
    assert evidence.code == "MC-2.2.e-01"
    current = evidence.current_file
    assert (current.version, current.original_name, current.kind) == (
        2,
        "Kế hoạch (đã ký).png",
        "png",
    )
    assert current.uploaded_by == leader
    versions = list(evidence.versions.order_by("version"))
    assert versions == [first, current]
    assert versions[0].uploaded_by == own_staff
    assert Path(first.file.path).is_file()
    assert Path(current.file.path).is_file()
    assert first.file.name != current.file.name
    assert actions(evidence) == ["upload", "replace"]
    assert "Phiên bản 2" in evidence.events.get(action="replace").detail


def test_replace_with_the_same_file_changes_nothing(store, own_staff, make_pdf, upload):
    data = make_pdf()
    evidence = store("Kế hoạch.pdf", data).evidence

    outcome = evidence_replace(evidence=evidence, upload=upload("Lại.pdf", data), by=own_staff)

    assert outcome.status == "duplicate"
    assert evidence.versions.count() == 1


def test_refused_replacement_keeps_the_current_version(
    store, media_root, own_staff, make_pdf, upload
):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence
    files_before = stored_files(media_root)

    outcome = evidence_replace(evidence=evidence, upload=upload("Mới.pdf", b"MZ\x90"), by=own_staff)

    assert outcome.status == "refused"
    assert evidence.versions.count() == 1
    assert stored_files(media_root) == files_before


def test_delete_keeps_files_and_restore_brings_it_back(
    store, demo, own_staff, media_root, make_pdf, leader
):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence
    files = stored_files(media_root)
    assert len(files) == 2  # the file and its thumbnail

    evidence_delete(evidence=evidence, by=own_staff)
    evidence_delete(evidence=evidence, by=own_staff)  # twice: still one event

    evidence.refresh_from_db()
    assert evidence.is_deleted
    assert evidence.deleted_by == own_staff
    assert stored_files(media_root) == files
    assert EvidenceFile.objects.filter(evidence=evidence).count() == 1

    evidence_restore(evidence=evidence, by=leader)

    evidence.refresh_from_db()
    assert not evidence.is_deleted
    assert evidence.deleted_by is None
    assert actions(evidence) == ["upload", "delete", "restore"]
    assert stored_files(media_root) == files


def test_link_to_another_subcriterion(store, demo, own_staff, make_pdf):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence
    other = leaf(demo.assessment, "2.2.b")

    evidence_link(evidence=evidence, criterion=other, by=own_staff)
    evidence_link(evidence=evidence, criterion=other, by=own_staff)  # twice: one link, one event

    codes = set(evidence.links.values_list("criterion__code", flat=True))
    assert codes == {"2.2.e", "2.2.b"}
    assert actions(evidence) == ["upload", "link"]
    assert evidence.events.get(action="link").criterion == other


def test_link_refuses_a_parent_criterion(store, demo, own_staff, make_pdf):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence
    parent = leaf(demo.assessment, "2.2")

    with pytest.raises(ValidationError):
        evidence_link(evidence=evidence, criterion=parent, by=own_staff)

    assert evidence.links.count() == 1


def test_link_refuses_a_criterion_of_another_set(store, demo, own_staff, make_pdf):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence
    other_set = CriteriaSet.objects.create(title="Bộ tiêu chí khác")
    foreign = Criterion.objects.create(
        criteria_set=other_set, code="2.2.e", title="Tiêu chí cùng mã", max_points=1
    )

    with pytest.raises(ValidationError):
        evidence_link(evidence=evidence, criterion=foreign, by=own_staff)

    assert not EvidenceLink.objects.filter(criterion=foreign).exists()


def test_link_refuses_a_deleted_evidence(store, demo, own_staff, make_pdf):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence
    evidence_delete(evidence=evidence, by=own_staff)

    with pytest.raises(ValidationError, match="đã bị xóa"):
        evidence_link(evidence=evidence, criterion=leaf(demo.assessment, "2.2.b"), by=own_staff)


def test_unlink_refuses_the_home_subcriterion(store, demo, own_staff, make_pdf):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence
    other = leaf(demo.assessment, "2.2.b")
    evidence_link(evidence=evidence, criterion=other, by=own_staff)

    with pytest.raises(ValidationError, match="tiêu chí gốc"):
        evidence_unlink(evidence=evidence, criterion=evidence.criterion, by=own_staff)
    evidence_unlink(evidence=evidence, criterion=other, by=own_staff)

    assert list(evidence.links.values_list("criterion__code", flat=True)) == ["2.2.e"]
    assert actions(evidence) == ["upload", "link", "unlink"]


@pytest.mark.parametrize(
    ("issue_date", "warned"),
    [
        (dt.date(2026, 2, 10), False),
        (dt.date(2026, 1, 1), False),
        (dt.date(2026, 6, 30), False),
        (dt.date(2025, 12, 31), True),
        (dt.date(2026, 7, 1), True),
        (None, False),
    ],
)
def test_issue_date_outside_the_period_warns(store, own_staff, make_pdf, issue_date, warned):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence

    warning = evidence_describe(
        evidence=evidence,
        by=own_staff,
        title="Kế hoạch triển khai",
        doc_number="62/KH-UBND",
        issue_date=issue_date,
        issuer="UBND xã Nghi Dương",
        location="trang 3, mục II",
    )

    evidence.refresh_from_db()
    assert evidence.issue_date == issue_date  # a warning, never a refusal
    assert evidence.doc_number == "62/KH-UBND"
    assert bool(warning) is warned
    if warned:
        assert f"{issue_date:%d/%m/%Y}" in warning
        assert "01/01/2026 – 30/06/2026" in warning


def test_describe_records_what_changed_and_updates_search(store, own_staff, make_pdf):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence

    evidence_describe(evidence=evidence, by=own_staff, doc_number="62/KH-UBND", issuer="Đảng ủy xã")
    evidence_describe(evidence=evidence, by=own_staff, doc_number="62/KH-UBND")  # no change

    assert actions(evidence) == ["upload", "update"]
    detail = evidence.events.get(action="update").detail
    assert "số, ký hiệu" in detail
    assert "cơ quan ban hành" in detail
    evidence.refresh_from_db()
    assert "dang uy xa" in evidence.search_text


def test_describe_refuses_an_empty_title(store, own_staff, make_pdf):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence

    with pytest.raises(ValidationError):
        evidence_describe(evidence=evidence, by=own_staff, title="   ")


def test_upload_event_names_the_file(store, make_png):
    evidence = store("Ảnh.png", make_png()).evidence

    event = evidence.events.get()
    assert event.action == EvidenceEvent.Action.UPLOAD
    assert event.criterion.code == "2.2.e"
    assert event.user.username == "vhxh"
    assert "Ảnh.png" in event.detail


def test_locked_assessment_refuses_every_change(
    store, demo, own_staff, media_root, make_pdf, make_png, upload
):
    evidence = store("Kế hoạch.pdf", make_pdf()).evidence
    evidence_delete(evidence=store("Ảnh.png", make_png()).evidence, by=own_staff)
    deleted = Evidence.objects.get(code="MC-2.2.e-02")
    files_before = stored_files(media_root)
    Assessment.objects.filter(pk=demo.assessment.pk).update(status=Assessment.Status.LOCKED)
    demo.assessment.refresh_from_db()
    evidence.refresh_from_db()
    deleted.refresh_from_db()
    other = leaf(demo.assessment, "2.2.b")

    with pytest.raises(ValidationError, match="đã khóa"):
        store("Mới.pdf", make_pdf(pages=2))
    with pytest.raises(ValidationError, match="đã khóa"):
        evidence_replace(
            evidence=evidence, upload=upload("Mới.pdf", make_pdf(pages=2)), by=own_staff
        )
    with pytest.raises(ValidationError, match="đã khóa"):
        evidence_describe(evidence=evidence, by=own_staff, title="Sửa")
    with pytest.raises(ValidationError, match="đã khóa"):
        evidence_link(evidence=evidence, criterion=other, by=own_staff)
    with pytest.raises(ValidationError, match="đã khóa"):
        evidence_delete(evidence=evidence, by=own_staff)
    with pytest.raises(ValidationError, match="đã khóa"):
        evidence_restore(evidence=deleted, by=own_staff)

    assert stored_files(media_root) == files_before
    assert Evidence.objects.count() == 2
    assert evidence.events.count() == 1


def thumbnail_of(evidence: Evidence) -> Image.Image:
    with evidence.current_file.thumbnail.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def test_jpeg_thumbnail_is_turned_upright_and_has_no_exif(store, make_jpeg):
    photo = make_jpeg(size=(40, 20), exif_orientation=6)
    with Image.open(io.BytesIO(photo)) as original:
        assert original.getexif()[0x0112] == 6  # the test file really carries the tag

    thumb = thumbnail_of(store("Ảnh hiện trường.jpg", photo).evidence)

    assert thumb.format == "JPEG"
    assert thumb.size == (20, 40)  # rotated a quarter turn
    assert not thumb.getexif()
    assert "exif" not in thumb.info


def test_pdf_thumbnail_shows_the_first_page(store, make_pdf):
    evidence = store("Kế hoạch.pdf", make_pdf(pages=2)).evidence

    thumb = thumbnail_of(evidence)

    assert thumb.format == "JPEG"
    assert thumb.height == 480  # an A4 page, upright, fitted into 480×480
    assert abs(thumb.width - 480 * 595 / 842) <= 1


def test_office_documents_have_no_thumbnail(store):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1528

    evidence = store("Công văn.doc", ole).evidence

    assert evidence.current_file.kind == "doc"
    assert not evidence.current_file.thumbnail


def test_an_upload_asks_nothing_it_already_knows(demo, own_staff, upload, make_png):
    """A new evidence's file is its version 1 (no MAX over its versions), and the commune the
    audit entry names comes with the locked assessment (no query of its own); the count is
    pinned so that a look-up per upload does not creep back."""
    # 23 on PostgreSQL (21 on SQLite, which has no deferred constraints to settle).
    with at_most(23, "an upload: checks, the rows under the lock, the audit entry") as queries:
        outcome = evidence_upload(
            assessment=demo.assessment,
            criterion=leaf(demo.assessment, "2.2.e"),
            upload=upload("Ảnh.png", make_png()),
            by=own_staff,
        )
    assert outcome.status == "stored"
    assert outcome.evidence.current_file.version == 1
    sql = [query["sql"] for query in queries]
    assert not [q for q in sql if 'MAX("evidence_evidencefile"."version")' in q]
    assert not [q for q in sql if q.startswith('SELECT "assessments_commune"')]
