from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from assessments.access import can_read_audit, is_admin, membership_of
from assessments.periods import switcher_for


def membership(request: HttpRequest) -> dict[str, Any]:
    """The current user's membership (commune, unit, role) and what the navigation bar may
    offer them, asked of the rule book once per page."""
    user = request.user
    return {
        "membership": membership_of(user),
        "access": {"is_admin": is_admin(user), "may_read_audit": can_read_audit(user)},
    }


def periods(request: HttpRequest) -> dict[str, Any]:
    """The period switcher of the navigation bar (assessments.periods), read only when a
    template shows it: pages for anonymous people cost no query."""
    return {"period_switcher": SimpleLazyObject(lambda: switcher_for(request))}
