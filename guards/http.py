"""Types for what crosses the boundary of a view (healthchecks' `AuthenticatedHttpRequest`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind `login_required`: its user is a signed-in account.

    Only for annotations; Django builds the request, never this class."""

    user: User
