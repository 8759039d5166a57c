"""Who may upload, open, delete and restore evidence. Outsiders get 404 (from
`get_assessment_for_user`), members without the right get 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from assessments.access import is_leader_of, is_own_assignment, membership_of
from assessments.models import Assessment, Assignment, Membership, Score
from assessments.services import staff_window_open
from evidence.models import Evidence


def _reviewer(user, assessment: Assessment) -> bool:
    """Leaders, the secretary and administrators: not bound by the staff deadline."""
    if user.is_superuser:
        return True
    membership = membership_of(user)
    return (
        membership is not None
        and membership.commune_id == assessment.commune_id
        and membership.role in (Membership.Role.LEADER, Membership.Role.SECRETARY)
    )


def upload_refusal(
    user, assessment: Assessment, assignment: Assignment, supporting_ids: set[int]
) -> str:
    """Why `user` may not add evidence to this sub-criterion now ("" if they may)."""
    if assessment.status != Assessment.Status.OPEN:
        return "Kỳ đánh giá đã khóa: không thể thay đổi minh chứng."
    if _reviewer(user, assessment):
        return ""
    if not is_own_assignment(user, assignment, supporting_ids):
        return (
            "Chỉ đơn vị chủ trì, đơn vị phối hợp, lãnh đạo và văn thư được tải minh chứng "
            "cho tiêu chí này."
        )
    if not staff_window_open(assessment):
        return "Đã quá hạn tự chấm điểm: chỉ lãnh đạo và văn thư còn thay đổi được minh chứng."
    return ""


def can_upload(
    user, assessment: Assessment, assignment: Assignment, supporting_ids: set[int]
) -> bool:
    """Staff of the lead or a supporting unit (until the deadline), leaders and the secretary;
    only while the assessment is open."""
    return not upload_refusal(user, assessment, assignment, supporting_ids)


def require_upload(user, assessment, assignment, supporting_ids) -> None:
    refusal = upload_refusal(user, assessment, assignment, supporting_ids)
    if refusal:
        raise PermissionDenied(refusal)


def uploader_unit_id(evidence: Evidence) -> int | None:
    membership = membership_of(evidence.created_by)
    return membership.unit_id if membership else None


def approved_criterion_ids(assessment: Assessment) -> set[int]:
    return set(
        Score.objects.filter(assessment=assessment, status=Score.Status.APPROVED).values_list(
            "criterion_id", flat=True
        )
    )


def delete_refusal(user, evidence: Evidence, approved_ids: set[int] | None = None) -> str:
    """Why `user` may not delete or restore `evidence` now ("" if they may).

    The uploader's unit or a leader, while the assessment is open and none of the
    sub-criteria the evidence backs is approved (a leader returns it first)."""
    assessment = evidence.assessment
    if assessment.status != Assessment.Status.OPEN:
        return "Kỳ đánh giá đã khóa: không thể thay đổi minh chứng."
    membership = membership_of(user)
    leader = is_leader_of(user, assessment)
    same_unit = (
        membership is not None
        and membership.commune_id == assessment.commune_id
        and (
            evidence.created_by_id == user.pk
            or (membership.unit_id is not None and membership.unit_id == uploader_unit_id(evidence))
        )
    )
    if not (leader or same_unit):
        return "Chỉ đơn vị đã tải lên hoặc lãnh đạo được xóa, khôi phục minh chứng này."
    if approved_ids is None:
        approved_ids = approved_criterion_ids(assessment)
    approved = [
        link.criterion.code for link in evidence.links.all() if link.criterion_id in approved_ids
    ]
    if approved:
        return (
            f"Tiêu chí {', '.join(approved)} đã được duyệt: lãnh đạo cần trả lại tiêu chí trước "
            "khi xóa minh chứng."
        )
    if not leader and not staff_window_open(assessment):
        return "Đã quá hạn tự chấm điểm: chỉ lãnh đạo còn thay đổi được minh chứng."
    return ""


def can_delete(user, evidence: Evidence, approved_ids: set[int] | None = None) -> bool:
    return not delete_refusal(user, evidence, approved_ids)


def require_delete(user, evidence: Evidence) -> None:
    refusal = delete_refusal(user, evidence)
    if refusal:
        raise PermissionDenied(refusal)


def can_see_history(user, assessment: Assessment) -> bool:
    return is_leader_of(user, assessment)
