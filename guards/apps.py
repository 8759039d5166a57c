from django.apps import AppConfig


class GuardsConfig(AppConfig):
    """Input guards shared by every app: upload policy, bounded parsing, spreadsheet text."""

    name = "guards"
    verbose_name = "Bảo vệ đầu vào"
