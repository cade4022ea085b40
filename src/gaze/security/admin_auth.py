"""The web UI's admin password and login sessions.

The UI needs no login while GAZE binds only to a loopback address. Bound anywhere else it
requires the admin password: `GAZE_ADMIN_PASSWORD` when set (it wins), else the one stored by
`gaze admin set-password` as a salted scrypt hash in the settings table.

A login session is a signed cookie value ``<expiry>.<nonce>.<signature>``: an HMAC made with a
random secret kept in the settings table and a fingerprint of the current password, so changing
the password ends every session at once. Nothing about sessions is stored per login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass

from gaze.db.connection import Database
from gaze.db.models import SettingRow, utcnow
from gaze.settings import Settings

ADMIN_PASSWORD_HASH = "admin_password_scrypt"
SESSION_SECRET = "ui_session_secret"
MIN_PASSWORD_LENGTH = 8
SESSION_SECONDS = 14 * 24 * 3600

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class PasswordTooShort(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, n: int = SCRYPT_N, salt: bytes | None = None) -> str:
    """``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (base64url parts) for a password."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, maxmem=_SCRYPT_MAXMEM
    )
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, encoded: str) -> bool:
    """Whether `password` hashes to `encoded` (made by `hash_password`); constant time."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, _unb64(expected))


def is_loopback_host(host: str) -> bool:
    """True for addresses only this machine reaches: 127.0.0.0/8, ::1, localhost."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def login_required(settings: Settings) -> bool:
    """The UI asks for the admin password when the server is reachable from elsewhere."""
    return not is_loopback_host(settings.host)


def _read_setting(database: Database, key: str) -> str | None:
    with database.session() as session:
        row = session.get(SettingRow, key)
        return row.value if row is not None else None


def _write_setting(database: Database, key: str, value: str) -> None:
    now = utcnow()
    with database.session() as session:
        row = session.get(SettingRow, key)
        if row is None:
            session.add(SettingRow(key=key, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now


def set_admin_password(database: Database, password: str) -> None:
    """Store a new admin password (as a salted scrypt hash); ends every login session."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    _write_setting(database, ADMIN_PASSWORD_HASH, hash_password(password))


@dataclass(frozen=True)
class AdminPassword:
    """Where the admin password comes from, as far as checking it needs."""

    from_environment: str | None
    stored_hash: str | None

    @property
    def configured(self) -> bool:
        return bool(self.from_environment) or bool(self.stored_hash)

    @property
    def fingerprint(self) -> str:
        """Changes whenever the password changes; part of every session's signature."""
        source = (
            "env:" + self.from_environment
            if self.from_environment
            else "db:" + (self.stored_hash or "")
        )
        return hashlib.sha256(source.encode("utf-8")).hexdigest()

    def matches(self, candidate: str) -> bool:
        if self.from_environment:
            given = hashlib.sha256(candidate.encode("utf-8")).digest()
            wanted = hashlib.sha256(self.from_environment.encode("utf-8")).digest()
            return hmac.compare_digest(given, wanted)
        if self.stored_hash:
            return password_matches(candidate, self.stored_hash)
        return False


def admin_password(settings: Settings, database: Database) -> AdminPassword:
    return AdminPassword(
        from_environment=settings.admin_password or None,
        stored_hash=_read_setting(database, ADMIN_PASSWORD_HASH),
    )


def session_secret(database: Database) -> bytes:
    """The random key sessions are signed with, made on first use."""
    stored = _read_setting(database, SESSION_SECRET)
    if stored is None:
        _write_setting(database, SESSION_SECRET, secrets.token_urlsafe(32))
        stored = _read_setting(database, SESSION_SECRET) or ""
    return stored.encode("ascii")


def _signature(secret: bytes, fingerprint: str, payload: str) -> str:
    mac = hmac.new(secret, f"{fingerprint}|{payload}".encode(), hashlib.sha256)
    return _b64(mac.digest())


def issue_session(secret: bytes, fingerprint: str, now: float | None = None) -> str:
    """A session cookie value valid for `SESSION_SECONDS`."""
    expiry = int((now if now is not None else time.time()) + SESSION_SECONDS)
    payload = f"{expiry}.{secrets.token_urlsafe(12)}"
    return f"{payload}.{_signature(secret, fingerprint, payload)}"


def session_valid(
    token: str | None, secret: bytes, fingerprint: str, now: float | None = None
) -> bool:
    if not token or token.count(".") != 2:
        return False
    expiry, nonce, signature = token.split(".")
    expected = _signature(secret, fingerprint, f"{expiry}.{nonce}")
    if not hmac.compare_digest(signature, expected):
        return False
    try:
        return int(expiry) > (now if now is not None else time.time())
    except ValueError:
        return False


def refuse_exposed_without_password(settings: Settings, database: Database) -> str | None:
    """Why `gaze serve` must not start (bound beyond loopback without a password), or None."""
    if not login_required(settings) or admin_password(settings, database).configured:
        return None
    return (
        f"Refusing to serve on {settings.host}: that address is reachable from other machines "
        "and the web UI has no admin password. Set GAZE_ADMIN_PASSWORD or run "
        "`gaze admin set-password`, or bind to 127.0.0.1."
    )
