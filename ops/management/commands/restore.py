from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Khôi phục một bản sao lưu vào cơ sở dữ liệu rỗng (đã chạy migrate) và kho tệp rỗng. "
        "Restore a backup into an empty, migrated database and empty storages."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from", dest="source", required=True, type=Path, help="Thư mục sao lưu."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = backup_restore(source=options["source"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for label, count in sorted(restored.counts.items()):
            if count:
                self.stdout.write(f"{label}: {count}")
        rows = sum(restored.counts.values())
        self.stdout.write(f"Cơ sở dữ liệu: {rows} bản ghi / rows")
        for alias, count in restored.files.items():
            self.stdout.write(f"Kho tệp {alias}: {count} tệp (SHA-256 đã kiểm tra / verified)")
        self.stdout.write(f"Nhật ký: {restored.audit_entries} mục, chuỗi hợp lệ / chain verified")
        self.stdout.write(self.style.SUCCESS("Đã khôi phục xong. / Restore complete."))
