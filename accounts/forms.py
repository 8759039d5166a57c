from django import forms

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
