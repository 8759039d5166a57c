from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from evidence.models import Evidence


class EvidenceDescribeForm(forms.ModelForm):
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
