"""`manage.py send_reminders`: the scheduled reminders about self-scoring deadlines.

Run once a day (cron: `0 7 * * * cd /srv/portal && .venv/bin/python manage.py send_reminders`),
or let the task workers' beat run the same (assessments/tasks.py, CELERY_BEAT_SCHEDULE). Idempotent: every notice has a key, so a second run the same day (or a
run after a missed one) records and emails nothing twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from assessments.notices import reminders_send


def _day(value: str) -> dt.date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise CommandError(f"Ngày không hợp lệ: {value!r} (dạng 2026-12-04 hoặc 04/12/2026).")


class Command(BaseCommand):
    help = (
        "Nhắc hạn tự chấm điểm: báo cán bộ các đơn vị còn tiêu chí chưa gửi khi còn 3 ngày, "
        "1 ngày và khi quá hạn; báo lãnh đạo các đơn vị quá hạn (mỗi ngày một lần). Chạy lại "
        "không gửi trùng."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today",
            type=_day,
            default=None,
            help="Coi hôm nay là ngày này (để thử, trình diễn): 2026-12-04 hoặc 04/12/2026.",
        )

    def handle(self, *args: Any, today: dt.date | None, **options: Any) -> None:
        day = today or timezone.localdate()
        run = reminders_send(today=day)
        self.stdout.write(
            f"{day:%d/%m/%Y}: {len(run.assessments)} kỳ đánh giá đang mở; thông báo mới: "
            f"{run.soon} sắp đến hạn, {run.overdue} quá hạn, {run.summaries} tổng hợp cho "
            "lãnh đạo."
        )
