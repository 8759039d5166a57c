from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: entries are never added, changed or removed by hand."""

    list_display = [
        "id",
        "at",
        "full_name",
        "username",
        "commune_name",
        "unit_name",
        "action",
        "target_label",
        "summary",
        "ip",
    ]
    list_filter = ["action", "commune_name", "at"]
    search_fields = ["username", "full_name", "target_label", "summary", "ip"]
    date_hierarchy = "at"
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
