"""Who sent a request, as far as rate limits are concerned.

`gaze serve` lets uvicorn replace the peer address with the one in `X-Forwarded-For` only when
the peer is one of `GAZE_TRUSTED_PROXIES` (default: nobody), so `request.client` can be
believed; every limiter reads it here.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection

IPV6_PREFIX = 64
"""One IPv6 client usually holds a whole /64: its addresses count as one."""


def client_address(request: HTTPConnection) -> str:
    return request.client.host if request.client else "unknown"


def limiter_key(address: str) -> str:
    """The key a limiter counts `address` under: the address, or its /64 for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_PREFIX), strict=False))
    return str(parsed)


def trusted_proxies(value: str) -> list[str]:
    """The addresses and networks of `GAZE_TRUSTED_PROXIES`; ValueError naming a bad entry."""
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(
                f"GAZE_TRUSTED_PROXIES: {entry!r} is not an IP address or network (like 10.0.0.0/8)"
            ) from None
    return entries
