"""An httpx transport that connects only to the addresses a webhook URL was checked against.

The request keeps its URL, so the Host header, the TLS server name (SNI) and certificate
verification all use the URL's host name; only the TCP connection goes to a pinned address
instead of a fresh DNS answer. Anything else (another host or port, a Unix socket) is
refused without connecting.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import httpcore
import httpx

from gaze.webhooks.url_policy import CheckedUrl

DEFAULT_PORTS = {"http": 80, "https": 443}
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class PinnedBackend(httpcore.NetworkBackend):
    """Opens TCP connections for one host and port, to its checked addresses only."""

    def __init__(
        self,
        host: str,
        port: int,
        addresses: Iterable[str],
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.addresses = tuple(addresses)
        if not self.addresses:
            raise ValueError("a pinned connection needs at least one address")
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        if (host, port) != (self.host, self.port):
            raise httpcore.ConnectError(
                f"refused to connect to {host}:{port}: only {self.host}:{self.port} was checked"
            )
        last_error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in self.addresses:
            try:
                return self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks never connect to Unix sockets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def pinned_backend(checked: CheckedUrl) -> PinnedBackend:
    """The backend for `checked.url`, keyed by the host and port as httpx will ask for them."""
    url = httpx.URL(checked.url)
    port = url.port or DEFAULT_PORTS[url.scheme]
    return PinnedBackend(url.raw_host.decode("ascii"), port, checked.addresses)


class PinnedTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connection pool given a PinnedBackend.

    httpx has no argument for a network backend, so the pool it built is replaced by an
    equivalent one (no proxies: webhooks never go through the environment's proxies).
    """

    def __init__(self, checked: CheckedUrl, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=1,
            max_keepalive_connections=0,
            network_backend=pinned_backend(checked),
        )


def pinned_client(
    checked: CheckedUrl,
    *,
    ssl_context: ssl.SSLContext,
    timeout: float,
    headers: dict[str, str],
) -> httpx.Client:
    """A client for one delivery attempt: no redirects, no proxies, pinned addresses."""
    return httpx.Client(
        transport=PinnedTransport(checked, ssl_context),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers=headers,
    )
