"""Evidence (tài liệu minh chứng): described documents whose files keep every version."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessments.models import Assessment
from criteria.models import Criterion
from guards.storage import get_evidence_storage

# The storage is configured in settings.STORAGES["evidence"]; the module-level name is kept
# for callers that monkeypatch or read it.
evidence_storage = get_evidence_storage()


def stored_name(instance: "EvidenceFile", filename: str) -> str:
    # No user-supplied part: the original name is kept in the database only.
    return f"{instance.evidence.assessment_id}/{uuid.uuid4().hex}"


def thumbnail_name(instance: "EvidenceFile", filename: str) -> str:
    return f"{instance.evidence.assessment_id}/thumbs/{uuid.uuid4().hex}.jpg"


class Evidence(models.Model):
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("kỳ đánh giá"), on_delete=models.PROTECT, related_name="evidence"
    )
    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("tiêu chí thành phần gốc"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Tiêu chí thành phần mà mã minh chứng mang theo."),
    )
    sequence = models.PositiveIntegerField(_("số thứ tự"))
    code = models.CharField(_("mã minh chứng"), max_length=60)
    title = models.CharField(_("trích yếu"), max_length=500)
    doc_number = models.CharField(_("số, ký hiệu"), max_length=100, blank=True)
    issue_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    issuer = models.CharField(_("cơ quan ban hành"), max_length=300, blank=True)
    location = models.CharField(
        _("vị trí minh chứng"),
        max_length=200,
        blank=True,
        help_text=_(
            "Trang hoặc mục trong tài liệu chứa nội dung minh chứng, ví dụ: trang 3, mục II."
        ),
    )
    reused_from = models.ForeignKey(
        "self",
        verbose_name=_("dùng lại từ kỳ trước"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reuses",
        help_text=_("Minh chứng của kỳ đánh giá trước được dùng lại cho kỳ này (cùng tệp)."),
    )
    search_text = models.TextField(editable=False, default="")
    current_file = models.ForeignKey(
        "EvidenceFile",
        verbose_name=_("tệp hiện hành"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người tải lên"),
    )
    created_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)
    deleted_at = models.DateTimeField(_("xóa lúc"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("minh chứng")
        verbose_name_plural = _("minh chứng")
        ordering = ["assessment", "criterion__order", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "code"], name="evidence_code_unique"),
            models.UniqueConstraint(
                fields=["assessment", "criterion", "sequence"], name="evidence_sequence_unique"
            ),
        ]
        indexes = [models.Index(fields=["assessment", "deleted_at"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


VIEWABLE_KINDS = {"pdf", "jpeg", "png", "webp", "mp4"}

# Why a version that could have a preview has none: told to the uploader, and shown by the file.
NO_PREVIEW_TOO_LARGE = (
    "Tệp đã được lưu nhưng không có ảnh xem trước: tệp quá lớn hoặc quá phức tạp để tạo ảnh "
    "xem trước an toàn. Người xem vẫn tải hoặc mở được tệp."
)
NO_PREVIEW_BROKEN = (
    "Tệp đã được lưu nhưng không tạo được ảnh xem trước (tệp có thể bị hỏng). "
    "Hãy mở thử tệp để kiểm tra."
)


class EvidenceFile(models.Model):
    """One version of an evidence's file. Versions are never removed."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        DOC = "doc", "Word 97-2003"
        DOCX = "docx", "Word"
        XLS = "xls", "Excel 97-2003"
        XLSX = "xlsx", "Excel"
        ODT = "odt", "ODT"
        ODS = "ods", "ODS"
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"
        WEBP = "webp", "WebP"
        MP4 = "mp4", "MP4"

    class Preview(models.TextChoices):
        """The preview is drawn by a task after the upload commits (evidence/tasks.py)."""

        NONE = "", _("Không có ảnh xem trước")
        PENDING = "pending", _("Đang tạo hình xem trước")
        READY = "ready", _("Có ảnh xem trước")
        TOO_LARGE = "too_large", _("Tệp quá lớn để xem trước")
        BROKEN = "broken", _("Không tạo được ảnh xem trước")

    evidence = models.ForeignKey(
        Evidence, verbose_name=_("minh chứng"), on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField(_("phiên bản"))
    file = models.FileField(
        _("tệp"), storage=get_evidence_storage, upload_to=stored_name, max_length=200
    )
    original_name = models.CharField(_("tên tệp gốc"), max_length=255)
    size = models.BigIntegerField(_("dung lượng"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    kind = models.CharField(_("loại tệp"), max_length=10, choices=Kind.choices)
    content_type = models.CharField(_("kiểu nội dung"), max_length=100)
    thumbnail = models.FileField(
        _("ảnh thu nhỏ"),
        storage=get_evidence_storage,
        upload_to=thumbnail_name,
        blank=True,
        max_length=200,
    )
    preview = models.CharField(
        _("ảnh xem trước"), max_length=10, choices=Preview.choices, blank=True, default=""
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người tải lên"),
    )
    uploaded_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("phiên bản tệp")
        verbose_name_plural = _("phiên bản tệp")
        ordering = ["evidence", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["evidence", "version"], name="evidence_version_unique"),
            models.CheckConstraint(condition=Q(size__gt=0), name="evidence_file_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.version})"

    @property
    def viewable(self) -> bool:
        """Opens in the browser itself (PDF viewer, image, video); anything else downloads."""
        return self.kind in VIEWABLE_KINDS

    @property
    def preview_pending(self) -> bool:
        return self.preview == self.Preview.PENDING and not self.thumbnail

    @property
    def preview_note(self) -> str:
        """Why there is no preview, for the people who see the file ("" when nothing to say)."""
        if self.thumbnail:
            return ""
        return {
            self.Preview.TOO_LARGE: NO_PREVIEW_TOO_LARGE,
            self.Preview.BROKEN: NO_PREVIEW_BROKEN,
        }.get(self.Preview(self.preview), "")


class EvidenceLink(models.Model):
    """An evidence backs a sub-criterion. The evidence's own sub-criterion is linked too."""

    evidence = models.ForeignKey(
        Evidence, verbose_name=_("minh chứng"), on_delete=models.CASCADE, related_name="links"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("tiêu chí thành phần"), on_delete=models.PROTECT, related_name="+"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("liên kết minh chứng")
        verbose_name_plural = _("liên kết minh chứng")
        constraints = [
            models.UniqueConstraint(fields=["evidence", "criterion"], name="evidence_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence.code} → {self.criterion.code}"


class EvidenceEvent(models.Model):
    """History: who did what to which evidence, and when."""

    class Action(models.TextChoices):
        UPLOAD = "upload", _("Tải lên")
        LINK = "link", _("Liên kết")
        UNLINK = "unlink", _("Bỏ liên kết")
        REPLACE = "replace", _("Thay tệp")
        UPDATE = "update", _("Sửa thông tin")
        DELETE = "delete", _("Xóa")
        RESTORE = "restore", _("Khôi phục")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="events")
    criterion = models.ForeignKey(
        Criterion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("thao tác"), max_length=10, choices=Action.choices)
    detail = models.CharField(_("chi tiết"), max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người thực hiện"),
    )
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("lịch sử minh chứng")
        verbose_name_plural = _("lịch sử minh chứng")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["assessment", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.evidence.code}"
