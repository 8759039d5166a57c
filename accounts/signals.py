"""Session bookkeeping at login and logout.

Logins happen in Django's own views (the portal's and the admin's) and in tests; the
`user_logged_in` signal is the one place they all pass, so it calls the named service."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts.services import session_forget, session_start


@receiver(user_logged_in, dispatch_uid="accounts_session_start")
def _logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_start(user=user, request=request)


@receiver(user_logged_out, dispatch_uid="accounts_session_forget")
def _logged_out(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_forget(session_key=request.session.session_key)
