"""Who is told what while a report is issued and signed (notifications.services.notify, once
per key): the signer that a report awaits their signature, the commune's leaders and
secretary that it was issued, the secretary that the signed report awaits the seal."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.urls import reverse

from assessments.access import signer_label
from assessments.models import Membership
from notifications.models import Notification
from notifications.services import notifications_settle, notify
from reports.models import Report


def _issued_url(report: Report) -> str:
    return reverse("reports:issued", args=[report.assessment_id, report.pk])


def _reference(report: Report) -> str:
    return f"Báo cáo số {report.number:02d}/{report.symbol}"


def _members(report: Report, *roles: str) -> list[User]:
    return [
        membership.user
        for membership in Membership.objects.filter(
            commune_id=report.assessment.commune_id, role__in=roles, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ]


def report_issued_notify(*, report: Report, by: User) -> None:
    """The signer: the report awaits their signature; the commune's other leaders and its
    secretary: it was issued (not the person who issued it)."""
    url = _issued_url(report)
    reference = _reference(report)
    if report.signer is not None:
        notify(
            user=report.signer,
            kind=Notification.Kind.AWAITING_SIGNATURE,
            title=f"{reference} chờ Đồng chí ký",
            body=f"{report.summary}\nVăn thư đã ban hành; Đồng chí ký số bằng khóa của mình, "
            "sau đó văn thư đóng dấu.",
            url=url,
            key=f"report-awaiting-signature:{report.pk}",
        )
    for person in _members(report, Membership.Role.LEADER, Membership.Role.SECRETARY):
        if person.pk in (by.pk, report.signer_id):
            continue
        notify(
            user=person,
            kind=Notification.Kind.ISSUED,
            title=f"Đã ban hành {reference} ngày {report.issue_date:%d/%m/%Y}",
            body=f"{report.summary}\nChờ {signer_label(report)} ký.",
            url=url,
            key=f"report-issued:{report.pk}",
        )


def report_awaiting_seal_notify(*, report: Report) -> None:
    """The secretary (or secretaries): the person signed, the seal is theirs to apply."""
    for person in _members(report, Membership.Role.SECRETARY):
        notify(
            user=person,
            kind=Notification.Kind.AWAITING_SIGNATURE,
            title=f"{_reference(report)} chờ đóng dấu (ký số của cơ quan)",
            body=f"{signer_label(report)} đã ký số. Văn thư đóng dấu để hoàn tất.",
            url=_issued_url(report),
            key=f"report-awaiting-seal:{report.pk}",
        )


def report_signed_settle(*, report: Report, step: str) -> None:
    """A signing step done: the notice that asked for it is read ("person": the signer's
    "chờ Đồng chí ký"; "organisation": the secretaries' "chờ đóng dấu")."""
    prefix = "report-awaiting-signature" if step == "person" else "report-awaiting-seal"
    notifications_settle(key=f"{prefix}:{report.pk}")
