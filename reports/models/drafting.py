"""The six-month or annual report of an assessment, its sections, and their history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessments.models import Assessment


class Report(models.Model):
    class Kind(models.TextChoices):
        SIX_MONTH = "six_month", _("Báo cáo 6 tháng")
        ANNUAL = "annual", _("Báo cáo năm")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        ISSUED = "issued", _("Đã ban hành")

    class Authority(models.TextChoices):
        CHAIRMAN = "chairman", _("TM. Ủy ban nhân dân – Chủ tịch")
        DEPUTY = "deputy", _("TM. Ủy ban nhân dân – KT. Chủ tịch – Phó Chủ tịch")
        ACTING = "acting", _("TM. Ủy ban nhân dân – Q. Chủ tịch")

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("kỳ đánh giá"), on_delete=models.PROTECT, related_name="reports"
    )
    kind = models.CharField(_("loại báo cáo"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    summary = models.TextField(_("trích yếu"))
    symbol = models.CharField(_("ký hiệu"), max_length=50, default="BC-UBND")
    number = models.PositiveIntegerField(_("số"), null=True, blank=True)
    issue_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    authority = models.CharField(
        _("thẩm quyền ký"), max_length=10, choices=Authority.choices, default=Authority.DEPUTY
    )
    signer_name = models.CharField(_("họ tên người ký"), max_length=200, blank=True)
    recipients = models.TextField(
        _("nơi nhận"), help_text=_("Mỗi dòng một nơi nhận; dòng cuối là “Lưu: VT, …”.")
    )
    version = models.PositiveIntegerField(default=0)
    issued_at = models.DateTimeField(_("ban hành lúc"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.TextField(_("lý do ban hành khi chưa duyệt hết"), blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("thay thế báo cáo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    verify_token = models.CharField(max_length=40, unique=True, null=True, blank=True)
    #: the secretary's order of the "Nhiệm vụ" items, as keys ("task:<pk>" for a general task,
    #: "next:<criterion code>:<n>" for a unit's task, "unmet:<criterion code>"); items missing
    #: here follow in tree order, keys whose item no longer exists are ignored
    task_order = models.JSONField(default=list, blank=True)
    #: set on an issued report when a leader reopens its assessment: it needs a correction
    reopened_at = models.DateTimeField(_("mở lại lúc"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopen_reason = models.TextField(_("lý do mở lại"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("báo cáo")
        verbose_name_plural = _("báo cáo")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment"],
                condition=Q(status="draft"),
                name="one_draft_report_per_assessment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.assessment}"

    @property
    def number_text(self) -> str:
        """'Số: 05/BC-UBND', or 'Số:      /BC-UBND' before issuing."""
        if self.number is None:
            return f"Số:\u2003\u2003/{self.symbol}"
        return f"Số: {self.number:02d}/{self.symbol}"

    @property
    def replaces_text(self) -> str:
        """'(Thay thế Báo cáo số 01/BC-UBND ngày 10/07/2026)' for a correcting report."""
        old = self.replaces
        if old is None or old.number is None:
            return ""
        return f"(Thay thế Báo cáo số {old.number:02d}/{old.symbol} ngày {old.issue_date:%d/%m/%Y})"

    @property
    def authority_lines(self) -> list[str]:
        lines: dict[str, list[str]] = {
            self.Authority.CHAIRMAN: ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"],
            self.Authority.DEPUTY: ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
            self.Authority.ACTING: ["TM. ỦY BAN NHÂN DÂN", "Q. CHỦ TỊCH"],
        }
        return lines[self.authority]

    @property
    def recipient_lines(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]


class ReportSection(models.Model):
    """One heading of the report with its editable text (see reports.markup)."""

    class Table(models.TextChoices):
        NONE = "", _("Không")
        SHORTFALLS = "shortfalls", _("Bảng tiêu chí thành phần chưa đạt điểm")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=50)
    heading = models.CharField(_("tiêu đề"), max_length=500, blank=True)
    level = models.PositiveSmallIntegerField(default=2)
    body = models.TextField(_("nội dung"), blank=True)
    table = models.CharField(max_length=20, choices=Table.choices, default="", blank=True)
    order = models.PositiveIntegerField()
    version = models.PositiveIntegerField(default=0)
    #: the values of the live fields the section's data depends on when its text was last
    #: written (created, edited or refreshed): the editor compares them with today's data
    data_snapshot = models.JSONField(default=dict, blank=True)
    show_points = models.BooleanField(
        _("in cột “Điểm đạt”"),
        default=False,
        help_text=_("Bảng tồn tại, hạn chế: in điểm đạt bên cạnh điểm tối đa."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mục báo cáo")
        verbose_name_plural = _("mục báo cáo")
        ordering = ["report", "order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "key"], name="report_section_key_unique"),
        ]

    def __str__(self) -> str:
        return self.heading or self.key


class ReportSectionRevision(models.Model):
    """Every saved text of a section: the draft history."""

    section = models.ForeignKey(ReportSection, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("lịch sử mục báo cáo")
        verbose_name_plural = _("lịch sử mục báo cáo")

    def __str__(self) -> str:
        return f"{self.section} @ {self.at:%Y-%m-%d %H:%M}"


class ReportTask(models.Model):
    """A task of section "Nhiệm vụ" typed by the secretary, not tied to a sub-criterion (the
    units' tasks and the unmet sub-criteria are read live from the scores)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="tasks")
    text = models.TextField(_("nhiệm vụ"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nhiệm vụ chung")
        verbose_name_plural = _("nhiệm vụ chung")
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class ImplementingDocument(models.Model):
    """A document the commune issued to implement the model (Công văn triển khai, đôn đốc…):
    section I.2 of the report is written from these."""

    class Kind(models.TextChoices):
        DEPLOY = "deploy", _("Văn bản triển khai")
        REMIND = "remind", _("Văn bản đôn đốc, nhắc nhở")
        OTHER = "other", _("Văn bản khác")

    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("kỳ đánh giá"),
        on_delete=models.CASCADE,
        related_name="implementing_documents",
    )
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices, default=Kind.DEPLOY)
    number = models.CharField(_("số, ký hiệu"), max_length=100, help_text=_("Ví dụ: 403/UBND-VHXX"))
    date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    issuer = models.CharField(
        _("cơ quan ban hành"),
        max_length=300,
        blank=True,
        help_text=_("Để trống: Ủy ban nhân dân của xã, phường."),
    )
    summary = models.TextField(
        _("nội dung chính"),
        help_text=_("Ví dụ: đôn đốc các cơ quan, đơn vị khẩn trương rà soát, thực hiện…"),
    )
    order = models.PositiveIntegerField(_("thứ tự"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("văn bản triển khai")
        verbose_name_plural = _("văn bản triển khai")
        ordering = ["assessment", "order", "date", "id"]

    def __str__(self) -> str:
        return self.number
