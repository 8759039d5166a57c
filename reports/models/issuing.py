"""Issuing: the commune's register of numbers, the frozen files of an issued report, what
happened to them, and the dossier sent to the city."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import City, Commune
from guards.storage import get_document_storage
from reports.models.drafting import Report


def issued_name(instance: "IssuedFile", filename: str) -> str:
    return f"issued/{instance.report_id}/{uuid.uuid4().hex}"


ONE_ISSUER = models.Q(commune__isnull=False, city__isnull=True, book="") | models.Q(
    commune__isnull=True, city__isnull=False
)


class NumberSequence(models.Model):
    """A register of outgoing documents (sổ đăng ký văn bản đi) for one year: the commune's
    one, or one of the city's (`book`: the issuing body, e.g. its Department of Home Affairs
    or its People's Committee). Numbers start at 01 on 1 January and are never reused."""

    commune = models.ForeignKey(
        Commune,
        verbose_name=_("xã"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    city = models.ForeignKey(
        City,
        verbose_name=_("thành phố"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    book = models.CharField(_("cơ quan ban hành"), max_length=20, blank=True, default="")
    year = models.PositiveIntegerField(_("năm"))
    last_number = models.PositiveIntegerField(_("số cuối đã cấp"), default=0)

    class Meta:
        verbose_name = _("sổ đăng ký văn bản đi")
        verbose_name_plural = _("sổ đăng ký văn bản đi")
        constraints = [
            models.UniqueConstraint(fields=["commune", "year"], name="one_register_per_year"),
            models.UniqueConstraint(
                fields=["city", "book", "year"],
                condition=models.Q(city__isnull=False),
                name="one_city_register_per_body_year",
            ),
            models.CheckConstraint(condition=ONE_ISSUER, name="register_of_commune_or_city"),
        ]

    def __str__(self) -> str:
        owner = self.commune or f"{self.city} ({self.book})"
        return f"{owner} {self.year}: {self.last_number}"


class RegisteredNumber(models.Model):
    """A number given out: unique per register and year, whatever happens to the document.
    A commune's number belongs to its report; a city's to the city's document (appraisal)."""

    commune = models.ForeignKey(
        Commune,
        verbose_name=_("xã"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    city = models.ForeignKey(
        City,
        verbose_name=_("thành phố"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    book = models.CharField(_("cơ quan ban hành"), max_length=20, blank=True, default="")
    year = models.PositiveIntegerField(_("năm"))
    number = models.PositiveIntegerField(_("số"))
    symbol = models.CharField(_("ký hiệu"), max_length=50)
    report = models.OneToOneField(
        Report,
        verbose_name=_("báo cáo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registration",
    )
    at = models.DateTimeField(_("lúc cấp"), auto_now_add=True)

    class Meta:
        verbose_name = _("số văn bản đã cấp")
        verbose_name_plural = _("số văn bản đã cấp")
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "year", "number"], name="number_unique_per_commune_year"
            ),
            models.UniqueConstraint(
                fields=["city", "book", "year", "number"],
                condition=models.Q(city__isnull=False),
                name="number_unique_per_city_body_year",
            ),
            models.CheckConstraint(
                condition=ONE_ISSUER
                & (models.Q(commune__isnull=True) | models.Q(report__isnull=False)),
                name="registered_number_of_commune_or_city",
            ),
        ]

    def __str__(self) -> str:
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

    report = models.ForeignKey(
        Report, verbose_name=_("báo cáo"), on_delete=models.PROTECT, related_name="files"
    )
    kind = models.CharField(_("loại tệp"), max_length=20, choices=Kind.choices)
    stage = models.CharField(
        _("bước ký"), max_length=20, choices=Stage.choices, default=Stage.UNSIGNED
    )
    file = models.FileField(
        _("tệp"), storage=get_document_storage, upload_to=issued_name, max_length=200
    )
    sha256 = models.CharField(_("mã kiểm tra SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    meta = models.JSONField(_("thông tin kèm theo"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("lúc tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("tệp đã ban hành")
        verbose_name_plural = _("tệp đã ban hành")
        ordering = ["report", "kind", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "kind", "stage"], name="one_file_per_kind_and_stage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.get_stage_display()}"

    def read(self) -> bytes:
        with self.file.open("rb") as handle:
            return handle.read()


# The latest stage first: the file of a kind that counts is the most signed one.
STAGES_NEWEST_FIRST: list[str] = [
    IssuedFile.Stage.ORGANISATION,
    IssuedFile.Stage.PERSON,
    IssuedFile.Stage.UNSIGNED,
]


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

    report = models.ForeignKey(
        Report,
        verbose_name=_("báo cáo"),
        null=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    action = models.CharField(_("thao tác"), max_length=20, choices=Action.choices)
    detail = models.TextField(_("chi tiết"), blank=True)
    sha256 = models.CharField(_("mã kiểm tra SHA-256"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thao tác"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("nhật ký văn bản")
        verbose_name_plural = _("nhật ký văn bản")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class Dossier(models.Model):
    """The ZIP sent to the Department of Home Affairs, built on disk with its SHA-256."""

    report = models.ForeignKey(
        Report, verbose_name=_("báo cáo"), on_delete=models.PROTECT, related_name="dossiers"
    )
    file = models.FileField(
        _("tệp"), storage=get_document_storage, upload_to=issued_name, max_length=200
    )
    sha256 = models.CharField(_("mã kiểm tra SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người lập"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("lúc lập"), auto_now_add=True)

    class Meta:
        verbose_name = _("hồ sơ gửi thành phố")
        verbose_name_plural = _("hồ sơ gửi thành phố")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Hồ sơ {self.report} ({self.created_at:%d/%m/%Y})"
