from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Commune
from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup


class Command(BaseCommand):
    help = (
        "Tạo CA thử nghiệm và chứng thư thử nghiệm (người ký và cơ quan) cho một xã mẫu, "
        "kèm hình chữ ký và con dấu mẫu. Chỉ dùng để thử, không có giá trị pháp lý."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--commune", default="Nghi Dương")

    def handle(self, *args: Any, commune: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Không tạo chứng thư thử nghiệm ở chế độ production.")
        try:
            target = Commune.objects.get(name=commune)
        except Commune.DoesNotExist:
            raise CommandError(f"Không có xã “{commune}”.") from None
        keys = demo_signing_setup(commune=target)
        for key in keys:
            self.stdout.write(f"{key} – {key.subject}")
        self.stdout.write(f"Mật khẩu các tệp PKCS#12 thử nghiệm: {DEMO_PASSPHRASE}")
