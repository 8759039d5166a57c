"""Forms of the rounds, the council's sessions and votes, and the recognition decision. Every
choice is limited to the city (its council, its rounds, the round's submissions); the
services check again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.council_services import council_people, submission_label
from appraisal.models import CouncilVote, Round, Submission
from appraisal.round_services import SHARE_RANGE
from assessments.models import Assessment, City
from criteria.models import CriteriaSet
from guards.inputs import CleanInputMixin, IntField, ModelChoicesField


def _helper(label: str) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label))
    return helper


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoundForm(CleanInputMixin, forms.Form):
    criteria_set = forms.ModelChoiceField(
        label=_("Bộ tiêu chí"), queryset=CriteriaSet.objects.none(), empty_label=None
    )
    year = IntField(label=_("Năm"), min_value=2000, max_value=2100)
    period = forms.ChoiceField(label=_("Kỳ"), choices=Assessment.Period.choices)
    submission_deadline = forms.DateField(label=_("Hạn gửi hồ sơ"), widget=_date_input())
    appraisal_deadline = forms.DateField(
        label=_("Hạn thẩm định"), required=False, widget=_date_input()
    )
    council_date = forms.DateField(
        label=_("Ngày họp Hội đồng"), required=False, widget=_date_input()
    )
    min_criterion_share = forms.DecimalField(
        label=_("Tỷ lệ điểm tối thiểu của mỗi tiêu chí (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        help_text=_(
            "Ví dụ 50: mỗi tiêu chí phải đạt ít nhất 50% điểm tối đa. Để trống: không áp dụng."
        ),
        error_messages={
            "invalid": SHARE_RANGE,
            "max_digits": SHARE_RANGE,
            "max_decimal_places": "Tỷ lệ có tối đa 2 chữ số thập phân.",
            "max_whole_digits": SHARE_RANGE,
        },
    )
    condition_provenance = forms.CharField(
        label=_("Căn cứ của điều kiện"),
        max_length=500,
        required=False,
        help_text=_("Văn bản quy định tỷ lệ tối thiểu, ví dụ: Điều 5 Quyết định số …/QĐ-UBND."),
    )
    previous = forms.ModelChoiceField(
        label=_("Đợt trước (để so sánh)"),
        queryset=Round.objects.none(),
        required=False,
        empty_label=_("— Không có —"),
    )

    def __init__(self, *args: Any, city: City, round_: Round | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sets = CriteriaSet.objects.filter(status=CriteriaSet.Status.IN_USE)
        if round_ is not None:
            sets = sets | CriteriaSet.objects.filter(pk=round_.criteria_set_id)
        self.fields["criteria_set"].queryset = sets.order_by("title")  # type: ignore[attr-defined]
        previous = Round.objects.filter(city=city)
        if round_ is not None:
            previous = previous.exclude(pk=round_.pk)
        self.fields["previous"].queryset = previous  # type: ignore[attr-defined]
        self.helper = _helper(str(_("Lưu đợt thẩm định")))

    def clean_min_criterion_share(self) -> Decimal | None:
        value = self.cleaned_data.get("min_criterion_share")
        if value is not None and not (0 <= value <= 100):
            raise forms.ValidationError(SHARE_RANGE)
        return value


class _PersonChoices(ModelChoicesField):
    def label_from_instance(self, obj: Any) -> str:
        membership = obj.city_membership
        return f"{obj.get_full_name() or obj.get_username()} – {membership.title or membership.get_role_display()}"


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class _SubmissionChoices(ModelChoicesField):
    def label_from_instance(self, obj: Any) -> str:
        return submission_label(obj)


class SessionForm(CleanInputMixin, forms.Form):
    title = forms.CharField(label=_("Tên phiên họp"), max_length=300)
    held_on = forms.DateField(label=_("Ngày họp"), widget=_date_input())
    members = _PersonChoices(
        label=_("Thành viên dự họp"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    chair = _PersonChoice(
        label=_("Chủ trì"), queryset=get_user_model().objects.none(), empty_label=None
    )
    submissions = _SubmissionChoices(
        label=_("Hồ sơ đưa ra Hội đồng"),
        queryset=Submission.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Chỉ hồ sơ đã thẩm định xong mọi tiêu chí, đang ở giai đoạn thẩm định và không còn "
            "đề nghị giải trình chờ xã trả lời."
        ),
    )

    def __init__(self, *args: Any, round_: Round, offered: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = (
            get_user_model()
            .objects.filter(pk__in=council_people(round_.city_id).values("user_id"))
            .select_related("city_membership")
            .order_by("last_name", "first_name")
        )
        self.fields["members"].queryset = people  # type: ignore[attr-defined]
        self.fields["chair"].queryset = people  # type: ignore[attr-defined]
        self.fields["submissions"].queryset = offered  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("held_on", round_.council_date or timezone.localdate())
            self.initial.setdefault("members", list(people))
            chair = next((p for p in people if p.city_membership.role == "council_chair"), None)
            if chair is not None:
                self.initial.setdefault("chair", chair.pk)
            self.initial.setdefault("submissions", list(offered))
        self.helper = _helper(str(_("Mở phiên họp")))


class AddItemsForm(CleanInputMixin, forms.Form):
    submissions = _SubmissionChoices(
        label=_("Hồ sơ đưa thêm ra Hội đồng"),
        queryset=Submission.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, offered: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["submissions"].queryset = offered  # type: ignore[attr-defined]
        self.helper = _helper(str(_("Đưa ra Hội đồng")))


class VoteForm(CleanInputMixin, forms.Form):
    choice = forms.ChoiceField(
        label=_("Biểu quyết"), choices=CouncilVote.Choice.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Ý kiến"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RecognitionForm(CleanInputMixin, forms.Form):
    number = forms.CharField(
        label=_("Số quyết định"), max_length=100, help_text=_("Ví dụ: 125/QĐ-UBND")
    )
    signed_on = forms.DateField(label=_("Ngày ký"), widget=_date_input())
    signer_name = forms.CharField(label=_("Người ký"), max_length=200)
    submissions = _SubmissionChoices(
        label=_("Hồ sơ được quyết định"),
        queryset=Submission.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, offered: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["submissions"].queryset = offered  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("signed_on", timezone.localdate())
            self.initial.setdefault("submissions", list(offered))
        self.helper = _helper(str(_("Ghi quyết định công nhận")))
