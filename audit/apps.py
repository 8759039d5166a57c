from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail: who did what, when and from where, chained by hash."""

    name = "audit"
    verbose_name = "Nhật ký hoạt động"

    def ready(self) -> None:
        from audit import receivers

        receivers.connect()
