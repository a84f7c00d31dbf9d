"""The web desk's own tables, beside the history store's (additive: no store table changes).

Accounts, sessions, the audit log, generated rounds, institution upload links and the
server-clock arrival of every uploaded file. They live in their own ``MetaData`` and
are created on first use on the same engine (SQLite or PostgreSQL) as the store.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

web_metadata = MetaData()

settings_t = Table(
    "web_settings",
    web_metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
users_t = Table(
    "web_users",
    web_metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)
sessions_t = Table(
    "web_sessions",
    web_metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("web_users.id"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)
audit_t = Table(
    "web_audit",
    web_metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("actor", String(128), nullable=False),  # user name, "link:<id>" or "-"
    Column("action", String(48), nullable=False, index=True),
    Column("detail", Text, nullable=False, default=""),
    Column("ip", String(64), nullable=False, default=""),
)
rounds_t = Table(
    "web_rounds",
    web_metadata,
    Column("id", Integer, primary_key=True),
    Column("period", String(16), nullable=False, index=True),
    Column("generated_at", DateTime, nullable=False),
    Column("generated_by", String(64), nullable=False),
    Column("lang", String(4), nullable=False),
    Column("workbooks", Integer, nullable=False),
)
links_t = Table(
    "web_links",
    web_metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("institution", String(64), nullable=False, index=True),
    Column("period", String(16), nullable=False, index=True),
    Column("lang", String(4), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)
arrivals_t = Table(
    "web_arrivals",
    web_metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("file_name", Text, nullable=False),
    Column("arrived_at", DateTime, nullable=False),  # the server's clock, UTC
    Column("channel", String(8), nullable=False),  # "desk" or "link"
    Column("actor", String(128), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("new", Boolean, nullable=False),  # False: the same bytes were already stored
)


def ensure_tables(engine: Engine) -> None:
    """Create the desk's tables that are missing (idempotent; safe with several servers)."""
    web_metadata.create_all(engine, checkfirst=True)
