"""Joined reads of the system administrator's pages."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from assessments.models import Commune, Membership


def communes_overview() -> QuerySet[Commune]:
    """Every commune with `unit_count` (its units, as its Quản trị xã lists them),
    `user_count` (its active accounts, as its Quản trị xã counts them) and `admins` (its
    administrators' memberships, with their users), ordered as the list shows them."""
    admins = Membership.objects.filter(is_commune_admin=True).select_related("user")
    return (
        Commune.objects.annotate(
            unit_count=Count("units", distinct=True),
            user_count=Count(
                "memberships", filter=Q(memberships__user__is_active=True), distinct=True
            ),
        )
        .prefetch_related(Prefetch("memberships", queryset=admins, to_attr="admins"))
        .select_related("city")
        .order_by("city__name", "kind", "name")
    )
