from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.forms import ExportForm
from import_export.results import RowResult

from criteria.forms import CriteriaConfirmImportForm, CriteriaImportForm
from criteria.models import Adjustment, CriteriaSet, Criterion, Level
from criteria.resources import (
    CriteriaXLSX,
    CriterionResource,
    criteria_set_export_xlsx,
    import_result_messages,
)
from criteria.rules import provenance_label
from criteria.services import (
    criteria_set_is_locked,
    criteria_set_new_version,
    criteria_set_problems,
)
from criteria.xlsx import CONTENT_TYPE, blank_template
from guards.filenames import file_name, send_as


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=CONTENT_TYPE)
    send_as(response, filename)
    return response


def xlsx_filename(criteria_set: CriteriaSet) -> str:
    """'bo-tieu-chi-5049-qd-ubnd-phien-ban-2.xlsx': the decision it follows, not a database id."""
    return file_name(
        "Bộ tiêu chí",
        criteria_set.decision_number or criteria_set.title,
        "phiên bản",
        criteria_set.version,
        extension=".xlsx",
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
    list_display = [
        "__str__",
        "title",
        "decision_date",
        "status",
        "needs_verification",
        "evidence_required",
        "version",
    ]
    list_filter = ["status", "needs_verification", "evidence_required"]
    search_fields = ["title", "decision_number"]
    inlines = [LevelInline]
    readonly_fields = ["previous_version", "created_at", "problems", "excel"]
    actions = ["make_new_version", "export_xlsx"]

    def get_urls(self):
        return [
            path(
                "<path:object_id>/xlsx/",
                self.admin_site.admin_view(self.export_xlsx_view),
                name="criteria_criteriaset_xlsx",
            ),
            *super().get_urls(),
        ]

    def export_xlsx_view(self, request, object_id):
        """Download the tree of one set in the import template's layout."""
        # get_object, not get_object_or_404: the URL takes any text, and "abc" is no pk.
        criteria_set = self.get_object(request, object_id)
        if criteria_set is None:
            raise Http404("Không tìm thấy bộ tiêu chí.")
        if not self.has_view_permission(request, criteria_set):
            raise PermissionDenied
        return xlsx_response(criteria_set_export_xlsx(criteria_set), xlsx_filename(criteria_set))

    @admin.display(description=_("Excel"))
    def excel(self, obj):
        if obj.pk is None:
            return "-"
        download = format_html(
            '<a href="{}">Tải cây tiêu chí (XLSX)</a>',
            reverse("admin:criteria_criteriaset_xlsx", args=[obj.pk]),
        )
        if criteria_set_is_locked(obj):
            return format_html(
                "{} · Bộ tiêu chí đang dùng cho kỳ đánh giá: muốn nhập từ Excel, hãy tạo "
                "phiên bản mới rồi nhập vào phiên bản mới.",
                download,
            )
        return format_html(
            '{} · <a href="{}?criteria_set={}">Nhập cây tiêu chí từ Excel</a> '
            "(thay toàn bộ cây hiện có)",
            download,
            reverse("admin:criteria_criterion_import"),
            obj.pk,
        )

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

    @admin.action(description=_("Xuất cây tiêu chí ra Excel (XLSX)"))
    def export_xlsx(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, "Hãy chọn đúng một bộ tiêu chí để xuất ra Excel.", level=messages.ERROR
            )
            return None
        criteria_set = queryset.get()
        return xlsx_response(criteria_set_export_xlsx(criteria_set), xlsx_filename(criteria_set))


class ProvenanceFilter(admin.SimpleListFilter):
    """Provenance by its words: the draft fixture's markers 'seed' and 'inferred' are codes."""

    title = _("nguồn gốc")
    parameter_name = "nguon-goc"

    def lookups(self, request, model_admin):
        values = model_admin.get_queryset(request).values_list("provenance", flat=True)
        return [(value, provenance_label(value)) for value in sorted(set(values)) if value]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(provenance=self.value())
        return queryset


@admin.register(Criterion)
class CriterionAdmin(LockedWhenUsedMixin, ImportExportMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "title",
        "max_points",
        "default_lead_unit",
        "provenance_text",
        "criteria_set",
    ]
    list_filter = ["criteria_set", ProvenanceFilter]
    search_fields = ["code", "title", "default_lead_unit"]
    list_select_related = ["criteria_set"]
    raw_id_fields = ["parent"]

    # Import and export of a whole tree as XLSX (criteria.resources, criteria.xlsx).
    resource_classes = [CriterionResource]
    import_formats = [CriteriaXLSX]
    export_formats = [CriteriaXLSX]
    import_form_class = CriteriaImportForm
    confirm_form_class = CriteriaConfirmImportForm
    export_form_class = ExportForm  # always every column, so the file imports back
    import_template_name = "admin/criteria/criterion/import.html"
    import_export_change_list_template = "admin/criteria/criterion/change_list.html"
    import_error_display = ("message",)

    @admin.display(description=_("nguồn gốc"), ordering="provenance")
    def provenance_text(self, criterion: Criterion) -> str:
        return provenance_label(criterion.provenance)

    def get_urls(self):
        return [
            path(
                "mau-xlsx/",
                self.admin_site.admin_view(self.template_view),
                name="criteria_criterion_template",
            ),
            *super().get_urls(),
        ]

    def template_view(self, request):
        """The blank template a commune clerk fills in Excel."""
        return xlsx_response(blank_template(), "mau-bo-tieu-chi.xlsx")

    def has_import_permission(self, request):
        # An import deletes the old tree and adds a new one.
        return self.has_add_permission(request) and self.has_delete_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_import_form_initial(self, request):
        initial = super().get_import_form_initial(request)
        if request.GET.get("criteria_set"):
            initial["criteria_set"] = request.GET["criteria_set"]
        return initial

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["criteria_set"] = import_form.cleaned_data["criteria_set"].pk
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        cleaned = getattr(kwargs.get("form"), "cleaned_data", None) or {}
        return {"criteria_set": cleaned.get("criteria_set")}

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ValidationError):  # criteria.xlsx.read_sheet explains in Vietnamese
            form.add_error("import_file", e)
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Only if the set was locked or changed between the preview and the confirmation.
            for line in import_result_messages(result):
                messages.error(request, line)
            return HttpResponseRedirect(reverse("admin:criteria_criterion_import"))
        super().process_result(result, request)
        criteria_set = next((row.instance.criteria_set for row in result.valid_rows()), None)
        url = reverse("admin:criteria_criterion_changelist")
        if criteria_set is not None:
            url += f"?criteria_set__id__exact={criteria_set.pk}"
        return HttpResponseRedirect(url)

    def add_success_message(self, result, request):
        count = result.totals[RowResult.IMPORT_TYPE_NEW]
        criteria_set = next((row.instance.criteria_set for row in result.valid_rows()), None)
        messages.success(
            request,
            f"Đã nhập {count} tiêu chí vào “{criteria_set}”; "
            "cây tiêu chí cũ của bộ này đã được thay thế.",
        )


@admin.register(Adjustment)
class AdjustmentAdmin(LockedWhenUsedMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "points_per_case", "criteria_set"]
    list_filter = ["criteria_set", "kind"]
