"""The client's network address, as far as it can be trusted."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The address of whoever sent `request`, normalised; "" when it is not an address.

    Behind TRUSTED_PROXY_COUNT reverse proxies each proxy appends the address it received
    from to X-Forwarded-For, so the entry that many places from the right is the outermost
    one a client cannot have written. With 0 (the default) the header is ignored, since
    anyone can send it."""
    address = request.META.get("REMOTE_ADDR", "")
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= count:
            address = hops[-count]
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return ""
