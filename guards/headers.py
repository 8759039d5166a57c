"""Responses that must not stay behind in a browser's or a proxy's cache.

Commune offices share computers: a page a leader saw, or a report PDF a secretary opened,
must not be readable from the disk cache (or the back button) by the next person at the
desk, nor kept by a proxy on the way. Every response to a signed-in user, and every file
sent by a view (evidence, issued documents, exports), is therefore `private, no-store`,
whatever the view set. Static files never reach this middleware: in production WhiteNoise
(or the front web server) sends them before it, in development runserver's static handler
does; the public verification page, seen by anonymous visitors, is a page like any other.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

PRIVATE = "private, no-store"


def is_file(response: HttpResponseBase) -> bool:
    """A download or a document opened in the browser (FileResponse, ZIP stream, PDF...)."""
    return response.streaming or response.has_header("Content-Disposition")


class PrivateCacheMiddleware:
    """Sets `Cache-Control: private, no-store`; after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or is_file(response):
            response["Cache-Control"] = PRIVATE
        return response
