from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from guards.uploads import sweep_temp


class Command(BaseCommand):
    help = (
        "Remove upload temporary files older than UPLOAD_TEMP_MAX_AGE (left by killed processes)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--max-age", type=int, default=None, help="seconds")

    def handle(self, *args: Any, max_age: int | None = None, **options: Any) -> None:
        removed = sweep_temp(max_age)
        self.stdout.write(f"Removed {len(removed)} file(s).")
