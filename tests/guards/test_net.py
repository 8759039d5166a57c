"""guards.net.client_ip: the socket's peer, or the address our own proxies vouch for."""

import pytest
from django.test import RequestFactory

from guards.net import client_ip, client_network


def request(remote="198.51.100.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request(forwarded="10.0.0.1")) == "198.51.100.1"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the client wrote 6.6.6.6 itself
        (2, "6.6.6.6, 203.0.113.5, 10.0.0.3", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),  # came in through the inner proxy only
        (1, " 2001:db8::1 ", "2001:db8::1"),
        (1, "not-an-address", "198.51.100.1"),
        (1, "", "198.51.100.1"),
    ],
)
def test_behind_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request(forwarded=forwarded)) == expected


def test_behind_a_proxy_without_the_header(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request()) == "198.51.100.1"


def test_ipv6_clients_are_counted_by_their_64_network(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_network(request("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64"
    assert client_network(request("2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::/64"
    assert client_network(request("203.0.113.7")) == "203.0.113.7"


def test_no_usable_address_at_all(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request(remote="", forwarded="garbage")) == ""
