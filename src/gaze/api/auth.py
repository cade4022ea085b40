"""API key authentication and scopes for every /api/v1 route.

The key comes in the header `X-API-Key` or as `?api_key=`. Each route declares the scope it
needs with one of `READ`, `GENERATE`, `LIBRARY` or `ADMIN` (a test walks the route table to
keep it so): a key without it gets `403 scope_required`. The route then finds the caller with
`principal_of(request)` or takes it as a parameter (`ReadKey`, `GenerateKey` ...).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery
from starlette.concurrency import run_in_threadpool

from gaze.api.errors import ApiError
from gaze.route_deps import runtime_of
from gaze.security import principal as scopes
from gaze.security.caller import set_caller
from gaze.security.client_address import client_address
from gaze.security.failed_keys import FailedKeyLimiter
from gaze.security.key_registry import MISS_REFRESH_SECONDS
from gaze.security.principal import Principal
from gaze.security.rate_limits import RateLimiter, rate_limiter_for

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="REST API key")
API_KEY_QUERY = APIKeyQuery(name="api_key", auto_error=False, description="REST API key")


def failed_keys_of(request: Request) -> FailedKeyLimiter:
    """The limiter of wrong API keys per client address."""
    limiter: FailedKeyLimiter = request.app.state.failed_keys
    return limiter


def presented_key(request: Request) -> str | None:
    """The key of a request, read straight from its headers or query (no dependency)."""
    return (
        request.headers.get(API_KEY_HEADER.model.name)
        or request.query_params.get(API_KEY_QUERY.model.name)
        or None
    )


async def authenticate(request: Request, key: str | None) -> Principal:
    """The caller of a key: 401 without one, 403 for a wrong one, 429 after too many."""
    if key is None:
        raise ApiError(401, "missing_api_key", "Missing API key: send the X-API-Key header.")
    registry = runtime_of(request).keys
    if registry.needs_refresh():
        await run_in_threadpool(registry.refresh, interval=registry.refresh_seconds)
    principal = registry.lookup(key)
    if principal is None and registry.may_refresh_on_miss():
        await run_in_threadpool(registry.refresh, interval=MISS_REFRESH_SECONDS)
        principal = registry.lookup(key)
    if principal is not None:
        request.state.principal = principal
        return principal
    limiter = failed_keys_of(request)
    address = client_address(request)
    wait = limiter.retry_after(address)
    if wait is not None:
        raise ApiError(
            429,
            "too_many_failed_keys",
            f"Too many wrong API keys from {address}; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    limiter.record_failure(address)
    raise ApiError(403, "invalid_api_key", "Invalid API key.")


def scope_refused(principal: Principal, scope: str) -> ApiError:
    return ApiError(
        403,
        "scope_required",
        f"The API key '{principal.name}' lacks the '{scope}' scope this request needs.",
    )


async def caller_with_scope(request: Request, key: str | None, scope: str) -> Principal:
    """The caller of `key` when it has `scope` (a dictionary lookup while the keys are fresh)."""
    registry = runtime_of(request).keys
    principal = None
    if key is not None and not registry.needs_refresh():
        principal = registry.lookup(key)
        if principal is not None:
            request.state.principal = principal
    if principal is None:
        principal = await authenticate(request, key)
    if principal.rate_per_minute is not None:
        await check_request_rate(request, principal, principal.rate_per_minute)
    if not principal.allows(scope):
        raise scope_refused(principal, scope)
    set_caller(principal)
    return principal


_LIMITER_LOCK = threading.Lock()


def rate_limiter_of(request: Request) -> RateLimiter:
    """The app's limiter of requests per minute, made on first use."""
    state = request.app.state
    with _LIMITER_LOCK:
        limiter: RateLimiter | None = getattr(state, "request_rates", None)
        if limiter is None:
            limiter = state.request_rates = rate_limiter_for(
                runtime_of(request).settings.resolved_queue_url
            )
    return limiter


async def check_request_rate(request: Request, principal: Principal, limit: int) -> None:
    """Count the request against the key's requests per minute (once per request); 429
    `rate_limited` with Retry-After when it is over."""
    if getattr(request.state, "rate_counted", False) or principal.key_id is None:
        return
    request.state.rate_counted = True
    limiter = rate_limiter_of(request)
    if limiter.shared:
        wait = await run_in_threadpool(limiter.admit, principal.key_id, limit)
    else:
        wait = limiter.admit(principal.key_id, limit)
    if wait is not None:
        raise ApiError(
            429,
            "rate_limited",
            f"The API key '{principal.name}' may make at most {limit} requests per minute; "
            f"try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )


EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])


def scope_checked_inline(scope: str) -> Callable[[EndpointT], EndpointT]:
    """Marks a hot route that checks its caller itself with `caller_with_scope` (no
    dependency resolution), so the route table still tells the scope it needs."""

    def mark(endpoint: EndpointT) -> EndpointT:
        endpoint.required_scope = scope  # type: ignore[attr-defined]
        return endpoint

    return mark


class ScopeCheck:
    """A FastAPI dependency: the caller, when its key has `scope`."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    async def __call__(
        self,
        request: Request,
        header_key: str | None = Security(API_KEY_HEADER),
        query_key: str | None = Security(API_KEY_QUERY),
    ) -> Principal:
        return await caller_with_scope(request, header_key or query_key or None, self.scope)

    def __repr__(self) -> str:
        return f"ScopeCheck({self.scope!r})"


READ_CHECK = ScopeCheck(scopes.READ)
GENERATE_CHECK = ScopeCheck(scopes.GENERATE)
LIBRARY_CHECK = ScopeCheck(scopes.LIBRARY)
ADMIN_CHECK = ScopeCheck(scopes.ADMIN)

READ = Depends(READ_CHECK)
GENERATE = Depends(GENERATE_CHECK)
LIBRARY = Depends(LIBRARY_CHECK)
ADMIN = Depends(ADMIN_CHECK)
"""Route dependencies: `dependencies=[READ]` on a route or a router."""

ReadKey = Annotated[Principal, READ]
GenerateKey = Annotated[Principal, GENERATE]
LibraryKey = Annotated[Principal, LIBRARY]
AdminKey = Annotated[Principal, ADMIN]
"""The caller as a route parameter (the same check as the route's dependency, run once)."""


def principal_of(request: Request) -> Principal:
    """The caller of a request whose route checked its scope."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise RuntimeError("this route checks no API key scope")
    return principal
