"""Backups that restore (issue 15): the demo with evidence files and a report issued and
signed by the person and the commune is backed up, the database flushed and the storages
emptied, and the backup restored; every file then matches the SHA-256 its row records, every
signature still validates, the audit chain still verifies and every table has its rows back.
Runs on SQLite by default and on PostgreSQL with DATABASE_URL (see README, "Backups")."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from assessments.models import Assignment
from audit.services import chain_verify
from evidence.models import Evidence, EvidenceFile
from evidence.services import evidence_upload
from ops.backup import dumped_models
from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
from reports.models import IssuedFile, SigningKey, TrustAnchor
from reports.services import report_create
from reports.services.issuing import report_issue
from reports.services.signing import report_sign_organisation, report_sign_person
from reports.signing import validate_pdf
from tests.evidence.conftest import image_bytes, pdf_bytes

# Real transactions, as in production: the backup takes its own snapshot, the restore commits,
# and PostgreSQL flushes (TRUNCATE) only outside a transaction with pending foreign-key checks.
pytestmark = pytest.mark.django_db(transaction=True)


def _counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in dumped_models()}


@pytest.fixture
def evidence_files(demo):
    """Two evidence files of the demo commune: a PDF, and an image with its preview."""
    assignment = (
        Assignment.objects.filter(assessment=demo.assessment, lead_unit__short_name="VHXH")
        .select_related("criterion")
        .first()
    )
    for name, data, kind in (
        ("Biên bản họp.pdf", pdf_bytes(2), "application/pdf"),
        ("Ảnh hiện trường.png", image_bytes("PNG", size=(300, 200)), "image/png"),
    ):
        outcome = evidence_upload(
            assessment=demo.assessment,
            criterion=assignment.criterion,
            upload=SimpleUploadedFile(name, data, kind),
            by=demo.user("vhxh"),
        )
        assert outcome.status == "stored", outcome.message
    return demo


@pytest.fixture
def portal(demo_scored, evidence_files, secretary):
    """The evidence files and the demo's report issued and signed by the person and by the
    commune, all through the portal's services."""
    demo = demo_scored
    demo_signing_setup(commune=demo.commune)
    person = SigningKey.objects.get(commune=demo.commune, owner__isnull=False)
    organisation = SigningKey.objects.get(commune=demo.commune, owner__isnull=True)
    report = report_issue(
        report=report_create(assessment=demo.assessment, by=secretary), by=secretary
    )
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    report_sign_organisation(report=report, key=organisation, secret=DEMO_PASSPHRASE, by=secretary)
    return demo


def _empty(settings) -> None:
    """A new, migrated database and empty storages: what a restore starts from."""
    call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()
    shutil.rmtree(settings.MEDIA_ROOT)
    settings.MEDIA_ROOT.mkdir()


def test_backup_restores_rows_files_signatures_and_the_audit_chain(portal, settings, tmp_path):
    before = _counts()
    assert before["evidence.Evidence"] >= 2 and before["reports.IssuedFile"] >= 3
    assert before["audit.AuditEntry"] > 0 and before["auth.User"] > 0
    out = tmp_path / "backup"
    call_command("backup", out=out, verbosity=0)

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"] == before
    assert manifest["migrations"]["audit"] and manifest["storages"]["evidence"]["count"] >= 3
    dump = (out / "database.jsonl").read_bytes()
    assert hashlib.sha256(dump).hexdigest() == manifest["dump"]["sha256"]
    files = json.loads((out / "files.json").read_text(encoding="utf-8"))
    assert {entry["storage"] for entry in files} == {"evidence", "documents"}
    for entry in files:
        data = (out / "files" / entry["storage"] / entry["name"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])

    _empty(settings)
    assert not Evidence.objects.exists() and not list(settings.MEDIA_ROOT.iterdir())
    call_command("restore", source=out, verbosity=0)

    assert _counts() == before
    for version in EvidenceFile.objects.all():
        with version.file.open("rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == version.sha256
        if version.thumbnail:
            assert version.thumbnail.storage.exists(version.thumbnail.name)
    roots = [anchor.certificate_pem.encode() for anchor in TrustAnchor.objects.all()]
    signed = 0
    for issued in IssuedFile.objects.all():
        with issued.file.open("rb") as handle:
            data = handle.read()
        assert hashlib.sha256(data).hexdigest() == issued.sha256, issued.file.name
        if issued.stage != IssuedFile.Stage.UNSIGNED and issued.kind == IssuedFile.Kind.REPORT:
            checks = validate_pdf(data, trust_roots=roots)
            assert checks and all(c.intact and c.valid and c.trusted for c in checks), issued
            signed += 1
    assert signed == 2  # the person's signature, then the commune's seal over it
    check = chain_verify()
    assert check.ok and check.count == before["audit.AuditEntry"], check.problem
    # The sequences go on after the restored ids (PostgreSQL): new rows can be added.
    newest = get_user_model().objects.order_by("-pk").first()
    assert get_user_model().objects.create(username="sau-khoi-phuc").pk > newest.pk


def test_restore_refuses_a_database_that_is_not_empty(demo, tmp_path, settings):
    out = tmp_path / "backup"
    call_command("backup", out=out, verbosity=0)
    before = _counts()
    with pytest.raises(CommandError, match="Cơ sở dữ liệu đã có dữ liệu"):
        call_command("restore", source=out, verbosity=0)
    assert _counts() == before


def test_a_tampered_file_in_the_backup_is_named_and_nothing_is_restored(
    evidence_files, tmp_path, settings
):
    out = tmp_path / "backup"
    call_command("backup", out=out, verbosity=0)
    entry = next(
        e for e in json.loads((out / "files.json").read_text()) if e["storage"] == "evidence"
    )
    tampered = out / "files" / "evidence" / entry["name"]
    tampered.write_bytes(tampered.read_bytes() + b"%")
    _empty(settings)
    with pytest.raises(CommandError, match="không khớp SHA-256") as raised:
        call_command("restore", source=out, verbosity=0)
    assert f"evidence/{entry['name']}" in str(raised.value)
    assert not any(
        model._base_manager.exists()
        for model in dumped_models()
        if model._meta.label != "accounts.TwoFactorRule"
    )
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_restore_refuses_another_migration_state(db, tmp_path):
    out = tmp_path / "backup"
    call_command("backup", out=out, verbosity=0)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["migrations"]["audit"] = "9999_from_a_newer_portal"
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CommandError, match="Trạng thái migration khác") as raised:
        call_command("restore", source=out, verbosity=0)
    assert "audit: 9999_from_a_newer_portal" in str(raised.value)


def _made(folder, name: str, days_ago: float) -> None:
    """A backup folder as `backup` leaves it, made `days_ago` days ago (by its manifest)."""
    (folder / name).mkdir(parents=True)
    created = timezone.now() - dt.timedelta(days=days_ago)
    manifest = {"format": 1, "created_at": created.isoformat()}
    (folder / name / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_scheduled_backups_go_into_dated_folders_and_old_ones_are_removed(db, tmp_path):
    """`backup --into DIR --keep-days N`: a new folder named by the local date and time, then
    the backups made more than N days ago (by their manifest, not the folder's name or date)
    removed; anything in DIR that is not a backup stays."""
    into = tmp_path / "backups"
    _made(into, "2026-01-01_0130", days_ago=31)
    _made(into, "renamed-by-hand", days_ago=40)
    _made(into, "2026-11-20_0130", days_ago=29)
    (into / "notes").mkdir()
    (into / "notes" / "manifest.json").write_text("not json", encoding="utf-8")
    (into / "edited").mkdir()  # a time without its zone cannot be compared: kept
    (into / "edited" / "manifest.json").write_text(
        json.dumps({"format": 1, "created_at": "2020-01-01T01:30:00"}), encoding="utf-8"
    )
    (into / "README.txt").write_text("the operator's own file", encoding="utf-8")
    out = io.StringIO()
    call_command("backup", "--into", str(into), "--keep-days", "30", stdout=out)
    names = {path.name for path in into.iterdir()}
    [made] = names - {"2026-11-20_0130", "notes", "edited", "README.txt"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d{4}", made)
    assert made[:10] == timezone.localdate().isoformat()
    assert json.loads((into / made / "manifest.json").read_text(encoding="utf-8"))["format"] == 1
    assert "2026-01-01_0130" in out.getvalue() and "renamed-by-hand" in out.getvalue()


@pytest.mark.parametrize(
    "arguments",
    [["--keep-days", "30"], ["--into", "x", "--keep-days", "0"], ["--out", "x", "--into", "y"], []],
)
def test_backup_refuses_arguments_that_do_not_go_together(db, tmp_path, arguments):
    with pytest.raises(CommandError):
        call_command("backup", *[str(tmp_path / a) if a in ("x", "y") else a for a in arguments])
    assert not list(tmp_path.iterdir())
