"""The rulebook: criteria sets, their levels and their tree of criteria.

A criteria set is data, never code: the Hải Phòng set ships as a fixture and the official
table can be imported from Excel. Tree rules that span rows (a parent equals the sum of its
children, levels do not overlap) are checked by `criteria.tree.validate_*` because a database
constraint cannot see several rows; single-row rules are database constraints.
"""

from decimal import Decimal
from typing import TypedDict

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from criteria.codes import CODE_PATTERN, validate_code
from criteria.rules import NotArisingPolicy, RuleKind, fmt_points


class _Points(TypedDict):
    max_digits: int
    decimal_places: int


POINTS: _Points = {"max_digits": 6, "decimal_places": 2}


class CriteriaSet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        IN_USE = "in_use", _("Đang áp dụng")
        ARCHIVED = "archived", _("Lưu trữ")

    title = models.CharField(_("tên bộ tiêu chí"), max_length=500)
    decision_number = models.CharField(
        _("số quyết định"), max_length=100, blank=True, help_text=_("Ví dụ: 5049/QĐ-UBND")
    )
    decision_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    issuing_body = models.CharField(
        _("cơ quan ban hành"),
        max_length=300,
        blank=True,
        help_text=_("Ví dụ: Ủy ban nhân dân thành phố Hải Phòng"),
    )
    scale = models.DecimalField(_("thang điểm"), default=Decimal("100"), **POINTS)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    needs_verification = models.BooleanField(
        _("cần đối chiếu văn bản chính thức"),
        default=False,
        help_text=_(
            "Bật khi bộ tiêu chí được dựng lại từ nguồn gián tiếp và chưa được đối chiếu "
            "với quyết định chính thức. Cổng hiển thị cảnh báo ở mọi nơi bộ tiêu chí xuất hiện."
        ),
    )
    provenance_note = models.TextField(_("ghi chú nguồn gốc"), blank=True)
    evidence_required = models.BooleanField(
        _("cần minh chứng để có điểm"),
        default=True,
        help_text=_(
            "Bật: cán bộ được nhắc trước khi gửi và lãnh đạo trước khi duyệt điểm lớn hơn 0 "
            "của tiêu chí thành phần chưa có minh chứng."
        ),
    )
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    previous_version = models.ForeignKey(
        "self",
        verbose_name=_("phiên bản trước"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_versions",
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("bộ tiêu chí")
        verbose_name_plural = _("bộ tiêu chí")
        ordering = ["-decision_date", "title", "-version"]
        constraints = [
            models.CheckConstraint(condition=Q(scale__gt=0), name="criteria_set_scale_positive"),
        ]

    def __str__(self) -> str:
        label = self.decision_number or self.title
        if self.version > 1:
            return f"{label} (phiên bản {self.version})"
        return label

    @property
    def decision_reference(self) -> str:
        """'Quyết định số 5049/QĐ-UBND ngày 11/12/2025 của Ủy ban nhân dân thành phố Hải Phòng'."""
        parts = [f"Quyết định số {self.decision_number}" if self.decision_number else self.title]
        if self.decision_date:
            parts.append(f"ngày {self.decision_date:%d/%m/%Y}")
        if self.issuing_body:
            parts.append(f"của {self.issuing_body}")
        return " ".join(parts)


class Level(models.Model):
    """A level of recognition, e.g. mức 2 = from 85 to under 90 points."""

    criteria_set = models.ForeignKey(
        CriteriaSet, verbose_name=_("bộ tiêu chí"), on_delete=models.CASCADE, related_name="levels"
    )
    name = models.CharField(_("tên mức"), max_length=100)
    min_points = models.DecimalField(
        _("điểm từ"),
        null=True,
        blank=True,
        help_text=_("Để trống nếu không có cận dưới."),
        **POINTS,
    )
    max_points_exclusive = models.DecimalField(
        _("đến dưới"),
        null=True,
        blank=True,
        help_text=_("Để trống nếu không có cận trên."),
        **POINTS,
    )
    label = models.CharField(_("diễn giải"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("thứ tự"), default=0)
    provenance = models.CharField(_("nguồn gốc"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("mức đạt chuẩn")
        verbose_name_plural = _("mức đạt chuẩn")
        ordering = ["criteria_set", "order", "min_points"]
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "name"], name="level_name_unique_in_set"
            ),
            models.CheckConstraint(
                condition=Q(min_points__isnull=True)
                | Q(max_points_exclusive__isnull=True)
                | Q(min_points__lt=F("max_points_exclusive")),
                name="level_min_below_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.range_label})" if self.range_label else self.name

    @property
    def range_label(self) -> str:
        if self.label:
            return self.label
        low, high = self.min_points, self.max_points_exclusive
        if low is not None and high is not None:
            return f"Đạt từ {fmt_points(low)} đến dưới {fmt_points(high)} điểm"
        if low is not None:
            return f"Đạt từ {fmt_points(low)} điểm trở lên"
        if high is not None:
            return f"Dưới {fmt_points(high)} điểm"
        return ""

    def contains(self, points: Decimal) -> bool:
        if self.min_points is not None and points < self.min_points:
            return False
        return not (self.max_points_exclusive is not None and points >= self.max_points_exclusive)


class Criterion(models.Model):
    """One node of the tree: a tiêu chí, a tiêu chí thành phần, or deeper."""

    criteria_set = models.ForeignKey(
        CriteriaSet,
        verbose_name=_("bộ tiêu chí"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("tiêu chí cha"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    code = models.CharField(
        _("mã"),
        max_length=50,
        validators=[validate_code],
        help_text=_("Chữ số, chữ cái không dấu, dấu chấm và dấu gạch ngang, ví dụ 1.2.a."),
    )
    title = models.TextField(_("tên tiêu chí"))
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS)
    scoring_guide = models.TextField(_("hướng dẫn chấm"), blank=True)
    order = models.PositiveIntegerField(_("thứ tự"), default=0)
    default_lead_unit = models.CharField(
        _("đơn vị chủ trì mặc định"),
        max_length=300,
        blank=True,
        help_text=_("Tên đơn vị; khi tạo kỳ đánh giá, cổng gán theo đơn vị cùng tên của xã."),
    )
    provenance = models.CharField(
        _("nguồn gốc"),
        max_length=500,
        blank=True,
        help_text=_("Nội dung lấy từ đâu: văn bản chính thức, báo cáo, hay suy luận."),
    )
    # How a leaf is scored (ignored on parents). See criteria.scoring.
    rule = models.CharField(
        _("cách chấm"), max_length=20, choices=RuleKind.choices, default=RuleKind.FREE
    )
    step = models.DecimalField(
        _("bước điểm"),
        default=Decimal("0.25"),
        help_text=_("Điểm chấm phải là bội số của bước này."),
        **POINTS,
    )
    tiers = models.CharField(
        _("bậc điểm theo tỷ lệ"),
        max_length=300,
        blank=True,
        help_text=_("Với cách chấm theo tỷ lệ: “tỷ lệ tối thiểu:điểm; …”, ví dụ 100:5; 95:3; 0:0."),
    )
    numerator_label = models.CharField(_("tử số"), max_length=300, blank=True)
    denominator_label = models.CharField(_("mẫu số"), max_length=300, blank=True)
    not_arising = models.CharField(
        _("khi không phát sinh"),
        max_length=10,
        choices=NotArisingPolicy.choices,
        default=NotArisingPolicy.NOT_ALLOWED,
        blank=True,
    )
    points_provenance = models.CharField(_("nguồn gốc điểm"), max_length=500, blank=True)
    unit_provenance = models.CharField(_("nguồn gốc đơn vị chủ trì"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("tiêu chí")
        ordering = ["criteria_set", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "code"], name="criterion_code_unique_in_set"
            ),
            models.CheckConstraint(
                condition=Q(max_points__gte=0), name="criterion_max_points_not_negative"
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="criterion_not_own_parent"),
            # Codes end up in HTML, URLs and file names: see criteria.codes.
            models.CheckConstraint(
                condition=Q(code__regex=CODE_PATTERN), name="criterion_code_safe_alphabet"
            ),
        ]
        indexes = [models.Index(fields=["criteria_set", "parent"])]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"

    @property
    def is_reconstructed(self) -> bool:
        """True when the title, points or unit were inferred rather than read from a source."""
        return any(
            value.strip().lower() == "inferred"
            for value in (self.provenance, self.points_provenance, self.unit_provenance)
        )


class Adjustment(models.Model):
    """A set-wide rule applied to the total: a deduction per case, or a disqualifier."""

    class Kind(models.TextChoices):
        DEDUCTION = "deduction", _("Trừ điểm")
        DISQUALIFIER = "disqualifier", _("Không xét công nhận")

    criteria_set = models.ForeignKey(
        CriteriaSet,
        verbose_name=_("bộ tiêu chí"),
        on_delete=models.CASCADE,
        related_name="adjustments",
    )
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("nội dung"), max_length=500)
    points_per_case = models.DecimalField(
        _("điểm trừ mỗi trường hợp"), null=True, blank=True, **POINTS
    )
    order = models.PositiveIntegerField(_("thứ tự"), default=0)
    provenance = models.CharField(_("nguồn gốc"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("điều chỉnh tổng điểm")
        verbose_name_plural = _("điều chỉnh tổng điểm")
        ordering = ["criteria_set", "order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="disqualifier") | (Q(kind="deduction") & Q(points_per_case__gt=0)),
                name="deduction_has_points",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.DEDUCTION:
            # The deduction_has_points constraint: a deduction always has its points.
            assert self.points_per_case is not None
            return f"{self.title} (trừ {fmt_points(self.points_per_case)} điểm/trường hợp)"
        return f"{self.title} (không xét công nhận)"
