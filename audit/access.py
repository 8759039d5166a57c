"""Who may read the audit trail, and which part of it."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from assessments.access import membership_of


def readable_scope(user: User | AnonymousUser) -> Q | None:
    """The entries `user` may read, as a filter; None when they may read none.

    Administrators read everything. A commune's leaders read their commune's entries: what
    its people did (logins included) and what anyone did to its data. Unit staff and the
    secretary do not: the trail is for oversight, by the commune's leaders or the city.
    City roles (issue 14) are to read every commune's entries: return Q() for them here."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Q()
    membership = membership_of(user)
    if membership is not None and membership.is_leader:
        return Q(commune_id=membership.commune_id)
    return None


def can_read(user: User | AnonymousUser) -> bool:
    return readable_scope(user) is not None


def require_scope(user: User | AnonymousUser) -> Q:
    scope = readable_scope(user)
    if scope is None:
        raise PermissionDenied("Chỉ lãnh đạo UBND xã và quản trị viên được xem nhật ký hoạt động.")
    return scope


def reads_every_commune(user: User | AnonymousUser) -> bool:
    """May choose the commune (administrators; later the city's roles)."""
    return readable_scope(user) == Q()
