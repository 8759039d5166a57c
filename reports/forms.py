from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessments.models import Commune, Membership
from guards.inputs import CleanInputMixin, IntField
from reports.models import ImplementingDocument, Report, SigningKey


class LeaderChoiceField(forms.ModelChoiceField):
    """A leader of the commune by name and title."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name()} – {obj.membership.title}"


class ReportSettingsForm(CleanInputMixin, forms.ModelForm):
    """Trích yếu, nơi nhận and who signs with which authority."""

    class Meta:
        model = Report
        fields = ["summary", "signer", "authority", "signer_name", "recipients"]
        field_classes = {"signer": LeaderChoiceField}
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "recipients": forms.Textarea(attrs={"rows": 7}),
        }

    def __init__(self, *args: Any, commune: Commune, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leaders = Membership.objects.filter(commune=commune, role=Membership.Role.LEADER)
        signer = cast(forms.ModelChoiceField, self.fields["signer"])
        signer.queryset = get_user_model().objects.filter(pk__in=leaders.values("user_id"))
        self.fields["signer_name"].help_text = _("Để trống để dùng họ tên của người ký.")
        self.helper = FormHelper()
        self.helper.add_input(Submit("save_settings", _("Lưu thông tin chung")))


class VersionForm(CleanInputMixin, forms.Form):
    """The version of the section the user saw (refresh, keep: refused if it moved on)."""

    version = IntField(widget=forms.HiddenInput)


class SectionForm(VersionForm):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)
    show_points = forms.BooleanField(required=False)


class IssueForm(CleanInputMixin, forms.Form):
    override_reason = forms.CharField(label=_("Lý do ban hành khi chưa duyệt hết"), required=False)


class ReopenForm(CleanInputMixin, forms.Form):
    """A leader's reason for reopening an assessment that an issued report froze."""

    reason = forms.CharField(
        label=_("Lý do mở lại"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ví dụ: điểm tiêu chí 2.2.e cần sửa theo minh chứng bổ sung."),
        error_messages={"required": _("Phải ghi lý do mở lại kỳ đánh giá.")},
    )


class SignForm(CleanInputMixin, forms.Form):
    """One signing step with a key and the passphrase (or PIN) typed now, after the person
    confirmed they read the document. The keys offered are the person's own and the
    commune's (the service decides which step may use which)."""

    keep_as_typed = ("secret",)  # a passphrase is compared byte for byte

    step = forms.ChoiceField(choices=[("person", "person"), ("organisation", "organisation")])
    key = forms.ModelChoiceField(queryset=SigningKey.objects.none())
    secret = forms.CharField(strip=False, required=False)
    confirm = forms.BooleanField(label=_("Tôi đã đọc văn bản và đồng ý ký"))

    def __init__(self, *args: Any, commune: Commune, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        key = cast(forms.ModelChoiceField, self.fields["key"])
        key.queryset = SigningKey.objects.filter(commune=commune).filter(
            Q(owner=user) | Q(owner__isnull=True)
        )


class RemoteSignForm(CleanInputMixin, forms.Form):
    """The signer's remote signing key (the signer confirms on the phone, no passphrase here)
    and their agreement to sign, required by the server, not only by the page."""

    key = forms.ModelChoiceField(
        label=_("Khóa ký số từ xa"), queryset=SigningKey.objects.none(), empty_label=None
    )
    confirm = forms.BooleanField(
        label=_("Tôi đã đọc văn bản và đồng ý ký"),
        error_messages={"required": _("Hãy đánh dấu “Tôi đã đọc văn bản và đồng ý ký”.")},
    )

    def __init__(self, *args: Any, user: Any, commune: Commune, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        key = cast(forms.ModelChoiceField, self.fields["key"])
        key.queryset = SigningKey.objects.filter(
            commune=commune, owner=user, kind=SigningKey.Kind.CSC
        )


class TaskForm(CleanInputMixin, forms.Form):
    """A general task of section "Nhiệm vụ"."""

    text = forms.CharField(
        label=_("Nhiệm vụ chung"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TaskMoveForm(CleanInputMixin, forms.Form):
    key = forms.CharField(max_length=120)
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class ImplementingDocumentForm(CleanInputMixin, forms.ModelForm):
    """A document the commune issued to implement the model (section I.2)."""

    class Meta:
        model = ImplementingDocument
        fields = ["kind", "number", "date", "issuer", "summary", "order"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        self.helper = FormHelper()
        self.helper.form_tag = False
