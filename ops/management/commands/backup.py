from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Sao lưu cơ sở dữ liệu và mọi tệp đã lưu (minh chứng, văn bản) vào một thư mục mới. "
        "Back up the database and every stored file into a new folder."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", required=True, type=Path, help="Thư mục sao lưu (mới hoặc rỗng)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_create(out=options["out"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(f"Cơ sở dữ liệu: {rows} bản ghi / rows ({len(manifest['counts'])} bảng)")
        for alias, info in manifest["storages"].items():
            self.stdout.write(f"Kho tệp {alias}: {info['count']} tệp, {info['bytes']} byte")
        self.stdout.write(self.style.SUCCESS(f"Đã sao lưu vào / backed up to {options['out']}"))
