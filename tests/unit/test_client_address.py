"""The client address the login throttle counts: the peer's, or, behind proxies of our own,
the one the outermost saw; an IPv6 address by its /64."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from crm_app.api.client_address import client_address
from crm_app.core.config import load_settings


def _request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 50000), "headers": headers})


def test_without_trusted_proxies_the_header_is_anyones_to_write_and_ignored():
    assert client_address(_request("203.0.113.7", "198.51.100.1"), 0) == "203.0.113.7"


@pytest.mark.parametrize(
    "hops, forwarded, expected",
    [
        # nginx appends the address it received from: the last entry.
        (1, ["198.51.100.1"], "198.51.100.1"),
        # What the client wrote before it is ignored: a forged entry buys no new allowance.
        (1, ["192.0.2.99, 198.51.100.1"], "198.51.100.1"),
        # A CDN, then nginx: the CDN's entry (the client) is the second from the end.
        (2, ["192.0.2.99, 198.51.100.1, 203.0.113.50"], "198.51.100.1"),
        # The header repeated: one list, in order.
        (2, ["192.0.2.99, 198.51.100.1", "203.0.113.50"], "198.51.100.1"),
        # Fewer entries than proxies: the nearest proxy's own entry.
        (2, ["198.51.100.1"], "198.51.100.1"),
        # Written with its port, as some proxies do: the address alone (a count per port
        # is one per connection).
        (1, ["198.51.100.1:50432"], "198.51.100.1"),
        (1, ["[2001:db8:1:2::9]:443"], "2001:db8:1:2::/64"),
        # Not an address at all: the peer's, not a count per spelling.
        (1, ["unknown"], "10.0.0.2"),
    ],
)
def test_behind_proxies_the_entry_the_outermost_appended_counts(hops, forwarded, expected):
    assert client_address(_request("10.0.0.2", *forwarded), hops) == expected


def test_behind_a_proxy_a_request_without_the_header_counts_as_its_peer():
    assert client_address(_request("10.0.0.2"), 1) == "10.0.0.2"


def test_ipv6_addresses_count_by_their_slash_64_and_mapped_ipv4_as_ipv4():
    one = client_address(_request("2001:db8:1:2::1"), 0)
    other = client_address(_request("2001:db8:1:2:ffff:ffff:ffff:ffff"), 0)
    assert one == other == "2001:db8:1:2::/64"
    assert client_address(_request("2001:db8:1:3::1"), 0) != one
    assert client_address(_request("::ffff:198.51.100.1"), 0) == "198.51.100.1"
    assert client_address(_request("10.0.0.2", "2001:db8:1:2::9"), 1) == one


def test_the_setting_is_bounded_and_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "2")
    assert load_settings(jwt_secret="j" * 48, encryption_key="a" * 64).trusted_proxy_hops == 2
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "-1")
    with pytest.raises(Exception, match="TRUSTED_PROXY_HOPS"):
        load_settings(jwt_secret="j" * 48, encryption_key="a" * 64)
