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
import errno
import functools
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from .arrival import Source, complete_arrival, show, utc
from .atomic import TEMP_PREFIX, fsync_dir, is_temp_name, temp_path
from .discovery import CHUNK, hash_file, open_regular
from .errors import Location, Problem, Severity, StoreError, fail
from .identity import Identity
from .names import shown
from .reader import ActivityReport, CellRef, ReportedValue, Submission
from .return_rule import choose

SCHEMA_VERSION = 3
metadata = MetaData()
P = ParamSpec("P")
R = TypeVar("R")

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
    # schema 3 (issue 15): the exact bytes of the name (``file_name`` is it shown safely)
    Column("file_name_raw", LargeBinary),
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


def _v3(engine: Engine) -> None:
    """The exact bytes of each file's name (names that are not UTF-8 are kept exactly)."""
    cols = {c["name"] for c in inspect(engine).get_columns("returns")}
    if "file_name_raw" not in cols:
        kind = LargeBinary().compile(dialect=engine.dialect)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE returns ADD COLUMN file_name_raw {kind}")


def _v2(engine: Engine) -> None:
    """Arrival time, sender and subject on returns; the evaluations table (issue 13).

    Existing returns get the time the store first saw them as their arrival, and their
    first evaluation from what was recorded at ingest."""
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
MIGRATIONS: dict[int, Callable[[Engine], None]] = {1: _v1, 2: _v2, 3: _v3}

_SQLITE_CODES = (
    ("readonly", "store-read-only"),
    ("read-only", "store-read-only"),
    ("disk is full", "store-disk-full"),
    ("is locked", "store-locked"),
    ("not a database", "store-corrupt"),
    ("malformed", "store-corrupt"),
    ("unable to open", "store-folder-missing"),
)
_ERRNO_CODES = {
    errno.ENOSPC: "store-disk-full",
    errno.EDQUOT: "store-disk-full",
    errno.EROFS: "store-read-only",
    errno.EACCES: "store-read-only",
    errno.EPERM: "store-read-only",
}


def store_error(exc: BaseException, where: str) -> StoreError:
    """The coded error for a database or archive failure (what happened, what to do)."""
    text = str(getattr(exc, "orig", None) or exc)
    code = "store-error"
    if isinstance(exc, OSError):
        code = _ERRNO_CODES.get(exc.errno or 0, "store-error")
        text = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    else:
        low = text.lower()
        code = next((c for key, c in _SQLITE_CODES if key in low), "store-error")
        if code == "store-folder-missing" and Path(where).parent.is_dir():
            code = "store-read-only"
    err = fail(StoreError, code, f"{text.splitlines()[0][:300]}", Location(file=where))
    assert isinstance(err, StoreError)
    return err


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn database and archive failures inside a Store method into a StoreError."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except StoreError:
            raise
        except (SQLAlchemyError, DBAPIError, OSError, sqlite3.Error) as exc:
            store = args[0]
            assert isinstance(store, Store)
            raise store_error(exc, store.where) from None

    return wrapper


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
    """The history store. Every database or archive failure is raised as a
    :class:`StoreError` with a catalog code (read-only, full, corrupt, locked, missing
    folder); a database that is empty or missing while its archive holds returns is an
    error (``store-history-missing``) unless ``rebuild`` is given."""

    def __init__(self, url: str, *, rebuild: bool = False, lock_timeout: float = 60) -> None:
        self.url = as_url(url)
        self.sqlite_path = (
            Path(self.url.removeprefix("sqlite:///")) if self.url.startswith("sqlite:///") else None
        )
        self.root = self._root()
        self._cleaned = False
        path = self.sqlite_path
        if path is not None:
            if not path.parent.is_dir():
                raise fail(
                    StoreError,
                    "store-folder-missing",
                    f"the folder {path.parent} does not exist",
                    Location(file=str(path)),
                )
            empty = not path.exists() or path.stat().st_size == 0
            if empty and not rebuild and self.archived_count(1):
                raise self._history_missing("the database file is missing or empty (0 bytes)")
        kwargs: dict[str, Any] = {}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": lock_timeout}
        try:
            self.engine = create_engine(self.url, **kwargs)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise fail(
                StoreError, "store-error", str(exc)[:300], Location(file=self.where)
            ) from None
        if self.url.startswith("sqlite"):
            busy_ms = int(lock_timeout * 1000)
            event.listen(self.engine, "connect", lambda c, r: _sqlite_pragmas(c, r, busy_ms))
            event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        self.migrate()
        if not rebuild and self.count() == 0 and self.archived_count(1):
            raise self._history_missing("the database holds no returns")

    @property
    def where(self) -> str:
        """The store as a user names it (a path, or the URL without its password)."""
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        try:
            from sqlalchemy.engine import make_url

            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return self.url.split("@")[-1]

    def _history_missing(self, what: str) -> StoreError:
        n = self.archived_count()
        err = fail(
            StoreError,
            "store-history-missing",
            f"{what}, but its archive {self.archive_dir} holds {n} return file(s): the"
            " history is missing. Restore the database from a backup, or rebuild it with"
            " `mne-workbook ingest --rebuild --plan PLAN"
            + (f" --db {self.sqlite_path}`" if self.sqlite_path else "`"),
            Location(file=self.where),
        )
        assert isinstance(err, StoreError)
        return err

    def archived_files(self) -> list[Path]:
        """Every archived return file (``mne-archive/xx/<sha>.xlsx``), sorted."""
        out: list[Path] = []
        if not self.archive_dir.is_dir():
            return out
        for sub in sorted(self.archive_dir.iterdir()):
            if sub.is_dir() and not sub.is_symlink() and len(sub.name) == 2:
                out += sorted(
                    f for f in sub.iterdir() if f.suffix == ".xlsx" and not is_temp_name(f.name)
                )
        return out

    def archived_count(self, stop: int | None = None) -> int:
        """How many files the archive holds (counting stops at ``stop``)."""
        n = 0
        if not self.archive_dir.is_dir():
            return 0
        with os.scandir(self.archive_dir) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False) and len(entry.name) == 2:
                    with os.scandir(entry.path) as files:
                        n += sum(1 for f in files if f.name.endswith(".xlsx"))
                if stop is not None and n >= stop:
                    return n
        return n

    @_guarded
    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(returns)).scalar_one())

    def _root(self) -> Path:
        if self.sqlite_path is not None:
            return self.sqlite_path.resolve().parent
        return Path.cwd()

    def own_files(self) -> list[Path]:
        """The store's files, which input discovery must never read as returns."""
        out = [self.archive_dir]
        if self.sqlite_path is not None:
            out += [Path(f"{self.sqlite_path}{x}") for x in ("", "-wal", "-shm", "-journal")]
        return out

    @property
    def archive_dir(self) -> Path:
        return self.root / "mne-archive"

    @_guarded
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

    @_guarded
    def version(self) -> int:
        with self.engine.connect() as conn:
            row = conn.execute(select(schema_info.c.version)).first()
        return int(row[0]) if row else 0

    # -- writing -------------------------------------------------------------------

    def _clean_stale(self) -> None:
        """Remove temporary files a killed ingest left in the archive. Called inside the
        write transaction: with SQLite no other ingest is staging a file then."""
        if self._cleaned or not self.archive_dir.is_dir():
            return
        self._cleaned = True
        max_age = 0 if self.sqlite_path is not None else 3600
        now = dt.datetime.now().timestamp()
        for f in self.archive_dir.iterdir():
            if f.name.startswith(TEMP_PREFIX):
                try:
                    if now - f.lstat().st_mtime >= max_age:
                        f.unlink()
                except FileNotFoundError:
                    pass

    def _stage(self, source: str, size: int, sha: str) -> Path:
        """Copy ``source`` (a regular file, never followed through a link) to a
        temporary file in the archive, checking that it is still the bytes read."""
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(self.archive_dir, ".xlsx")
        try:
            h = hashlib.sha256()
            copied = 0
            with os.fdopen(open_regular(source), "rb") as src, tmp.open("wb") as dst:
                while copied <= size and (chunk := src.read(CHUNK)):
                    h.update(chunk)
                    copied += len(chunk)
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            if copied != size or h.hexdigest() != sha:
                raise fail(
                    StoreError,
                    "store-error",
                    "the file changed while it was being read; run the command again",
                    Location(file=source),
                )
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    @_guarded
    def known(self, shas: Iterable[str], zone: dt.tzinfo | None = None) -> dict[str, IngestResult]:
        """Which of these SHA-256 digests are already stored, as they were stored."""
        wanted = list(dict.fromkeys(shas))
        found: dict[str, IngestResult] = {}
        cols = (
            returns.c.sha256,
            returns.c.file_name,
            returns.c.accepted,
            returns.c.institution,
            returns.c.period,
            returns.c.arrived_at,
            returns.c.arrival_source,
        )
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                for sha, name, ok, inst, per, at, src in conn.execute(
                    select(*cols).where(returns.c.sha256.in_(part))
                ):
                    found[sha] = IngestResult(
                        name, sha, False, bool(ok), inst or "", per or "", show(at, zone), src or ""
                    )
        return found

    @_guarded
    def ingest(
        self,
        sub: Submission,
        now: dt.datetime | None = None,
        *,
        raw_name: bytes | None = None,
        max_archive_bytes: int | None = None,
        zone: dt.tzinfo | None = None,
    ) -> IngestResult:
        """Record one read return and archive its bytes; a known file is a no-op.

        The bytes are staged to a temporary file first; the rows are inserted and the
        file renamed into place inside one transaction, so a failure (full disk, a
        kill) leaves neither a row without its file nor a half-written file under a
        final name. Files larger than ``max_archive_bytes`` (refused as too large) are
        recorded without their bytes.

        Its arrival is the e-mail's when it came as an attachment, else the inbox file's
        time; the store keeps it, so the same bytes seen again keep their first arrival."""
        complete_arrival(sub, now)
        if sub.sha256 and sub.size:
            size, sha = sub.size, sub.sha256
        else:
            size, sha = hash_file(sub.path)
        ident = sub.identity
        result = IngestResult(
            shown(sub.name),
            sha,
            True,
            sub.accepted,
            ident.institution if ident else "",
            ident.period if ident else "",
            show(sub.arrived_at, zone),
            sub.arrival_source,
        )
        known = self.known([sha], zone).get(sha)
        if known is not None:
            return replace(
                result,
                new=False,
                arrived_at=known.arrived_at,
                arrival_source=known.arrival_source or str(Source.STORE),
            )
        keep = max_archive_bytes is None or size <= max_archive_bytes
        rel = Path(sha[:2]) / f"{sha}.xlsx"
        staged: Path | None = None
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(returns.c.id).where(returns.c.sha256 == sha)).first():
                    return IngestResult(**{**result.__dict__, "new": False})
                self._clean_stale()
                target = self.archive_dir / rel
                if keep and not target.exists():
                    staged = self._stage(sub.path, size, sha)
                self._insert(
                    conn,
                    sub,
                    sha,
                    size,
                    str(Path("mne-archive") / rel) if keep else "",
                    now,
                    raw_name,
                )
                if staged is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    # what the bytes cannot tell, for `ingest --rebuild` after a lost database
                    target.with_suffix(".json").write_text(
                        json.dumps(_provenance(sub, raw_name, now)), "utf-8"
                    )
                    os.replace(staged, target)
                    staged = None
                    fsync_dir(target.parent)
        except IntegrityError:  # another ingest stored the same bytes meanwhile
            return IngestResult(**{**result.__dict__, "new": False})
        finally:
            if staged is not None:
                staged.unlink(missing_ok=True)
        return result

    def _insert(
        self,
        conn: Any,
        sub: Submission,
        sha: str,
        size: int,
        archive: str,
        now: dt.datetime | None,
        raw_name: bytes | None,
    ) -> None:
        ident = sub.identity
        inserted = conn.execute(
            insert(returns).values(
                sha256=sha,
                file_name=shown(sub.name),
                file_name_raw=raw_name if raw_name is not None else os.fsencode(sub.name),
                size=size,
                **_identity_columns(ident),
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

    # -- reading -------------------------------------------------------------------

    @_guarded
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

    @_guarded
    def periods(self, plan_id: str) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(returns.c.period)
                .where(returns.c.plan_id == plan_id, returns.c.accepted.is_(True))
                .distinct()
            ).all()
        return sorted(r[0] for r in rows if r[0])

    @_guarded
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
                    **_identity_columns(ident),
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

    @_guarded
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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, busy_ms: int = 60000) -> None:
    dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN IMMEDIATE take the lock
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cur.close()


def _provenance(sub: Submission, raw_name: bytes | None, now: dt.datetime | None) -> dict[str, Any]:
    """The archive's sidecar: the name's exact bytes, arrival, sender, first ingest."""
    name = raw_name if raw_name is not None else os.fsencode(sub.name)
    return {
        "name_hex": name.hex(),
        "arrived_at": utc(sub.arrived_at).isoformat() if sub.arrived_at else None,
        "arrival_source": sub.arrival_source or None,
        "sender": sub.sender or None,
        "subject": sub.subject or None,
        "ingested_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
    }


def _identity_columns(ident: Identity | None) -> dict[str, str | None]:
    """The returns row's columns that come from a return's identity (None without one)."""
    if ident is None:
        return dict.fromkeys(
            ("plan_id", "plan_version", "plan_fingerprint", "institution", "period", "identity")
        )
    return {
        "plan_id": ident.plan_id,
        "plan_version": ident.plan_version,
        "plan_fingerprint": ident.plan_fingerprint,
        "institution": ident.institution,
        "period": ident.period,
        "identity": json.dumps(dict(ident.pairs())),
    }


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
