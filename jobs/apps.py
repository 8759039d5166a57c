from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"
    verbose_name = _("Tác vụ chạy nền")

    def ready(self) -> None:
        # Each app lists its job kinds in its own `job_kinds.py` (jobs.registry).
        from django.utils.module_loading import autodiscover_modules  # noqa: PLC0415

        autodiscover_modules("job_kinds")
