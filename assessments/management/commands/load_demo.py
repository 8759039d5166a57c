from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.demo import demo_load
from assessments.models import Commune


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu (xã Nghi Dương và một xã thứ hai) nếu cơ sở dữ liệu còn trống."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo12345")

    def handle(self, *args, password, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Không nạp dữ liệu mẫu khi chạy ở chế độ production (DJANGO_DEBUG tắt)."
            )
        if Commune.objects.exists():
            self.stdout.write("Cơ sở dữ liệu đã có dữ liệu, bỏ qua dữ liệu mẫu.")
            return
        demo_load(password=password)
        self.stdout.write(
            self.style.SUCCESS("Đã nạp dữ liệu mẫu. Mật khẩu mọi tài khoản: " + password)
        )
