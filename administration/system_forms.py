"""Forms of the system administrator's pages."""

from __future__ import annotations

import unicodedata
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.utils.translation import gettext_lazy as _

from administration.system_services import duplicate_commune_message, username_taken
from assessments.models import Commune
from guards.inputs import CleanInputMixin

USERNAME_HELP = _("Chữ không dấu, chữ số và các ký tự . @ + - _, không dấu cách.")


class CommuneCreateForm(CleanInputMixin, forms.Form):
    """The commune (kind, name, city, address) and its first administrator."""

    keep_as_typed = ("password1", "password2")

    kind = forms.ChoiceField(label=_("Loại"), choices=Commune.Kind.choices)
    name = forms.CharField(label=_("Tên"), max_length=200, help_text=_("Ví dụ: Nghi Dương"))
    city = forms.CharField(label=_("Tỉnh, thành phố"), max_length=200, initial="Hải Phòng")
    address = forms.CharField(label=_("Địa chỉ trụ sở"), max_length=500, required=False)
    username = forms.CharField(
        label=_("Tên đăng nhập"),
        max_length=150,
        help_text=USERNAME_HELP,
        validators=[ASCIIUsernameValidator(message=str(USERNAME_HELP))],
    )
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    title = forms.CharField(
        label=_("Chức danh"), max_length=200, required=False, initial="Chủ tịch UBND xã"
    )
    email = forms.EmailField(label=_("Email"), max_length=254, required=False)
    password1 = forms.CharField(
        label=_("Mật khẩu ban đầu"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Hãy dặn người quản trị xã đổi mật khẩu này ngay lần đăng nhập đầu tiên "
            "(Đổi mật khẩu, trên menu tài khoản): cổng chưa tự buộc đổi."
        ),
    )
    password2 = forms.CharField(
        label=_("Nhập lại mật khẩu"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(
                _("Xã, phường"),
                Row(Column("kind", css_class="col-md-3"), Column("name", css_class="col-md-9")),
                Row(Column("city", css_class="col-md-4"), Column("address", css_class="col-md-8")),
            ),
            Fieldset(
                _("Quản trị đầu tiên của xã (lãnh đạo UBND)"),
                Row(
                    Column("username", css_class="col-md-4"),
                    Column("full_name", css_class="col-md-8"),
                ),
                Row(Column("title", css_class="col-md-6"), Column("email", css_class="col-md-6")),
                Row(
                    Column("password1", css_class="col-md-6"),
                    Column("password2", css_class="col-md-6"),
                ),
            ),
        )
        self.helper.add_input(Submit("submit", _("Tạo xã và tài khoản quản trị")))

    def clean_username(self) -> str:
        username = unicodedata.normalize("NFKC", self.cleaned_data["username"])
        if username_taken(username):
            raise forms.ValidationError(_("Tên đăng nhập này đã có người dùng."))
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind, name, city = cleaned.get("kind"), cleaned.get("name"), cleaned.get("city")
        if (kind and name and city) and (
            message := duplicate_commune_message(city=city, kind=kind, name=name)
        ):
            self.add_error("name", message)
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Hai mật khẩu không khớp."))
        elif first:
            full_name = cleaned.get("full_name") or ""
            given, _space, family = full_name.rpartition(" ")
            probe = get_user_model()(
                username=cleaned.get("username") or "",
                first_name=given,
                last_name=family,
                email=cleaned.get("email") or "",
            )
            try:
                password_validation.validate_password(first, user=probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class AccountsImportForm(forms.Form):
    """The sheet to import (the template's columns)."""

    file = forms.FileField(
        label=_("Tệp Excel (.xlsx)"),
        help_text=_("Theo tệp mẫu; tệp có lỗi bị từ chối toàn bộ, kèm lỗi theo số dòng."),
        error_messages={"required": _("Hãy chọn tệp Excel danh sách tài khoản.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        self.helper = FormHelper()
        self.helper.form_tag = False


class ImportConfirmForm(CleanInputMixin, forms.Form):
    """The preview the person confirms (its token: a stale or forged page is refused)."""

    token = forms.CharField(max_length=64, widget=forms.HiddenInput)
