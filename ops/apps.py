from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the portal: backups of the database and the stored files, and their restore."""

    name = "ops"
    verbose_name = "Vận hành"
