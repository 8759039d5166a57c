"""The shared input helpers: ids, bounded numbers, NUL-free NFC text, a `next` on the portal."""

import unicodedata

import pytest
from django import forms
from django.http import QueryDict
from django.test import RequestFactory

from assessments.models import Unit
from guards.inputs import (
    MAX_ID,
    NUL_MESSAGE,
    CleanInputMixin,
    IntField,
    ModelChoicesField,
    id_param,
    next_url,
)

NFD = unicodedata.normalize("NFD", "Nghi Dương")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("12", 12),
        (" 12 ", 12),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 400, None),
        ("0", None),
        ("-1", None),
        ("abc", None),
        ("1e3", None),
        ("²", None),  # "²".isdigit() is True, int("²") raises
        ("١٢", None),  # Arabic-Indic digits: int() takes them, an id never has them
        ("a\x00b", None),
        ("", None),
    ],
)
def test_id_param_gives_an_id_or_none(raw, expected):
    assert id_param(QueryDict(mutable=True) | {"tieu-chi": raw}, "tieu-chi") == expected


def test_id_param_of_an_absent_name_is_none():
    assert id_param(QueryDict(), "don-vi") is None


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/ky-danh-gia/1/", "/ky-danh-gia/1/"),
        ("/ky-danh-gia/1/?a=1#muc", "/ky-danh-gia/1/?a=1#muc"),
        ("abc", "/mac-dinh/"),  # redirect("abc") would look for a URL named abc
        ("-1", "/mac-dinh/"),
        ("", "/mac-dinh/"),
        ("//example.com/", "/mac-dinh/"),
        ("https://example.com/", "/mac-dinh/"),
        ("/\\example.com/", "/mac-dinh/"),
        ("/a\x00b", "/mac-dinh/"),
        ("/a\r\nSet-Cookie: x=1", "/mac-dinh/"),
    ],
)
def test_next_url_stays_on_the_portal(target, expected):
    request = RequestFactory().post("/", {"next": target})
    assert next_url(request, "/mac-dinh/") == expected


class Sample(CleanInputMixin, forms.Form):
    keep_as_typed = ("secret",)

    text = forms.CharField(required=False)
    secret = forms.CharField(required=False, strip=False)
    count = IntField(required=False, max_value=10)
    choice = forms.ChoiceField(required=False, choices=[("a", "A")])


def test_text_comes_out_in_nfc_except_what_is_kept_as_typed():
    form = Sample({"text": NFD, "secret": NFD})
    assert form.is_valid()
    assert form.cleaned_data["text"] == "Nghi Dương" != NFD
    assert form.cleaned_data["secret"] == NFD


@pytest.mark.parametrize("name", ["text", "secret"])
def test_nul_is_refused_in_vietnamese(name):
    form = Sample({name: "a\x00b"})
    assert form.errors == {name: [NUL_MESSAGE]}


@pytest.mark.parametrize(
    "raw,error",
    [
        ("abc", "Hãy nhập một số nguyên."),
        ("²", "Hãy nhập một số nguyên."),
        ("1e309", "Hãy nhập một số nguyên."),
        ("NaN", "Hãy nhập một số nguyên."),
        ("-1", "Giá trị nhỏ nhất là 0."),
        ("9" * 400, "Giá trị lớn nhất là 10."),
    ],
)
def test_int_field_is_bounded_with_vietnamese_messages(raw, error):
    assert Sample({"count": raw}).errors == {"count": [error]}


def test_int_field_defaults_to_the_range_of_an_integer_column():
    field = IntField()
    assert field.clean("2147483647") == 2**31 - 1
    with pytest.raises(forms.ValidationError):
        field.clean("2147483648")


def test_a_forged_choice_gets_a_vietnamese_message():
    assert Sample({"choice": "z"}).errors == {
        "choice": ["Lựa chọn không hợp lệ; hãy tải lại trang rồi chọn lại."]
    }


class Units(CleanInputMixin, forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.all(), required=False)
    units = ModelChoicesField(queryset=Unit.objects.all(), required=False)


@pytest.mark.parametrize("raw", ["9" * 400, str(MAX_ID + 1), "0", "abc", "²"])
def test_model_choices_refuse_ids_out_of_range_before_the_database(db, raw):
    form = Units({"units": [raw], "unit": raw})
    assert form.errors == {
        "unit": ["Lựa chọn không hợp lệ; hãy tải lại trang rồi chọn lại."],
        "units": ["Lựa chọn không hợp lệ; hãy tải lại trang rồi chọn lại."],
    }


def test_model_choices_refuse_nul_in_vietnamese(db):
    form = Units({"units": ["a\x00b"], "unit": "a\x00b"})
    assert form.errors == {"unit": [NUL_MESSAGE], "units": [NUL_MESSAGE]}
