from django.apps import AppConfig

from guards.uploads import temp_dir


class GuardsConfig(AppConfig):
    """Input guards shared by every app: upload policy, bounded parsing, spreadsheet text."""

    name = "guards"
    verbose_name = "Bảo vệ đầu vào"

    def ready(self) -> None:
        # Django's upload handler writes there and `check` refuses a missing folder: a fresh
        # checkout must start without anyone creating it by hand.
        temp_dir()
        # Cache invalidation, not behaviour: every write of the project's rows bumps the data
        # version that results and PDFs are cached under (guards/versions.py).
        from guards import versions  # noqa: PLC0415

        versions.connect()
