"""Who is told what between a commune and the city (notifications.services.notify, once per
key): the city's appraisers that a dossier arrived, the commune's leaders and secretary that
the city asks to explain, the appraiser who asked that the commune answered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from appraisal.models import ExplanationRequest, Submission
from assessments.models import CityMembership, Membership
from notifications.models import Notification
from notifications.services import notify

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _commune_people(submission: Submission, *roles: str) -> list[User]:
    return [
        membership.user
        for membership in Membership.objects.filter(
            commune_id=submission.assessment.commune_id, role__in=roles, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ]


def _city_url(submission: Submission) -> str:
    return reverse("appraisal:dashboard", args=[submission.round.city_id])


def notify_submission_sent(submission: Submission) -> None:
    """The city's appraisers: a commune's dossier arrived."""
    commune = submission.assessment.commune
    appraisers = CityMembership.objects.filter(
        city_id=submission.round.city_id,
        role=CityMembership.Role.APPRAISER,
        user__is_active=True,
    ).select_related("user")
    for membership in appraisers:
        notify(
            user=membership.user,
            kind=Notification.Kind.OTHER,
            title=f"{commune} đã gửi hồ sơ tự đánh giá lên thành phố",
            body=f"{submission.round}: hồ sơ chờ thẩm định.",
            url=_city_url(submission),
            key=f"submission-sent:{submission.pk}",
        )


def notify_explanation_requested(request: ExplanationRequest) -> None:
    """The commune's leaders and secretary: the city asks to explain (or add evidence) by a
    date. Called by the city's request service in the same transaction."""
    submission = request.submission
    count = request.items.count()
    url = reverse(
        "submission:request", kwargs={"pk": submission.assessment_id, "request_pk": request.pk}
    )
    for person in _commune_people(submission, Membership.Role.LEADER, Membership.Role.SECRETARY):
        notify(
            user=person,
            kind=Notification.Kind.OTHER,
            title=f"Thành phố đề nghị giải trình {count} tiêu chí, hạn {request.deadline:%d/%m/%Y}",
            body=f"{request.message}\nLãnh đạo UBND xã trả lời và bổ sung minh chứng trên cổng.",
            url=url,
            key=f"explanation-requested:{request.pk}",
        )


def notify_explanation_answered(request: ExplanationRequest, *, late: bool = False) -> None:
    """The appraiser who asked: the commune answered (late, if past the deadline)."""
    submission = request.submission
    when = " (sau hạn)" if late else ""
    notify(
        user=request.created_by,
        kind=Notification.Kind.OTHER,
        title=f"{submission.assessment.commune} đã gửi giải trình{when}",
        body=f"Đề nghị giải trình hạn {request.deadline:%d/%m/%Y}: xã đã trả lời.",
        url=_city_url(submission),
        key=f"explanation-answered:{request.pk}",
    )
