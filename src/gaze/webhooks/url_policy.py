"""Which webhook URLs GAZE will POST to: http(s) only, never link-local or cloud metadata
addresses, and loopback or private networks only when GAZE_WEBHOOK_ALLOW_PRIVATE is set.

The host is resolved and every address it resolves to is checked, at submission and again
before each delivery (a name may be re-pointed in between). A delivery then connects only to
the addresses its own check saw (see `gaze.webhooks.pinned_transport`): the name is never
resolved a second time, so a name that answers differently each time cannot slip past.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

MAX_URL_LENGTH = 2000

METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack...
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    }
)

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class WebhookUrlRejected(ValueError):
    """The URL is not one GAZE may call; the message says why."""


@dataclass(frozen=True)
class CheckedUrl:
    """A webhook URL that passed the policy, with the addresses that were checked: the only
    ones a delivery to it may connect to."""

    url: str
    addresses: tuple[str, ...]


def resolve_host(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookUrlRejected(f"webhook_url host {host!r} does not resolve: {error}") from None
    return sorted({str(answer[4][0]).split("%")[0] for answer in answers})


def address_problem(address: IpAddress, allow_private: bool) -> str | None:
    """Why GAZE must not POST to `address`, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_multicast or address.is_unspecified:
        return f"{address} is not a unicast address"
    if address.is_loopback:
        if allow_private:
            return None
        return f"{address} is a loopback address (set GAZE_WEBHOOK_ALLOW_PRIVATE=true to allow)"
    if address.is_reserved:
        return f"{address} is a reserved address"
    if not allow_private and (address.is_private or not address.is_global):
        return f"{address} is a private address (set GAZE_WEBHOOK_ALLOW_PRIVATE=true to allow)"
    return None


def check_webhook_url(
    url: str, *, allow_private: bool, resolve: Resolver = resolve_host
) -> CheckedUrl:
    """Raise WebhookUrlRejected unless GAZE may POST to `url`; resolves the host once and
    returns the checked addresses to connect to."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlRejected(f"webhook_url is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise WebhookUrlRejected(f"webhook_url is not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlRejected(
            f"webhook_url must be an http:// or https:// URL, got {parts.scheme or 'no'} scheme"
        )
    host = parts.hostname
    if not host:
        raise WebhookUrlRejected("webhook_url has no host")
    try:
        sent_to = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise WebhookUrlRejected(f"webhook_url is not a valid URL: {error}") from None
    if sent_to.host != host:
        raise WebhookUrlRejected(
            f"webhook_url is ambiguous: is its host {host!r} or {sent_to.host!r}?"
        )
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRejected("webhook_url must not contain credentials")
    if host.rstrip(".").lower() in METADATA_HOSTS:
        raise WebhookUrlRejected(f"webhook_url host {host!r} is a cloud metadata service")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        dns_name = sent_to.raw_host.decode("ascii")
        addresses = resolve(dns_name, port or (443 if parts.scheme == "https" else 80))
    if not addresses:
        raise WebhookUrlRejected(f"webhook_url host {host!r} does not resolve")
    for text in addresses:
        problem = address_problem(ipaddress.ip_address(text), allow_private)
        if problem:
            raise WebhookUrlRejected(f"webhook_url {host!r} is not allowed: {problem}")
    return CheckedUrl(url, tuple(addresses))
