import datetime as dt
import re
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import Assessment, Unit
from assessments.services import MAX_CASES
from criteria.models import CriteriaSet
from criteria.rules import NotArisingPolicy, RuleKind, fmt_points
from guards.inputs import (
    MAX_INT,
    CleanInputMixin,
    DecimalCommaField,
    IntField,
    ModelChoicesField,
    id_param,
)


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
    points = DecimalCommaField(
        label=_("Điểm tự chấm"), required=False, min_value=0, max_digits=6, decimal_places=2
    )
    passed = forms.TypedChoiceField(
        label=_("Kết quả"),
        required=False,
        choices=[("1", _("Đạt")), ("0", _("Không đạt"))],
        widget=forms.RadioSelect,
    )
    numerator = DecimalCommaField(required=False, min_value=0, max_digits=14, decimal_places=2)
    denominator = DecimalCommaField(required=False, min_value=0, max_digits=14, decimal_places=2)
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
    confirm_missing_evidence = forms.BooleanField(
        label=_("Vẫn gửi khi chưa có minh chứng"),
        required=False,
        help_text=_("Lãnh đạo sẽ thấy tiêu chí này chưa có minh chứng khi duyệt."),
    )

    def __init__(self, *args, criterion, evidence_missing: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        if not evidence_missing:  # shown only where it is needed; a POST always has it
            del self.fields["confirm_missing_evidence"]
        rule = criterion.rule
        if rule != RuleKind.FREE:
            del self.fields["points"]
        else:
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

    def show_refusal(self, refusal: dict[str, list[str]]) -> None:
        """Marks the fields `score_propose` refused (keyed by its arguments; "points" is the
        rule's own input), so the message sits on the field, not only atop the page.
        Call on a bound form after `is_valid()`."""
        points_input = {RuleKind.PASS_FAIL: "passed", RuleKind.TIERS: "numerator"}.get(
            self.criterion.rule, "points"
        )
        for argument, errors in refusal.items():
            field = points_input if argument == "points" else argument
            if field in self.fields:
                for error in errors:
                    self.add_error(field, error)

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
    points = DecimalCommaField(required=False, min_value=0, max_digits=6, decimal_places=2)
    confirm_missing_evidence = forms.BooleanField(required=False)


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


CONFIRMATION_ITEM = re.compile(r"^(\d{1,10}):(\d{1,10})$")
MAX_CONFIRMED = 1000


class SendAllForm(CleanInputMixin, forms.Form):
    """ "Gửi lãnh đạo tất cả", confirmed: the items the person saw, as "id:version,…"."""

    items = forms.CharField(
        max_length=MAX_CONFIRMED * 22,
        error_messages={"required": _("Chưa có tiêu chí nào được xác nhận để gửi.")},
    )
    confirm_missing_evidence = forms.BooleanField(
        label=_("Vẫn gửi các tiêu chí chưa có minh chứng"), required=False
    )

    def clean_items(self) -> dict[int, int]:
        confirmed: dict[int, int] = {}
        for part in self.cleaned_data["items"].split(","):
            match = CONFIRMATION_ITEM.match(part.strip())
            if match is None or len(confirmed) >= MAX_CONFIRMED:
                raise forms.ValidationError(
                    _("Danh sách xác nhận không hợp lệ; hãy xem lại danh sách rồi gửi.")
                )
            confirmed[int(match[1])] = int(match[2])
        return confirmed


def _whole(text: str) -> bool:
    # isdecimal, not isdigit: "²".isdigit() is True and int("²") raises.
    return 0 < len(text) <= 10 and text.isascii() and text.isdecimal()


class ScoreVersionsField(forms.Field):
    """Ticked rows of the review queue, each "score id:version the leader saw", as a
    {score id: version} mapping. Anything else is refused: a forged or stale page."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Chưa chọn tiêu chí nào để duyệt."),
        "invalid": _("Lựa chọn không hợp lệ; hãy tải lại trang rồi chọn lại."),
    }
    MAX_ITEMS = 1000

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if len(values) > self.MAX_ITEMS:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        chosen: dict[int, int] = {}
        for each in values:
            score_id, sep, version = str(each).partition(":")
            pk = id_param({"id": score_id}, "id")
            if not sep or pk is None or not _whole(version) or int(version) > MAX_INT:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            chosen[pk] = int(version)
        return chosen

    def validate(self, value):
        if not value and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class BulkApproveForm(CleanInputMixin, forms.Form):
    muc = ScoreVersionsField()
    confirm_missing_evidence = forms.BooleanField(required=False)


PERIOD_PURPOSE = {
    "h1": _(
        "Báo cáo sơ kết 6 tháng đầu năm, kèm phụ lục tự chấm điểm; gửi thành phố trước giữa năm."
    ),
    "year": _(
        "Báo cáo tổng kết cả năm (báo cáo thứ hai trong năm, thay cho báo cáo 6 tháng cuối "
        "năm), kèm phụ lục tự chấm điểm; thành phố thẩm định, công nhận theo báo cáo này."
    ),
}


class PeriodCreateForm(CleanInputMixin, forms.Form):
    """The next period: year, kind (only the city's two kinds) and criteria set."""

    year = IntField(label=_("Năm"), min_value=2000, max_value=2100)
    period = forms.ChoiceField(
        label=_("Kỳ"),
        choices=[],
        widget=forms.RadioSelect,
        help_text=_(
            "Theo cách làm của thành phố: mỗi năm hai báo cáo. Không có kỳ “6 tháng cuối năm”: "
            "báo cáo cả năm là báo cáo thứ hai, thay cho báo cáo đó."
        ),
    )
    criteria_set = forms.ModelChoiceField(
        label=_("Bộ tiêu chí"), queryset=CriteriaSet.objects.none(), empty_label=None
    )

    def __init__(self, *args, criteria_sets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [
            (value, f"{label} – {PERIOD_PURPOSE[value]}")
            for value, label in Assessment.Period.choices
        ]
        self.fields["criteria_set"].queryset = CriteriaSet.objects.filter(
            pk__in=[s.pk for s in criteria_sets]
        ).order_by("-version")
        if len(criteria_sets) > 1:
            self.fields["criteria_set"].help_text = _(
                "Bộ tiêu chí có phiên bản mới hơn; chọn phiên bản mới nếu thành phố đã áp dụng. "
                "Phân công được chép theo mã tiêu chí; tiêu chí không khớp sẽ được liệt kê."
            )
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Tạo kỳ đánh giá")))


def next_period_of(assessment: Assessment) -> tuple[int, str]:
    """The period that naturally follows: the full year after its first half, else the
    first half of the next year."""
    if assessment.period == Assessment.Period.FIRST_HALF:
        return assessment.year, Assessment.Period.FULL_YEAR
    return assessment.year + 1, Assessment.Period.FIRST_HALF


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
