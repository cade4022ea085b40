"""The Host header check that stops DNS rebinding.

A web page whose name re-resolves to 127.0.0.1 can reach a loopback GAZE as same-origin, but
its requests still carry that page's name in `Host`. GAZE answers only the names it is meant to
be reached by: loopback names and addresses when bound to loopback (or to every address), the
bound address itself, and the names in `GAZE_ALLOWED_HOSTS`. Anything else, or a request
without a readable Host, gets `400 host_not_allowed` before routing, on every route.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from gaze.asgi_replies import send_json_error
from gaze.settings import Settings

_NAME = re.compile(
    r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$"
)
_PORT = re.compile(r"^[0-9]{1,5}$")
_WILDCARD_BINDS = frozenset({"0.0.0.0", "::", ""})


class UnreadableHost(ValueError):
    pass


def host_name(value: str) -> str:
    """The host of a `Host` header value (``name[:port]``, ``[v6]:port``), normalised:
    lower case, no trailing dot, IPv6 without brackets. UnreadableHost for anything else
    (userinfo, paths, spaces, bad ports, empty)."""
    text = value.strip().lower()
    if text.startswith("["):
        address, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and _PORT.match(rest[1:]))):
            raise UnreadableHost(value)
        try:
            return str(ipaddress.IPv6Address(address))
        except ValueError:
            raise UnreadableHost(value) from None
    name, colon, port = text.partition(":")
    if colon and not _PORT.match(port):
        raise UnreadableHost(value)
    name = name.removesuffix(".")
    if not _NAME.match(name):
        raise UnreadableHost(value)
    return name


def _is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AllowedHosts:
    """The host names one server answers to."""

    loopback: bool
    exact: frozenset[str]
    suffixes: tuple[str, ...]

    @classmethod
    def for_settings(cls, settings: Settings) -> AllowedHosts:
        bound = settings.host.strip().strip("[]").lower().removesuffix(".")
        exact: set[str] = set()
        suffixes: list[str] = []
        for entry in (part.strip() for part in settings.allowed_hosts.split(",")):
            if not entry:
                continue
            try:
                if entry.startswith("*."):
                    suffixes.append("." + host_name(entry[2:]))
                else:
                    exact.add(host_name(f"[{entry}]" if entry.count(":") > 1 else entry))
            except UnreadableHost:
                raise UnreadableHost(
                    f"GAZE_ALLOWED_HOSTS: {entry!r} is not a host name, address or *.domain"
                ) from None
        if bound not in _WILDCARD_BINDS:
            exact.add(host_name(f"[{bound}]" if ":" in bound else bound))
        loopback = _is_loopback(bound) or bound in _WILDCARD_BINDS
        return cls(loopback=loopback, exact=frozenset(exact), suffixes=tuple(suffixes))

    def allows(self, header_value: str) -> bool:
        try:
            name = host_name(header_value)
        except UnreadableHost:
            return False
        if name in self.exact or name.endswith(self.suffixes):
            return True
        return self.loopback and _is_loopback(name)


class HostCheck:
    """ASGI middleware: refuses HTTP and websocket requests whose Host is not allowed."""

    def __init__(self, app: ASGIApp, allowed: AllowedHosts) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        hosts = [value for name, value in scope.get("headers") or [] if name == b"host"]
        if not hosts and scope.get("http_version") == "1.0":
            await self.app(scope, receive, send)
            return
        shown = hosts[0].decode("latin-1")[:100] if hosts else ""
        if len(hosts) == 1 and self.allowed.allows(hosts[0].decode("latin-1")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if not hosts:
            problem = "the request has no Host header"
        elif len(hosts) > 1:
            problem = "the request has more than one Host header"
        else:
            problem = f"this server does not answer to the host {shown!r}"
        await send_json_error(
            send,
            400,
            "host_not_allowed",
            f"{problem}; add the name the server is reached by to GAZE_ALLOWED_HOSTS",
        )
