from datetime import datetime

from axes.apps import AppConfig as BaseAxesConfig
from django.apps import AppConfig, apps
from django.apps.registry import Apps


class AccountsConfig(AppConfig):
    """Logins: lockout after wrong passwords, the second factor, sessions, password rules."""

    default = True  # this module also holds AxesConfig
    name = "accounts"
    verbose_name = "Tài khoản và đăng nhập"

    def ready(self) -> None:
        # Connecting receivers needs the app registry ready (Django's documented place).
        from accounts import signals  # noqa: F401, PLC0415

        name_third_party_models(apps)
        name_login_records()


# django-otp's models carry English names that no translation reaches (plain strings, not
# gettext). Their names are set here for the admin's permission lists; the migration state
# reads Meta as declared, so no migration follows.
THIRD_PARTY_NAMES = {
    "django_otp": ("Xác thực hai lớp", {}),
    "otp_totp": (
        "Xác thực hai lớp – ứng dụng",
        {"totpdevice": ("ứng dụng xác thực", "ứng dụng xác thực")},
    ),
    "otp_static": (
        "Xác thực hai lớp – mã dự phòng",
        {
            "staticdevice": ("bộ mã dự phòng", "bộ mã dự phòng"),
            "statictoken": ("mã dự phòng", "mã dự phòng"),
        },
    ),
    "sessions": ("Phiên làm việc", {}),
}


def name_third_party_models(registry: Apps) -> None:
    for label, (app_name, models) in THIRD_PARTY_NAMES.items():
        if label not in registry.app_configs:
            continue
        config = registry.get_app_config(label)
        config.verbose_name = app_name
        for model_name, (singular, plural) in models.items():
            meta = config.get_model(model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural


def name_login_records() -> None:
    """django-axes names its rows in English ("Access Log for admin @ …"), which the admin
    shows as the title of a row's page; these say it in Vietnamese."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    def when(moment: datetime | None) -> str:
        return f"{timezone.localtime(moment):%d/%m/%Y %H:%M}" if moment else ""

    def attempt(self: AccessAttempt) -> str:
        return f"Đăng nhập sai: {self.username} lúc {when(self.attempt_time)} từ {self.ip_address}"

    def access(self: AccessLog) -> str:
        return f"Đăng nhập của {self.username} lúc {when(self.attempt_time)}"

    def failure(self: AccessFailureLog) -> str:
        locked = ", bị khóa" if self.locked_out else ""
        return (
            f"Đăng nhập sai: {self.username}{locked} lúc {when(self.attempt_time)} "
            f"từ {self.ip_address}"
        )

    AccessAttempt.__str__ = attempt
    AccessLog.__str__ = access
    AccessFailureLog.__str__ = failure


class AxesConfig(BaseAxesConfig):
    """django-axes under a Vietnamese name in the admin."""

    verbose_name = "Đăng nhập sai và khóa đăng nhập"
