from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from criteria.models import CriteriaSet, Criterion, Level
from criteria.services import (
    criteria_set_is_locked,
    criteria_set_new_version,
    criteria_set_problems,
)


class LevelInline(admin.TabularInline):
    model = Level
    extra = 0
    fields = ["order", "name", "min_points", "max_points_exclusive", "label", "provenance"]


class LockedWhenUsedMixin:
    """A criteria set used by an assessment is read-only; admins make a new version instead."""

    def _set_of(self, obj):
        return obj if isinstance(obj, CriteriaSet) else getattr(obj, "criteria_set", None)

    def has_change_permission(self, request, obj=None):
        if obj is not None and criteria_set_is_locked(self._set_of(obj)):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and criteria_set_is_locked(self._set_of(obj)):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CriteriaSet)
class CriteriaSetAdmin(LockedWhenUsedMixin, admin.ModelAdmin):
    list_display = ["__str__", "title", "decision_date", "status", "needs_verification", "version"]
    list_filter = ["status", "needs_verification"]
    search_fields = ["title", "decision_number"]
    inlines = [LevelInline]
    readonly_fields = ["previous_version", "created_at", "problems"]
    actions = ["make_new_version"]

    @admin.display(description=_("Kiểm tra bộ tiêu chí"))
    def problems(self, obj):
        if obj.pk is None:
            return "-"
        found = criteria_set_problems(obj)
        if not found:
            return _("Hợp lệ: điểm tiêu chí cha bằng tổng tiêu chí con, tổng bằng thang điểm.")
        return format_html_join("\n", "<div class='errornote'>{}</div>", ((p,) for p in found))

    @admin.action(description=_("Tạo phiên bản mới (sao chép để sửa)"))
    def make_new_version(self, request, queryset):
        for criteria_set in queryset:
            copy = criteria_set_new_version(criteria_set=criteria_set)
            self.message_user(request, f"Đã tạo {copy} từ {criteria_set}.", level=messages.SUCCESS)


@admin.register(Criterion)
class CriterionAdmin(LockedWhenUsedMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "title",
        "max_points",
        "default_lead_unit",
        "provenance",
        "criteria_set",
    ]
    list_filter = ["criteria_set", "provenance"]
    search_fields = ["code", "title", "default_lead_unit"]
    list_select_related = ["criteria_set"]
    raw_id_fields = ["parent"]
