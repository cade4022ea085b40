"""`GET /api/v1/job/<id>` of a finished job, answered before the middleware and the router.

Polling clients ask for the same finished job in loops. Its answer (and the key that owns the
job) is in memory (gaze.jobs.polling), and so are the API keys (gaze.security.key_registry),
so this ASGI middleware, added outermost, answers such a poll itself: no routing, no
dependency resolution, no body guard, no database, no thread. It answers only what the route
would answer in the same way, with the same status, body and headers:

- the same Host check (gaze.security.allowed_hosts); a refused host goes on to be refused;
- the key from `X-API-Key` or `?api_key=`, looked up in the registry only while it is fresh;
- a key without the `read` scope gets the route's `403 scope_required`, another key's job the
  route's `404 job_not_found` (`Principal.may_see_job_of`);
- a request with a body, another method or path, an unknown or missing key, a key registry due
  for its refresh, or a job not finished (or not in memory) goes on through the whole stack:
  the route itself answers it (401, 403 `invalid_api_key`, 429, live answers ...).
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from gaze.api.auth import API_KEY_HEADER, API_KEY_QUERY, scope_refused
from gaze.api.errors import error_body
from gaze.jobs.polling import JobPoller
from gaze.jobs.service import JobNotFound
from gaze.security import principal as scopes
from gaze.security.allowed_hosts import AllowedHosts
from gaze.security.key_registry import KeyRegistry

JOB_PATH = "/api/v1/job/"
KEY_HEADER = API_KEY_HEADER.model.name.lower().encode("latin-1")
KEY_PARAMETER = API_KEY_QUERY.model.name
REMEMBERED_HOSTS = 64
"""Host header values whose verdict is kept (a server is reached by a handful of names)."""
_JSON = (b"content-type", b"application/json")


class JobPollFastPath:
    """ASGI middleware: answers polls of finished jobs; passes everything else on unchanged."""

    def __init__(
        self, app: ASGIApp, *, keys: KeyRegistry, poller: JobPoller, allowed: AllowedHosts
    ) -> None:
        self.app = app
        self.keys = keys
        self.poller = poller
        self.allowed = allowed
        self._host_verdicts: dict[bytes, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(JOB_PATH)
            and await self._answered(scope, receive, send)
        ):
            return
        await self.app(scope, receive, send)

    def _host_allowed(self, host: bytes) -> bool:
        verdict = self._host_verdicts.get(host)
        if verdict is None:
            verdict = self.allowed.allows(host.decode("latin-1"))
            if len(self._host_verdicts) < REMEMBERED_HOSTS:
                self._host_verdicts[host] = verdict
        return verdict

    async def _answered(self, scope: Scope, receive: Receive, send: Send) -> bool:
        job_id = scope["path"][len(JOB_PATH) :]
        if not job_id or "/" in job_id or scope.get("root_path"):
            return False
        finished = self.poller.finished(job_id)
        if finished is None:
            return False
        host: bytes | None = None
        hosts = 0
        key: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"host":
                hosts += 1
                host = value
            elif name == KEY_HEADER:
                if key is None:
                    key = value
            elif name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
                return False  # a body: the request limits judge it
        if hosts != 1 or host is None or not self._host_allowed(host):
            return False
        secret = key.decode("latin-1") if key else None
        if not secret and scope.get("query_string"):
            secret = QueryParams(scope["query_string"]).get(KEY_PARAMETER) or None
        if secret is None or self.keys.needs_refresh():
            return False
        principal = self.keys.lookup(secret)
        if principal is None:
            return False
        if not principal.allows(scopes.READ):
            refused = scope_refused(principal, scopes.READ)
            error = JSONResponse(error_body(refused.code, refused.message), refused.status)
            await error(scope, receive, send)
            return True
        if not principal.may_see_job_of(finished.owner_key_id):
            missing = JobNotFound(job_id)
            error = JSONResponse(error_body(missing.code, missing.message), missing.status)
            await error(scope, receive, send)
            return True
        body = finished.body
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode("latin-1")), _JSON],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return True
