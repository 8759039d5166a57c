"""Telling people things: once per key, in the portal and (unless turned off) by email."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.models import Notification, NotificationSetting

log = logging.getLogger(__name__)


def wants_email(user: User) -> bool:
    if not user.email or not user.is_active:
        return False
    setting = NotificationSetting.objects.filter(user=user).first()
    return setting is None or setting.email


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    key: str,
    body: str = "",
    url: str = "",
) -> Notification | None:
    """Record the notice for `user` unless one with the same `key` exists (then None), and
    send it by email after the surrounding transaction commits. Safe to call twice."""
    if Notification.objects.filter(user=user, key=key).exists():
        return None
    try:
        with transaction.atomic():
            notice = Notification.objects.create(
                user=user, kind=kind, title=title[:300], body=body, url=url[:500], key=key[:200]
            )
    except IntegrityError:  # the same notice, recorded meanwhile by a parallel caller
        return None
    if wants_email(user):
        transaction.on_commit(lambda: notification_email(notice=notice))
    return notice


def notification_email(*, notice: Notification) -> None:
    """Email one notice (Vietnamese text, the portal's address to open); a failing mail server
    is logged, never raised: the notice stays in the portal."""
    link = f"{settings.PORTAL_BASE_URL.rstrip('/')}{notice.url}" if notice.url else ""
    lines = [f"Kính gửi {notice.user.get_full_name() or notice.user.get_username()},", ""]
    lines.append(notice.title)
    if notice.body:
        lines += ["", notice.body]
    if link:
        lines += ["", f"Xem trên Cổng Chính quyền thân thiện: {link}"]
    lines += [
        "",
        "Thư này được gửi tự động. Có thể tắt thư thông báo trong mục “Thông báo” của cổng.",
    ]
    try:
        send_mail(
            subject=f"[Chính quyền thân thiện] {notice.title}"[:200],
            message="\n".join(lines),
            from_email=None,
            recipient_list=[notice.user.email],
        )
    except Exception:  # noqa: BLE001 – a mail server's failure must not break the portal
        log.exception("Email notification %s to %s failed", notice.pk, notice.user.pk)
        return
    Notification.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())


# -- The person's own notices (the bell and the list) ------------------------------------------


def notification_read(*, notice: Notification) -> Notification:
    """Mark one notice read (once: the first reading's time is kept)."""
    if notice.read_at is None:
        notice.read_at = timezone.now()
        Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(
            read_at=notice.read_at
        )
    return notice


def notifications_read_all(*, user: User) -> int:
    """Mark every unread notice of `user` read; how many were."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notification_setting_set(*, user: User, email: bool) -> NotificationSetting:
    """The person's choice: notices by email too, or in the portal only."""
    setting, _created = NotificationSetting.objects.update_or_create(
        user=user, defaults={"email": email}
    )
    return setting


def notifications_settle(*, key: str) -> int:
    """Mark read, for everyone, the notices with `key`: what they asked for is done (a report
    awaiting a signature was signed). Returns how many were still unread."""
    return Notification.objects.filter(key=key, read_at__isnull=True).update(read_at=timezone.now())
