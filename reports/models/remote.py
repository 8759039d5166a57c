"""Remote signing: a signature asked of a remote signing service (the signer confirms on the
phone), from the moment the portal sends the document's hash until the signature comes back,
is refused or times out."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reports.models.drafting import Report
from reports.models.issuing import IssuedFile
from reports.models.signing import SignatureRecord, SigningKey


class RemoteSigning(models.Model):
    """One request to a remote signing service for one signature on an issued report.

    While waiting it keeps the PDF prepared with the signature's reserved space and what
    finishing needs (the document's digest, the reserved region, the CMS signed attributes
    whose hash the service signs); both are cleared once it is over."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Đang chờ xác nhận trên điện thoại")
        SIGNED = "signed", _("Đã ký")
        REFUSED = "refused", _("Người ký đã từ chối")
        EXPIRED = "expired", _("Hết thời gian chờ")
        FAILED = "failed", _("Không thành công")

    report = models.ForeignKey(
        Report,
        verbose_name=_("báo cáo"),
        on_delete=models.PROTECT,
        related_name="remote_signings",
    )
    key = models.ForeignKey(
        SigningKey, verbose_name=_("khóa ký số"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        on_delete=models.PROTECT,
        related_name="remote_signings",
    )
    role = models.CharField(
        _("vai trò"),
        max_length=20,
        choices=SignatureRecord.Role.choices,
        default=SignatureRecord.Role.PERSON,
    )
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    started_at = models.DateTimeField(_("bắt đầu lúc"))
    expires_at = models.DateTimeField(_("hết hạn chờ lúc"))
    polled_at = models.DateTimeField(_("hỏi dịch vụ lần cuối"), null=True, blank=True)
    busy_until = models.DateTimeField(
        _("đang hỏi dịch vụ đến"),
        null=True,
        blank=True,
        help_text=_("Một lần hỏi dịch vụ đang chạy; lần hỏi khác chờ đến lúc này."),
    )
    finished_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    transaction = models.CharField(_("mã giao dịch tại dịch vụ"), max_length=255, blank=True)
    prepared_pdf = models.BinaryField(_("tệp PDF chờ chữ ký"), blank=True, default=b"")
    state = models.JSONField(_("dữ liệu để hoàn tất chữ ký"), default=dict, blank=True)
    issued_file = models.ForeignKey(
        IssuedFile,
        verbose_name=_("tệp đã ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    message = models.TextField(_("thông báo"), blank=True)

    class Meta:
        verbose_name = _("lần ký số từ xa")
        verbose_name_plural = _("các lần ký số từ xa")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "role"],
                condition=models.Q(status="waiting"),
                name="one_waiting_remote_signing_per_report_role",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gte=models.F("started_at")),
                name="remote_signing_expires_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} – {self.user} – {self.get_status_display()}"

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.WAITING
