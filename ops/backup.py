"""Backups that are proven to restore: the database as a Django dump that loads into an empty
database of either engine (SQLite or PostgreSQL), and every file of the "evidence" and
"documents" storages, read through Django's storage API (so an S3 bucket works the same as
the local folders), each with its size and SHA-256.

A backup folder holds:

    manifest.json        what the backup is: when, Django version, database engine, the latest
                         applied migration of every app, row counts per model, the SHA-256 of
                         the dump and of the file list
    database.jsonl       the dump (Django's JSON Lines serialization, loaded by `loaddata`)
    files.json           every stored file: storage, name, size, SHA-256
    files/<storage>/<name>   the files themselves

`backup_restore` refuses a database or storage that already holds the portal's data, a
migration state other than the backup's, and any file whose SHA-256 does not match; it
loads the dump and copies the files back in one transaction, so a failure leaves nothing
half-restored.

Content types and permissions are not dumped: `migrate` creates them in the new database,
maybe with other ids, so the rows that point at them are dumped with their natural keys
(app label and model name) instead of ids. Every other row keeps its id: the audit trail's
hashes cover the user's id, and issued documents print ids in their verification links.
Sessions are not kept: after a restore everyone logs in again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import django
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Serializer as JSONLinesSerializer
from django.db import DEFAULT_DB_ALIAS, connections, models, router, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from audit.services import chain_verify
from guards.storage import DOCUMENTS, EVIDENCE, removed_on_error

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.jsonl"
FILES = "files.json"
FILES_DIR = "files"
STORAGE_ALIASES = (EVIDENCE, DOCUMENTS)
CHUNK = 1024 * 1024

# Created by `migrate` in every database: not dumped, referred to by natural key.
NATURAL: tuple[type[models.Model], ...] = (ContentType, Permission)
# Not worth keeping: logins start over after a restore.
SKIPPED = ("sessions.session",)
# Rows a migration puts into a fresh database (the two-factor rules by role). A restore
# replaces them with the backup's, so a rule changed or removed since is restored as it was.
SEEDED = ("accounts.twofactorrule",)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (Vietnamese, English)."""


# -- what is dumped ------------------------------------------------------------------------------


def dumped_models(using: str = DEFAULT_DB_ALIAS) -> list[type[models.Model]]:
    """Every concrete model with a table of its own in the database, but content types,
    permissions and sessions; in app order (loaddata checks the foreign keys at the end)."""
    skipped = {model._meta.label_lower for model in NATURAL} | set(SKIPPED)
    return [
        model
        for model in apps.get_models()
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.label_lower not in skipped
        and router.allow_migrate_model(using, model)
    ]


class _ExactEncoder(DjangoJSONEncoder):
    """Times to the microsecond. Django's encoder cuts them to the millisecond (as
    JavaScript's dates), which a dump must not: the audit trail's hashes cover them."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


class _Serializer(JSONLinesSerializer):
    """Django's JSON Lines serializer (one row a line, so neither the dump nor `loaddata` holds
    the whole database in memory), with natural keys only for content types and permissions.
    (A user's natural key is the username; an audit entry may name a deleted user.)"""

    def _natural(self, field: models.Field) -> bool:
        related = field.remote_field
        return related is not None and related.model in NATURAL

    def handle_fk_field(self, obj: models.Model, field: models.ForeignKey) -> None:
        self.use_natural_foreign_keys = self._natural(field)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj: models.Model, field: models.ManyToManyField) -> None:
        self.use_natural_foreign_keys = self._natural(field)
        super().handle_m2m_field(obj, field)


def _rows(model_list: Iterable[type[models.Model]], using: str) -> Iterator[models.Model]:
    for model in model_list:
        # The base manager: a default manager may hide rows (removed evidence, for one).
        yield from model._base_manager.using(using).order_by(model._meta.pk.name).iterator()


def migration_state(using: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    """The latest applied migration of every app, by name (their numbers sort them)."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


# -- files ---------------------------------------------------------------------------------------


def stored_names(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file in `storage`, through the storage API (listdir), in name order."""
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:  # a local storage whose folder nobody has written to yet
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(dirs):
        yield from stored_names(storage, f"{folder}/{sub}" if folder else sub)


def _copy(source: IO[bytes], target: IO[bytes] | None = None) -> tuple[int, str]:
    """Size and SHA-256 of what `source` holds, written to `target` on the way if given."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return size, digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _local_path(root: Path, alias: str, name: str) -> Path:
    """Where the backup keeps `name` of storage `alias`; refuses a name leaving the folder."""
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or any(part in ("..", ".", "") for part in parts):
        raise BackupError(f"Tên tệp không hợp lệ / invalid file name: {alias}/{name}")
    return root / FILES_DIR / alias / Path(*parts)


# -- backup --------------------------------------------------------------------------------------


def backup_create(*, out: Path, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write a backup into `out` (a new or empty folder) and return its manifest."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(
            f"Thư mục {out} đã có dữ liệu, hãy chọn thư mục mới. / {out} is not empty."
        )
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(out, 0o700)  # the backup holds password hashes and signing keys

    connection = connections[using]
    model_list = dumped_models(using)
    # One snapshot for every table: PostgreSQL reads them all as of the first query; SQLite
    # holds the write lock meanwhile (transaction_mode IMMEDIATE), so writers wait.
    # (Not when the caller has a transaction open already, as a test has: it is theirs.)
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(using=using):
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        counts = {
            model._meta.label: model._base_manager.using(using).count() for model in model_list
        }
        migrations = migration_state(using)
        with (out / DUMP).open("w", encoding="utf-8") as dump:
            _Serializer().serialize(_rows(model_list, using), stream=dump, cls=_ExactEncoder)

    # After the dump: a file uploaded meanwhile is kept without a row, never a row without file.
    files: list[dict[str, Any]] = []
    summary: dict[str, dict[str, int]] = {}
    for alias in STORAGE_ALIASES:
        storage = storages[alias]
        count = total = 0
        for name in stored_names(storage):
            target = _local_path(out, alias, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(name, "rb") as source, target.open("wb") as handle:
                size, sha256 = _copy(source, handle)
            files.append({"storage": alias, "name": name, "size": size, "sha256": sha256})
            count, total = count + 1, total + size
        summary[alias] = {"count": count, "bytes": total}
    (out / FILES).write_text(json.dumps(files, ensure_ascii=False, indent=1), encoding="utf-8")

    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "django": django.get_version(),
        "database_vendor": connection.vendor,
        "migrations": migrations,
        "counts": counts,
        "dump": {
            "name": DUMP,
            "size": (out / DUMP).stat().st_size,
            "sha256": sha256_file(out / DUMP),
        },
        "files": {"name": FILES, "sha256": sha256_file(out / FILES)},
        "storages": summary,
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return manifest


def backup_folder_name(now: dt.datetime | None = None) -> str:
    """The name of a scheduled backup's folder: the date and time in the portal's time zone
    (2026-12-03_0130), so that the folders sort by age and two of one day do not collide."""
    return timezone.localtime(now).strftime("%Y-%m-%d_%H%M")


def backups_prune(folder: Path, *, keep_days: int, now: dt.datetime | None = None) -> list[Path]:
    """Remove the backups in `folder` made more than `keep_days` days before `now`, and return
    them. A backup is a sub-folder with this portal's manifest; its age is the manifest's
    `created_at`, not the folder's name or modification time (a copy or a `touch` changes
    those). Anything else in `folder` is left where it is."""
    limit = (now or timezone.now()) - dt.timedelta(days=keep_days)
    removed = []
    for path in sorted(Path(folder).iterdir()):
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            old = (
                manifest["format"] == FORMAT
                and dt.datetime.fromisoformat(manifest["created_at"]) < limit
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a folder, or not one of our backups (a time without its zone too)
        if old:
            shutil.rmtree(path)
            removed.append(path)
    return removed


# -- restore -------------------------------------------------------------------------------------


@dataclass
class Restored:
    counts: dict[str, int]
    files: dict[str, int] = field(default_factory=dict)
    audit_entries: int = 0


def _read_manifest(source: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(
            f"Không đọc được {source / MANIFEST}: đây không phải thư mục sao lưu. "
            f"/ Cannot read the manifest: {exc}"
        ) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"Định dạng sao lưu không hỗ trợ / unsupported backup format: {manifest.get('format')}"
        )
    for entry in (manifest["dump"], manifest["files"]):
        path = source / entry["name"]
        if not path.is_file() or sha256_file(path) != entry["sha256"]:
            raise BackupError(
                f"Tệp {entry['name']} bị thiếu hoặc đã bị sửa (SHA-256 không khớp). "
                f"/ {entry['name']} is missing or altered (SHA-256 mismatch)."
            )
    files = json.loads((source / FILES).read_text(encoding="utf-8"))
    return manifest, files


def _ensure_empty(using: str) -> None:
    seeded = set(SEEDED)
    holding = [
        model._meta.label
        for model in dumped_models(using)
        if model._meta.label_lower not in seeded and model._base_manager.using(using).exists()
    ]
    if holding:
        raise BackupError(
            "Cơ sở dữ liệu đã có dữ liệu, chỉ khôi phục vào cơ sở dữ liệu mới (chạy migrate "
            f"trên cơ sở dữ liệu rỗng). / The database is not empty: {', '.join(holding[:5])}"
            + ("…" if len(holding) > 5 else "")
        )
    for alias in STORAGE_ALIASES:
        first = next(stored_names(storages[alias]), None)
        if first is not None:
            raise BackupError(
                f"Kho tệp {alias} đã có tệp ({first}), chỉ khôi phục vào kho rỗng. "
                f"/ The {alias} storage is not empty."
            )


def _ensure_migrations(manifest: dict[str, Any], using: str) -> None:
    here = migration_state(using)
    theirs: dict[str, str] = manifest["migrations"]
    differing = sorted(
        f"{app}: {theirs.get(app, '—')} ≠ {here.get(app, '—')}"
        for app in set(here) | set(theirs)
        if here.get(app) != theirs.get(app)
    )
    if differing:
        raise BackupError(
            "Trạng thái migration khác bản sao lưu (bản sao lưu ≠ cơ sở dữ liệu này); hãy dùng "
            "đúng phiên bản phần mềm và chạy migrate trước. / Migration state differs "
            "(backup ≠ this database): " + "; ".join(differing)
        )


def _verify_files(source: Path, files: list[dict[str, Any]]) -> None:
    for entry in files:
        if entry["storage"] not in STORAGE_ALIASES:
            raise BackupError(f"Kho tệp lạ / unknown storage: {entry['storage']}")
        path = _local_path(source, entry["storage"], entry["name"])
        if not path.is_file():
            raise BackupError(
                f"Thiếu tệp {entry['storage']}/{entry['name']} trong bản sao lưu. "
                f"/ File missing from the backup."
            )
        if path.stat().st_size != entry["size"] or sha256_file(path) != entry["sha256"]:
            raise BackupError(
                f"Tệp {entry['storage']}/{entry['name']} trong bản sao lưu không khớp SHA-256 "
                f"(đã bị sửa hoặc hỏng). / SHA-256 mismatch: {entry['storage']}/{entry['name']}"
            )


def backup_restore(*, source: Path, using: str = DEFAULT_DB_ALIAS) -> Restored:
    """Restore the backup in `source` into this (migrated, empty) database and the empty
    storages. Everything is checked before anything is written; the rows and the files are
    written in one transaction, and the files copied so far are removed if it fails."""
    source = Path(source)
    manifest, files = _read_manifest(source)
    _ensure_migrations(manifest, using)
    _ensure_empty(using)
    _verify_files(source, files)

    connection = connections[using]
    with removed_on_error() as stored, transaction.atomic(using=using):
        for label in SEEDED:
            apps.get_model(label)._base_manager.using(using).all().delete()
        ContentType.objects.clear_cache()
        call_command("loaddata", str(source / DUMP), database=using, verbosity=0)
        # loaddata resets the sequences of what it loaded; do every dumped model, to be sure.
        sql = connection.ops.sequence_reset_sql(no_style(), dumped_models(using))
        if sql:
            with connection.cursor() as cursor:
                for statement in sql:
                    cursor.execute(statement)
        counts = {
            model._meta.label: model._base_manager.using(using).count()
            for model in dumped_models(using)
        }
        expected = manifest["counts"]
        differing = sorted(
            label
            for label in set(counts) | set(expected)
            if counts.get(label) != expected.get(label)
        )
        if differing:
            raise BackupError(
                "Số bản ghi sau khi nạp không khớp bản sao lưu. / Row counts differ after "
                "loading: " + ", ".join(differing)
            )

        copied: dict[str, int] = dict.fromkeys(STORAGE_ALIASES, 0)
        for entry in files:
            storage, name = storages[entry["storage"]], entry["name"]
            with _local_path(source, entry["storage"], name).open("rb") as handle:
                saved = storage.save(name, File(handle, name=name))
            stored.add_name(storage, saved)
            if saved != name:
                raise BackupError(
                    f"Kho tệp đổi tên {name} thành {saved}. / The storage renamed {name}."
                )
            with storage.open(saved, "rb") as back:
                size, sha256 = _copy(back)
            if sha256 != entry["sha256"] or size != entry["size"]:
                raise BackupError(
                    f"Tệp {entry['storage']}/{name} đọc lại từ kho không khớp SHA-256. "
                    f"/ SHA-256 mismatch after copying {entry['storage']}/{name}."
                )
            copied[entry["storage"]] += 1

        check = chain_verify()
        if not check.ok:
            raise BackupError(
                f"Chuỗi nhật ký sau khi nạp không hợp lệ / the audit chain does not verify: "
                f"entry {check.broken.id if check.broken else '—'}: {check.problem}"
            )
    return Restored(counts=counts, files=copied, audit_entries=check.count)
