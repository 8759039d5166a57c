"""Reads of a person's own notices."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from notifications.models import Notification, NotificationSetting


def unread_count(user: User) -> int:
    """The bell's number: one COUNT query (on the `notification_unread` index)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_of(user: User) -> QuerySet[Notification]:
    """The person's notices, newest first; nobody else's."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def email_wanted(user: User) -> bool:
    """Whether the person gets notices by email too (on unless they turned it off)."""
    setting = NotificationSetting.objects.filter(user=user).values_list("email", flat=True).first()
    return True if setting is None else setting
