"""The thread that POSTs due webhook deliveries, signed, and records every attempt.

It runs in every worker process (`gaze serve` with its worker, `gaze worker`); deliveries
are leased row by row, so several senders never send the same one at once. Each attempt
checks the URL again (resolving its host once) and connects only to the addresses it checked.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time

import httpx

from gaze import __version__
from gaze.db.connection import Database
from gaze.db.models import utcnow
from gaze.events.store import EventStore
from gaze.events.timestamps import as_utc
from gaze.webhooks.deliveries import AttemptOutcome, DeliveryStore, DueDelivery
from gaze.webhooks.pinned_transport import pinned_client
from gaze.webhooks.secret import webhook_secret
from gaze.webhooks.signing import SIGNATURE_HEADER, signature_header
from gaze.webhooks.url_policy import (
    Resolver,
    WebhookUrlRejected,
    check_webhook_url,
    resolve_host,
)

IDLE_POLL_SECONDS = 1.0
CLAIM_BATCH = 20

log = logging.getLogger(__name__)


class WebhookSender:
    def __init__(
        self,
        database: Database,
        events: EventStore,
        *,
        allow_private: bool,
        max_attempts: int,
        retry_seconds: float,
        timeout_seconds: float,
        resolve: Resolver = resolve_host,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.database = database
        self.deliveries = DeliveryStore(database)
        self.events = events
        self.allow_private = allow_private
        self.max_attempts = max_attempts
        self.retry_seconds = retry_seconds
        self.timeout_seconds = timeout_seconds
        self.resolve = resolve
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.headers = {"User-Agent": f"GAZE/{__version__} webhooks"}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> WebhookSender:
        self.events.add_listener(self._wake.set)
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.events.remove_listener(self._wake.set)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_seconds + 5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.send_due()
            except Exception:
                log.warning("sending webhooks failed; retrying", exc_info=True)
                sent = 0
            if sent:
                continue
            self._wake.wait(self._idle_wait())
            self._wake.clear()

    def _idle_wait(self) -> float:
        try:
            due = self.deliveries.next_due()
        except Exception:
            return IDLE_POLL_SECONDS
        if due is None:
            return IDLE_POLL_SECONDS
        return max(0.0, min(IDLE_POLL_SECONDS, (as_utc(due) - utcnow()).total_seconds()))

    def send_due(self) -> int:
        due = self.deliveries.claim_due(CLAIM_BATCH, lease_seconds=self.timeout_seconds + 30)
        if not due:
            return 0
        secret = webhook_secret(self.database)
        for delivery in due:
            if self._stop.is_set():
                break
            outcome = self._attempt(delivery, secret)
            status = self.deliveries.record(
                delivery,
                outcome,
                max_attempts=self.max_attempts,
                retry_seconds=self.retry_seconds,
            )
            if not outcome.succeeded:
                log.info(
                    "webhook %s for job %s (%s): attempt %d %s -> %s",
                    delivery.event,
                    delivery.job_id,
                    delivery.url,
                    delivery.attempts + 1,
                    outcome.error or outcome.status_code,
                    status,
                )
        return len(due)

    def _attempt(self, delivery: DueDelivery, secret: str) -> AttemptOutcome:
        started = time.monotonic()
        at = utcnow()
        body = delivery.body.encode("utf-8")
        try:
            checked = check_webhook_url(
                delivery.url, allow_private=self.allow_private, resolve=self.resolve
            )
            with pinned_client(
                checked,
                ssl_context=self.ssl_context,
                timeout=self.timeout_seconds,
                headers=self.headers,
            ) as client:
                response = client.post(
                    checked.url,
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "X-GAZE-Event": delivery.event,
                        "X-GAZE-Delivery": str(delivery.id),
                        SIGNATURE_HEADER: signature_header(secret, body),
                    },
                )
        except WebhookUrlRejected as error:
            return AttemptOutcome(at, None, str(error), _ms_since(started))
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            return AttemptOutcome(
                at, None, f"{type(error).__name__}: {error}".rstrip(": "), _ms_since(started)
            )
        problem = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return AttemptOutcome(at, response.status_code, problem, _ms_since(started))


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000
