"""The six-month or annual report of an assessment, its sections, and their history."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessments.models import Assessment, Commune
from evidence.models import PrivateStorage


class Report(models.Model):
    class Kind(models.TextChoices):
        SIX_MONTH = "six_month", _("Báo cáo 6 tháng")
        ANNUAL = "annual", _("Báo cáo năm")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        ISSUED = "issued", _("Đã ban hành")

    class Authority(models.TextChoices):
        CHAIRMAN = "chairman", _("TM. Ủy ban nhân dân – Chủ tịch")
        DEPUTY = "deputy", _("TM. Ủy ban nhân dân – KT. Chủ tịch – Phó Chủ tịch")
        ACTING = "acting", _("TM. Ủy ban nhân dân – Q. Chủ tịch")

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("kỳ đánh giá"), on_delete=models.PROTECT, related_name="reports"
    )
    kind = models.CharField(_("loại báo cáo"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    summary = models.TextField(_("trích yếu"))
    symbol = models.CharField(_("ký hiệu"), max_length=50, default="BC-UBND")
    number = models.PositiveIntegerField(_("số"), null=True, blank=True)
    issue_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    authority = models.CharField(
        _("thẩm quyền ký"), max_length=10, choices=Authority.choices, default=Authority.DEPUTY
    )
    signer_name = models.CharField(_("họ tên người ký"), max_length=200, blank=True)
    recipients = models.TextField(
        _("nơi nhận"), help_text=_("Mỗi dòng một nơi nhận; dòng cuối là “Lưu: VT, …”.")
    )
    version = models.PositiveIntegerField(default=0)
    issued_at = models.DateTimeField(_("ban hành lúc"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.TextField(_("lý do ban hành khi chưa duyệt hết"), blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("thay thế báo cáo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    verify_token = models.CharField(max_length=40, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("báo cáo")
        verbose_name_plural = _("báo cáo")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment"],
                condition=Q(status="draft"),
                name="one_draft_report_per_assessment",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.assessment}"

    @property
    def number_text(self) -> str:
        """'Số: 05/BC-UBND', or 'Số:      /BC-UBND' before issuing."""
        if self.number is None:
            return f"Số:\u2003\u2003/{self.symbol}"
        return f"Số: {self.number:02d}/{self.symbol}"

    @property
    def replaces_text(self) -> str:
        """'(Thay thế Báo cáo số 01/BC-UBND ngày 10/07/2026)' for a correcting report."""
        old = self.replaces
        if old is None or old.number is None:
            return ""
        return f"(Thay thế Báo cáo số {old.number:02d}/{old.symbol} ngày {old.issue_date:%d/%m/%Y})"

    @property
    def authority_lines(self) -> list[str]:
        return {
            self.Authority.CHAIRMAN: ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"],
            self.Authority.DEPUTY: ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
            self.Authority.ACTING: ["TM. ỦY BAN NHÂN DÂN", "Q. CHỦ TỊCH"],
        }[self.authority]

    @property
    def recipient_lines(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]


class ReportSection(models.Model):
    """One heading of the report with its editable text (see reports.markup)."""

    class Table(models.TextChoices):
        NONE = "", _("Không")
        SHORTFALLS = "shortfalls", _("Bảng tiêu chí thành phần chưa đạt điểm")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=50)
    heading = models.CharField(_("tiêu đề"), max_length=500, blank=True)
    level = models.PositiveSmallIntegerField(default=2)
    body = models.TextField(_("nội dung"), blank=True)
    table = models.CharField(max_length=20, choices=Table.choices, default="", blank=True)
    order = models.PositiveIntegerField()
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mục báo cáo")
        verbose_name_plural = _("mục báo cáo")
        ordering = ["report", "order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "key"], name="report_section_key_unique"),
        ]

    def __str__(self):
        return self.heading or self.key


class ReportSectionRevision(models.Model):
    """Every saved text of a section: the draft history."""

    section = models.ForeignKey(ReportSection, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("lịch sử mục báo cáo")
        verbose_name_plural = _("lịch sử mục báo cáo")

    def __str__(self):
        return f"{self.section} @ {self.at:%Y-%m-%d %H:%M}"


# -- Issuing, signing, verifying ----------------------------------------------------------------


# Issued PDFs, dossiers and signing keys: never served directly.
document_storage = PrivateStorage("documents")


def get_document_storage():
    return document_storage


def issued_name(instance, filename):
    return f"issued/{instance.report_id}/{uuid.uuid4().hex}"


def key_name(instance, filename):
    return f"keys/{uuid.uuid4().hex}"


class NumberSequence(models.Model):
    """The commune's register of outgoing documents (sổ đăng ký văn bản đi) for one year:
    numbers start at 01 on 1 January and are never reused."""

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("sổ đăng ký văn bản đi")
        verbose_name_plural = _("sổ đăng ký văn bản đi")
        constraints = [
            models.UniqueConstraint(fields=["commune", "year"], name="one_register_per_year"),
        ]

    def __str__(self):
        return f"{self.commune} {self.year}: {self.last_number}"


class RegisteredNumber(models.Model):
    """A number given out: unique per commune and year, whatever happens to the document."""

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    number = models.PositiveIntegerField()
    symbol = models.CharField(max_length=50)
    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="registration")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("số văn bản đã cấp")
        verbose_name_plural = _("số văn bản đã cấp")
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "year", "number"], name="number_unique_per_commune_year"
            ),
        ]

    def __str__(self):
        return f"{self.number:02d}/{self.symbol} ({self.year})"


class IssuedFile(models.Model):
    """A frozen file of an issued report. Each signing step adds a new one; none is changed."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Báo cáo")
        APPENDIX = "appendix", _("Phụ lục")
        APPENDIX_XLSX = "appendix_xlsx", _("Phụ lục (Excel)")
        EVIDENCE_LIST = "evidence_list", _("Danh mục minh chứng lúc ban hành (JSON)")

    class Stage(models.TextChoices):
        UNSIGNED = "unsigned", _("Chưa ký")
        PERSON = "person", _("Đã ký (người có thẩm quyền)")
        ORGANISATION = "organisation", _("Đã ký (cơ quan)")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.UNSIGNED)
    file = models.FileField(storage=get_document_storage, upload_to=issued_name, max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    meta = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tệp đã ban hành")
        verbose_name_plural = _("tệp đã ban hành")
        ordering = ["report", "kind", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "kind", "stage"], name="one_file_per_kind_and_stage"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.get_stage_display()}"

    def read(self) -> bytes:
        with self.file.open("rb") as handle:
            return handle.read()


# The latest stage first: the file of a kind that counts is the most signed one.
STAGES_NEWEST_FIRST = [
    IssuedFile.Stage.ORGANISATION,
    IssuedFile.Stage.PERSON,
    IssuedFile.Stage.UNSIGNED,
]


class SigningKey(models.Model):
    """A signer's or the commune's key: a PKCS#12 file, or a key on a PKCS#11 token.

    The passphrase or PIN is never stored: it is typed at signing time, or (for an
    unattended organisation key) read from the environment variable named here."""

    class Kind(models.TextChoices):
        PKCS12 = "pkcs12", _("Tệp PKCS#12 (.p12, .pfx)")
        PKCS11 = "pkcs11", _("Thiết bị ký số (USB token, HSM) qua PKCS#11")

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="signing_keys")
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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("khóa ký số")
        verbose_name_plural = _("khóa ký số")
        ordering = ["commune", "owner", "label"]

    def __str__(self):
        prefix = "[THỬ NGHIỆM] " if self.is_test else ""
        return f"{prefix}{self.label}"

    @property
    def is_organisation(self) -> bool:
        return self.owner_id is None


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

    def __str__(self):
        return f"{self.key} – {self.user} – {self.at:%d/%m/%Y %H:%M}"


class TrustAnchor(models.Model):
    """A root certificate the verification page trusts (e.g. the Ban Cơ yếu root)."""

    label = models.CharField(_("tên gọi"), max_length=200)
    certificate_pem = models.TextField(_("chứng thư gốc (PEM)"))
    is_test = models.BooleanField(_("thử nghiệm"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư gốc tin cậy")
        verbose_name_plural = _("chứng thư gốc tin cậy")

    def __str__(self):
        return f"[THỬ NGHIỆM] {self.label}" if self.is_test else self.label


class SignatureRecord(models.Model):
    """One digital signature applied through the portal, with its certificate details."""

    class Role(models.TextChoices):
        PERSON = "person", _("Người có thẩm quyền")
        ORGANISATION = "organisation", _("Cơ quan")

    issued_file = models.ForeignKey(IssuedFile, on_delete=models.PROTECT, related_name="signatures")
    role = models.CharField(max_length=20, choices=Role.choices)
    field_name = models.CharField(max_length=100)
    key = models.ForeignKey(SigningKey, null=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=500)
    common_name = models.CharField(max_length=300)
    issuer = models.CharField(max_length=500)
    serial = models.CharField(max_length=100)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    fingerprint = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    level = models.CharField(max_length=10, default="B-B")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("chữ ký số")
        verbose_name_plural = _("chữ ký số")
        ordering = ["signed_at", "id"]

    def __str__(self):
        return f"{self.common_name} ({self.get_role_display()})"


class DocumentEvent(models.Model):
    """Issuing, signing, verification failures and dossier exports: who, when, what, hash."""

    class Action(models.TextChoices):
        ISSUE = "issue", _("Ban hành")
        OVERRIDE = "override", _("Ban hành khi chưa duyệt hết điểm")
        SIGN_PERSON = "sign_person", _("Ký số (người có thẩm quyền)")
        SIGN_ORGANISATION = "sign_org", _("Ký số (cơ quan)")
        SIGN_APPENDIX = "sign_appendix", _("Ký số phụ lục (cơ quan)")
        VERIFY_FAILED = "verify_failed", _("Xác minh không đạt")
        DOSSIER = "dossier", _("Xuất hồ sơ gửi thành phố")

    report = models.ForeignKey(Report, null=True, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nhật ký văn bản")
        verbose_name_plural = _("nhật ký văn bản")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class VerificationFailure(models.Model):
    """Failed checks on the public verification page, counted: one row per day, address,
    report and verdict however many attempts, so that anonymous visitors cannot grow the
    database while a leader still sees who tried what, how often and when last."""

    day = models.DateField(_("ngày"))
    address = models.CharField(_("địa chỉ"), max_length=50, help_text=_("IPv4, hoặc mạng IPv6 /64"))
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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

    def __str__(self):
        return f"{self.day:%d/%m/%Y} {self.address}: {self.verdict} × {self.count}"


class Dossier(models.Model):
    """The ZIP sent to the Department of Home Affairs, built on disk with its SHA-256."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="dossiers")
    file = models.FileField(storage=get_document_storage, upload_to=issued_name, max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hồ sơ gửi thành phố")
        verbose_name_plural = _("hồ sơ gửi thành phố")
        ordering = ["-created_at"]

    def __str__(self):
        return f"Hồ sơ {self.report} ({self.created_at:%d/%m/%Y})"
