from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from criteria.models import CriteriaSet
from criteria.xlsx import criteria_set_import_xlsx


class Command(BaseCommand):
    help = "Thay toàn bộ cây tiêu chí của một bộ tiêu chí bằng nội dung một tệp Excel (.xlsx)."

    def add_arguments(self, parser):
        parser.add_argument("criteria_set_id", type=int)
        parser.add_argument("path", type=Path)

    def handle(self, *args, criteria_set_id, path, **options):
        criteria_set = CriteriaSet.objects.filter(pk=criteria_set_id).first()
        if criteria_set is None:
            raise CommandError(f"Không có bộ tiêu chí số {criteria_set_id}.")
        try:
            created = criteria_set_import_xlsx(criteria_set=criteria_set, data=path.read_bytes())
        except ValidationError as exc:
            raise CommandError("Tệp bị từ chối:\n" + "\n".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Đã nhập {len(created)} tiêu chí vào “{criteria_set}”.")
        )
