"""A piece of work started by a person that should not hold their request: the dossier, a
large ZIP, a city export, a PDF not yet rendered. See jobs/services.py."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guards.storage import get_document_storage


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Đang chờ xử lý")
        RUNNING = "running", _("Đang xử lý")
        DONE = "done", _("Đã xong")
        FAILED = "failed", _("Không thực hiện được")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("loại"), max_length=60)
    params = models.JSONField(_("tham số"), default=dict, blank=True)
    title = models.CharField(_("việc"), max_length=200)
    # Only the person who started it sees it (and its result); None once they are deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    # The same key while a job is queued or running gives that job, not a second one
    # (a double click, or two tabs): see jobs.services.job_start.
    key = models.CharField(_("khóa"), max_length=200, blank=True, db_index=True)
    state = models.CharField(_("trạng thái"), max_length=10, choices=State, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0)
    step = models.CharField(_("bước"), max_length=200, blank=True)
    # The result: a page to go to, or a file to download (in the private documents storage).
    result_url = models.CharField(_("kết quả"), max_length=500, blank=True)
    result_file = models.FileField(
        _("tệp kết quả"), storage=get_document_storage, upload_to="jobs/%Y/%m/", blank=True
    )
    result_name = models.CharField(_("tên tệp"), max_length=255, blank=True)
    result_note = models.CharField(_("thông báo"), max_length=500, blank=True)
    error = models.TextField(_("lỗi"), blank=True)
    # Names an attempt is writing (storage alias, name); removed before a retry, so a worker
    # killed half-way leaves no half-written file behind.
    partial = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("tác vụ")
        verbose_name_plural = _("tác vụ")

    def __str__(self) -> str:
        return f"{self.title} ({self.get_state_display()})"

    @property
    def result_page(self) -> str:
        """Where a done job whose result is a page (not a file) sends the person; "" else."""
        done = self.state == self.State.DONE and not self.result_file
        return self.result_url if done else ""

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
