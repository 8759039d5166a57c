"""`manage.py make_previews`: start the preview task again for every version still waiting.

A version waits ("đang tạo hình xem trước") when the task could not be started at its upload
(the broker was down) or was lost; the task is idempotent, so running this twice is harmless."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from evidence.models import EvidenceFile
from evidence.tasks import make_evidence_preview


class Command(BaseCommand):
    help = "Tạo lại ảnh xem trước cho các tệp minh chứng còn đang chờ (chạy lại không sao)."

    def handle(self, *args: Any, **options: Any) -> None:
        waiting = list(
            EvidenceFile.objects.filter(preview=EvidenceFile.Preview.PENDING, thumbnail="")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for file_id in waiting:
            make_evidence_preview.delay(file_id)
        self.stdout.write(f"{len(waiting)} tệp đang chờ ảnh xem trước: đã giao việc tạo ảnh.")
