from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import BackupError, backup_create, backup_folder_name, backups_prune


class Command(BaseCommand):
    help = (
        "Sao lưu cơ sở dữ liệu và mọi tệp đã lưu (minh chứng, văn bản) vào một thư mục mới. "
        "Back up the database and every stored file into a new folder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--out", type=Path, help="Thư mục sao lưu (mới hoặc rỗng).")
        where.add_argument(
            "--into",
            type=Path,
            help=(
                "Thư mục chứa các bản sao lưu: bản mới vào thư mục con theo ngày giờ "
                "(2026-12-03_0130). / A new dated sub-folder of this folder (scheduled backups)."
            ),
        )
        parser.add_argument(
            "--keep-days",
            type=int,
            help=(
                "Với --into: sau khi sao lưu xong, xóa các bản sao lưu cũ hơn số ngày này. / "
                "With --into: then remove the backups older than this many days."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        keep_days = options["keep_days"]
        if keep_days is not None and (options["into"] is None or keep_days < 1):
            raise CommandError(
                "--keep-days chỉ dùng với --into và phải từ 1 trở lên. / "
                "--keep-days needs --into and at least 1."
            )
        out = options["out"] or options["into"] / backup_folder_name()
        try:
            manifest = backup_create(out=out)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(f"Cơ sở dữ liệu: {rows} bản ghi / rows ({len(manifest['counts'])} bảng)")
        for alias, info in manifest["storages"].items():
            self.stdout.write(f"Kho tệp {alias}: {info['count']} tệp, {info['bytes']} byte")
        self.stdout.write(self.style.SUCCESS(f"Đã sao lưu vào / backed up to {out}"))
        if keep_days is not None:
            for old in backups_prune(options["into"], keep_days=keep_days):
                self.stdout.write(f"Đã xóa bản sao lưu cũ / removed old backup {old}")
