from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.demo import demo_load
from assessments.models import Commune
from reports.demo.content import demo_documents, demo_draft_report
from reports.demo.workflow import demo_previous_period, demo_review


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu (xã Nghi Dương và một xã thứ hai) nếu cơ sở dữ liệu còn trống."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="demo12345")
        parser.add_argument(
            "--draft-report",
            action="store_true",
            help="Tạo sẵn dự thảo báo cáo của xã mẫu (nhiệm vụ theo thứ tự của báo cáo gốc).",
        )

    def handle(self, *args: Any, password: str, draft_report: bool, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "Không nạp dữ liệu mẫu khi chạy ở chế độ production (DJANGO_DEBUG tắt)."
            )
        if Commune.objects.exists():
            self.stdout.write("Cơ sở dữ liệu đã có dữ liệu, bỏ qua dữ liệu mẫu.")
            return
        demo_load(password=password)
        demo_documents()
        demo_previous_period()
        demo_review()
        if draft_report:
            demo_draft_report()
        self.stdout.write(
            self.style.SUCCESS("Đã nạp dữ liệu mẫu. Mật khẩu mọi tài khoản: " + password)
        )
