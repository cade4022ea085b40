"""The admin password and login sessions, as functions (no server)."""

from __future__ import annotations

import pytest

from gaze.security.admin_auth import (
    SESSION_SECONDS,
    AdminPassword,
    hash_password,
    is_loopback_host,
    issue_session,
    password_matches,
    session_valid,
)
from gaze.web.login_session import safe_next_path
from gaze.web.login_throttle import (
    ACCOUNT_FREE_FAILURES,
    FREE_FAILURES,
    MAX_ACCOUNT_GAP,
    MAX_ADDRESS_GAP,
    WINDOW_SECONDS,
    LoginThrottle,
)

FAST = 2**10  # a cheap scrypt cost keeps these tests fast; GAZE itself uses 2**15


def test_a_password_hash_is_salted_and_checks_only_that_password() -> None:
    first = hash_password("open sesame", n=FAST)
    second = hash_password("open sesame", n=FAST)
    assert first != second
    assert first.startswith(f"scrypt${FAST}$")
    assert password_matches("open sesame", first)
    assert password_matches("open sesame", second)
    assert not password_matches("open sesame!", first)
    assert not password_matches("open sesame", "not-a-hash")
    assert not password_matches("open sesame", "bcrypt$1$2$3$abc$def")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("gaze.example.org", False),
    ],
)
def test_only_loopback_addresses_skip_the_login(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_a_session_is_signed_expires_and_ends_with_a_new_password() -> None:
    secret = b"s" * 32
    token = issue_session(secret, "fingerprint-a", now=1000.0)
    assert session_valid(token, secret, "fingerprint-a", now=1001.0)
    assert not session_valid(token, secret, "fingerprint-a", now=1000.0 + SESSION_SECONDS + 1)
    assert not session_valid(token, secret, "fingerprint-b", now=1001.0)
    assert not session_valid(token, b"t" * 32, "fingerprint-a", now=1001.0)
    expiry, nonce, signature = token.split(".")
    assert not session_valid(f"{int(expiry) + 999}.{nonce}.{signature}", secret, "fingerprint-a")
    assert not session_valid(None, secret, "fingerprint-a")
    assert not session_valid("garbage", secret, "fingerprint-a")


def test_the_environment_password_wins_over_the_stored_one() -> None:
    stored = hash_password("stored one", n=FAST)
    both = AdminPassword(from_environment="from env", stored_hash=stored)
    assert both.matches("from env")
    assert not both.matches("stored one")
    only_stored = AdminPassword(from_environment=None, stored_hash=stored)
    assert only_stored.matches("stored one")
    assert only_stored.fingerprint != both.fingerprint
    nothing = AdminPassword(from_environment=None, stored_hash=None)
    assert not nothing.configured and not nothing.matches("")


@pytest.mark.parametrize(
    ("candidate", "safe"),
    [
        ("/gallery?fav=1", "/gallery?fav=1"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
    ],
)
def test_login_only_returns_to_local_pages(candidate: str, safe: str) -> None:
    assert safe_next_path(candidate) == safe


def test_wrong_passwords_make_an_address_wait_longer_and_longer() -> None:
    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _attempt in range(FREE_FAILURES):
        assert throttle.wait_seconds("10.0.0.1") == 0
        throttle.failed("10.0.0.1")
    waits = []
    for _attempt in range(8):
        waits.append(throttle.wait_seconds("10.0.0.1"))
        throttle.failed("10.0.0.1")
    assert waits == [1, 2, 4, 8, 16, 32, MAX_ADDRESS_GAP, MAX_ADDRESS_GAP]
    assert throttle.wait_seconds("10.0.0.2") == 0  # other addresses are not slowed yet
    now[0] += 20
    assert throttle.wait_seconds("10.0.0.1") == MAX_ADDRESS_GAP - 20
    throttle.succeeded("10.0.0.1")
    assert throttle.wait_seconds("10.0.0.1") == 0
    now[0] += WINDOW_SECONDS
    assert throttle.wait_seconds("10.0.0.3") == 0


def test_wrong_passwords_from_many_addresses_slow_the_account_a_little() -> None:
    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for number in range(ACCOUNT_FREE_FAILURES):
        assert throttle.wait_seconds("10.9.9.9") == 0
        throttle.failed(f"10.0.{number}.1")
    assert 0 < throttle.wait_seconds("10.9.9.9") <= MAX_ACCOUNT_GAP
    for number in range(200):
        throttle.failed(f"10.1.{number}.1")
    assert throttle.wait_seconds("10.9.9.9") == MAX_ACCOUNT_GAP  # bounded: the admin gets in
    now[0] += MAX_ACCOUNT_GAP
    assert throttle.wait_seconds("10.9.9.9") == 0
