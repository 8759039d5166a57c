from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from evidence.models import Evidence
from guards.inputs import CleanInputMixin

# Longer than any code, title or number a search box needs; each word is one more filter.
SEARCH_MAX_LENGTH = 200


class EvidenceDescribeForm(CleanInputMixin, forms.ModelForm):
    """Số, ký hiệu; ngày; cơ quan ban hành; vị trí: how Vietnamese evidence lists describe it."""

    class Meta:
        model = Evidence
        fields = ["title", "doc_number", "issue_date", "issuer", "location"]
        widgets = {
            "title": forms.Textarea(attrs={"rows": 2}),
            "issue_date": forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
        }
        help_texts = {"issue_date": _("Ví dụ: 10/02/2026")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "title",
            Row(Column("doc_number"), Column("issue_date"), Column("issuer")),
            "location",
        )
        self.helper.add_input(Submit("save", _("Lưu thông tin")))


class ReplaceFileForm(forms.Form):
    file = forms.FileField(label=_("Tệp mới"))


class LinkForm(CleanInputMixin, forms.Form):
    """Pick an evidence of the same assessment to back one more sub-criterion (the service
    says so if it was deleted meanwhile)."""

    evidence = forms.ModelChoiceField(queryset=Evidence.objects.none())

    def __init__(self, *args, assessment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = Evidence.objects.filter(assessment=assessment)


class ReuseForm(CleanInputMixin, forms.Form):
    """Pick an evidence of the previous period to use again (the service checks the rest)."""

    evidence = forms.ModelChoiceField(queryset=Evidence.objects.none())

    def __init__(self, *args, assessment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = Evidence.objects.filter(
            assessment_id=assessment.previous_id
        )


class SearchForm(CleanInputMixin, forms.Form):
    """The search box of the evidence overview and of "reuse an evidence"."""

    q = forms.CharField(
        label=_("Từ khóa"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        error_messages={"max_length": _("Từ khóa dài quá %(limit_value)d ký tự.")},
    )

    def query(self) -> str | None:
        """The words to look for ("" for everything), or None when the box holds something
        search cannot take (the form then says why)."""
        return self.cleaned_data["q"] if self.is_valid() else None
