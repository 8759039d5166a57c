from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    """The commune runs itself in the portal: its administrator keeps units, people, roles and
    report settings; a system administrator creates communes and imports accounts. No page
    here needs the Django admin."""

    name = "administration"
    verbose_name = "Quản trị trong cổng"
