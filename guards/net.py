"""Where a request comes from: the one answer rate limits, lockouts and the audit trail use.

Behind a reverse proxy REMOTE_ADDR is the proxy. Each trusted proxy appends the address it
received the request from to X-Forwarded-For, so with TRUSTED_PROXY_COUNT = n the client is
the n-th entry from the right; anything further left was written by the client and is not
believed. With fewer entries than proxies, every entry was written by one of ours (the request
came in through an inner proxy), so the leftmost is the client. With no proxy configured (the
default) the header is ignored. An entry that is not an address falls back to REMOTE_ADDR.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str:
    """The client's address as our own proxies saw it ("" if there is none at all)."""
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if not forwarded:
        return remote
    candidate = forwarded[-proxies] if len(forwarded) >= proxies else forwarded[0]
    return _valid(candidate) or remote


def client_network(request: HttpRequest) -> str:
    """The address to count requests by: an IPv4 address, or the /64 network of an IPv6 one
    (one subscriber usually has a whole /64)."""
    address = client_ip(request)
    if ":" in address:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return address
