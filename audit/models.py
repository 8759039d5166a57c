"""The audit trail: one row per action, each chained to the one before by SHA-256.

Nothing here points at the portal's other apps: the commune and unit are kept as their id
and their name at that moment, so every app may record here without an import cycle, and a
renamed unit or a deleted account still reads as it was. The user is a foreign key without a
database constraint for the same reason: deleting an account must not touch the trail.

Rows are never changed or removed: `save()` only inserts, `delete()` and the queryset's
`update()`/`delete()` refuse, and database triggers (migration 0002) refuse UPDATE and DELETE
from any other path. Someone who gets round the triggers still cannot edit a row unseen:
`manage.py audit_verify` recomputes the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Bumped if the serialization below ever changes; old entries keep verifying under theirs.
HASH_VERSION = 1
HASHED_FIELDS = (
    "id",
    "at",
    "user_id",
    "username",
    "full_name",
    "ip",
    "user_agent",
    "commune_id",
    "commune_name",
    "unit_id",
    "unit_name",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "summary",
    "details",
    "prev_hash",
)


class AppendOnlyError(Exception):
    """An attempt to change or remove an audit entry."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries are never changed.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit entries are never removed.")

    def bulk_update(
        self, objs: Any, fields: Iterable[str], batch_size: int | None = None
    ) -> NoReturn:
        raise AppendOnlyError("Audit entries are never changed.")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("Đăng nhập")
        LOGIN_FAILED = "login_failed", _("Đăng nhập thất bại")
        LOCKED_OUT = "locked_out", _("Khóa đăng nhập")
        LOGOUT = "logout", _("Đăng xuất")
        LOGIN_UNLOCK = "login_unlock", _("Mở khóa đăng nhập")
        PASSWORD_CHANGE = "password_change", _("Đổi mật khẩu")
        TWO_FACTOR_ENROL = "two_factor_enrol", _("Cài đặt xác thực hai lớp")
        TWO_FACTOR_CODES = "two_factor_codes", _("Tạo mã khôi phục mới")
        TWO_FACTOR_RESET = "two_factor_reset", _("Đặt lại xác thực hai lớp")
        ACCOUNT_CREATE = "account_create", _("Tạo tài khoản")
        ACCOUNT_CHANGE = "account_change", _("Sửa tài khoản")
        ACCOUNT_DELETE = "account_delete", _("Xóa tài khoản")
        MEMBERSHIP_CHANGE = "membership_change", _("Thay đổi vai trò, thành viên")
        MEMBERSHIP_DELETE = "membership_delete", _("Xóa thành viên")
        ACCOUNT_DEACTIVATE = "account_deactivate", _("Khóa tài khoản")
        ACCOUNT_REACTIVATE = "account_reactivate", _("Mở lại tài khoản")
        PASSWORD_RESET = "password_reset", _("Đặt lại mật khẩu")
        ACCOUNTS_IMPORT = "accounts_import", _("Nhập tài khoản từ tệp Excel")
        UNIT_CHANGE = "unit_change", _("Thêm, sửa đơn vị")
        UNIT_DELETE = "unit_delete", _("Xóa đơn vị")
        COMMUNE_CREATE = "commune_create", _("Tạo xã, phường")
        COMMUNE_CHANGE = "commune_change", _("Sửa thông tin xã, thiết lập báo cáo")
        ASSIGNMENT_CHANGE = "assignment_change", _("Phân công")
        SCORE_SAVE = "score_save", _("Lưu nháp điểm")
        SCORE_SUBMIT = "score_submit", _("Gửi điểm")
        SCORE_RESUBMIT = "score_resubmit", _("Gửi lại điểm")
        SCORE_APPROVE = "score_approve", _("Duyệt điểm")
        SCORE_RETURN = "score_return", _("Trả lại điểm")
        SCORE_ADJUST = "score_adjust", _("Điều chỉnh điểm")
        SCORE_COMMENT = "score_comment", _("Góp ý")
        ASSESSMENT_LOCK = "assessment_lock", _("Khóa kỳ đánh giá")
        ASSESSMENT_REOPEN = "assessment_reopen", _("Mở lại kỳ đánh giá")
        ASSESSMENT_CREATE = "assessment_create", _("Tạo kỳ đánh giá")
        DEADLINE_SET = "deadline_set", _("Đặt, gia hạn hạn tự chấm điểm")
        ADJUSTMENT_RECORD = "adjustment_record", _("Cập nhật điều chỉnh tổng điểm")
        EVIDENCE_UPLOAD = "evidence_upload", _("Tải lên minh chứng")
        EVIDENCE_REUSE = "evidence_reuse", _("Dùng lại minh chứng kỳ trước")
        EVIDENCE_REPLACE = "evidence_replace", _("Thay tệp minh chứng")
        EVIDENCE_DESCRIBE = "evidence_describe", _("Sửa thông tin minh chứng")
        EVIDENCE_DELETE = "evidence_delete", _("Xóa minh chứng")
        EVIDENCE_RESTORE = "evidence_restore", _("Khôi phục minh chứng")
        EVIDENCE_LINK = "evidence_link", _("Liên kết minh chứng")
        EVIDENCE_UNLINK = "evidence_unlink", _("Bỏ liên kết minh chứng")
        REPORT_CREATE = "report_create", _("Tạo dự thảo báo cáo")
        REPORT_EDIT = "report_edit", _("Sửa dự thảo báo cáo")
        REPORT_ISSUE = "report_issue", _("Ban hành báo cáo")
        REPORT_SIGN = "report_sign", _("Ký số")
        DOSSIER_BUILD = "dossier_build", _("Lập hồ sơ gửi thành phố")
        ROUND_CHANGE = "round_change", _("Tạo, sửa đợt thẩm định")
        COUNCIL_SESSION = "council_session", _("Mở, kết thúc phiên họp Hội đồng thẩm định")
        COUNCIL_VOTE = "council_vote", _("Biểu quyết của Hội đồng thẩm định")
        RECOGNITION_RECORD = "recognition_record", _("Ghi quyết định công nhận")
        SUBMISSION_SEND = "submission_send", _("Gửi hồ sơ lên thành phố")
        EXPLANATION_ANSWER = "explanation_answer", _("Gửi giải trình")
        EXPORT = "export", _("Xuất tệp")
        DOWNLOAD = "download", _("Tải tệp về")
        # The city's appraisal (issue 14)
        APPRAISAL_SCORE = "appraisal_score", _("Chấm điểm thẩm định")
        APPRAISAL_ASSIGN = "appraisal_assign", _("Phân công thẩm định")
        APPRAISAL_FINDING = "appraisal_finding", _("Thành phố xác định điểm trừ, điều kiện loại")
        EXPLANATION_REQUEST = "explanation_request", _("Đề nghị xã giải trình")
        CITY_DOCUMENT_ISSUE = "city_document_issue", _("Ban hành văn bản của thành phố")
        CITY_DOCUMENT_SIGN = "city_document_sign", _("Ký số văn bản của thành phố")

    # The position in the chain (1, 2, 3, … with no gap), given under the chain head's lock.
    id = models.BigIntegerField(_("số thứ tự"), primary_key=True, editable=False)
    at = models.DateTimeField(_("thời điểm"), editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(
        _("tên đăng nhập"),
        max_length=150,
        blank=True,
        help_text=_("Lúc thực hiện; với đăng nhập thất bại là tên đã gõ."),
    )
    full_name = models.CharField(_("người thực hiện"), max_length=300, blank=True)
    ip = models.CharField(_("địa chỉ IP"), max_length=45, blank=True)
    user_agent = models.CharField(_("trình duyệt"), max_length=300, blank=True)
    commune_id = models.BigIntegerField(_("mã xã"), null=True, blank=True)
    commune_name = models.CharField(_("xã, phường"), max_length=250, blank=True)
    unit_id = models.BigIntegerField(_("mã đơn vị"), null=True, blank=True)
    unit_name = models.CharField(_("đơn vị"), max_length=300, blank=True)
    action = models.CharField(_("thao tác"), max_length=30, choices=Action.choices)
    target_type = models.CharField(_("loại đối tượng"), max_length=100, blank=True)
    target_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True)
    target_label = models.CharField(_("đối tượng"), max_length=300, blank=True)
    summary = models.CharField(_("nội dung"), max_length=500, blank=True)
    details = models.JSONField(_("chi tiết"), default=dict, blank=True)
    prev_hash = models.CharField(_("mã băm mục trước"), max_length=64, blank=True)
    hash = models.CharField(_("mã băm"), max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("mục nhật ký")
        verbose_name_plural = _("nhật ký hoạt động")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["commune_id", "-id"], name="audit_commune_newest"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        who = self.full_name or self.username or "Hệ thống"
        return f"#{self.id} {self.get_action_display()} – {who}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit entries are never changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries are never removed.")

    def canonical(self) -> bytes:
        """The entry as the bytes its hash covers: sorted-key JSON of every field but the hash
        itself, the time in UTC to the microsecond."""
        values = {name: getattr(self, name) for name in HASHED_FIELDS}
        values["at"] = self.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
        values["v"] = HASH_VERSION
        return json.dumps(
            values, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


class ChainHead(models.Model):
    """The newest entry's number and hash, in one row. Every append locks this row, so two
    actions never chain to the same predecessor; the database lets it only move forward by
    one, onto an entry that exists (migration 0002)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("đầu chuỗi nhật ký")
        verbose_name_plural = _("đầu chuỗi nhật ký")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_single_head")]

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"
