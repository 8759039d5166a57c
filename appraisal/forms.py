"""Forms of the city's appraisal that people type into (the commune's side)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisal.submission_services import ANSWER_MAX
from guards.inputs import CleanInputMixin


class AnswerForm(CleanInputMixin, forms.Form):
    """The commune's answer on one item of a request to explain."""

    answer = forms.CharField(
        label=_("Giải trình của xã"),
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Phải ghi nội dung giải trình.")},
    )


class ExplanationEvidenceForm(CleanInputMixin, forms.Form):
    """A file of evidence added to one item of a request to explain."""

    file = forms.FileField(
        label=_("Tệp minh chứng bổ sung"),
        error_messages={"required": _("Chưa chọn tệp minh chứng.")},
    )
    title = forms.CharField(
        label=_("Trích yếu (không bắt buộc)"),
        max_length=500,
        required=False,
    )
