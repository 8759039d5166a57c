"""Session lifetime and the second factor, checked on every request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.roles import two_factor_required
from accounts.services import HAS_DEVICE, LAST_SEEN, LOGIN_AT, TRACKED_KEY, session_track

# The last-seen time is written at most this often: a session is saved about once a minute
# while it is used, not on every request.
TOUCH_EVERY = 60


def _to(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows with a full page load instead of swapping it in."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class SessionTimeoutMiddleware:
    """Ends a session after SESSION_IDLE_MINUTES without a request, or SESSION_MAX_HOURS after
    the login. The cookie lasts SESSION_IDLE_MINUTES (SESSION_COOKIE_AGE) from the last save,
    so an idle browser forgets it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            now = time.time()
            last, started = session.get(LAST_SEEN), session.get(LOGIN_AT)
            if last is None or started is None:  # a session from before these rules
                session[LOGIN_AT] = started or now
                session[LAST_SEEN] = now
            elif now - last > settings.SESSION_IDLE_MINUTES * 60:
                return self._end(
                    request,
                    f"Phiên làm việc đã kết thúc sau {settings.SESSION_IDLE_MINUTES} phút "
                    "không thao tác. Hãy đăng nhập lại.",
                )
            elif now - started > settings.SESSION_MAX_HOURS * 3600:
                return self._end(
                    request,
                    f"Phiên làm việc đã kéo dài quá {settings.SESSION_MAX_HOURS} giờ. "
                    "Hãy đăng nhập lại.",
                )
            elif now - last >= TOUCH_EVERY:
                session[LAST_SEEN] = now
        response = self.get_response(request)
        if (
            SESSION_KEY in session
            and session.session_key
            and session.get(TRACKED_KEY) != session.session_key
            and request.user.is_authenticated
        ):
            session_track(user=request.user, request=request)
        return response

    @staticmethod
    def _end(request: HttpRequest, message: str) -> HttpResponse:
        path = request.get_full_path() if request.method == "GET" else None
        logout(request)
        messages.warning(request, message)
        login = redirect_to_login(path)["Location"] if path else reverse(settings.LOGIN_URL)
        return _to(request, login)


def second_factor_step(request: HttpRequest) -> str | None:
    """ "verify" when the user must give a code now, "enrol" when they must first set up an
    app, None when they may go on."""
    user = request.user
    # is_verified() is added by django-otp's OTPMiddleware.
    if not user.is_authenticated or user.is_verified():  # type: ignore[attr-defined]
        return None
    if request.session.get(HAS_DEVICE):
        return "verify"
    if settings.OTP_ENFORCE and two_factor_required(user):
        return "verify" if django_otp.user_has_device(user) else "enrol"
    return None


class SecondFactorMiddleware:
    """A logged-in user who owes a second factor reaches only these views (the admin included):
    the rest send them to the code or to the enrolment page, then back."""

    REACHABLE = {
        "login",  # to log in as someone else
        "logout",
        "admin:logout",
        "accounts:verify",
        "accounts:enrol",
        "accounts:qr",
        "health",  # the load balancer's check (chinhquyen/health.py), whoever asks
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if (
            request.resolver_match is not None
            and request.resolver_match.view_name in self.REACHABLE
        ):
            return None
        step = second_factor_step(request)
        if step is None:
            return None
        url = reverse("accounts:verify" if step == "verify" else "accounts:enrol")
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return _to(request, url)
