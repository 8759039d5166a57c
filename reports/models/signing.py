"""Signing and verifying: signing keys and their tries, trusted roots, the signatures
applied, and failed checks on the public verification page."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import City, Commune
from guards.storage import get_document_storage
from reports.models.drafting import Report
from reports.models.issuing import IssuedFile


def key_name(instance: "SigningKey", filename: str) -> str:
    return f"keys/{uuid.uuid4().hex}"


class SigningKey(models.Model):
    """A signer's or the commune's key: a PKCS#12 file, a key on a PKCS#11 token, or a
    credential at a remote signing service (CSC API), where the signer confirms on the phone.

    The passphrase or PIN is never stored: it is typed at signing time, or (for an
    unattended organisation key) read from the environment variable named here."""

    class Kind(models.TextChoices):
        PKCS12 = "pkcs12", _("Tệp PKCS#12 (.p12, .pfx)")
        PKCS11 = "pkcs11", _("Thiết bị ký số (USB token, HSM) qua PKCS#11")
        CSC = "csc", _("Dịch vụ ký số từ xa (CSC)")

    commune = models.ForeignKey(
        Commune,
        verbose_name=_("xã"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_keys",
    )
    city = models.ForeignKey(
        City,
        verbose_name=_("thành phố"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_keys",
        help_text=_("Khóa của người ký hoặc cơ quan cấp thành phố (để trống xã)."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_keys",
        help_text=_("Để trống cho khóa của cơ quan (con dấu)."),
    )
    label = models.CharField(_("tên gọi"), max_length=200)
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices, default=Kind.PKCS12)
    pkcs12 = models.FileField(
        _("tệp PKCS#12"),
        storage=get_document_storage,
        upload_to=key_name,
        blank=True,
        max_length=200,
    )
    pkcs11_module = models.CharField(_("thư viện PKCS#11"), max_length=300, blank=True)
    token_label = models.CharField(_("nhãn token"), max_length=100, blank=True)
    key_label = models.CharField(_("nhãn khóa"), max_length=100, blank=True)
    csc_credential_id = models.CharField(
        _("mã chứng thư tại dịch vụ ký số từ xa (credentialID)"),
        max_length=255,
        blank=True,
        help_text=_("Để trống thì lấy chứng thư duy nhất của mã người dùng bên dưới."),
    )
    csc_user_id = models.CharField(
        _("mã người dùng tại dịch vụ ký số từ xa"),
        max_length=255,
        blank=True,
        help_text=_("Tên đăng nhập, số CCCD… người ký dùng với nhà cung cấp (nếu cần)."),
    )
    certificate_pem = models.TextField(_("chứng thư số (PEM)"), blank=True)
    chain_pem = models.TextField(_("chuỗi chứng thư (PEM)"), blank=True)
    subject = models.CharField(_("chủ thể"), max_length=500, blank=True)
    issuer = models.CharField(_("tổ chức cấp"), max_length=500, blank=True)
    serial = models.CharField(_("số hiệu"), max_length=100, blank=True)
    not_after = models.DateTimeField(_("hết hạn"), null=True, blank=True)
    appearance = models.FileField(
        _("hình chữ ký hoặc con dấu (PNG nền trong)"),
        storage=get_document_storage,
        upload_to=key_name,
        blank=True,
        max_length=200,
    )
    passphrase_env = models.CharField(
        _("biến môi trường chứa mật khẩu"),
        max_length=100,
        blank=True,
        help_text=_(
            "Chỉ cho khóa cơ quan ký tự động; mật khẩu không bao giờ lưu trong cơ sở dữ liệu."
        ),
    )
    is_test = models.BooleanField(_("chứng thư thử nghiệm"), default=False)
    created_at = models.DateTimeField(_("lúc tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("khóa ký số")
        verbose_name_plural = _("khóa ký số")
        ordering = ["commune", "city", "owner", "label"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commune__isnull=False, city__isnull=True)
                | models.Q(commune__isnull=True, city__isnull=False),
                name="signing_key_of_commune_or_city",
            ),
        ]

    def __str__(self) -> str:
        prefix = "[THỬ NGHIỆM] " if self.is_test else ""
        return f"{prefix}{self.label}"

    @property
    def is_organisation(self) -> bool:
        return self.owner_id is None

    @property
    def is_remote(self) -> bool:
        """Signed at a remote service: no passphrase here, the signer confirms on the phone."""
        return self.kind == self.Kind.CSC


class SigningAttempt(models.Model):
    """One try of a signing key's passphrase or PIN, counted as failed until it succeeds.

    Written (and committed) before the key is opened, so parallel tries and a crash count
    too; removed when the try fails for a reason other than the secret, and, with the
    person's other tries on that key, when signing succeeds. Rows older than
    SIGNING_FAILURE_WINDOW_MINUTES are removed as new tries come."""

    key = models.ForeignKey(
        SigningKey,
        verbose_name=_("khóa ký số"),
        on_delete=models.CASCADE,
        related_name="attempts",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thử"),
        on_delete=models.CASCADE,
        related_name="signing_attempts",
    )
    at = models.DateTimeField(_("lúc"))

    class Meta:
        verbose_name = _("lần nhập sai mật khẩu khóa ký")
        verbose_name_plural = _("lần nhập sai mật khẩu khóa ký")
        ordering = ["-at"]
        indexes = [models.Index(fields=["key", "at"], name="signing_attempt_key_at")]

    def __str__(self) -> str:
        return f"{self.key} – {self.user} – {self.at:%d/%m/%Y %H:%M}"


class TrustAnchor(models.Model):
    """A root certificate the verification page trusts (e.g. the Ban Cơ yếu root)."""

    label = models.CharField(_("tên gọi"), max_length=200)
    certificate_pem = models.TextField(_("chứng thư gốc (PEM)"))
    is_test = models.BooleanField(_("thử nghiệm"), default=False)
    created_at = models.DateTimeField(_("lúc thêm"), auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư gốc tin cậy")
        verbose_name_plural = _("chứng thư gốc tin cậy")

    def __str__(self) -> str:
        return f"[THỬ NGHIỆM] {self.label}" if self.is_test else self.label


class SignatureRecord(models.Model):
    """One digital signature applied through the portal, with its certificate details."""

    class Role(models.TextChoices):
        PERSON = "person", _("Người có thẩm quyền")
        ORGANISATION = "organisation", _("Cơ quan")

    issued_file = models.ForeignKey(
        IssuedFile,
        verbose_name=_("tệp đã ban hành"),
        on_delete=models.PROTECT,
        related_name="signatures",
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    field_name = models.CharField(_("tên ô chữ ký"), max_length=100)
    key = models.ForeignKey(
        SigningKey,
        verbose_name=_("khóa ký số"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.CharField(_("chủ thể"), max_length=500)
    common_name = models.CharField(_("người ký"), max_length=300)
    issuer = models.CharField(_("tổ chức cấp"), max_length=500)
    serial = models.CharField(_("số hiệu"), max_length=100)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hết hạn"))
    fingerprint = models.CharField(_("dấu vân tay SHA-256"), max_length=64)
    signed_at = models.DateTimeField(_("lúc ký"))
    level = models.CharField(_("loại chữ ký"), max_length=10, default="B-B")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("chữ ký số")
        verbose_name_plural = _("chữ ký số")
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.get_role_display()})"


class VerificationFailure(models.Model):
    """Failed checks on the public verification page, counted: one row per day, address,
    report and verdict however many attempts, so that anonymous visitors cannot grow the
    database while a leader still sees who tried what, how often and when last."""

    day = models.DateField(_("ngày"))
    address = models.CharField(_("địa chỉ"), max_length=50, help_text=_("IPv4, hoặc mạng IPv6 /64"))
    report = models.ForeignKey(
        Report,
        verbose_name=_("báo cáo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verdict = models.CharField(_("kết quả"), max_length=20)
    count = models.PositiveIntegerField(_("số lần"), default=0)
    first_at = models.DateTimeField(_("lần đầu"), auto_now_add=True)
    last_at = models.DateTimeField(_("lần cuối"))
    last_sha256 = models.CharField(_("SHA-256 lần cuối"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("lần xác minh không đạt")
        verbose_name_plural = _("các lần xác minh không đạt")
        ordering = ["-day", "-last_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "address", "report", "verdict"],
                condition=models.Q(report__isnull=False),
                name="one_failure_tally_per_report",
            ),
            models.UniqueConstraint(
                fields=["day", "address", "verdict"],
                condition=models.Q(report__isnull=True),
                name="one_failure_tally_without_report",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.address}: {self.verdict} × {self.count}"
