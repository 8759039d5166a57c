"""Session bookkeeping at login and logout.

Logins happen in Django's own views (the portal's and the admin's) and in tests; the
`user_logged_in` signal is the one place they all pass, so it calls the named service."""

from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.services import session_forget, session_start


@receiver(user_logged_in, dispatch_uid="accounts_session_start")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_start(user=user, request=request)


@receiver(user_logged_out, dispatch_uid="accounts_session_forget")
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_forget(session_key=request.session.session_key)
