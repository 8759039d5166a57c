"""The city administrator's form of a person of the city; the services check again."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from assessments.models import CityMembership
from guards.inputs import CleanInputMixin


class CityPersonForm(CleanInputMixin, forms.Form):
    """A person of the city. On adding, the user name too (the portal makes the first
    password and shows it once)."""

    username = forms.RegexField(
        label=_("Tên đăng nhập"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={
            "invalid": _("Tên đăng nhập chỉ gồm chữ, số và các ký tự . @ + - _ (không dấu cách).")
        },
    )
    full_name = forms.CharField(
        label=_("Họ và tên"),
        max_length=300,
        help_text=_("Viết đầy đủ như trên giấy tờ, ví dụ: Trần Văn Bình."),
    )
    email = forms.EmailField(label=_("Thư điện tử"), max_length=254, required=False)
    role = forms.ChoiceField(label=_("Vai trò"), choices=CityMembership.Role.choices)
    title = forms.CharField(
        label=_("Chức danh"),
        max_length=200,
        required=False,
        help_text=_("Ví dụ: Phó Giám đốc Sở Nội vụ"),
    )

    def __init__(self, *args: Any, adding: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not adding:
            del self.fields["username"]
        self.helper = FormHelper()
        self.helper.add_input(
            Submit("submit", str(_("Thêm người dùng") if adding else _("Lưu thay đổi")))
        )

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise ValidationError(_("Hãy nhập họ và tên."))
        return name
