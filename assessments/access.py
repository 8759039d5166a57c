"""Who may see and do what. Every view asks here; a commune's data is 404 to outsiders."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from assessments.models import Assessment, Assignment, Membership


def membership_of(user) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def visible_assessments(user):
    queryset = Assessment.objects.select_related("commune", "criteria_set", "target_level")
    if user.is_superuser:
        return queryset
    membership = membership_of(user)
    if membership is None:
        return queryset.none()
    return queryset.filter(commune_id=membership.commune_id)


def get_assessment_for_user(user, pk: int) -> Assessment:
    """The assessment, or 404 when it belongs to another commune (or does not exist)."""
    try:
        return visible_assessments(user).get(pk=pk)
    except Assessment.DoesNotExist:
        raise Http404("Không tìm thấy kỳ đánh giá.") from None


def is_leader_of(user, assessment: Assessment) -> bool:
    if user.is_superuser:
        return True
    membership = membership_of(user)
    return (
        membership is not None
        and membership.commune_id == assessment.commune_id
        and membership.is_leader
    )


def require_leader(user, assessment: Assessment) -> None:
    if not is_leader_of(user, assessment):
        raise PermissionDenied("Chỉ lãnh đạo UBND xã mới được thực hiện thao tác này.")


def unit_ids_of(user) -> set[int]:
    membership = membership_of(user)
    return {membership.unit_id} if membership and membership.unit_id else set()


def is_own_assignment(user, assignment: Assignment, supporting_ids: set[int]) -> bool:
    """The user's unit leads or supports this sub-criterion (a collective lead counts too)."""
    units = unit_ids_of(user)
    if not units:
        return False
    lead = assignment.lead_unit
    return (lead is not None and (lead.pk in units or lead.is_collective)) or bool(
        units & supporting_ids
    )


def can_propose(user, assessment: Assessment, assignment: Assignment) -> bool:
    """The lead unit's staff (any staff when "Các cơ quan, đơn vị" leads) and leaders."""
    if is_leader_of(user, assessment):
        return True
    membership = membership_of(user)
    if membership is None or membership.commune_id != assessment.commune_id:
        return False
    if membership.role != Membership.Role.STAFF or assignment.lead_unit is None:
        return False
    return assignment.lead_unit_id == membership.unit_id or assignment.lead_unit.is_collective


def require_propose(user, assessment: Assessment, assignment: Assignment) -> None:
    if not can_propose(user, assessment, assignment):
        raise PermissionDenied("Chỉ đơn vị chủ trì và lãnh đạo được chấm điểm tiêu chí này.")


def require_member(user, assessment: Assessment) -> None:
    """Any member of the commune (outsiders already got 404 from get_assessment_for_user)."""
    membership = membership_of(user)
    if not user.is_superuser and (
        membership is None or membership.commune_id != assessment.commune_id
    ):
        raise PermissionDenied("Bạn không thuộc xã của kỳ đánh giá này.")


def require_review(user, assessment: Assessment) -> None:
    if not is_leader_of(user, assessment):
        raise PermissionDenied("Chỉ lãnh đạo UBND xã được duyệt, trả lại hoặc điều chỉnh điểm.")
