"""The vocabulary of scoring, defined once: how a leaf is scored, what "không phát sinh" (not
arising) does to its points, and how points are written for a Vietnamese reader.

Only Django's enum types are imported (no models), so the scoring rules, the tree checks, the
model fields, the forms and the templates all read the same names.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models.enums import TextChoices
from django.utils.translation import gettext_lazy as _


class RuleKind(TextChoices):
    FREE = "free", _("Chấm điểm trong khoảng")
    PASS_FAIL = "pass_fail", _("Đạt hoặc không đạt")
    TIERS = "tiers", _("Theo tỷ lệ (tử số/mẫu số)")


class NotArisingPolicy(TextChoices):
    NOT_ALLOWED = "", _("Không áp dụng")
    FULL = "full", _("Tính đủ điểm")
    ZERO = "zero", _("Tính 0 điểm")
    EXCLUDE = "exclude", _("Không tính, quy đổi tổng điểm về thang điểm")


def fmt_points(value: Decimal) -> str:
    """Points as a Vietnamese reader writes them: 24, 2,5."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


# The draft fixture's provenance markers; any other text (a document number) is shown as is.
PROVENANCE_LABELS = {
    "seed": "Báo cáo 6 tháng của xã",
    "inferred": "Suy luận, cần đối chiếu",
    "official": "Văn bản chính thức",
}


def provenance_label(value: object) -> str:
    """'inferred' -> 'Suy luận, cần đối chiếu'; a document number stays as written."""
    text = str(value or "").strip()
    return PROVENANCE_LABELS.get(text.lower(), text)
