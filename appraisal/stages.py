"""The stages of a commune's dossier at the city, and who moves it from one to the next.

Before a submission exists the stage is read off the commune's own data (`stage_before`):
no assessment for the round's period (not started), an assessment without an issued report
(self-assessing), an issued report not yet sent (report issued). From the submission on, the
stage is stored and changes only through `advance`, which checks the table below and records
who moved it and when (SubmissionEvent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from appraisal.models import Submission, SubmissionEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Stage = Submission.Stage

NOT_STARTED = "not_started"
SELF_ASSESSING = "self_assessing"
REPORT_ISSUED = "report_issued"

#: every stage the city's table shows, in order, with its name
ALL_STAGES: list[tuple[str, str]] = [
    (NOT_STARTED, "Chưa bắt đầu"),
    (SELF_ASSESSING, "Đang tự đánh giá"),
    (REPORT_ISSUED, "Đã ban hành báo cáo"),
    *((str(value), str(label)) for value, label in Stage.choices),
]
STAGE_NAMES = dict(ALL_STAGES)

#: (from, to) -> who may move it: "appraiser", "commune_leader", "council", "city_admin"
TRANSITIONS: dict[tuple[str, str], str] = {
    (Stage.SUBMITTED, Stage.APPRAISING): "appraiser",
    (Stage.APPRAISING, Stage.EXPLAINING): "appraiser",
    (Stage.SUBMITTED, Stage.EXPLAINING): "appraiser",
    (Stage.EXPLAINING, Stage.APPRAISING): "commune_leader",
    (Stage.APPRAISING, Stage.CONCLUDED): "council",
    (Stage.CONCLUDED, Stage.RECOGNISED): "city_admin",
    (Stage.CONCLUDED, Stage.NOT_RECOGNISED): "city_admin",
}


def allowed(current: str, target: str) -> str | None:
    """Who may move a submission from `current` to `target` (None: not a transition)."""
    return TRANSITIONS.get((current, target))


@transaction.atomic
def advance(
    submission: Submission, target: str, *, by: User, actor: str, detail: str = ""
) -> Submission:
    """Move `submission` to `target` as `actor` (one of TRANSITIONS' roles; the caller has
    checked the person's right with the rule book). The row is locked: of two people moving
    the same submission at once, the second finds the stage already moved and is refused."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    who = allowed(locked.stage, target)
    if who is None:
        raise ValidationError(
            f"Hồ sơ đang ở giai đoạn “{STAGE_NAMES[locked.stage]}”, không chuyển sang "
            f"“{STAGE_NAMES[target]}” được."
        )
    if who != actor:
        raise PermissionDenied("Anh/chị không được chuyển hồ sơ sang giai đoạn này.")
    locked.stage = target
    locked.version += 1
    locked.save(update_fields=["stage", "version"])
    SubmissionEvent.objects.create(submission=locked, stage=target, detail=detail, user=by)
    submission.stage, submission.version = locked.stage, locked.version
    return submission
