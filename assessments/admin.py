from django import forms
from django.contrib import admin

from assessments.models import Assessment, Assignment, Commune, Membership, Unit
from assessments.services import assessment_create, assessment_problems

ASSESSMENT_CREATE_FIELDS = [
    "commune",
    "criteria_set",
    "year",
    "period",
    "target_level",
    "registration_number",
    "registration_date",
    "plan_number",
    "plan_date",
]


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ["order", "name", "short_name", "is_collective"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["__str__", "city", "address"]
    search_fields = ["name", "city"]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "commune", "is_collective"]
    list_filter = ["commune"]
    search_fields = ["name", "short_name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "commune", "unit", "role", "title"]
    list_filter = ["commune", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "title"]
    list_select_related = ["user", "commune", "unit"]
    autocomplete_fields = ["user"]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ["criterion", "lead_unit", "supporting_units"]
    readonly_fields = ["criterion"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Locked means locked here too; an administrator reopens (status) first.
        if obj is not None and obj.status == Assessment.Status.LOCKED:
            return False
        return super().has_change_permission(request, obj)


class AssessmentAdminForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = [*ASSESSMENT_CREATE_FIELDS, "status", "registration_recipient"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and cleaned.get("commune") and cleaned.get("criteria_set"):
            problems = assessment_problems(
                commune=cleaned["commune"],
                criteria_set=cleaned["criteria_set"],
                target_level=cleaned.get("target_level"),
            )
            if problems:
                raise forms.ValidationError(problems)
        return cleaned


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "criteria_set", "target_level", "status"]
    list_filter = ["year", "period", "status", "commune"]
    list_select_related = ["commune", "criteria_set", "target_level"]
    inlines = [AssignmentInline]
    form = AssessmentAdminForm

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # A new assessment must get its assignments, which the service creates.
        data = {f: form.cleaned_data.get(f) for f in ASSESSMENT_CREATE_FIELDS}
        created = assessment_create(**data)
        obj.pk = created.pk
        obj._state.adding = False
