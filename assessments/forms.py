import datetime as dt
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import Unit
from assessments.services import MAX_CASES
from criteria.rules import NotArisingPolicy, RuleKind, fmt_points
from guards.inputs import CleanInputMixin, IntField, ModelChoicesField


class AssignmentForm(CleanInputMixin, forms.Form):
    lead_unit = forms.ModelChoiceField(
        label=_("Đơn vị chủ trì"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("— Chưa phân công —"),
    )
    supporting_units = ModelChoicesField(
        label=_("Đơn vị phối hợp"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, commune, **kwargs):
        super().__init__(*args, **kwargs)
        units = commune.units.order_by("order", "name")
        self.fields["lead_unit"].queryset = units
        self.fields["supporting_units"].queryset = units.filter(is_collective=False)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Lưu phân công")))

    def clean(self):
        cleaned = super().clean()
        lead = cleaned.get("lead_unit")
        if lead is not None and lead in (cleaned.get("supporting_units") or []):
            raise forms.ValidationError(_("Đơn vị chủ trì không thể đồng thời là đơn vị phối hợp."))
        return cleaned


class ScoreForm(CleanInputMixin, forms.Form):
    """The lead unit's proposal; its fields follow the criterion's scoring rule."""

    version = IntField(widget=forms.HiddenInput)
    not_arising = forms.BooleanField(label=_("Không phát sinh trong kỳ"), required=False)
    points = forms.DecimalField(
        label=_("Điểm tự chấm"), required=False, min_value=0, max_digits=6, decimal_places=2
    )
    passed = forms.TypedChoiceField(
        label=_("Kết quả"),
        required=False,
        choices=[("1", _("Đạt")), ("0", _("Không đạt"))],
        widget=forms.RadioSelect,
    )
    numerator = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=2)
    denominator = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=2)
    result_text = forms.CharField(
        label=_("Kết quả thực hiện"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Tóm tắt việc đã làm; được dùng khi soạn báo cáo."),
    )
    next_tasks = forms.CharField(
        label=_("Nhiệm vụ thời gian tới"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Mỗi dòng một nhiệm vụ; đưa vào mục “Nhiệm vụ” của báo cáo."),
    )
    shortfall_reason = forms.CharField(
        label=_("Lý do chưa thực hiện"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Bắt buộc khi điểm thấp hơn điểm tối đa; in vào bảng tồn tại, hạn chế."),
    )

    def __init__(self, *args, criterion, **kwargs):
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        rule = criterion.rule
        if rule != RuleKind.FREE:
            del self.fields["points"]
        else:
            self.fields["points"].widget.attrs.update(
                {"step": str(criterion.step), "max": str(criterion.max_points), "min": "0"}
            )
            self.fields["points"].help_text = _("Từ 0 đến %(max)s, bước %(step)s") % {
                "max": fmt_points(criterion.max_points),
                "step": fmt_points(criterion.step),
            }
        if rule != RuleKind.PASS_FAIL:
            del self.fields["passed"]
        if rule != RuleKind.TIERS:
            del self.fields["numerator"]
            del self.fields["denominator"]
        else:
            self.fields["numerator"].label = criterion.numerator_label or _("Tử số")
            self.fields["denominator"].label = criterion.denominator_label or _("Mẫu số")
        if criterion.not_arising == NotArisingPolicy.NOT_ALLOWED:
            del self.fields["not_arising"]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def proposal(self) -> dict:
        """Keyword arguments for `score_propose`."""
        data = self.cleaned_data
        points = data.get("points")
        if self.criterion.rule == RuleKind.PASS_FAIL and data.get("passed") in ("0", "1"):
            points = self.criterion.max_points if data["passed"] == "1" else Decimal(0)
        return {
            "points": points,
            "not_arising": bool(data.get("not_arising")),
            "numerator": data.get("numerator"),
            "denominator": data.get("denominator"),
            "result_text": data.get("result_text", ""),
            "next_tasks": data.get("next_tasks", ""),
            "shortfall_reason": data.get("shortfall_reason", ""),
        }


class ReviewForm(CleanInputMixin, forms.Form):
    version = IntField(widget=forms.HiddenInput)
    action = forms.ChoiceField(
        choices=[("approve", "approve"), ("return", "return"), ("adjust", "adjust")]
    )
    comment = forms.CharField(required=False)
    points = forms.DecimalField(required=False, min_value=0, max_digits=6, decimal_places=2)


class CommentForm(CleanInputMixin, forms.Form):
    comment = forms.CharField(
        label=_("Góp ý"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Góp ý không được để trống.")},
    )


class LockForm(CleanInputMixin, forms.Form):
    reason = forms.CharField(label=_("Lý do khóa"), required=False)


class ReopenForm(CleanInputMixin, forms.Form):
    reason = forms.CharField(label=_("Lý do mở lại"), widget=forms.Textarea(attrs={"rows": 2}))
    new_deadline = forms.DateField(label=_("Hạn tự chấm mới"), required=False)


class AdjustmentForm(CleanInputMixin, forms.Form):
    """Cases recorded against one deduction or disqualifier of the criteria set."""

    cases = IntField(
        label=_("Số trường hợp"),
        max_value=MAX_CASES,
        required=False,
        error_messages={
            "invalid": _("Số trường hợp phải là số nguyên không âm."),
            "min_value": _("Số trường hợp phải là số nguyên không âm."),
            "max_value": _("Số trường hợp tối đa là %(limit_value)s."),
        },
    )
    note = forms.CharField(label=_("Ghi chú"), required=False)


# -- Deadlines (issue 12) ----------------------------------------------------------------------

STALE_FORM = _("Biểu mẫu đã cũ; hãy tải lại trang rồi nhập lại.")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _ExpectedDeadline(forms.Form):
    """`expected`: the deadline the form was shown with ("" for none), to refuse a form made
    stale by someone else's change."""

    expected = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_expected(self):
        value = self.cleaned_data["expected"]
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(STALE_FORM) from None


class AssessmentDeadlineForm(CleanInputMixin, _ExpectedDeadline):
    deadline = forms.DateField(
        label=_("Hạn tự chấm điểm chung"),
        required=False,
        widget=_date_input(),
        help_text=_("Để trống: không đặt hạn. Đơn vị có hạn riêng theo hạn riêng của mình."),
        error_messages={"invalid": _("Ngày không hợp lệ; nhập theo dạng ngày/tháng/năm.")},
    )
    reason = forms.CharField(
        label=_("Lý do"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Phải ghi lý do đặt hoặc đổi hạn tự chấm điểm.")},
    )


class UnitDeadlineForm(CleanInputMixin, _ExpectedDeadline):
    deadline = forms.DateField(
        label=_("Hạn riêng của đơn vị"),
        widget=_date_input(),
        error_messages={
            "required": _("Chưa nhập hạn tự chấm điểm của đơn vị."),
            "invalid": _("Ngày không hợp lệ; nhập theo dạng ngày/tháng/năm."),
        },
    )
    reason = forms.CharField(
        label=_("Lý do gia hạn"),
        max_length=1000,
        error_messages={"required": _("Phải ghi lý do gia hạn cho đơn vị.")},
    )


class UnitDeadlineRemoveForm(CleanInputMixin, _ExpectedDeadline):
    pass
