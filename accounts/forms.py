from typing import Any, cast

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from guards.inputs import CleanInputMixin


class CodeForm(CleanInputMixin, forms.Form):
    """A code from the authenticator app or a recovery code."""

    code = forms.CharField(
        label="Mã xác thực",
        max_length=20,
        help_text="6 chữ số đang hiện trong ứng dụng xác thực, hoặc một mã khôi phục.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class EnrolForm(CleanInputMixin, forms.Form):
    code = forms.CharField(
        label="Mã 6 chữ số trong ứng dụng",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class _UsernameLengthChecked(CleanInputMixin):
    """Django's login forms give the username its max_length after the field is made, so no
    validator checks it: a 400-character name went on to authenticate() and to django-axes,
    whose record of failures holds 255 (PostgreSQL refused it: HTTP 500). Here it is a form
    error, and no password is checked."""

    keep_as_typed: tuple[str, ...] = ("password",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = cast(forms.CharField, self.fields["username"])
        username.validators.append(MaxLengthValidator(username.max_length))


class LoginForm(_UsernameLengthChecked, AuthenticationForm):
    pass


class AdminLoginForm(_UsernameLengthChecked, AdminAuthenticationForm):
    pass
