"""Who is told what about scores and deadlines (through `notifications.services.notify`).

The score services call `score_event_notify` inside their transaction, before their audit
entry (the audit chain's lock is the last one a transaction takes); `reminders_send` is the
body of `manage.py send_reminders`. Keys make every notice once: a score event is named by
the score's version after it, a reminder by its deadline's date (an extension gets its own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.urls import reverse

from assessments.access import effective_deadline, unit_deadlines
from assessments.models import Assessment, Assignment, Membership, Score, Unit
from assessments.selectors import late_units
from criteria.rules import fmt_points
from notifications.models import Notification
from notifications.services import notify

TITLE_COMMENT = 160  # characters of a comment or reason shown in a title; the body has it all


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_COMMENT else text[: TITLE_COMMENT - 1] + "…"


def _staff_of(unit_id: int | None, commune_id: int) -> list[User]:
    if unit_id is None:
        return []
    return list(
        User.objects.filter(
            is_active=True,
            membership__commune_id=commune_id,
            membership__unit_id=unit_id,
            membership__role=Membership.Role.STAFF,
        ).order_by("pk")
    )


def score_recipients(score: Score, by: User) -> list[User]:
    """The staff of the sub-criterion's lead unit and whoever proposed it, not the actor.
    (A collective lead, "Các cơ quan, đơn vị", has no staff of its own: its proposer.)"""
    lead = (
        Assignment.objects.filter(
            assessment_id=score.assessment_id, criterion_id=score.criterion_id
        )
        .values_list("lead_unit_id", "lead_unit__is_collective")
        .first()
    )
    people = [] if lead is None or lead[1] else _staff_of(lead[0], score.assessment.commune_id)
    if score.proposed_by_id is not None and all(p.pk != score.proposed_by_id for p in people):
        proposer = User.objects.filter(pk=score.proposed_by_id, is_active=True).first()
        if proposer is not None:
            people.append(proposer)
    return [person for person in people if person.pk != by.pk]


def _points(value: Decimal | None) -> str:
    return f"{fmt_points(value)} điểm" if value is not None else "chưa có điểm"


def score_event_notify(*, score: Score, action: str, by: User) -> None:
    """Tell the unit that its sub-criterion was returned, approved or adjusted. Called by the
    score service after it set the score's new state, before `_record` raises its version."""
    code = score.criterion.code
    kind = {
        "return": Notification.Kind.RETURNED,
        "approve": Notification.Kind.APPROVED,
        "adjust": Notification.Kind.ADJUSTED,
    }[action]
    body = ""
    if action == "return":
        title = f"Tiêu chí {code} bị trả lại: {_short(score.return_comment)}"
        body = f"Ý kiến của lãnh đạo: {score.return_comment}\nHãy sửa rồi gửi lại lãnh đạo."
    elif action == "approve":
        title = f"Tiêu chí {code} đã được duyệt ({_points(score.leader_points)})"
    else:
        before, after = score.proposed_points, score.leader_points
        if before is None or after is None:
            change = f"thành {_points(after)}"
        elif after > before:
            change = f"từ {fmt_points(before)} lên {_points(after)}"
        elif after < before:
            change = f"từ {fmt_points(before)} xuống {_points(after)}"
        else:
            change = f"giữ {_points(after)}"
        title = f"Tiêu chí {code} được điều chỉnh {change}: {_short(score.leader_reason)}"
        body = f"Lý do điều chỉnh: {score.leader_reason}"
    url = reverse("assessments:criterion", args=[score.assessment_id, score.criterion_id])
    who = by.get_full_name() or by.get_username()
    lines = [f"Tiêu chí {code}. {score.criterion.title}", body, f"Người thực hiện: {who}."]
    body = "\n".join(line for line in lines if line)
    for person in score_recipients(score, by):
        notify(
            user=person,
            kind=kind,
            title=title,
            key=f"{kind}:score:{score.pk}:v{score.version + 1}",
            body=body.strip(),
            url=f"{url}#cham-diem",
        )


# -- Reminders ---------------------------------------------------------------------------------

SOON = (3, 1)
OWED_STATUSES = (
    Score.Status.NOT_STARTED,
    Score.Status.DRAFT,
    Score.Status.RETURNED,
)  # days before a unit's deadline when its staff are reminded


@dataclass
class ReminderRun:
    """What one run of `reminders_send` recorded (notices new this run)."""

    soon: int = 0
    overdue: int = 0
    summaries: int = 0
    assessments: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.soon + self.overdue + self.summaries


def _days(n: int) -> str:
    return "hôm nay là hạn cuối" if n == 0 else f"còn {n} ngày"


def reminders_send(*, today: dt.date) -> ReminderRun:
    """For each open assessment: remind each unit's staff of what their unit still owes, 3 and
    1 days before the unit's deadline and once it is past (once per deadline date), and give
    the commune's leaders and secretary a summary of the late units (once a day at most). Running it again
    the same day records and emails nothing new."""
    run = ReminderRun()
    for assessment in Assessment.objects.filter(status=Assessment.Status.OPEN).select_related(
        "commune"
    ):
        run.assessments.append(str(assessment))
        _remind_staff(assessment, today, run)
        _summarise_for_leaders(assessment, today, run)
    return run


def _remind_staff(assessment: Assessment, today: dt.date, run: ReminderRun) -> None:
    outstanding = set(
        Score.objects.filter(assessment=assessment, status__in=OWED_STATUSES).values_list(
            "criterion_id", flat=True
        )
    )
    if not outstanding:
        return
    assignments = list(
        Assignment.objects.filter(assessment=assessment, criterion_id__in=outstanding)
        .exclude(lead_unit=None)
        .values_list("lead_unit_id", "lead_unit__is_collective")
    )
    collective = sum(1 for _unit, is_collective in assignments if is_collective)
    direct: dict[int, int] = {}
    for unit_id, is_collective in assignments:
        if not is_collective:
            direct[unit_id] = direct.get(unit_id, 0) + 1
    staff = Membership.objects.filter(
        commune_id=assessment.commune_id, role=Membership.Role.STAFF, user__is_active=True
    ).select_related("user")
    url = reverse("home")
    for membership in staff:
        unit_id = membership.unit_id
        owed = direct.get(unit_id, 0) + collective
        deadline = effective_deadline(assessment, unit_id)
        if not owed or deadline is None:
            continue
        left = (deadline - today).days
        period = f"{assessment.get_period_display().lower()} {assessment.year}"
        if left < 0:
            kind, key = Notification.Kind.OVERDUE, "overdue"
            title = f"Quá hạn tự chấm điểm: còn {owed} tiêu chí chưa gửi"
            body = (
                f"Hạn tự chấm điểm kỳ {period} của đơn vị là {deadline:%d/%m/%Y}. Đơn vị còn "
                f"{owed} tiêu chí thành phần chưa gửi lãnh đạo; chỉ lãnh đạo còn sửa được điểm. "
                "Nếu cần thêm thời gian, đề nghị lãnh đạo gia hạn."
            )
        else:
            step = next((days for days in sorted(SOON) if left <= days), None)
            if step is None:
                continue
            kind, key = Notification.Kind.DEADLINE_SOON, f"{step}d"
            title = (
                f"{_days(left).capitalize()} đến hạn tự chấm điểm ({deadline:%d/%m/%Y})"
                if left
                else f"Hôm nay là hạn tự chấm điểm ({deadline:%d/%m/%Y})"
            )
            body = (
                f"Kỳ {period}: đơn vị còn {owed} tiêu chí thành phần chưa gửi lãnh đạo. Sau "
                f"ngày {deadline:%d/%m/%Y}, cán bộ không sửa được điểm và minh chứng."
            )
        notice = notify(
            user=membership.user,
            kind=kind,
            title=title,
            key=f"deadline:{key}:assessment:{assessment.pk}:unit:{unit_id}:{deadline.isoformat()}",
            body=body,
            url=url,
        )
        if notice is not None:
            if kind == Notification.Kind.OVERDUE:
                run.overdue += 1
            else:
                run.soon += 1


def _summarise_for_leaders(assessment: Assessment, today: dt.date, run: ReminderRun) -> None:
    late = late_units(assessment, today=today)
    if not late:
        return
    lines = [
        f"- {row.unit.name}: còn {len(row.items)} tiêu chí chưa gửi (hạn {row.deadline:%d/%m/%Y}): "
        + ", ".join(item.criterion.code for item in row.items)
        for row in late
    ]
    title = f"{len(late)} đơn vị quá hạn tự chấm điểm ({today:%d/%m/%Y})"
    # The leaders decide on extensions; the secretary, who assembles the report, chases the
    # units (the dashboard's list, the deadlines page being the leaders').
    people = (
        User.objects.filter(
            is_active=True,
            membership__commune_id=assessment.commune_id,
            membership__role__in=(Membership.Role.LEADER, Membership.Role.SECRETARY),
        )
        .select_related("membership")
        .order_by("pk")
    )
    pages = {
        Membership.Role.LEADER: reverse("assessments:deadlines", args=[assessment.pk]),
        Membership.Role.SECRETARY: reverse("reports:dashboard", args=[assessment.pk]),
    }
    for person in people:
        notice = notify(
            user=person,
            kind=Notification.Kind.OVERDUE,
            title=title,
            key=f"late-units:assessment:{assessment.pk}:{today.isoformat()}",
            body=f"Kỳ {assessment}:\n" + "\n".join(lines),
            url=pages[person.membership.role],
        )
        if notice is not None:
            run.summaries += 1


def deadline_change_notify(
    *, assessment: Assessment, unit: Unit | None, deadline: dt.date | None, by: User
) -> None:
    """Tell the staff concerned that their deadline changed: a unit's own (its staff), or the
    assessment's (the staff of every unit without one of its own). Once per date."""
    own = unit_deadlines(assessment)
    staff = Membership.objects.filter(
        commune_id=assessment.commune_id, role=Membership.Role.STAFF, user__is_active=True
    ).select_related("user")
    if unit is not None:
        staff = staff.filter(unit=unit)
    when = f"{deadline:%d/%m/%Y}" if deadline is not None else "không đặt hạn"
    common = assessment.scoring_deadline
    if unit is None:
        title = f"Hạn tự chấm điểm kỳ {assessment.get_period_display().lower()} "
        title += f"{assessment.year}: {when}"
    elif deadline is not None and (common is None or deadline > common):
        title = f"{unit} được gia hạn tự chấm điểm đến {when}"
    else:  # an own deadline earlier than the common one is no extension
        title = f"Hạn tự chấm điểm riêng của {unit}: {when}"
    who = by.get_full_name() or by.get_username()
    for membership in staff:
        if unit is None and membership.unit_id in own:
            continue  # their unit keeps its own deadline
        notify(
            user=membership.user,
            kind=Notification.Kind.OTHER,
            title=title,
            key=f"deadline-set:assessment:{assessment.pk}:unit:{unit.pk if unit else '-'}:"
            f"{deadline.isoformat() if deadline else 'none'}",
            body=f"Người đặt hạn: {who}.",
            url=reverse("home"),
        )
