"""`manage.py send_reminders` (issue 12): 3 days and 1 day before a unit's deadline, and once
overdue, for units that still owe sub-criteria; a daily summary of late units for leaders;
idempotent (a second run records and emails nothing)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from assessments.models import Assessment, Score
from assessments.services import unit_deadline_set
from notifications.models import Notification, NotificationSetting

DEADLINE = dt.date(2026, 12, 10)


@pytest.fixture
def with_deadline(demo, own_staff, other_staff, leader):
    Assessment.objects.filter(pk=demo.assessment.pk).update(scoring_deadline=DEADLINE)
    for person, address in ((own_staff, "mai@example.vn"), (leader, "tuoi@example.vn")):
        person.email = address
        person.save(update_fields=["email"])
    return demo


def run(today: dt.date, capture) -> str:
    out = StringIO()
    with capture(execute=True):
        call_command("send_reminders", "--today", today.isoformat(), stdout=out)
    return out.getvalue()


def kinds(user) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(user=user).values_list("kind", "key"))


def test_nothing_before_three_days(with_deadline, own_staff, django_capture_on_commit_callbacks):
    run(DEADLINE - dt.timedelta(days=4), django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 0 and mail.outbox == []


def test_three_days_one_day_and_overdue_each_once(
    with_deadline, own_staff, other_staff, leader, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    output = run(DEADLINE - dt.timedelta(days=3), capture)
    (soon,) = Notification.objects.filter(user=own_staff)
    assert soon.kind == "deadline_soon"
    assert soon.title == "Còn 3 ngày đến hạn tự chấm điểm (10/12/2026)"
    assert "tiêu chí thành phần chưa gửi lãnh đạo" in soon.body
    assert Notification.objects.filter(user=other_staff, kind="deadline_soon").count() == 1
    assert Notification.objects.filter(user=leader).count() == 0  # nobody late yet
    assert "sắp đến hạn" in output
    assert [m.subject for m in mail.outbox] == [
        "[Chính quyền thân thiện] Còn 3 ngày đến hạn tự chấm điểm (10/12/2026)"
    ]

    # The same day again, and the next day (still "3 days" window): nothing new.
    before = (Notification.objects.count(), len(mail.outbox))
    run(DEADLINE - dt.timedelta(days=3), capture)
    run(DEADLINE - dt.timedelta(days=2), capture)
    assert (Notification.objects.count(), len(mail.outbox)) == before

    run(DEADLINE - dt.timedelta(days=1), capture)
    titles = [n.title for n in Notification.objects.filter(user=own_staff)]
    assert "Còn 1 ngày đến hạn tự chấm điểm (10/12/2026)" in titles

    run(DEADLINE + dt.timedelta(days=1), capture)
    overdue = Notification.objects.get(user=own_staff, kind="overdue")
    assert overdue.title.startswith("Quá hạn tự chấm điểm: còn ")
    assert overdue.title.endswith(" tiêu chí chưa gửi")
    summary = Notification.objects.get(user=leader)
    assert "đơn vị quá hạn tự chấm điểm" in summary.title
    assert "Phòng Văn hóa - Xã hội" in summary.body
    assert summary.url == reverse("assessments:deadlines", args=[with_deadline.assessment.pk])
    # The secretary, who assembles the report and chases the units, gets it too, linked to
    # the dashboard (the deadlines page is the leaders').
    chasing = Notification.objects.get(user__username="vanthu")
    assert chasing.title == summary.title
    assert chasing.url == reverse("reports:dashboard", args=[with_deadline.assessment.pk])

    # Running it twice sends nothing twice: neither notices nor emails.
    before = (Notification.objects.count(), len(mail.outbox))
    run(DEADLINE + dt.timedelta(days=1), capture)
    assert (Notification.objects.count(), len(mail.outbox)) == before
    # The leaders' summary is once a day: the next day brings a new one, staff get nothing new.
    run(DEADLINE + dt.timedelta(days=2), capture)
    assert Notification.objects.filter(user=leader).count() == 2
    assert Notification.objects.filter(user=own_staff, kind="overdue").count() == 1


def test_an_extension_gets_its_own_reminders(
    with_deadline, own_staff, leader, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    run(DEADLINE + dt.timedelta(days=1), capture)
    assert Notification.objects.filter(user=own_staff, kind="overdue").count() == 1
    extended = DEADLINE + dt.timedelta(days=7)
    with capture(execute=True):
        unit_deadline_set(
            assessment=with_deadline.assessment,
            unit=own_staff.membership.unit,
            deadline=extended,
            reason="Cán bộ đi tập huấn.",
            by=leader,
        )
    told = Notification.objects.get(user=own_staff, kind="other")
    assert told.title == f"Phòng Văn hóa - Xã hội được gia hạn tự chấm điểm đến {extended:%d/%m/%Y}"
    run(extended - dt.timedelta(days=3), capture)
    soon = Notification.objects.get(user=own_staff, kind="deadline_soon")
    assert f"({extended:%d/%m/%Y})" in soon.title
    run(extended - dt.timedelta(days=3), capture)
    assert Notification.objects.filter(user=own_staff, kind="deadline_soon").count() == 1


def test_a_unit_that_sent_everything_is_not_reminded(
    with_deadline, own_staff, django_capture_on_commit_callbacks
):
    Score.objects.filter(assessment=with_deadline.assessment).update(status=Score.Status.SUBMITTED)
    run(DEADLINE - dt.timedelta(days=1), django_capture_on_commit_callbacks)
    run(DEADLINE + dt.timedelta(days=1), django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 0


def test_email_off_still_reminds_in_the_portal(
    with_deadline, own_staff, django_capture_on_commit_callbacks
):
    NotificationSetting.objects.create(user=own_staff, email=False)
    run(DEADLINE - dt.timedelta(days=1), django_capture_on_commit_callbacks)
    assert Notification.objects.filter(user=own_staff).count() == 1
    assert all(m.to != [own_staff.email] for m in mail.outbox)


def test_locked_assessments_are_left_alone(with_deadline, django_capture_on_commit_callbacks):
    Assessment.objects.filter(pk=with_deadline.assessment.pk).update(
        status=Assessment.Status.LOCKED
    )
    run(DEADLINE + dt.timedelta(days=1), django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(
        key__contains=f":{with_deadline.assessment.pk}:"
    ).exists()


def test_a_bad_date_is_refused():
    with pytest.raises(CommandError, match="Ngày không hợp lệ"):
        call_command("send_reminders", "--today", "hôm qua")
