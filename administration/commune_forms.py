"""The commune administrator's forms. Every choice is limited to the commune (its units, its
leaders, the levels of the criteria sets in use); the services check again."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from administration.commune_services import (
    STAFF_NEEDS_UNIT,
    check_password,
    offered_criteria_sets,
    report_authority_choices,
    signer_choices,
)
from assessments.models import Assessment, Commune, Membership, Unit
from criteria.models import CriteriaSet, Level
from guards.inputs import CleanInputMixin, IntField

FULL_NAME_HELP = _(
    "Viết đầy đủ như trên giấy tờ, ví dụ: Trần Văn Bình. Tên được hiển thị đúng như nhập."
)


def _helper(label: str) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label))
    return helper


class UnitForm(CleanInputMixin, forms.Form):
    name = forms.CharField(label=_("Tên đơn vị"), max_length=300)
    short_name = forms.CharField(
        label=_("Tên viết tắt"), max_length=30, required=False, help_text=_("Ví dụ: VHXH, TTPVHCC")
    )
    is_collective = forms.BooleanField(
        label=_("Đại diện cho tất cả các đơn vị"),
        required=False,
        help_text=_("Dùng cho tiêu chí do “Các cơ quan, đơn vị” cùng chủ trì."),
    )
    order = IntField(label=_("Thứ tự"), min_value=0, max_value=9999, initial=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(str(_("Lưu đơn vị")))


class MemberForm(CleanInputMixin, forms.Form):
    """A person of the commune. On adding: the user name and the first password too."""

    username = forms.RegexField(
        label=_("Tên đăng nhập"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={
            "invalid": _("Tên đăng nhập chỉ gồm chữ, số và các ký tự . @ + - _ (không dấu cách).")
        },
    )
    full_name = forms.CharField(label=_("Họ và tên"), max_length=300, help_text=FULL_NAME_HELP)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    role = forms.ChoiceField(label=_("Vai trò"), choices=Membership.Role.choices)
    unit = forms.ModelChoiceField(
        label=_("Đơn vị"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("— Không thuộc đơn vị —"),
        help_text=_("Bắt buộc với cán bộ, công chức."),
    )
    title = forms.CharField(
        label=_("Chức danh"),
        max_length=200,
        required=False,
        help_text=_("Ví dụ: Phó Chủ tịch UBND xã"),
    )
    is_commune_admin = forms.BooleanField(
        label=_("Quản trị của xã"),
        required=False,
        help_text=_("Quản lý đơn vị, người dùng, vai trò và thiết lập báo cáo của xã."),
    )
    password1 = forms.CharField(
        label=_("Mật khẩu ban đầu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Nhập lại mật khẩu ban đầu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    keep_as_typed = ("password1", "password2")

    def __init__(self, *args: Any, commune: Commune, adding: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commune = commune
        unit = cast(forms.ModelChoiceField, self.fields["unit"])
        unit.queryset = commune.units.order_by("order", "name")
        if adding:
            self.fields["password1"].help_text = password_validators_help_text_html()
        else:
            for name in ("username", "password1", "password2"):
                del self.fields[name]
        self.helper = _helper(str(_("Thêm người dùng") if adding else _("Lưu thay đổi")))

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise ValidationError(_("Hãy nhập họ và tên."))
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        staff = cleaned.get("role") == Membership.Role.STAFF
        if staff and not cleaned.get("unit") and "unit" not in self.errors:
            self.add_error("unit", STAFF_NEEDS_UNIT)
        if "password1" in self.fields:
            first, second = cleaned.get("password1"), cleaned.get("password2")
            if first and second and first != second:
                self.add_error("password2", _("Hai lần nhập mật khẩu không giống nhau."))
            elif first and cleaned.get("username") and cleaned.get("full_name"):
                try:
                    check_password(
                        first,
                        username=cleaned["username"],
                        full_name=cleaned["full_name"],
                        email=cleaned.get("email", ""),
                    )
                except ValidationError as error:
                    self.add_error("password1", error)
        return cleaned


class PasswordResetForm(CleanInputMixin, forms.Form):
    password1 = forms.CharField(
        label=_("Mật khẩu tạm thời mới"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Nhập lại mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    keep_as_typed = ("password1", "password2")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = password_validators_help_text_html()
        self.helper = _helper(str(_("Đặt lại mật khẩu")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Hai lần nhập mật khẩu không giống nhau."))
        return cleaned


class SignerChoiceField(forms.ModelChoiceField):
    """A leader of the commune by name and title."""

    def label_from_instance(self, obj: Any) -> str:
        return _signer_label(obj)


class ReportSettingsForm(CleanInputMixin, forms.Form):
    report_recipients = forms.CharField(
        label=_("Nơi nhận mặc định của báo cáo"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Mỗi dòng một nơi nhận; dòng cuối là “Lưu: VT, …”. Để trống: danh sách mặc định theo "
            "loại đơn vị hành chính."
        ),
    )
    address = forms.CharField(label=_("Địa chỉ trụ sở"), max_length=500, required=False)
    place_name = forms.CharField(
        label=_("Địa danh"),
        max_length=200,
        required=False,
        help_text=_("Dùng ở dòng “…, ngày … tháng … năm …” của văn bản; mặc định là tên xã."),
    )
    report_signer = SignerChoiceField(
        label=_("Người ký báo cáo mặc định"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("— Chưa chọn —"),
        help_text=_("Một lãnh đạo UBND của xã; văn thư vẫn đổi được người ký của từng báo cáo."),
    )
    report_authority = forms.ChoiceField(label=_("Thẩm quyền ký mặc định"), required=False)

    def __init__(self, *args: Any, commune: Commune, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        signer = cast(forms.ModelChoiceField, self.fields["report_signer"])
        signer.queryset = signer_choices(commune).select_related("membership")
        authority = cast(forms.ChoiceField, self.fields["report_authority"])
        authority.choices = [("", _("— Chưa chọn —")), *report_authority_choices()]
        self.helper = _helper(str(_("Lưu thiết lập báo cáo")))


def _signer_label(user: User) -> str:
    title = user.membership.title or user.membership.get_role_display()
    return f"{user.get_full_name() or user.get_username()} – {title}"


def _level_label(level: Level) -> str:
    return f"{level.name}{f' ({level.label})' if level.label else ''}"


class AssessmentCreateForm(CleanInputMixin, forms.Form):
    """The commune's first assessment. The registered level is offered grouped by criteria
    set; the server checks that it belongs to the chosen one."""

    criteria_set = forms.ModelChoiceField(
        label=_("Bộ tiêu chí"), queryset=CriteriaSet.objects.none(), empty_label=None
    )
    year = IntField(label=_("Năm"), min_value=2000, max_value=2100)
    period = forms.ChoiceField(
        label=_("Kỳ"), choices=Assessment.Period.choices, widget=forms.RadioSelect
    )
    target_level = forms.ModelChoiceField(
        label=_("Mức đăng ký"),
        queryset=Level.objects.none(),
        required=False,
        help_text=_("Mức xã đăng ký đạt, của bộ tiêu chí đã chọn."),
    )
    registration_number = forms.CharField(
        label=_("Số văn bản đăng ký"),
        max_length=100,
        required=False,
        help_text=_("Ví dụ: 343/UBND-VHXXH"),
    )
    registration_date = forms.DateField(
        label=_("Ngày văn bản đăng ký"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sets = list(offered_criteria_sets().order_by("-version"))
        cast(forms.ModelChoiceField, self.fields["criteria_set"]).queryset = offered_criteria_sets()
        levels = Level.objects.filter(criteria_set__in=sets).order_by("criteria_set", "order")
        field = cast(forms.ModelChoiceField, self.fields["target_level"])
        field.queryset = levels
        grouped: dict[int, list[tuple[int, str]]] = {s.pk: [] for s in sets}
        for level in levels:
            grouped[level.criteria_set_id].append((level.pk, _level_label(level)))
        field.choices = [
            ("", _("— Chưa đăng ký —")),
            *[(str(s), grouped[s.pk]) for s in sets if grouped[s.pk]],
        ]
        self.helper = _helper(str(_("Tạo kỳ đánh giá")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        level, criteria_set = cleaned.get("target_level"), cleaned.get("criteria_set")
        if level is not None and criteria_set and level.criteria_set_id != criteria_set.pk:
            self.add_error("target_level", _("Mức đăng ký không thuộc bộ tiêu chí đã chọn."))
        return cleaned
