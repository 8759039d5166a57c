from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.db import transaction

from assessments.access import membership_of
from assessments.models import (
    Assessment,
    Assignment,
    City,
    CityMembership,
    Commune,
    Membership,
    Unit,
)
from assessments.services import (
    assessment_create,
    assessment_problems,
    assignment_update,
    membership_text,
)
from audit.services import Action, audit_record
from criteria.models import Level

User = get_user_model()

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


class CityMembershipInline(admin.TabularInline):
    model = CityMembership
    extra = 0
    fields = ["user", "role", "title"]
    autocomplete_fields = ["user"]


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["__str__", "department", "dac_khu_block"]
    search_fields = ["name"]
    fields = ["name", "is_province", "department", "place_name", "dac_khu_block"]
    inlines = [CityMembershipInline]


@admin.register(CityMembership)
class CityMembershipAdmin(admin.ModelAdmin):
    list_display = ["__str__", "city", "role"]
    list_filter = ["city", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "title"]
    autocomplete_fields = ["user"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["__str__", "city", "address"]
    search_fields = ["name", "city__name"]
    # report_recipients: the Nơi nhận of its reports (blank: the default for its kind).
    fields = ["kind", "name", "city", "address", "place_name", "report_recipients"]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "commune", "is_collective"]
    list_filter = ["commune"]
    search_fields = ["name", "short_name"]


OTHER_COMMUNE_UNIT = "Đơn vị này không thuộc xã của kỳ đánh giá."


def _level_label(level: Level) -> str:
    """A level named with its criteria set: several sets have a "Mức 1"."""
    return f"{level} – {level.criteria_set}"


def _unit_label(unit: Unit) -> str:
    return f"{unit} – {unit.commune}"


class MembershipAdminForm(forms.ModelForm):
    """The unit is one of the member's commune (Membership.clean refuses any other)."""

    class Meta:
        model = Membership
        fields = ["user", "commune", "unit", "role", "title", "is_commune_admin"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("unit")
        if isinstance(field, forms.ModelChoiceField):
            if self.instance.pk is not None:
                # Moving someone to another commune: remove the membership, add a new one.
                field.queryset = Unit.objects.filter(commune_id=self.instance.commune_id)
            else:
                field.queryset = Unit.objects.select_related("commune")
                field.label_from_instance = _unit_label  # type: ignore[method-assign]
            field.error_messages["invalid_choice"] = "Hãy chọn một đơn vị của xã."

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Membership.Role.STAFF and not cleaned.get("unit"):
            self.add_error("unit", "Cán bộ, công chức phải thuộc một đơn vị của xã.")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["user", "commune", "unit", "role", "title", "is_commune_admin"]
    list_filter = ["commune", "role", "is_commune_admin"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "title"]
    list_select_related = ["user", "commune", "unit"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        before = (
            Membership.objects.select_related("commune", "unit").get(pk=obj.pk) if change else None
        )
        super().save_model(request, obj, form, change)
        who = _person(obj.user)
        if before is None:
            summary = f"Thêm {who} vào {obj.commune}: {membership_text(obj)}"
        else:
            summary = f"Đổi {who}: {_membership_where(before)} → {_membership_where(obj)}"
        audit_record(
            action=Action.MEMBERSHIP_CHANGE,
            user=request.user,
            commune=obj.commune,
            target=obj,
            target_label=f"Thành viên {obj.user.get_username()}",
            summary=summary,
            details={"fields": form.changed_data, "role": obj.role, "unit": obj.unit_id},
        )

    def delete_model(self, request, obj):
        _audit_membership_delete(request, obj)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "commune", "unit"):
            _audit_membership_delete(request, membership)
        super().delete_queryset(request, queryset)


def _person(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def _membership_where(membership: Membership) -> str:
    return f"{membership.commune}, {membership_text(membership)}"


def _audit_membership_delete(request, membership: Membership) -> None:
    audit_record(
        action=Action.MEMBERSHIP_DELETE,
        user=request.user,
        commune=membership.commune,
        target=membership,
        target_label=f"Thành viên {membership.user.get_username()}",
        summary=f"Xóa {_person(membership.user)} khỏi {_membership_where(membership)}",
    )


def _audit_account(request, action: str, account, summary: str, **details) -> None:
    membership = membership_of(account)
    audit_record(
        action=action,
        user=request.user,
        commune=membership.commune if membership else None,
        target=account,
        target_label=f"Tài khoản {account.get_username()}",
        summary=summary,
        details=details,
    )


PERMISSION_ACTIONS = {"add": "Thêm", "change": "Sửa", "delete": "Xóa", "view": "Xem"}


def _permission_label(permission) -> str:
    """'Thêm đơn vị (Xã và kỳ đánh giá)' rather than Django's stored 'Can add đơn vị'."""
    action, _sep, _model = permission.codename.partition("_")
    model = permission.content_type.model_class()
    if action not in PERMISSION_ACTIONS or model is None:
        return str(permission)
    app = model._meta.app_config.verbose_name
    return f"{PERMISSION_ACTIONS[action]} {model._meta.verbose_name} ({app})"


class PasswordChangeForm(AdminPasswordChangeForm):
    """Django writes this field's warning in English only (not marked for translation)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("usable_password")
        if field is not None:
            field.help_text = (
                "Người dùng có được đăng nhập bằng mật khẩu hay không. "
                '<ul id="id_unusable_warning" class="messagelist"><li class="warning">'
                "Nếu tắt, mật khẩu hiện tại của tài khoản này sẽ mất.</li></ul>"
            )


class FullNameMixin(forms.Form):
    """One "Họ và tên" field instead of Django's "Tên"/"Họ" pair (which readers took in the
    wrong order): stored split at the last space, so get_full_name() gives it back as typed."""

    full_name = forms.CharField(
        label="Họ và tên",
        max_length=300,
        required=False,
        help_text="Viết đầy đủ, ví dụ: Trần Văn Bình. Tên được hiển thị đúng như nhập.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["full_name"].initial = self.instance.get_full_name()

    def save(self, commit=True):
        first, _, last = " ".join(self.cleaned_data.get("full_name", "").split()).rpartition(" ")
        self.instance.first_name, self.instance.last_name = first, last
        return super().save(commit=commit)


class UserChangeFullNameForm(FullNameMixin, UserChangeForm):
    pass


class UserCreationFullNameForm(FullNameMixin, AdminUserCreationForm):
    pass


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's account admin; every change of an account (its rights, its password, its
    removal) is written to the audit trail."""

    change_password_form = PasswordChangeForm
    form = UserChangeFullNameForm
    add_form = UserCreationFullNameForm
    list_display = ["username", "full_name", "email", "is_active", "is_staff"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Thông tin cá nhân", {"fields": ["full_name", "email"]}),
        (
            "Quyền",
            {
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        ("Thời điểm", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "full_name", "usable_password", "password1", "password2"],
            },
        ),
    ]

    @admin.display(description="Họ và tên", ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "user_permissions" and field is not None:
            field.queryset = field.queryset.select_related("content_type")
            field.label_from_instance = _permission_label
        return field

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Password fields are named, never their values.
        changes = {
            name: _plain_value(form.cleaned_data.get(name))
            for name in form.changed_data
            if "password" not in name
        }
        labels = ", ".join(str(form.fields[name].label or name) for name in form.changed_data)
        if change:
            summary = f"Sửa tài khoản {_person(obj)}: {labels.lower()}"
        else:
            summary = f"Tạo tài khoản {_person(obj)}"
        action = Action.ACCOUNT_CHANGE if change else Action.ACCOUNT_CREATE
        _audit_account(request, action, obj, summary, changes=changes)

    def delete_model(self, request, obj):
        _audit_account(request, Action.ACCOUNT_DELETE, obj, f"Xóa tài khoản {_person(obj)}")
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for account in queryset:
            _audit_account(
                request, Action.ACCOUNT_DELETE, account, f"Xóa tài khoản {_person(account)}"
            )
        super().delete_queryset(request, queryset)

    def user_change_password(self, request, id, form_url=""):
        account = self.get_object(request, unquote(id))
        response = super().user_change_password(request, id, form_url)
        if account is not None:
            now = User.objects.filter(pk=account.pk).values_list("password", flat=True).first()
            if now != account.password:
                _audit_account(
                    request,
                    Action.ACCOUNT_CHANGE,
                    account,
                    f"Đặt lại mật khẩu của tài khoản {_person(account)}",
                )
        return response


def _plain_value(value):
    """A form value as the audit trail keeps it: groups and permissions by name."""
    if hasattr(value, "__iter__") and not isinstance(value, str):
        return [str(item) for item in value]
    return value if isinstance(value, bool | int | type(None)) else str(value)


class AssignmentAdminForm(forms.ModelForm):
    """An assignment's units: only the assessment's commune's, never the lead as a supporter
    (the same rules as assessments.services.assignment_update, which saves it)."""

    class Meta:
        model = Assignment
        fields = ["lead_unit", "supporting_units"]

    def clean(self):
        cleaned = super().clean()
        commune_id = self.instance.assessment.commune_id
        lead = cleaned.get("lead_unit")
        supporting = list(cleaned.get("supporting_units") or [])
        for unit in [lead, *supporting]:
            if unit is not None and unit.commune_id != commune_id:
                raise forms.ValidationError(f"Đơn vị “{unit}” không thuộc xã của kỳ đánh giá.")
        if lead is not None and lead in supporting:
            self.add_error(
                "supporting_units", "Đơn vị chủ trì không thể đồng thời là đơn vị phối hợp."
            )
        return cleaned


class AssignmentInline(admin.TabularInline):
    model = Assignment
    form = AssignmentAdminForm
    extra = 0
    fields = ["criterion", "lead_unit", "supporting_units"]
    readonly_fields = ["criterion"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Locked or frozen means locked here too; an administrator reopens (status) first,
        # a frozen one only through a leader's reopening (reports.services.issuing).
        if obj is not None and obj.status != Assessment.Status.OPEN:
            return False
        return super().has_change_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        # The unit fields are made during this call (formfield_for_*), for this assessment.
        request._assessment_commune_id = obj.commune_id if obj is not None else None  # type: ignore[attr-defined]
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related("criterion", "lead_unit").prefetch_related(
            "supporting_units"
        )

    def _commune_units(self, request):
        commune_id = getattr(request, "_assessment_commune_id", None)
        return Unit.objects.filter(commune_id=commune_id)

    def _unit_choices(self, request) -> list[tuple[int, str]]:
        # Read once for every row (each row's field copies this list, not the query).
        if not hasattr(request, "_assessment_unit_choices"):
            units = self._commune_units(request)
            request._assessment_unit_choices = [(unit.pk, str(unit)) for unit in units]
        return request._assessment_unit_choices

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name != "lead_unit":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        kwargs["queryset"] = self._commune_units(request)
        kwargs["error_messages"] = {"invalid_choice": OTHER_COMMUNE_UNIT}
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        field.choices = [("", field.empty_label), *self._unit_choices(request)]
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name != "supporting_units":
            return super().formfield_for_manytomany(db_field, request, **kwargs)
        kwargs["queryset"] = self._commune_units(request)
        kwargs["error_messages"] = {
            "invalid_choice": "Đơn vị “%(value)s” không thuộc xã của kỳ đánh giá."
        }
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        field.choices = self._unit_choices(request)
        return field


class AssessmentAdminForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = [*ASSESSMENT_CREATE_FIELDS, "status", "registration_recipient"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("target_level")
        if isinstance(field, forms.ModelChoiceField):
            levels = Level.objects.select_related("criteria_set")
            if self.instance.pk is not None:
                levels = levels.filter(criteria_set_id=self.instance.criteria_set_id)
            field.queryset = levels
            field.label_from_instance = _level_label  # type: ignore[method-assign]
            field.error_messages["invalid_choice"] = (
                "Mức đăng ký không thuộc bộ tiêu chí của kỳ đánh giá."
            )

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
        before = self.instance.status if self.instance.pk is not None else None
        after = cleaned.get("status")
        frozen = Assessment.Status.FROZEN
        if after is not None and after != before and frozen in (before, after):
            # Only issuing a report freezes, only a leader's reopening (with a reason, which
            # flags the report for correction) unfreezes: reports.services.issuing.
            self.add_error(
                "status",
                "Trạng thái “Đã ban hành báo cáo” do việc ban hành báo cáo đặt; chỉ lãnh đạo "
                "mở lại được (có lý do), từ trang báo cáo đã ban hành.",
            )
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

    def get_readonly_fields(self, request, obj=None):
        # Its assignments and scores belong to this commune and set: they are not moved.
        return ["commune", "criteria_set"] if obj is not None else []

    def save_formset(self, request, form, formset, change):
        if formset.model is not Assignment:
            return super().save_formset(request, form, formset, change)
        # Saved by the portal's own service: the same checks, the same audit record.
        formset.new_objects, formset.deleted_objects, formset.changed_objects = [], [], []
        for item in formset.forms:
            if not item.has_changed():
                continue
            assignment = Assignment.objects.select_related(
                "criterion", "assessment__commune", "lead_unit"
            ).get(pk=item.instance.pk)
            assignment_update(
                assignment=assignment,
                lead_unit=item.cleaned_data.get("lead_unit"),
                supporting_units=list(item.cleaned_data.get("supporting_units") or []),
                by=request.user,
            )
            formset.changed_objects.append((assignment, item.changed_data))

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # A new assessment must get its assignments, which the service creates.
        data = {f: form.cleaned_data.get(f) for f in ASSESSMENT_CREATE_FIELDS}
        created = assessment_create(**data)
        obj.pk = created.pk
        obj._state.adding = False
