"""The pure parts of the jobs API: URL policy, signatures, the SSE format, cursors, ETAs."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaze.client.sse import SseParser
from gaze.events.sse_format import HEARTBEAT, sse_job_event, sse_message
from gaze.events.types import JobEvent
from gaze.jobs.eta import DurationStats, running_remaining
from gaze.jobs.listing import InvalidCursor, decode_cursor
from gaze.webhooks.signing import signature_header, verify_signature
from gaze.webhooks.url_policy import WebhookUrlRejected, check_webhook_url

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def resolver(*answers: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(answers)


def test_public_addresses_pass_and_names_are_checked_by_what_they_resolve_to() -> None:
    checked = check_webhook_url(
        "https://hooks.example.com/x", allow_private=False, resolve=resolver("93.184.216.34")
    )
    assert checked.addresses == ("93.184.216.34",)
    with pytest.raises(WebhookUrlRejected, match="private"):
        check_webhook_url(
            "https://sneaky.example.com/x",
            allow_private=False,
            resolve=resolver("93.184.216.34", "192.168.1.5"),
        )
    with pytest.raises(WebhookUrlRejected, match="link-local"):
        check_webhook_url(
            "https://sneaky.example.com/x", allow_private=True, resolve=resolver("169.254.1.1")
        )
    with pytest.raises(WebhookUrlRejected, match="does not resolve"):
        check_webhook_url("https://nowhere.example/x", allow_private=True, resolve=resolver())


def test_private_addresses_need_the_setting_but_metadata_never_passes() -> None:
    for url in ("http://127.0.0.1:8080/x", "http://10.0.0.2/x", "http://[::1]/x"):
        with pytest.raises(WebhookUrlRejected):
            check_webhook_url(url, allow_private=False)
        check_webhook_url(url, allow_private=True)
    for url in (
        "http://169.254.169.254/",
        "http://[fe80::1]/",
        "http://[fd00:ec2::254]/",
        "http://100.100.100.200/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
    ):
        with pytest.raises(WebhookUrlRejected):
            check_webhook_url(url, allow_private=True)


@given(st.binary(max_size=300), st.text(min_size=1, max_size=40), st.integers(0, 2**31))
def test_a_signature_verifies_only_its_body_secret_and_time(
    body: bytes, secret: str, moment: int
) -> None:
    header = signature_header(secret, body, timestamp=moment)
    assert verify_signature(secret, header, body, now=moment + 10)
    assert not verify_signature(secret + "x", header, body, now=moment)
    assert not verify_signature(secret, header, body + b"x", now=moment)
    assert not verify_signature(secret, header, body, now=moment + 301), "replays expire"


def test_signature_format_is_the_documented_one() -> None:
    header = signature_header("whsec_test", b'{"a":1}', timestamp=1700000000)
    expected = hmac.new(b"whsec_test", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert not verify_signature("whsec_test", "garbage", b"{}")


@given(
    st.sampled_from(["snapshot", "job.done", "job.progress"]),
    st.dictionaries(st.text(max_size=8), st.text(max_size=20) | st.integers(), max_size=5),
    st.none() | st.integers(0, 2**40),
)
def test_sse_messages_parse_back(kind: str, data: dict, event_id: int | None) -> None:  # type: ignore[type-arg]
    parser = SseParser()
    wire = (HEARTBEAT + sse_message(kind, data, event_id)).decode()
    events = [event for line in wire.split("\n") for event in parser.feed(line)]
    assert len(events) == 1
    assert events[0].type == kind and events[0].data == data and events[0].id == event_id


def test_job_events_on_the_wire() -> None:
    event = JobEvent(7, "job.done", "j1", "b1", {"id": "j1", "status": "done"}, NOW)
    parser = SseParser()
    [parsed] = [e for line in sse_job_event(event).decode().split("\n") for e in parser.feed(line)]
    assert parsed.id == 7 and parsed.type == "job.done"
    assert parsed.data == {
        "id": 7,
        "type": "job.done",
        "created_at": "2026-11-24T12:00:00Z",
        "job": {"id": "j1", "status": "done"},
    }
    assert parser.last_event_id == "7"


@pytest.mark.parametrize("cursor", ["", "abc", "WyJ4Il0", "bm90IGpzb24", "WzEsMl0"])
def test_foreign_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)


def test_eta_of_a_running_job() -> None:
    stats = DurationStats(
        by_backend_checkpoint={("local", "a"): 10.0},
        by_checkpoint={"a": 12.0, "b": 30.0},
        by_backend={"local": 11.0},
        overall=15.0,
    )
    assert stats.expected("local", "a") == 10.0
    assert stats.expected(None, "b") == 30.0
    assert stats.expected("other", "c") == 15.0
    assert stats.expected("local", "c") == 11.0
    four_seconds_in = NOW - timedelta(seconds=4)
    by_progress = running_remaining(
        stats, backend="local", checkpoint="a", progress=0.5, started_at=four_seconds_in, now=NOW
    )
    assert by_progress == pytest.approx(4.0)
    by_history = running_remaining(
        stats, backend="local", checkpoint="a", progress=0.0, started_at=four_seconds_in, now=NOW
    )
    assert by_history == pytest.approx(6.0)
    unknown = DurationStats({}, {}, {}, None)
    assert (
        running_remaining(
            unknown, backend="x", checkpoint="y", progress=0.0, started_at=NOW, now=NOW
        )
        is None
    )
