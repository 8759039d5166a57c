"""The reminders as a Celery task on beat's schedule (README "Task workers"); the command
`manage.py send_reminders` (test_reminders.py) does the same work."""

from __future__ import annotations

import datetime as dt

from celery.schedules import crontab
from django.conf import settings
from django.core import mail

from assessments.models import Assessment
from assessments.tasks import send_reminders
from chinhquyen.celery import app
from notifications.models import Notification

DEADLINE = dt.date(2026, 12, 10)


def test_beat_sends_the_reminders_every_morning():
    entry = settings.CELERY_BEAT_SCHEDULE["send-reminders"]

    assert entry["task"] == "assessments.send_reminders"
    assert entry["task"] in app.tasks  # found by autodiscovery
    assert entry["schedule"] == crontab(hour=7, minute=0)
    assert settings.CELERY_TIMEZONE == "Asia/Ho_Chi_Minh"


def test_the_task_reminds_once(demo, own_staff, django_capture_on_commit_callbacks):
    Assessment.objects.filter(pk=demo.assessment.pk).update(scoring_deadline=DEADLINE)
    day = (DEADLINE - dt.timedelta(days=3)).isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        summary = send_reminders.delay(today=day).get()
    first = Notification.objects.count()
    emails = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        again = send_reminders.delay(today=day).get()

    assert summary.startswith("07/12/2026: ") and ", 4 soon, " in summary
    assert Notification.objects.filter(user=own_staff, kind="deadline_soon").count() == 1
    assert ", 0 soon, 0 overdue, 0 summaries" in again  # the second run sends nothing twice
    assert Notification.objects.count() == first
    assert len(mail.outbox) == emails
