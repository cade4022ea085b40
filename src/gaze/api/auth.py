"""API key authentication for every /api/v1 route: header `X-API-Key` or `?api_key=`."""

from __future__ import annotations

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery

from gaze.api.errors import ApiError
from gaze.route_deps import runtime_of
from gaze.security.api_keys import api_key_matches, stored_key_hash
from gaze.security.client_address import client_address
from gaze.security.failed_keys import FailedKeyLimiter

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="REST API key")
API_KEY_QUERY = APIKeyQuery(name="api_key", auto_error=False, description="REST API key")


def failed_keys_of(request: Request) -> FailedKeyLimiter:
    """The limiter of wrong API keys per client address."""
    limiter: FailedKeyLimiter = request.app.state.failed_keys
    return limiter


def require_api_key(
    request: Request,
    header_key: str | None = Security(API_KEY_HEADER),
    query_key: str | None = Security(API_KEY_QUERY),
) -> None:
    """FastAPI dependency: 401 when no key is presented, 403 when it is not the current key."""
    key = header_key or query_key or None
    if key is None:
        raise ApiError(401, "missing_api_key", "Missing API key: send the X-API-Key header.")
    if api_key_matches(key, stored_key_hash(runtime_of(request).database)):
        return
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
