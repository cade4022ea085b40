"""A webhook delivery connects to the address its own check saw, never to a second DNS answer:
the host name is resolved once per attempt (by a resolver the test controls), every answer is
checked, and the connection is pinned to it while Host, SNI and certificate checks keep the
URL's name. Only loopback addresses are ever connected to here."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpcore
import pytest
import trustme

from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.events.types import JOB_QUEUED
from gaze.generation_spec import GenerationSpec
from gaze.jobs.store import JobStore, NewJob
from gaze.webhooks.deliveries import DeliveryStore
from gaze.webhooks.pinned_transport import PinnedBackend
from gaze.webhooks.sender import WebhookSender
from gaze.webhooks.url_policy import check_webhook_url
from tests.webhooks.webhook_receiver import WebhookReceiver

SPEC = GenerationSpec("a lighthouse", "blurry", "gaze-demo-sd15-tiny.safetensors", seed=3)
PUBLIC = "93.184.216.34"
HOOK_HOST = "hooks.test"


class ScriptedResolver:
    """Answers each lookup with the next list of addresses (the last one repeats), like a
    TTL-0 name whose owner changes what it points to between lookups."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        return self.answers[min(len(self.lookups), len(self.answers)) - 1]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    opened = Database(f"sqlite:///{tmp_path / 'gaze.db'}")
    upgrade_to_head(opened.engine)
    yield opened
    opened.dispose()


def queue_job_with_webhook(database: Database, url: str) -> str:
    """A job whose `job.queued` event is to be POSTed to `url` (stored as submission left it)."""
    [job] = JobStore(database).create(
        [
            NewJob(
                label="test",
                spec=SPEC,
                output_folder="presets/test",
                webhook_url=url,
                webhook_events=(JOB_QUEUED,),
            )
        ]
    )
    return job.id


def deliver_once(
    database: Database,
    resolve: ScriptedResolver,
    *,
    allow_private: bool,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    sender = WebhookSender(
        database,
        JobStore(database).events,
        allow_private=allow_private,
        max_attempts=1,
        retry_seconds=0.1,
        timeout_seconds=3,
        resolve=resolve,
        ssl_context=ssl_context,
    )
    assert sender.send_due() == 1


def test_a_name_re_pointed_to_loopback_after_subscription_is_refused_at_delivery(
    database: Database,
) -> None:
    resolve = ScriptedResolver([PUBLIC], ["127.0.0.1"])
    with WebhookReceiver() as receiver:
        url = receiver.url_for(HOOK_HOST)
        check_webhook_url(url, allow_private=False, resolve=resolve)  # at subscription
        job_id = queue_job_with_webhook(database, url)
        deliver_once(database, resolve, allow_private=False)
    assert receiver.received == []
    [delivery] = DeliveryStore(database).for_job(job_id)
    assert delivery["status"] == "failed" and delivery["last_status_code"] is None
    assert "127.0.0.1 is a loopback address" in delivery["last_error"]
    assert resolve.lookups == [(HOOK_HOST, receiver.port)] * 2


def test_a_delivery_connects_to_the_address_it_checked_keeping_the_host_name(
    database: Database,
) -> None:
    # A second lookup would answer 127.0.0.2, where nothing listens: the POST can only
    # arrive if the connection goes to the address of the one lookup that was checked.
    resolve = ScriptedResolver(["127.0.0.1"], ["127.0.0.2"])
    with WebhookReceiver() as receiver:
        job_id = queue_job_with_webhook(database, receiver.url_for(HOOK_HOST))
        deliver_once(database, resolve, allow_private=True)
    assert resolve.lookups == [(HOOK_HOST, receiver.port)]
    [request] = receiver.received
    assert request.path == "/hook"
    assert request.headers["Host"] == f"{HOOK_HOST}:{receiver.port}"
    [delivery] = DeliveryStore(database).for_job(job_id)
    assert delivery["status"] == "delivered" and delivery["last_status_code"] == 200


def test_redirects_are_not_followed(database: Database) -> None:
    resolve = ScriptedResolver(["127.0.0.1"])
    with WebhookReceiver(statuses=[307], location="http://127.0.0.1:9/elsewhere") as receiver:
        job_id = queue_job_with_webhook(database, receiver.url_for(HOOK_HOST))
        deliver_once(database, resolve, allow_private=True)
    assert [request.path for request in receiver.received] == ["/hook"]
    [delivery] = DeliveryStore(database).for_job(job_id)
    assert delivery["status"] == "failed" and delivery["last_error"] == "HTTP 307"


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def server_tls(authority: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*names).configure_cert(context)
    return context


def client_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


def test_tls_uses_the_url_host_for_sni_and_the_certificate(
    database: Database, authority: trustme.CA
) -> None:
    resolve = ScriptedResolver(["127.0.0.1"])
    with WebhookReceiver(tls=server_tls(authority, HOOK_HOST)) as receiver:
        job_id = queue_job_with_webhook(database, receiver.url_for(HOOK_HOST))
        deliver_once(database, resolve, allow_private=True, ssl_context=client_tls(authority))
    assert receiver.server_names == [HOOK_HOST]
    [request] = receiver.received
    assert request.headers["Host"] == f"{HOOK_HOST}:{receiver.port}"
    [delivery] = DeliveryStore(database).for_job(job_id)
    assert delivery["status"] == "delivered", delivery


def test_a_certificate_for_the_pinned_address_but_not_the_host_name_is_refused(
    database: Database, authority: trustme.CA
) -> None:
    resolve = ScriptedResolver(["127.0.0.1"])
    with WebhookReceiver(tls=server_tls(authority, "127.0.0.1")) as receiver:
        job_id = queue_job_with_webhook(database, receiver.url_for(HOOK_HOST))
        deliver_once(database, resolve, allow_private=True, ssl_context=client_tls(authority))
    assert receiver.received == []
    [delivery] = DeliveryStore(database).for_job(job_id)
    assert delivery["status"] == "failed"
    assert "certificate" in delivery["last_error"].lower(), delivery["last_error"]


class RecordingBackend(httpcore.NetworkBackend):
    """Stands in for the socket layer: records what would have been connected to."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    def connect_tcp(self, host: str, port: int, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        self.connects.append((host, port))
        raise httpcore.ConnectError("recorded, not connected")


def test_the_pinned_backend_connects_only_to_checked_addresses_of_its_own_origin() -> None:
    inner = RecordingBackend()
    backend = PinnedBackend(HOOK_HOST, 443, ["127.0.0.1", "::1"], inner=inner)
    for host, port in ((PUBLIC, 443), ("other.test", 443), (HOOK_HOST, 444)):
        with pytest.raises(httpcore.ConnectError, match=r"only hooks\.test:443 was checked"):
            backend.connect_tcp(host, port)
    with pytest.raises(httpcore.ConnectError):
        backend.connect_unix_socket("/run/docker.sock")
    assert inner.connects == []
    with pytest.raises(httpcore.ConnectError, match="recorded"):
        backend.connect_tcp(HOOK_HOST, 443)
    assert inner.connects == [("127.0.0.1", 443), ("::1", 443)], "each checked address in turn"
