"""ONATC accounts: users with roles, argon2 password hashes, sessions, rate limit, audit log.

Passwords are hashed with argon2id (argon2-cffi, the maintained binding of the
Password Hashing Competition winner); session cookies hold a random token whose
SHA-256 alone is stored, so a copy of the database opens no session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Location, UsageError, fail
from .tables import audit_t, sessions_t, settings_t, users_t

ROLES = ("admin", "viewer")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
SESSION_HOURS = 12
#: Failed logins allowed per user name, and per address, in the window below.
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD = 10

_hasher = PasswordHasher()
#: Verified against when the user does not exist, so timing does not tell names apart.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def utcnow() -> dt.datetime:
    """The server's clock, UTC, naive (as the store keeps times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    created_at: dt.datetime
    disabled: bool = False

    @property
    def can_change(self) -> bool:
        return self.role == "admin"


def _user(row: object) -> User:
    r = row._mapping  # type: ignore[attr-defined]
    return User(r["id"], r["name"], r["role"], r["created_at"], bool(r["disabled"]))


def add_user(engine: Engine, name: str, password: str, role: str = "admin") -> User:
    """Create an account; raises UsageError for a bad name, role, short password or a taken name."""
    if not NAME_RE.match(name):
        raise fail(
            UsageError,
            "web-user-invalid",
            f"user name {name!r} is not allowed (letters, digits, . _ @ -; up to 64)",
            Location(path="NAME"),
        )
    if role not in ROLES:
        raise fail(UsageError, "web-user-invalid", f"role {role!r} is not one of {ROLES}")
    if len(password) < MIN_PASSWORD:
        raise fail(
            UsageError,
            "web-password-weak",
            f"the password has {len(password)} characters; at least {MIN_PASSWORD} are needed",
        )
    with engine.begin() as conn:
        if conn.execute(select(users_t.c.id).where(users_t.c.name == name)).first():
            raise fail(UsageError, "web-user-exists", f"user {name!r} already exists")
        now = utcnow()
        rid = conn.execute(
            insert(users_t).values(
                name=name,
                role=role,
                password_hash=_hasher.hash(password),
                created_at=now,
                disabled=False,
            )
        ).inserted_primary_key
        assert rid is not None
    return User(int(rid[0]), name, role, now)


def set_password(engine: Engine, name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise fail(
            UsageError,
            "web-password-weak",
            f"the password has {len(password)} characters; at least {MIN_PASSWORD} are needed",
        )
    with engine.begin() as conn:
        done = conn.execute(
            update(users_t)
            .where(users_t.c.name == name)
            .values(password_hash=_hasher.hash(password))
        ).rowcount
        if not done:
            raise fail(UsageError, "web-user-unknown", f"no user {name!r}")
        uid = select(users_t.c.id).where(users_t.c.name == name).scalar_subquery()
        conn.execute(delete(sessions_t).where(sessions_t.c.user_id == uid))


def set_disabled(engine: Engine, name: str, disabled: bool) -> None:
    with engine.begin() as conn:
        done = conn.execute(
            update(users_t).where(users_t.c.name == name).values(disabled=disabled)
        ).rowcount
        if not done:
            raise fail(UsageError, "web-user-unknown", f"no user {name!r}")
        if disabled:
            uid = select(users_t.c.id).where(users_t.c.name == name).scalar_subquery()
            conn.execute(delete(sessions_t).where(sessions_t.c.user_id == uid))


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(select(users_t).order_by(users_t.c.name))]


def new_password() -> str:
    """A random password for a first account (printed once, never stored in clear)."""
    return secrets.token_urlsafe(12)


# -- login --------------------------------------------------------------------------


def login_blocked(engine: Engine, name: str, ip: str, now: dt.datetime | None = None) -> bool:
    """Whether too many logins failed lately for this name or from this address."""
    since = (now or utcnow()) - FAILURE_WINDOW
    with engine.connect() as conn:
        base = select(func.count()).where(audit_t.c.action == "login-failed", audit_t.c.at >= since)
        by_user = conn.execute(base.where(audit_t.c.actor == name)).scalar_one()
        by_ip = conn.execute(base.where(audit_t.c.ip == ip)).scalar_one()
    return by_user >= MAX_FAILURES_PER_USER or by_ip >= MAX_FAILURES_PER_IP


def authenticate(engine: Engine, name: str, password: str) -> User | None:
    """The user when the password matches an enabled account, else None."""
    with engine.connect() as conn:
        row = conn.execute(select(users_t).where(users_t.c.name == name)).first()
    stored = row._mapping["password_hash"] if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or row._mapping["disabled"]:
        return None
    if _hasher.check_needs_rehash(stored):
        with engine.begin() as conn:
            conn.execute(
                update(users_t)
                .where(users_t.c.id == row._mapping["id"])
                .values(password_hash=_hasher.hash(password))
            )
    return _user(row)


def open_session(engine: Engine, user: User, hours: int = SESSION_HOURS) -> str:
    """A new session for ``user``; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(delete(sessions_t).where(sessions_t.c.expires_at < now))
        conn.execute(
            insert(sessions_t).values(
                token_hash=token_hash(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + dt.timedelta(hours=hours),
            )
        )
    return token


def session_user(engine: Engine, token: str) -> User | None:
    if not token:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(users_t)
            .join(sessions_t, sessions_t.c.user_id == users_t.c.id)
            .where(
                sessions_t.c.token_hash == token_hash(token),
                sessions_t.c.expires_at > utcnow(),
                users_t.c.disabled.is_(False),
            )
        ).first()
    return _user(row) if row else None


def close_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions_t).where(sessions_t.c.token_hash == token_hash(token)))


# -- audit log and settings -------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    detail: str
    ip: str


def audit(engine: Engine, actor: str, action: str, detail: str = "", ip: str = "") -> None:
    """Record who did what (append-only)."""
    with engine.begin() as conn:
        conn.execute(
            insert(audit_t).values(
                at=utcnow(), actor=actor[:128], action=action, detail=detail, ip=ip[:64]
            )
        )


def audit_log(engine: Engine, limit: int = 200) -> list[AuditEntry]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_t).order_by(audit_t.c.at.desc(), audit_t.c.id.desc()).limit(limit)
        ).mappings()
        return [AuditEntry(r["at"], r["actor"], r["action"], r["detail"], r["ip"]) for r in rows]


def secret(engine: Engine, name: str = "csrf-key") -> bytes:
    """A server secret kept in the database, made on first use (shared by every server)."""
    try:
        with engine.begin() as conn:
            row = conn.execute(select(settings_t.c.value).where(settings_t.c.name == name)).first()
            if row is None:
                conn.execute(insert(settings_t).values(name=name, value=secrets.token_hex(32)))
    except IntegrityError:  # another server made it first; use theirs
        pass
    with engine.connect() as conn:
        value = conn.execute(
            select(settings_t.c.value).where(settings_t.c.name == name)
        ).scalar_one()
    return bytes.fromhex(value)
