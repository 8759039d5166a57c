from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import role_name


class TwoFactorRule(models.Model):
    """Whether a role must use the second factor. A role with no rule must (safe default for
    roles added later, such as the city's)."""

    role_key = models.CharField(
        _("mã vai trò"),
        max_length=30,
        unique=True,
        help_text=_(
            "admin (quản trị viên), leader (lãnh đạo UBND), secretary (văn thư), "
            "staff (cán bộ, công chức), hoặc mã vai trò khác. Vai trò chưa có quy định "
            "thì bắt buộc."
        ),
    )
    required = models.BooleanField(_("bắt buộc xác thực hai lớp"), default=True)

    class Meta:
        verbose_name = _("quy định xác thực hai lớp")
        verbose_name_plural = _("quy định xác thực hai lớp")
        ordering = ["role_key"]

    def __str__(self) -> str:
        state = "bắt buộc" if self.required else "không bắt buộc"
        return f"{role_name(self.role_key)}: {state}"

    @property
    def role_name(self) -> str:
        return role_name(self.role_key)


class UserSession(models.Model):
    """A session a user logged in with, so that "log out everywhere" can find it, whatever
    the session engine."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.CASCADE,
        related_name="login_sessions",
    )
    session_key = models.CharField(_("khóa phiên"), max_length=40, unique=True)
    started_at = models.DateTimeField(_("bắt đầu"), auto_now_add=True)

    class Meta:
        verbose_name = _("phiên đăng nhập")
        verbose_name_plural = _("phiên đăng nhập")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.user} từ {self.started_at:%d/%m/%Y %H:%M}"
