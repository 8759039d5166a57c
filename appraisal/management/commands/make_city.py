"""manage.py make_city --communes 114 --seed 1: a synthetic city for benchmarks."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from appraisal.bulk_city import city_make


class Command(BaseCommand):
    help = (
        "Tạo một thành phố thử (mặc định Hải Phòng, 45 phường / 67 xã / 2 đặc khu theo tỷ lệ) "
        "với kỳ đánh giá, điểm, minh chứng, hồ sơ gửi thẩm định ở mọi giai đoạn; dùng cho đo "
        "hiệu năng."
    )

    def add_arguments(self, parser):
        parser.add_argument("--communes", type=int, default=114)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--city", default="Hải Phòng")
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, communes: int, seed: int, city: str, year: int | None, **options):
        if not 1 <= communes <= 5000:
            raise CommandError("Số xã, phường phải từ 1 đến 5000.")
        started = time.perf_counter()
        try:
            made = city_make(communes=communes, seed=seed, city_name=city, year=year)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{made.city}: {made.communes} xã, phường, {made.submissions} hồ sơ gửi thẩm định, "
            f"{made.scores} điểm, {made.evidence} minh chứng; đợt {made.round.pk} "
            f"(đợt trước {made.previous.pk}) trong {time.perf_counter() - started:.1f} giây."
        )
