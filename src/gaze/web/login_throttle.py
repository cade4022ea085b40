"""Slowing down password guessing, without ever refusing the right password.

Each login attempt waits (on the server, before the password is checked) until a gap has
passed since the last wrong password of its address and of the admin account:

- per address (IPv6: per /64): `FREE_FAILURES` wrong passwords are free, then the gap doubles
  from 1 s up to `MAX_ADDRESS_GAP`;
- per account (there is one, the admin): `ACCOUNT_FREE_FAILURES` wrong passwords from anywhere
  are free, then every attempt waits up to `MAX_ACCOUNT_GAP`, which slows a guesser spread over
  many addresses but delays the admin by a few seconds at most.

Right and wrong passwords wait alike (so the delay tells nothing); the right one then logs in.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from gaze.security.client_address import limiter_key
from gaze.security.failure_window import RecentFailures

WINDOW_SECONDS = 900.0
FREE_FAILURES = 5
MAX_ADDRESS_GAP = 60.0
ACCOUNT_FREE_FAILURES = 20
MAX_ACCOUNT_GAP = 5.0
ACCOUNT = "admin"


def address_gap(failures: int) -> float:
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_ADDRESS_GAP, 2.0 ** (failures - FREE_FAILURES))


def account_gap(failures: int) -> float:
    if failures < ACCOUNT_FREE_FAILURES:
        return 0.0
    return min(MAX_ACCOUNT_GAP, 0.5 * (failures - ACCOUNT_FREE_FAILURES + 1))


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._addresses = RecentFailures(WINDOW_SECONDS, keep=64, clock=clock)
        self._account = RecentFailures(WINDOW_SECONDS, keep=256, clock=clock)

    def wait_seconds(self, address: str) -> float:
        """How long an attempt from `address` waits before its password is checked (0: none)."""
        now = self._clock()
        waits = [0.0]
        for failures, gap in (
            (self._addresses.recent(limiter_key(address)), address_gap),
            (self._account.recent(ACCOUNT), account_gap),
        ):
            if failures:
                waits.append(failures[-1] + gap(len(failures)) - now)
        return max(waits)

    def retry_after(self, address: str) -> int:
        """`wait_seconds` rounded up to whole seconds, for a Retry-After header."""
        return math.ceil(self.wait_seconds(address))

    def failed(self, address: str) -> None:
        self._addresses.record(limiter_key(address))
        self._account.record(ACCOUNT)

    def succeeded(self, address: str) -> None:
        """The address's own count starts again; the account's does not (a guesser elsewhere
        is not stopped by the admin logging in)."""
        self._addresses.forget(limiter_key(address))
