"""Notifications: what a person is told in the portal (the bell) and, unless they turned it
off, by email. Knows nothing of communes or scores: callers give the text and the link."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        RETURNED = "returned", _("Tiêu chí bị trả lại")
        APPROVED = "approved", _("Tiêu chí được duyệt")
        ADJUSTED = "adjusted", _("Điểm được điều chỉnh")
        DEADLINE_SOON = "deadline_soon", _("Sắp đến hạn tự chấm điểm")
        OVERDUE = "overdue", _("Quá hạn tự chấm điểm")
        AWAITING_SIGNATURE = "awaiting_signature", _("Báo cáo chờ ký")
        ISSUED = "issued", _("Báo cáo đã ban hành")
        OTHER = "other", _("Khác")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("loại"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("tiêu đề"), max_length=300)
    body = models.TextField(_("nội dung"), blank=True)
    url = models.CharField(_("đường dẫn"), max_length=500, blank=True)
    #: what makes this notice unique for its person ("returned:score:12:event:40",
    #: "deadline:3d:assessment:5:unit:2:2026-12-04"): the same key is never sent twice
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("đã gửi thư lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_key"),
        ]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationSetting(models.Model):
    """A person's choice about email; the portal's bell is always on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.CASCADE,
        related_name="notification_setting",
    )
    email = models.BooleanField(
        _("nhận thông báo qua thư điện tử"),
        default=True,
        help_text=_("Tắt: chỉ xem thông báo trong cổng (biểu tượng chuông)."),
    )

    class Meta:
        verbose_name = _("cài đặt thông báo")
        verbose_name_plural = _("cài đặt thông báo")

    def __str__(self) -> str:
        return f"{self.user}: {'có' if self.email else 'không'} gửi thư"
