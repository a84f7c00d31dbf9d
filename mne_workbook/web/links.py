"""Institution upload links: one unguessable token per institution and round.

The token travels only in the link ONATC sends; the database keeps its SHA-256. A
link opens the upload page of one institution and one period, until the period's due
date (grace days included) ends, unless ONATC extends or revokes it.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine, insert, select, update

from ..errors import Location, UsageError, fail
from ..locales import SUPPORTED
from ..periods import Period
from ..plan import Plan
from .accounts import token_hash, utcnow
from .tables import links_t


class LinkState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Link:
    id: int
    institution: str
    period: str
    lang: str
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None

    def state(self, now: dt.datetime | None = None) -> LinkState:
        if self.revoked_at is not None:
            return LinkState.REVOKED
        return LinkState.OPEN if (now or utcnow()) < self.expires_at else LinkState.EXPIRED


def _link(r: object) -> Link:
    m = r._mapping  # type: ignore[attr-defined]
    return Link(
        m["id"],
        m["institution"],
        m["period"],
        m["lang"],
        m["created_at"],
        m["created_by"],
        m["expires_at"],
        m["revoked_at"],
    )


def default_expiry(plan: Plan, period: Period) -> dt.datetime:
    """The end (UTC midnight after) of the period's due date, grace days included."""
    due = period.due_date(plan.reporting.grace_days)
    return dt.datetime.combine(due + dt.timedelta(days=1), dt.time())


def issue_link(
    engine: Engine,
    plan: Plan,
    period: Period,
    institution: str,
    by: str,
    lang: str | None = None,
    expires_at: dt.datetime | None = None,
) -> tuple[str, Link]:
    """A new link for ``institution``; returns (token, link). The token is not stored."""
    if institution not in {i.id for i in plan.carriers()}:
        raise fail(
            UsageError,
            "usage-error",
            f"{institution!r} carries no activity in the plan",
            Location(path="institution"),
        )
    lang = lang or plan.languages[0]
    if lang not in SUPPORTED:
        raise fail(UsageError, "usage-error", f"language {lang!r} is not one of {SUPPORTED}")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    values = {
        "token_hash": token_hash(token),
        "institution": institution,
        "period": period.label,
        "lang": lang,
        "created_at": now,
        "created_by": by,
        "expires_at": expires_at or default_expiry(plan, period),
        "revoked_at": None,
    }
    with engine.begin() as conn:
        rid = conn.execute(insert(links_t).values(**values)).inserted_primary_key
        assert rid is not None
    del values["token_hash"]
    return token, Link(id=int(rid[0]), **values)  # type: ignore[arg-type]


def find_link(engine: Engine, token: str) -> Link | None:
    if not token or len(token) > 100:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(links_t).where(links_t.c.token_hash == token_hash(token))).first()
    return _link(row) if row else None


def links_for(engine: Engine, period: str | None = None) -> list[Link]:
    q = select(links_t).order_by(links_t.c.period, links_t.c.institution, links_t.c.id)
    if period:
        q = q.where(links_t.c.period == period)
    with engine.connect() as conn:
        return [_link(r) for r in conn.execute(q)]


def revoke_link(engine: Engine, link_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(links_t)
            .where(links_t.c.id == link_id, links_t.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def extend_link(engine: Engine, link_id: int, until: dt.datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(links_t).where(links_t.c.id == link_id).values(expires_at=until))


def link_drafts(
    plan: Plan,
    period: Period,
    issued: list[tuple[str, str, Link]],
    workbooks: dict[str, Path],
) -> bytes:
    """A zip of e-mail drafts, one per (institution, url, link): the round's message and
    workbook, plus the upload link in the link's language. Made in memory only: the
    tokens are never written to the server's disk."""
    from ..locales import catalog
    from ..mail import _message, round_body
    from .i18n import texts

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for inst_id, url, link in issued:
            inst = plan.institution(inst_id)
            if not inst.emails or inst_id not in workbooks:
                continue
            cat = catalog(link.lang)
            due = period.due_date(plan.reporting.grace_days).isoformat()
            subject = cat.text("mail.subject", plan=plan.title, period=period.label, due=due)
            until = (link.expires_at - dt.timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M")
            extra = texts(link.lang).text(
                "page.mail_link", url=url, until=until, institution=inst.name
            )
            body = round_body(plan, period, inst, cat).rstrip("\n") + "\n\n" + extra + "\n"
            msg = _message(plan, inst, subject, body, workbooks[inst_id])
            zf.writestr(f"{workbooks[inst_id].stem}.eml", msg.as_bytes())
    return buf.getvalue()
