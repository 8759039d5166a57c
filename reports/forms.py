from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from assessments.models import Membership
from reports.models import Report


class ReportSettingsForm(forms.ModelForm):
    """Trích yếu, nơi nhận and who signs with which authority."""

    class Meta:
        model = Report
        fields = ["summary", "signer", "authority", "signer_name", "recipients"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "recipients": forms.Textarea(attrs={"rows": 7}),
        }

    def __init__(self, *args, commune, **kwargs):
        super().__init__(*args, **kwargs)
        leaders = Membership.objects.filter(commune=commune, role=Membership.Role.LEADER)
        self.fields["signer"].queryset = get_user_model().objects.filter(
            pk__in=leaders.values("user_id")
        )
        self.fields["signer"].label_from_instance = lambda user: (
            f"{user.get_full_name()} – {user.membership.title}"
        )
        self.fields["signer_name"].help_text = _("Để trống để dùng họ tên của người ký.")
        self.helper = FormHelper()
        self.helper.add_input(Submit("save_settings", _("Lưu thông tin chung")))


class SectionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)
