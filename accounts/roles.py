"""Which roles a user has, as plain keys, and whether those roles need the second factor.

Roles are keys ("leader", "secretary", ...) so that rules are data: a role added later (the
city's appraisers and council) gets the safe default, required, until an administrator says
otherwise in the admin.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from assessments.access import city_membership_of, membership_of
from assessments.models import CityMembership, Membership

ADMIN = "admin"


def known_roles() -> dict[str, str]:
    return {
        ADMIN: "Quản trị viên",
        **{key: str(label) for key, label in Membership.Role.choices},
        **{key: str(label) for key, label in CityMembership.Role.choices},
    }


def role_name(key: str) -> str:
    return known_roles().get(key, key)


def role_keys(user: User) -> set[str]:
    """Everyone who can enter the admin counts as an administrator."""
    keys = set()
    if user.is_superuser or user.is_staff:
        keys.add(ADMIN)
    membership = membership_of(user)
    if membership is not None:
        keys.add(membership.role)
    city_membership = city_membership_of(user)
    if city_membership is not None:
        keys.add(city_membership.role)
    return keys


def two_factor_required(user: User) -> bool:
    # Import cycle: accounts.models takes role_name from this module.
    from accounts.models import TwoFactorRule  # noqa: PLC0415

    keys = role_keys(user)
    if not keys:
        return False
    rules = dict(
        TwoFactorRule.objects.filter(role_key__in=keys).values_list("role_key", "required")
    )
    return any(rules.get(key, True) for key in keys)
