"""Scheduled work of the assessments app, run by `make beat` and `make worker`."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from assessments.notices import reminders_send


@shared_task(name="assessments.send_reminders")
def send_reminders(today: str | None = None) -> str:
    """The daily reminders about self-scoring deadlines (as `manage.py send_reminders`);
    `today` (ISO date) pretends another day, for trials.

    Idempotent: every notice has a key, so a second run the same day sends nothing twice."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    run = reminders_send(today=day)
    return (
        f"{day:%d/%m/%Y}: {len(run.assessments)} open, {run.soon} soon, {run.overdue} overdue, "
        f"{run.summaries} summaries"
    )
