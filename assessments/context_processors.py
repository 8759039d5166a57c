from typing import Any

from django.http import HttpRequest

from assessments.access import can_read_audit, is_admin, membership_of


def membership(request: HttpRequest) -> dict[str, Any]:
    """The current user's membership (commune, unit, role) and what the navigation bar may
    offer them, asked of the rule book once per page."""
    user = request.user
    return {
        "membership": membership_of(user),
        "access": {"is_admin": is_admin(user), "may_read_audit": can_read_audit(user)},
    }
