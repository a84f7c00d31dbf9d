"""The reporting history: an append-only store of every return, through SQLAlchemy.

SQLite by default (a file next to the plan); any SQLAlchemy URL (PostgreSQL for an
office that outgrows one file). Nothing received is ever lost: every file's bytes are
archived content-addressed next to the database, every return (accepted or refused)
is a row, and a newer return for the same institution and period supersedes the older
one only in queries, never by deleting it. Ingesting the same file twice is a no-op.
The schema carries its version; :data:`MIGRATIONS` brings an older store up to date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from .arrival import Source, complete_arrival, show, utc
from .errors import Location, Problem, Severity
from .identity import Identity
from .reader import ActivityReport, CellRef, ReportedValue, Submission
from .return_rule import choose

SCHEMA_VERSION = 2
metadata = MetaData()

schema_info = Table("schema_info", metadata, Column("version", Integer, nullable=False))
returns = Table(
    "returns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("file_name", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("plan_id", String(64)),
    Column("plan_version", Text),
    Column("plan_fingerprint", String(32)),
    Column("institution", String(64), index=True),
    Column("period", String(16), index=True),
    Column("identity", Text),  # JSON of the whole identity
    Column("saved_at", DateTime),
    Column("ingested_at", DateTime, nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("archive", Text, nullable=False),  # path of the archived bytes, relative to the store
    # schema 2 (issue 13): when it arrived and from where; the e-mail that carried it
    Column("arrived_at", DateTime),  # UTC
    Column("arrival_source", String(32)),
    Column("sender", Text),
    Column("subject", Text),
)
#: every reading of a stored return: the first at ingest, later ones when a refusal
#: reason went away (a key supplied, a limit raised) or on ``ingest --recheck``
evaluations_t = Table(
    "evaluations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("return_id", ForeignKey("returns.id"), nullable=False, index=True),
    Column("evaluated_at", DateTime, nullable=False),
    Column("trigger", String(32), nullable=False),  # ingest | recheck | key-now-known | ...
    Column("accepted", Boolean, nullable=False),
    Column("code", String(48)),  # the refusal's code, when refused
    Column("message", Text),
)
values_t = Table(
    "reported_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("return_id", ForeignKey("returns.id"), nullable=False, index=True),
    Column("activity", String(32), nullable=False),
    Column("indicator", String(64), nullable=False),
    Column("point_end", Date, nullable=False),
    Column("point", String(16), nullable=False),
    Column("value", Text, nullable=False),  # JSON: number, bool or text
    Column("cell", String(32)),
)
activities_t = Table(
    "activity_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("return_id", ForeignKey("returns.id"), nullable=False, index=True),
    Column("activity", String(32), nullable=False),
    Column("status", Integer),
    Column("rating_hy", Integer),
    Column("rating_y", Integer),
    Column("comment", Text),
)
problems_t = Table(
    "problems",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("return_id", ForeignKey("returns.id"), nullable=False, index=True),
    Column("code", String(48), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("message", Text, nullable=False),
    Column("sheet", String(64)),
    Column("row", Integer),
    Column("col", String(8)),
)


def _v1(engine: Engine) -> None:
    metadata.create_all(engine)


def _v2(engine: Engine) -> None:
    """Arrival time, sender and subject on returns; the evaluations table (issue 13).

    Existing returns get the time the store first saw them as their arrival, and their
    first evaluation from what was recorded at ingest."""
    from sqlalchemy import inspect

    have = {c["name"] for c in inspect(engine).get_columns("returns")}
    added = {
        "arrived_at": "TIMESTAMP",
        "arrival_source": "VARCHAR(32)",
        "sender": "TEXT",
        "subject": "TEXT",
    }
    with engine.begin() as conn:
        for name, kind in added.items():
            if name not in have:
                conn.exec_driver_sql(f"ALTER TABLE returns ADD COLUMN {name} {kind}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            returns.update()
            .where(returns.c.arrived_at.is_(None))
            .values(arrived_at=returns.c.ingested_at, arrival_source=str(Source.STORE))
        )
        known = {r[0] for r in conn.execute(select(evaluations_t.c.return_id))}
        for r in conn.execute(select(returns.c.id, returns.c.ingested_at, returns.c.accepted)):
            if r.id not in known:
                conn.execute(
                    insert(evaluations_t).values(
                        return_id=r.id,
                        evaluated_at=r.ingested_at,
                        trigger="ingest",
                        accepted=r.accepted,
                    )
                )


#: version -> migration that brings a store from version-1 to version.
MIGRATIONS: dict[int, Callable[[Engine], None]] = {1: _v1, 2: _v2}


def default_url(plan_path: str | Path) -> str:
    p = Path(plan_path)
    return f"sqlite:///{p.with_name(p.stem + '.mne.sqlite')}"


def as_url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{Path(db)}"


@dataclass(frozen=True)
class IngestResult:
    name: str
    sha256: str
    new: bool  # False: the same bytes were already in the store
    accepted: bool
    institution: str
    period: str
    arrived_at: str = ""  # as shown (see arrival.show); the stored one for known bytes
    arrival_source: str = ""


@dataclass(frozen=True)
class StoredRefusal:
    """A refused return in the store, as re-evaluation needs it."""

    id: int
    file_name: str
    archive: Path
    code: str  # why it was refused
    size: int
    key_id: str  # the signing key its identity names ("" when unknown)
    arrived_at: dt.datetime
    arrival_source: str
    sender: str
    subject: str


@dataclass(frozen=True)
class Evaluation:
    """One reading of a stored return (the audit trail of refusals and re-readings)."""

    at: dt.datetime
    trigger: str  # ingest | recheck | key-now-known | limit-raised
    accepted: bool
    code: str  # the refusal's code ("" when accepted)
    message: str


@dataclass(frozen=True)
class ReturnRow:
    """One received file, as the audit trail shows it."""

    id: int
    file_name: str
    sha256: str
    institution: str
    period: str
    plan_version: str
    saved_at: dt.datetime | None
    ingested_at: dt.datetime
    accepted: bool
    archive: str
    superseded_by: str = ""  # file name of the newer return, when there is one
    arrived_at: dt.datetime | None = None  # UTC
    arrival_source: str = ""
    sender: str = ""


class Store:
    def __init__(self, url: str) -> None:
        self.url = as_url(url)
        kwargs: dict[str, Any] = {}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 60}
        self.engine = create_engine(self.url, **kwargs)
        if self.url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        self.root = self._root()
        self.migrate()

    def _root(self) -> Path:
        if self.url.startswith("sqlite:///"):
            return Path(self.url.removeprefix("sqlite:///")).resolve().parent
        return Path.cwd()

    @property
    def archive_dir(self) -> Path:
        return self.root / "mne-archive"

    def migrate(self) -> int:
        """Create or upgrade the schema; returns the version now in force."""
        with self.engine.begin() as conn:
            schema_info.create(conn, checkfirst=True)
            row = conn.execute(select(schema_info.c.version)).first()
            current = row[0] if row else 0
        for version in sorted(v for v in MIGRATIONS if v > current):
            MIGRATIONS[version](self.engine)
            with self.engine.begin() as conn:
                conn.execute(schema_info.delete())
                conn.execute(insert(schema_info).values(version=version))
            current = version
        return current

    def version(self) -> int:
        with self.engine.connect() as conn:
            row = conn.execute(select(schema_info.c.version)).first()
        return int(row[0]) if row else 0

    # -- writing -------------------------------------------------------------------

    def archive(self, data: bytes, sha: str) -> str:
        """Keep the bytes under their hash; writing the same bytes twice is harmless."""
        rel = Path(sha[:2]) / f"{sha}.xlsx"
        target = self.archive_dir / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        return str(Path("mne-archive") / rel)

    def ingest(self, sub: Submission, now: dt.datetime | None = None) -> IngestResult:
        """Record one read return (and archive its bytes); a known file is a no-op.

        Its arrival is the e-mail's when it came as an attachment, else the inbox file's
        time; the store keeps it, so the same bytes seen again keep their first arrival."""
        complete_arrival(sub, now)
        data = Path(sub.path).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        ident = sub.identity
        result = IngestResult(
            sub.name,
            sha,
            True,
            sub.accepted,
            ident.institution if ident else "",
            ident.period if ident else "",
            show(sub.arrived_at),
            sub.arrival_source,
        )
        with self.engine.connect() as conn:
            known = conn.execute(
                select(returns.c.arrived_at, returns.c.arrival_source).where(
                    returns.c.sha256 == sha
                )
            ).first()
            if known:
                return replace(
                    result,
                    new=False,
                    arrived_at=show(known[0]),
                    arrival_source=known[1] or str(Source.STORE),
                )
        archive = self.archive(data, sha)
        try:
            with self.engine.begin() as conn:
                inserted = conn.execute(
                    insert(returns).values(
                        sha256=sha,
                        file_name=sub.name,
                        size=len(data),
                        plan_id=ident.plan_id if ident else None,
                        plan_version=ident.plan_version if ident else None,
                        plan_fingerprint=ident.plan_fingerprint if ident else None,
                        institution=ident.institution if ident else None,
                        period=ident.period if ident else None,
                        identity=json.dumps(dict(ident.pairs())) if ident else None,
                        saved_at=sub.saved_at.replace(tzinfo=None) if sub.saved_at else None,
                        ingested_at=(now or dt.datetime.now(dt.UTC)).replace(tzinfo=None),
                        accepted=sub.accepted,
                        archive=archive,
                        arrived_at=_naive(sub.arrived_at),
                        arrival_source=sub.arrival_source or None,
                        sender=sub.sender or None,
                        subject=sub.subject or None,
                    )
                ).inserted_primary_key
                assert inserted is not None
                rid = inserted[0]
                _evaluation(conn, rid, sub, "ingest", now)
                _contents(conn, rid, sub)
        except IntegrityError:  # another ingest stored the same bytes meanwhile
            return IngestResult(**{**result.__dict__, "new": False})
        return result

    # -- reading -------------------------------------------------------------------

    def returns(self, period: str | None = None, plan_id: str | None = None) -> list[ReturnRow]:
        """Every received file (the audit trail), oldest first, with what superseded it."""
        q = select(returns).order_by(returns.c.ingested_at, returns.c.id)
        if period:
            q = q.where(returns.c.period == period)
        if plan_id:
            q = q.where(returns.c.plan_id == plan_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        fate: dict[str, str] = {}  # archive path -> what the one rule made of the file
        for plan, per in sorted({(r["plan_id"], r["period"]) for r in rows if r["accepted"]}):
            fate.update(choose(self.submissions(plan, per)).notes)
        out = []
        for r in rows:
            note = fate.get(str(self.root / r["archive"]), "")
            sup = note.split(" by ", 1)[1] if note.startswith("superseded by ") else ""
            if note.startswith(("duplicate of ", "empty")):
                sup = note
            out.append(
                ReturnRow(
                    r["id"],
                    r["file_name"],
                    r["sha256"],
                    r["institution"] or "",
                    r["period"] or "",
                    r["plan_version"] or "",
                    r["saved_at"],
                    r["ingested_at"],
                    bool(r["accepted"]),
                    r["archive"],
                    sup,
                    r["arrived_at"],
                    r["arrival_source"] or "",
                    r["sender"] or "",
                )
            )
        return out

    def periods(self, plan_id: str) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(returns.c.period)
                .where(returns.c.plan_id == plan_id, returns.c.accepted.is_(True))
                .distinct()
            ).all()
        return sorted(r[0] for r in rows if r[0])

    def submissions(self, plan_id: str, period: str) -> list[Submission]:
        """The stored returns of a period rebuilt as Submissions (all of them, refused too)."""
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(returns)
                    .where(returns.c.plan_id == plan_id, returns.c.period == period)
                    .order_by(returns.c.id)
                )
                .mappings()
                .all()
            )
            ids = [r["id"] for r in rows]
            vals = (
                conn.execute(select(values_t).where(values_t.c.return_id.in_(ids))).mappings().all()
            )
            acts = (
                conn.execute(select(activities_t).where(activities_t.c.return_id.in_(ids)))
                .mappings()
                .all()
            )
            probs = (
                conn.execute(select(problems_t).where(problems_t.c.return_id.in_(ids)))
                .mappings()
                .all()
            )
        out = []
        for r in rows:
            ident = Identity.from_mapping(json.loads(r["identity"])) if r["identity"] else None
            sub = Submission(
                path=str(self.root / r["archive"]),
                size=r["size"],
                sha256=r["sha256"],
                identity=ident,
                saved_at=r["saved_at"],
                refused=not r["accepted"],
                file_name=r["file_name"],
                arrived_at=utc(r["arrived_at"] or r["ingested_at"]),
                arrival_source=r["arrival_source"] or str(Source.STORE),
                sender=r["sender"] or "",
                subject=r["subject"] or "",
            )
            for v in (v for v in vals if v["return_id"] == r["id"]):
                sheet, _, ref = (v["cell"] or "!").partition("!")
                cell = CellRef(
                    sheet,
                    int("".join(c for c in ref if c.isdigit()) or 0),
                    "".join(c for c in ref if c.isalpha()),
                )
                sub.values.append(
                    ReportedValue(
                        v["activity"],
                        v["indicator"],
                        v["point_end"],
                        v["point"],
                        json.loads(v["value"]),
                        cell,
                    )
                )
            for a in (a for a in acts if a["return_id"] == r["id"]):
                sub.activities[a["activity"]] = ActivityReport(
                    a["activity"], a["status"], a["rating_hy"], a["rating_y"], a["comment"]
                )
            for p in (p for p in probs if p["return_id"] == r["id"]):
                sub.problems.append(
                    Problem(
                        p["code"],
                        p["message"],
                        Location(
                            file=r["file_name"], sheet=p["sheet"], row=p["row"], column=p["col"]
                        ),
                        Severity(p["severity"]),
                    )
                )
            out.append(sub)
        return out

    # -- re-evaluation (issue 13) ----------------------------------------------------

    def refused_returns(self) -> list[StoredRefusal]:
        """Every stored return that is refused now, with the code of its refusal."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(returns).where(returns.c.accepted.is_(False))).mappings()
            out = []
            for r in rows.all():
                last = conn.execute(
                    select(evaluations_t.c.code)
                    .where(evaluations_t.c.return_id == r["id"])
                    .order_by(evaluations_t.c.id.desc())
                ).first()
                code = last[0] if last and last[0] else None
                if code is None:  # a return stored before schema 2: its last error
                    err = conn.execute(
                        select(problems_t.c.code)
                        .where(problems_t.c.return_id == r["id"], problems_t.c.severity == "error")
                        .order_by(problems_t.c.id.desc())
                    ).first()
                    code = err[0] if err else ""
                ident = json.loads(r["identity"]) if r["identity"] else {}
                out.append(
                    StoredRefusal(
                        r["id"],
                        r["file_name"],
                        self.root / r["archive"],
                        code,
                        r["size"],
                        str(ident.get("key_id") or ""),
                        utc(r["arrived_at"] or r["ingested_at"]),
                        r["arrival_source"] or str(Source.STORE),
                        r["sender"] or "",
                        r["subject"] or "",
                    )
                )
        return out

    def reevaluate(
        self, rid: int, sub: Submission, trigger: str, now: dt.datetime | None = None
    ) -> None:
        """Record a new reading of stored return ``rid``: its row now says what this
        reading found (values, problems, identity); the evaluations table keeps both."""
        ident = sub.identity
        with self.engine.begin() as conn:
            for table in (values_t, activities_t, problems_t):
                conn.execute(table.delete().where(table.c.return_id == rid))
            conn.execute(
                returns.update()
                .where(returns.c.id == rid)
                .values(
                    accepted=sub.accepted,
                    plan_id=ident.plan_id if ident else None,
                    plan_version=ident.plan_version if ident else None,
                    plan_fingerprint=ident.plan_fingerprint if ident else None,
                    institution=ident.institution if ident else None,
                    period=ident.period if ident else None,
                    identity=json.dumps(dict(ident.pairs())) if ident else None,
                    saved_at=_naive(sub.saved_at),
                )
            )
            _contents(conn, rid, sub)
            _evaluation(conn, rid, sub, trigger, now)

    def evaluations(self, rid: int) -> list[Evaluation]:
        """Every reading of stored return ``rid``, oldest first (the audit trail)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(evaluations_t)
                .where(evaluations_t.c.return_id == rid)
                .order_by(evaluations_t.c.id)
            ).mappings()
            return [
                Evaluation(
                    r["evaluated_at"],
                    r["trigger"],
                    bool(r["accepted"]),
                    r["code"] or "",
                    r["message"] or "",
                )
                for r in rows.all()
            ]

    def last_reported(
        self, plan_id: str, before: dt.date | None = None
    ) -> dict[tuple[str, str], dt.date]:
        """(activity, indicator) -> end of the last collection period with a value."""
        q = (
            select(values_t.c.activity, values_t.c.indicator, values_t.c.point_end)
            .join(returns, returns.c.id == values_t.c.return_id)
            .where(returns.c.plan_id == plan_id, returns.c.accepted.is_(True))
        )
        if before:
            q = q.where(values_t.c.point_end <= before)
        out: dict[tuple[str, str], dt.date] = {}
        with self.engine.connect() as conn:
            for act, ind, end in conn.execute(q):
                key = (act, ind)
                if key not in out or end > out[key]:
                    out[key] = end
        return out


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN IMMEDIATE take the lock
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.close()


def _naive(when: dt.datetime | None) -> dt.datetime | None:
    """UTC without a zone, as the DateTime columns keep it."""
    return utc(when).replace(tzinfo=None) if when is not None else None


def _contents(conn: Any, rid: int, sub: Submission) -> None:
    """Insert what a reading of return ``rid`` found: values, activity reports, problems."""
    if sub.values:
        conn.execute(
            insert(values_t),
            [
                {
                    "return_id": rid,
                    "activity": v.activity,
                    "indicator": v.indicator,
                    "point_end": v.point_end,
                    "point": v.point,
                    "value": json.dumps(v.value),
                    "cell": str(v.cell),
                }
                for v in sub.values
            ],
        )
    reports = [a for a in sub.activities.values()]
    if reports:
        conn.execute(
            insert(activities_t),
            [
                {
                    "return_id": rid,
                    "activity": a.activity,
                    "status": a.status,
                    "rating_hy": a.rating_hy,
                    "rating_y": a.rating_y,
                    "comment": a.comment,
                }
                for a in reports
            ],
        )
    if sub.problems:
        conn.execute(
            insert(problems_t),
            [
                {
                    "return_id": rid,
                    "code": p.code,
                    "severity": str(p.severity),
                    "message": p.message,
                    "sheet": p.location.sheet,
                    "row": p.location.row,
                    "col": p.location.column,
                }
                for p in sub.problems
            ],
        )


def _evaluation(
    conn: Any, rid: int, sub: Submission, trigger: str, now: dt.datetime | None
) -> None:
    reason = sub.refusal()
    conn.execute(
        insert(evaluations_t).values(
            return_id=rid,
            evaluated_at=_naive(now or dt.datetime.now(dt.UTC)),
            trigger=trigger,
            accepted=sub.accepted,
            code=reason.code if reason else None,
            message=reason.message if reason else None,
        )
    )
