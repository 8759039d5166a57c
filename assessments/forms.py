from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import Unit


class AssignmentForm(forms.Form):
    lead_unit = forms.ModelChoiceField(
        label=_("Đơn vị chủ trì"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("— Chưa phân công —"),
    )
    supporting_units = forms.ModelMultipleChoiceField(
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
