from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from appraisal.models import Round


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu mẫu phía thành phố (đợt thẩm định, các xã ở mọi giai đoạn, Hội đồng) "
        "sau load_demo và make_test_pki, nếu chưa có đợt thẩm định nào."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="demo12345")

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Không nạp dữ liệu mẫu khi chạy ở chế độ production.")
        if Round.objects.exists():
            self.stdout.write("Đã có đợt thẩm định, bỏ qua dữ liệu mẫu của thành phố.")
            return
        # Imported here: the demo pulls in the rendering and signing stack.
        from appraisal.demo import demo_city_load  # noqa: PLC0415

        round_ = demo_city_load(password=password)
        self.stdout.write(self.style.SUCCESS(f"Đã nạp dữ liệu mẫu của thành phố: {round_}."))
