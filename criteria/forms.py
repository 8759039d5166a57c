from django import forms
from django.utils.translation import gettext_lazy as _
from import_export.forms import ConfirmImportForm, ImportForm

from criteria.models import CriteriaSet
from criteria.services import ensure_editable


def _editable_set(form):
    criteria_set = form.cleaned_data["criteria_set"]
    ensure_editable(criteria_set)
    return criteria_set


class CriteriaImportForm(ImportForm):
    """import-export's upload form, plus the set whose tree the file replaces."""

    criteria_set = forms.ModelChoiceField(
        queryset=CriteriaSet.objects.all(),
        label=_("Bộ tiêu chí nhận dữ liệu"),
        help_text=_(
            "Toàn bộ cây tiêu chí hiện có của bộ này sẽ được thay bằng nội dung tệp. "
            "Bộ tiêu chí đã dùng cho kỳ đánh giá không nhập đè được."
        ),
    )
    field_order = ["criteria_set", "resource", "import_file", "format"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].label = _("Tệp Excel (.xlsx)")
        self.fields["format"].label = _("Định dạng")

    def clean_criteria_set(self):
        return _editable_set(self)


class CriteriaConfirmImportForm(ConfirmImportForm):
    criteria_set = forms.ModelChoiceField(
        queryset=CriteriaSet.objects.all(), widget=forms.HiddenInput
    )

    def clean_criteria_set(self):
        return _editable_set(self)
