"""Who may upload, open, delete and restore evidence. Outsiders get 404 (from
`get_assessment_for_user`), members without the right get 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from assessments.access import is_leader_of, is_own_assignment, membership_of
from assessments.models import Assessment, Assignment, Membership
from evidence.models import Evidence


def can_upload(
    user, assessment: Assessment, assignment: Assignment, supporting_ids: set[int]
) -> bool:
    """Staff of the lead or a supporting unit, leaders and the secretary; only while open."""
    if assessment.status != Assessment.Status.OPEN:
        return False
    if user.is_superuser:
        return True
    membership = membership_of(user)
    if membership is None or membership.commune_id != assessment.commune_id:
        return False
    if membership.role in (Membership.Role.LEADER, Membership.Role.SECRETARY):
        return True
    return is_own_assignment(user, assignment, supporting_ids)


def require_upload(user, assessment, assignment, supporting_ids) -> None:
    if not can_upload(user, assessment, assignment, supporting_ids):
        if assessment.status != Assessment.Status.OPEN:
            raise PermissionDenied("Kỳ đánh giá đã khóa: không thể thay đổi minh chứng.")
        raise PermissionDenied(
            "Chỉ đơn vị chủ trì, đơn vị phối hợp, lãnh đạo và văn thư được tải minh chứng "
            "cho tiêu chí này."
        )


def uploader_unit_id(evidence: Evidence) -> int | None:
    membership = membership_of(evidence.created_by)
    return membership.unit_id if membership else None


def can_delete(user, evidence: Evidence) -> bool:
    """The uploader's unit or a leader, while the assessment is open."""
    assessment = evidence.assessment
    if assessment.status != Assessment.Status.OPEN:
        return False
    if is_leader_of(user, assessment):
        return True
    membership = membership_of(user)
    if membership is None or membership.commune_id != assessment.commune_id:
        return False
    if evidence.created_by_id == user.pk:
        return True
    return membership.unit_id is not None and membership.unit_id == uploader_unit_id(evidence)


def require_delete(user, evidence: Evidence) -> None:
    if not can_delete(user, evidence):
        raise PermissionDenied(
            "Chỉ đơn vị đã tải lên hoặc lãnh đạo được xóa, khôi phục minh chứng này."
        )


def can_see_history(user, assessment: Assessment) -> bool:
    return is_leader_of(user, assessment)
