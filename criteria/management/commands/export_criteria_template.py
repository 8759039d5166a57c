from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from criteria.resources import criteria_set_export_xlsx
from criteria.services import criteria_set_load_yaml
from criteria.xlsx import blank_template

CRITERIA_FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "criteria"
TEMPLATE_NAME = "mau-bo-tieu-chi.xlsx"


class Command(BaseCommand):
    help = (
        "Ghi lại tệp mẫu trống fixtures/criteria/mau-bo-tieu-chi.xlsx và, với mỗi bộ tiêu chí "
        "YAML trong fixtures/criteria/, một tệp .xlsx cùng tên để sửa bằng Excel."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", type=Path, default=CRITERIA_FIXTURES)

    def handle(self, *args, output_dir, **options):
        output_dir.mkdir(parents=True, exist_ok=True)
        self._write(output_dir / TEMPLATE_NAME, blank_template())
        for path in sorted(CRITERIA_FIXTURES.glob("*.yaml")):
            # Export through the database exactly as the admin does, then leave no trace.
            with transaction.atomic():
                data = criteria_set_export_xlsx(criteria_set_load_yaml(path=path))
                transaction.set_rollback(True)
            self._write(output_dir / f"{path.stem}.xlsx", data)

    def _write(self, path: Path, data: bytes) -> None:
        path.write_bytes(data)
        self.stdout.write(f"Đã ghi {path}")
