"""The city's people as the city's administrator sees them (appraisal/views/people.py)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from assessments.models import City, CityMembership


def city_people(city: City) -> QuerySet[CityMembership]:
    """The city's people, active first, by role and name, each with `has_app` (an
    authenticator app set up): one query."""
    return (
        CityMembership.objects.filter(city=city)
        .select_related("user")
        .annotate(
            has_app=Exists(TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True))
        )
        .order_by("-user__is_active", "role", "user__last_name", "user__username")
    )


def city_person_of(city: City, user_pk: int) -> CityMembership | None:
    """The city's person of that account (None for anyone else: another city's people, a
    commune's)."""
    return (
        CityMembership.objects.select_related("user", "city")
        .filter(city=city, user_id=user_pk)
        .first()
    )
