"""What a browser sends, made safe before a view uses it: ids and counts that fit their
database columns, text without NUL characters and in one Unicode spelling, and a `next`
address that stays on the portal.

Views bind a form (with the fields and the mixin below) to `request.POST`; filters read
from the query string go through `id_param`, where a value that is not an id means "no
filter", as if the parameter were absent. Nothing here raises for bad input: forms report
errors in Vietnamese, helpers return None or the default.

Django's Vietnamese catalogue leaves some of these messages untranslated ("Null characters
are not allowed."), so the messages are written here.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme

# BigAutoField, the primary key of every table.
MAX_ID = 2**63 - 1
# PositiveIntegerField on PostgreSQL (SQLite would take more; the portal keeps one limit).
MAX_INT = 2**31 - 1

NUL_MESSAGE = "Nội dung có ký tự không hợp lệ (ký tự NUL); hãy gõ lại."
WHOLE_NUMBER = "Hãy nhập một số nguyên."
AT_LEAST = "Giá trị nhỏ nhất là %(limit_value)s."
AT_MOST = "Giá trị lớn nhất là %(limit_value)s."
NOT_A_CHOICE = "Lựa chọn không hợp lệ; hãy tải lại trang rồi chọn lại."

refuse_nul = ProhibitNullCharactersValidator(message=NUL_MESSAGE)

# The mixin's methods call the form's own; for the checker it is a form.
if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class CleanInputMixin(_FormBase):
    """For every form people type into.

    Text fields refuse NUL with a Vietnamese message (PostgreSQL cannot store it) and their
    values come out in NFC: macOS and some Vietnamese keyboards send decomposed letters
    ("ư" as "u" + horn + ...), which search, sorting and duplicate checks would take for
    different text. Fields named in `keep_as_typed` (passphrases) are left as typed.
    Choice fields answer a stale or forged value with a Vietnamese message.
    """

    keep_as_typed: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            if isinstance(form_field, forms.CharField):
                form_field.validators = [
                    refuse_nul if isinstance(v, ProhibitNullCharactersValidator) else v
                    for v in form_field.validators
                ]
            if isinstance(form_field, forms.ModelChoiceField):
                # Checked in to_python, where error_messages are not consulted.
                form_field.validate_no_null_characters = refuse_nul  # type: ignore[method-assign]
            for code in ("invalid_choice", "invalid_pk_value"):
                if code in form_field.error_messages:
                    form_field.error_messages[code] = NOT_A_CHOICE

    def clean(self) -> dict[str, Any]:
        # A form's clean() may return None, meaning it changed self.cleaned_data in place.
        cleaned = super().clean()
        if cleaned is None:
            cleaned = self.cleaned_data
        for name, value in cleaned.items():
            if isinstance(value, str) and name not in self.keep_as_typed:
                cleaned[name] = nfc(value)
        return cleaned


class IntField(forms.IntegerField):
    """A whole number between `min_value` and `max_value`, which default to the range of
    an integer column: "9" * 400 is a form error, not a database overflow."""

    default_error_messages = {
        "invalid": WHOLE_NUMBER,
        "min_value": AT_LEAST,
        "max_value": AT_MOST,
    }

    def __init__(self, *, min_value: int = 0, max_value: int = MAX_INT, **kwargs: Any) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


class ModelChoicesField(forms.ModelMultipleChoiceField):
    """ModelMultipleChoiceField that refuses ids out of the primary key's range before they
    reach the database: SQLite cannot bind them, PostgreSQL would say "out of range"."""

    def clean(self, value: Any) -> Any:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        for each in values:
            if _id_or_none(str(each)) is None and str(each).strip().isdecimal():
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": each},
                )
        return super().clean(value)


def errors_to_form(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal, on the field it names when the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _id_or_none(text: str) -> int | None:
    # isdecimal, not isdigit: "²".isdigit() is True and int("²") raises.
    text = text.strip()
    if not text.isascii() or not text.isdecimal():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def id_param(data: QueryDict, name: str) -> int | None:
    """The id in `data[name]` (a query string filter), or None when it is absent or not an
    id a row could have: the filter is then ignored, as if absent."""
    return _id_or_none(data.get(name, ""))


def next_url(request: HttpRequest, default: str) -> str:
    """The form's `next` when it is a path on this portal, else `default`."""
    target = request.POST.get("next", "")
    return target if on_portal(request, target) else default


def on_portal(request: HttpRequest, target: str) -> bool:
    """Whether `target` is a path on this portal, safe to redirect to.

    A bare word ("abc") would be taken for a URL name by `redirect()` and fail; a control
    character would end up in the Location header."""
    return (
        target.startswith("/")
        and not target.startswith("//")
        and not any(unicodedata.category(ch)[0] == "C" for ch in target)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )


# -- Points as a Vietnamese browser types them (issue 13) -------------------------------------

# "2", "0,5", "0.5", ",5", "12,25"; one separator, ASCII digits only. The length bound keeps
# "9" * 400 and the like out of Decimal before max_digits speaks.
_DECIMAL_TEXT = re.compile(r"^-?(?:\d{1,20}(?:[.,]\d{0,20})?|[.,]\d{1,20})$", re.ASCII)
NOT_A_NUMBER = "Hãy nhập một số, ví dụ 2 hoặc 0,5 (dấu phẩy hoặc dấu chấm thập phân)."


def decimal_text(value: Decimal) -> str:
    """A number as a Vietnamese reader writes it: 24, 2,5 (no trailing zeros)."""
    return f"{value.normalize():f}".replace(".", ",")


class DecimalCommaField(forms.DecimalField):
    """A number typed with a decimal comma ("0,5") or point ("0.5"), shown with a comma.

    Browsers in Vietnamese refuse "0,5" in `<input type="number">`, so the widget is a text
    input with the decimal keypad on phones; the server reads either separator and refuses
    anything else (thousand separators, "1e3", "NaN", letters) with a Vietnamese message."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": NOT_A_NUMBER,
        "min_value": AT_LEAST,
        "max_value": AT_MOST,
        "max_digits": "Số quá lớn: tối đa %(max)s chữ số.",
        "max_decimal_places": "Chỉ được có tối đa %(max)s chữ số sau dấu phẩy.",
        "max_whole_digits": "Số quá lớn: tối đa %(max)s chữ số trước dấu phẩy.",
    }

    def to_python(self, value: Any) -> Any:  # a Decimal or None (the stubs say int)
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int):
            return Decimal(value)
        text = str(value).strip()
        if not _DECIMAL_TEXT.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        text = text.replace(",", ".")
        return Decimal(f"0{text}" if text.startswith(".") else text.replace("-.", "-0."))

    def prepare_value(self, value: Any) -> Any:
        return decimal_text(value) if isinstance(value, Decimal) else value

    def run_validators(self, value: Any) -> None:
        # Django's min/max/step messages print their limits with a point ("2.50"); the
        # limits of points are said the way they are typed here ("2,5").
        try:
            super().run_validators(value)
        except ValidationError as error:
            for item in error.error_list:
                if item.params:
                    item.params = {
                        key: decimal_text(Decimal(limit))
                        if isinstance(limit, Decimal | float)
                        else limit
                        for key, limit in item.params.items()
                    }
            raise

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # No min/max/step: they belong to type="number", which this field does not use.
        attrs = forms.Field.widget_attrs(self, widget)
        attrs.setdefault("inputmode", "decimal")
        attrs.setdefault("autocomplete", "off")
        return attrs
