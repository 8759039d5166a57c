"""The client address: REMOTE_ADDR, or the address the outermost trusted proxy saw."""

import pytest
from django.test import RequestFactory

from guards.net import client_ip


def request(remote="192.0.2.10", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request(forwarded="203.0.113.5")) == "192.0.2.10"


@pytest.mark.parametrize(
    "count, forwarded, expected",
    [
        (1, "203.0.113.5", "203.0.113.5"),
        # A client may send its own header; each proxy appends, so count from the right.
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        (2, "6.6.6.6, 203.0.113.5, 10.0.0.3", "203.0.113.5"),
        # Fewer hops than proxies: the request did not come through them all.
        (2, "203.0.113.5", "192.0.2.10"),
        (1, "", "192.0.2.10"),
        (1, "2001:DB8::1", "2001:db8::1"),
        (1, "not-an-address", ""),
        (1, "203.0.113.5:4711", ""),
    ],
)
def test_behind_trusted_proxies(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(request(forwarded=forwarded)) == expected


def test_no_address_at_all(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request(remote="")) == ""
