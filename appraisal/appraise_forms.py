"""The appraisers' forms: the city's score of a sub-criterion, a finding on a deduction or
disqualifier, and a request to explain (its per-item questions are read as parallel lists)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guards.inputs import MAX_INT, CleanInputMixin, DecimalCommaField, IntField

MAX_TEXT = 5000
MAX_CASES = 9999


class AppraisalScoreForm(CleanInputMixin, forms.Form):
    version = IntField(widget=forms.HiddenInput, required=False, max_value=MAX_INT)
    points = DecimalCommaField(
        label=_("Điểm thẩm định"), required=False, min_value=0, max_digits=6, decimal_places=2
    )
    reason = forms.CharField(
        label=_("Lý do (bắt buộc khi khác điểm của xã)"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CityAdjustmentForm(CleanInputMixin, forms.Form):
    cases = IntField(label=_("Số trường hợp"), max_value=MAX_CASES)
    note = forms.CharField(
        label=_("Căn cứ"), required=False, max_length=MAX_TEXT, widget=forms.Textarea({"rows": 2})
    )


class ExplanationRequestForm(CleanInputMixin, forms.Form):
    message = forms.CharField(
        label=_("Nội dung đề nghị"), max_length=MAX_TEXT, widget=forms.Textarea({"rows": 3})
    )
    deadline = forms.DateField(
        label=_("Hạn giải trình"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
