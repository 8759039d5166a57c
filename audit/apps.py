from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail: who did what, when and from where, chained by hash."""

    name = "audit"
    verbose_name = "Nhật ký hoạt động"

    def ready(self) -> None:
        # Connecting receivers needs the app registry ready (Django's documented place).
        from audit import receivers  # noqa: PLC0415

        receivers.connect()
