from axes.apps import AppConfig as BaseAxesConfig
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Logins: lockout after wrong passwords, the second factor, sessions, password rules."""

    default = True  # this module also holds AxesConfig
    name = "accounts"
    verbose_name = "Tài khoản và đăng nhập"

    def ready(self) -> None:
        # Connecting receivers needs the app registry ready (Django's documented place).
        from accounts import signals  # noqa: F401, PLC0415


class AxesConfig(BaseAxesConfig):
    """django-axes under a Vietnamese name in the admin."""

    verbose_name = "Đăng nhập sai và khóa đăng nhập"
