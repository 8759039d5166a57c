from typing import Any

from django.http import HttpRequest

from assessments.access import (
    can_read_audit,
    city_membership_of,
    is_admin,
    is_city_admin,
    membership_of,
)


def membership(request: HttpRequest) -> dict[str, Any]:
    """The current user's membership (commune, unit, role) and what the navigation bar may
    offer them, asked of the rule book once per page."""
    user = request.user
    membership = membership_of(user)
    # A person of a commune or an administrator is not of a city: no query asked for them.
    city = None if membership is not None or is_admin(user) else city_membership_of(user)
    return {
        "membership": membership,
        "city_membership": city,
        "access": {
            "is_admin": is_admin(user),
            "may_read_audit": can_read_audit(user),
            # The city's administrator manages the city's people ("Người dùng" in the nav).
            "is_city_admin": city is not None and is_city_admin(user, city.city_id),
        },
    }
