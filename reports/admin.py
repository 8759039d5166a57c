from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from assessments.models import CityMembership, Membership
from reports.models import (
    DocumentEvent,
    Dossier,
    IssuedFile,
    NumberSequence,
    Report,
    SignatureRecord,
    SigningKey,
    TrustAnchor,
    VerificationFailure,
)
from reports.services.remote_signing import remote_signer
from reports.services.signing_keys import signing_key_add_csc, signing_key_add_pkcs12
from reports.services.verifying import Verdict
from reports.signing import KeyMaterial, SigningError, certificate_info, inspect_key


class SigningKeyForm(forms.ModelForm):
    """A PKCS#12 file is checked with its passphrase, which is used once and never kept."""

    pkcs12_upload = forms.FileField(label=_("Tệp PKCS#12 (.p12, .pfx)"), required=False)
    passphrase = forms.CharField(
        label=_("Mật khẩu của tệp (chỉ để kiểm tra, không lưu)"),
        widget=forms.PasswordInput,
        required=False,
    )
    appearance_upload = forms.FileField(
        label=_("Hình chữ ký hoặc con dấu (PNG nền trong)"), required=False
    )

    class Meta:
        model = SigningKey
        fields = [
            "commune",
            "city",
            "owner",
            "label",
            "kind",
            "pkcs11_module",
            "token_label",
            "key_label",
            "csc_credential_id",
            "csc_user_id",
            "certificate_pem",
            "chain_pem",
            "passphrase_env",
            "is_test",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields.get("owner")
        if isinstance(owner, forms.ModelChoiceField):
            # Only people of a commune (or of a city) sign its documents; a saved key's, of
            # its own commune or city.
            people = owner.queryset.filter(  # type: ignore[union-attr]
                Q(membership__isnull=False) | Q(city_membership__isnull=False)
            ).select_related("membership__commune", "city_membership__city")
            if self.instance.pk is not None and self.instance.commune_id:
                people = people.filter(membership__commune_id=self.instance.commune_id)
            elif self.instance.pk is not None:
                people = people.filter(city_membership__city_id=self.instance.city_id)
            owner.queryset = people
            owner.label_from_instance = _signer_label  # type: ignore[method-assign,assignment]
            owner.error_messages["invalid_choice"] = _("Hãy chọn một người ký của xã.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        owner, commune, city = cleaned.get("owner"), cleaned.get("commune"), cleaned.get("city")
        if (commune is None) == (city is None):
            raise ValidationError(_("Hãy chọn đúng một: xã hoặc thành phố sở hữu khóa."))
        if (
            owner is not None
            and city is not None
            and not CityMembership.objects.filter(user=owner, city=city).exists()
        ):
            self.add_error("owner", _("Người ký này không thuộc thành phố đã chọn."))
            return cleaned
        if city is not None and cleaned.get("kind") == SigningKey.Kind.CSC:
            raise ValidationError(
                _("Văn bản của thành phố ký bằng tệp PKCS#12 hoặc thiết bị ký số (chưa ký từ xa).")
            )
        if (
            owner is not None
            and commune is not None
            and not Membership.objects.filter(user=owner, commune=commune).exists()
        ):
            self.add_error("owner", _("Người ký này không thuộc xã đã chọn."))
            return cleaned
        upload = cleaned.get("pkcs12_upload")
        if self.instance.pk is None and cleaned.get("kind") == SigningKey.Kind.PKCS12:
            if not upload:
                raise ValidationError(_("Hãy chọn tệp PKCS#12."))
            material = KeyMaterial(
                kind="pkcs12",
                pkcs12=upload.read(),
                passphrase=(cleaned.get("passphrase") or "").encode(),
            )
            upload.seek(0)
            try:
                inspect_key(material)
            except SigningError as error:
                raise ValidationError(str(error)) from None
        if cleaned.get("kind") == SigningKey.Kind.PKCS11 and not cleaned.get("certificate_pem"):
            raise ValidationError(
                _("Khóa trên thiết bị ký số cần chứng thư số (PEM) của người ký.")
            )
        if cleaned.get("kind") == SigningKey.Kind.CSC:
            if not cleaned.get("owner"):
                raise ValidationError(_("Khóa ký số từ xa là của một người ký: hãy chọn người ký."))
            if not (cleaned.get("csc_credential_id") or cleaned.get("csc_user_id")):
                raise ValidationError(
                    _("Hãy ghi mã chứng thư (credentialID) hoặc mã người dùng tại dịch vụ ký số.")
                )
            if self.instance.pk is None:
                # Asked now, so that a wrong id or an unreachable service is said on the form.
                try:
                    remote_signer().credential(
                        cleaned.get("csc_credential_id", ""), cleaned.get("csc_user_id", "")
                    )
                except SigningError as error:
                    raise ValidationError(str(error)) from None
        image = cleaned.get("appearance_upload")
        if image is not None and not image.read(8).startswith(b"\x89PNG"):
            raise ValidationError(_("Hình chữ ký hoặc con dấu phải là tệp PNG."))
        return cleaned


def _signer_label(user: Any) -> str:
    name = user.get_full_name() or user.get_username()
    membership = getattr(user, "membership", None) or user.city_membership
    place = getattr(membership, "commune", None) or membership.city
    return f"{name} ({user.get_username()}) – {place}"


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    form = SigningKeyForm
    list_display = ["__str__", "commune", "city", "owner", "kind", "subject", "not_after"]
    list_filter = ["commune", "city", "kind", "is_test"]
    readonly_fields = ["subject", "issuer", "serial", "not_after", "created_at"]

    def save_model(
        self, request: HttpRequest, obj: SigningKey, form: SigningKeyForm, change: bool
    ) -> None:
        data = form.cleaned_data
        image = data.get("appearance_upload")
        if not change and obj.kind == SigningKey.Kind.PKCS12:
            if image is not None:
                image.seek(0)
            created = signing_key_add_pkcs12(
                commune=obj.commune,
                city=obj.city,
                owner=obj.owner,
                label=obj.label,
                pkcs12=data["pkcs12_upload"].read(),  # the form requires it here
                passphrase=data.get("passphrase") or "",
                appearance_png=image.read() if image else None,
                is_test=obj.is_test,
                chain_pem=obj.chain_pem,
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        if not change and obj.kind == SigningKey.Kind.CSC:
            if image is not None:
                image.seek(0)
            assert obj.commune is not None  # the form refuses a remote key of a city
            created = signing_key_add_csc(
                commune=obj.commune,
                owner=obj.owner,  # type: ignore[arg-type]  # the form requires it for CSC
                label=obj.label,
                credential_id=obj.csc_credential_id,
                user_id=obj.csc_user_id,
                appearance_png=image.read() if image else None,
                is_test=obj.is_test,
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        if obj.kind == SigningKey.Kind.PKCS11 and obj.certificate_pem:
            info = certificate_info(obj.certificate_pem.encode())
            obj.subject, obj.issuer, obj.serial, obj.not_after = (
                info.subject,
                info.issuer,
                info.serial,
                info.not_after,
            )
        if image is not None:
            image.seek(0)
            obj.appearance.save("appearance.png", image, save=False)
        super().save_model(request, obj, form, change)


@admin.register(TrustAnchor)
class TrustAnchorAdmin(admin.ModelAdmin):
    list_display = ["__str__", "is_test", "created_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Issued documents and their log cannot be changed or deleted through the portal."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(IssuedFile)
class IssuedFileAdmin(ReadOnlyAdmin):
    list_display = ["report", "kind", "stage", "sha256", "size", "created_at"]
    list_filter = ["kind", "stage"]


@admin.register(SignatureRecord)
class SignatureRecordAdmin(ReadOnlyAdmin):
    list_display = ["common_name", "role", "issuer", "serial", "signed_at", "level"]


@admin.register(DocumentEvent)
class DocumentEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "report", "user", "sha256"]
    list_filter = ["action"]


# The verification page's headlines, short (templates/reports/verify.html says them in full).
VERDICT_LABELS = {
    Verdict.ISSUED: "Đúng văn bản đã ban hành",
    Verdict.TEST: "Văn bản đã ban hành, chữ ký thử nghiệm",
    Verdict.UNSIGNED_COPY: "Bản sao chưa ký",
    Verdict.MODIFIED: "Bị thay đổi sau khi ký",
    Verdict.DAMAGED: "Tệp hỏng hoặc đã bị thay đổi",
    Verdict.UNTRUSTED: "Chứng thư không được tin cậy",
    Verdict.FOREIGN: "Không phải văn bản đã ban hành",
    Verdict.UNKNOWN: "Không có chữ ký, không phải văn bản đã ban hành",
    Verdict.UNCHECKED: "Không kiểm tra được",
}


class VerdictFilter(admin.SimpleListFilter):
    title = _("kết quả")
    parameter_name = "ket-qua"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(VERDICT_LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(verdict=self.value()) if self.value() else queryset


@admin.register(VerificationFailure)
class VerificationFailureAdmin(ReadOnlyAdmin):
    list_display = ["day", "address", "report", "verdict_text", "count", "first_at", "last_at"]
    list_filter = [VerdictFilter, "day"]
    search_fields = ["address", "last_sha256"]

    @admin.display(description=_("kết quả"), ordering="verdict")
    def verdict_text(self, failure: VerificationFailure) -> str:
        return VERDICT_LABELS.get(failure.verdict, failure.verdict)


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = ["report", "sha256", "size", "created_by", "created_at"]


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ["commune", "year", "last_number"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "number", "issue_date", "assessment"]
    list_filter = ["status", "kind"]
