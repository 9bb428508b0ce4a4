"""The address a request came from, as the login throttle counts it.

Behind a reverse proxy (the TLS one the README asks for) every request's
peer is the proxy: counted under its address, 20 failed log-ins for made-up
emails by anyone refused every sign-up, and every log-in from a browser
without a device cookie, site-wide. TRUSTED_PROXY_HOPS says how many proxies
of our own stand in front; each appends the address it received from to
X-Forwarded-For, so the entry that many from the end is the one the
outermost saw. Entries before it are the client's to write, never read.

IPv6 addresses count by their /64: one subscriber gets a whole /64 (or
more), and counted per address it had 2**64 allowances.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from crm_app.core.config import get_settings

# The network one IPv6 subscriber is given at the least (RFC 6177).
IPV6_SUBSCRIBER_PREFIX = 64


def client_address(request: Request, trusted_proxy_hops: int | None = None) -> str:
    """The client's address (an IPv6 one as its /64); `trusted_proxy_hops` defaults to the
    TRUSTED_PROXY_HOPS setting."""
    hops = get_settings().trusted_proxy_hops if trusted_proxy_hops is None else trusted_proxy_hops
    address = request.client.host if request.client else "-"
    if hops > 0:
        forwarded = [
            entry.strip()
            for header in request.headers.getlist("x-forwarded-for")
            for entry in header.split(",")
            if entry.strip()
        ]
        if forwarded:
            # Fewer entries than proxies: the nearest proxy's entry is still its own.
            entry = _without_port(forwarded[-min(hops, len(forwarded))])
            # Not an address (a proxy writing "unknown"): the peer, not a key per spelling.
            address = entry if _is_address(entry) else address
    return _counted_as(address)


def _without_port(entry: str) -> str:
    """An address as some proxies write it with its port ("203.0.113.7:50432",
    "[2001:db8::1]:443"), without the port: a count per port is a count per connection."""
    if entry.startswith("["):
        return entry[1:].partition("]")[0]
    if entry.count(":") == 1:
        return entry.partition(":")[0]
    return entry


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _counted_as(address: str) -> str:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an address (a test client's "testclient"): as it is
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_SUBSCRIBER_PREFIX}", strict=False))
    return str(parsed)
