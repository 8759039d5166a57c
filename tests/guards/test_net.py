"""The client's address: REMOTE_ADDR, or X-Forwarded-For only as far as our proxies wrote it."""

import pytest
from django.test import RequestFactory

from guards.net import client_ip, client_network


def request(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_proxy_the_header_is_not_believed(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request("203.0.113.7", forwarded="198.51.100.1")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "198.51.100.1", "198.51.100.1"),
        # The client may send its own X-Forwarded-For; our proxy appends the real address.
        (1, "1.1.1.1, 198.51.100.1", "198.51.100.1"),
        (2, "1.1.1.1, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (1, "", "10.0.0.1"),  # no header: the proxy itself
        (2, "198.51.100.1", "10.0.0.1"),  # fewer entries than proxies: not believed
        (1, "not-an-address", ""),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_proxies_the_client_is_counted_from_the_right(
    settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies

    assert client_ip(request(forwarded=forwarded)) == expected


def test_ipv6_clients_are_counted_by_their_64_network(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_network(request("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64"
    assert client_network(request("2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::/64"
    assert client_network(request("203.0.113.7")) == "203.0.113.7"
