"""Forms of the city's documents: issuing (signer and authority) and a signing step."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from appraisal.models import CityDocument
from guards.inputs import CleanInputMixin
from reports.models import SigningKey


class SignerChoiceField(forms.ModelChoiceField):
    """A leader of the city by name and title."""

    def label_from_instance(self, obj: Any) -> str:
        title = obj.city_membership.title
        return f"{obj.get_full_name()} – {title}" if title else obj.get_full_name()


class CityIssueForm(CleanInputMixin, forms.Form):
    signer = SignerChoiceField(
        label=_("Người ký"),
        queryset=get_user_model().objects.none(),
        error_messages={"invalid_choice": _("Người ký không còn trong danh sách; tải lại trang.")},
    )
    authority = forms.ChoiceField(
        label=_("Thẩm quyền ký"),
        choices=CityDocument.Authority.choices,
        initial=CityDocument.Authority.HEAD,
    )

    def __init__(self, *args: Any, leaders: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        signer = cast(forms.ModelChoiceField, self.fields["signer"])
        signer.queryset = (
            get_user_model()
            .objects.filter(pk__in=leaders.values("user_id"))
            .select_related("city_membership")
        )


class CitySignForm(CleanInputMixin, forms.Form):
    """One signing step with a key and the passphrase (or PIN) typed now, after the person
    confirmed they read the document."""

    keep_as_typed = ("secret",)  # a passphrase is compared byte for byte

    key = forms.ModelChoiceField(
        label=_("Khóa ký số"),
        queryset=SigningKey.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Khóa ký số này không dùng được ở bước này.")},
    )
    secret = forms.CharField(label=_("Mật khẩu / mã PIN"), strip=False, required=False)
    confirm = forms.BooleanField(
        label=_("Tôi đã đọc văn bản và đồng ý ký"),
        error_messages={"required": _("Hãy xác nhận đã đọc văn bản trước khi ký.")},
    )

    def __init__(self, *args: Any, keys: QuerySet[SigningKey], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["key"]).queryset = keys.exclude(
            kind=SigningKey.Kind.CSC
        )
