"""The client's address, read in one place that knows how many reverse proxies we trust.

With TRUSTED_PROXY_COUNT = 0 (no proxy) the address is the socket's peer (REMOTE_ADDR) and
any X-Forwarded-For header is ignored: a client could write anything there. Behind N
proxies that each append the address they saw, the client is the N-th entry from the right;
entries further left were written by the client and are not believed.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if not forwarded:
        return remote
    # Fewer entries than proxies: every entry was written by one of ours.
    candidate = forwarded[-proxies] if len(forwarded) >= proxies else forwarded[0]
    return _valid(candidate) or remote
