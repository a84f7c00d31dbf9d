"""The commands' workflows as library functions: paths and objects in, data out.

Each function here is one command's job (a round of workbooks, a consolidation with
or without the store, the status table, the reminder round, the yearly report, an
ingest, a plan update); ``cli.py`` only parses, calls one of them, renders the result
and sets the exit code. None of them prints or exits; problems are raised as
:class:`~mne_workbook.errors.MneError` subclasses or returned as data.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .arrival import plan_zone
from .discovery import Discovery, Input
from .errors import Location, Problem, UsageError, fail
from .safety import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from .consolidate import Consolidation
    from .generate import GeneratedWorkbook
    from .intake import Inputs
    from .mail import MailResult, SmtpSettings
    from .parallel import Bounds
    from .periods import Period
    from .plan import Plan
    from .planning import PlanUpdate
    from .reader import Submission
    from .recheck import Rechecked
    from .safety import Limits
    from .signing import KeyRing
    from .spill import Spill
    from .store import Store
    from .storing import Ingested


# --------------------------------------------------------------------------- shared pieces


@dataclass(frozen=True)
class ReadSettings:
    """How returned files are read: keys, whether a signature is required, bounds."""

    key_file: Path | None = None
    require_signature: bool = True
    workers: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = 1024
    max_file_mb: int = 20

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    def limits(self) -> Limits:
        """The file gate's limits under these settings."""
        from .safety import Limits

        return Limits(max_file_bytes=self.max_file_bytes)

    def bounds(self) -> Bounds:
        """The per-file time and memory bounds of the reading processes."""
        from .parallel import Bounds

        return Bounds(timeout=self.timeout, memory_mb=self.memory_mb)

    def keys(self) -> KeyRing | None:
        """The keys that verify returns; ``key-not-found`` when a signature is required
        and there is no key anywhere (said once, not as a refusal of every return)."""
        from .signing import keys_for_reading

        return keys_for_reading(self.key_file, self.require_signature)

    def key_warnings(self) -> list[Problem]:
        """What is wrong with the key file that is not fatal (readable by others)."""
        from .signing import load_keys

        ring = load_keys(self.key_file, create=False)
        return list(ring.warnings) if ring else []

    def read(
        self,
        files: Sequence[Input | Path],
        plan: Plan,
        period: Period | None,
        progress: Callable[[int], Any] | None = None,
        *,
        master: bool = False,
    ) -> list[Submission]:
        """Read workbooks and saved e-mails' attachments through the one bounded path
        (the extracted copies are gone when this returns; use :meth:`reading` to keep
        them, e.g. to ingest)."""
        with self.reading(files, plan, period, progress, master=master) as got:
            return got.submissions

    def read_workbooks(self, files: Sequence[Path], plan: Plan) -> list[Submission]:
        """Read workbooks only (no e-mails, no arrival): for re-reading stored returns."""
        from .parallel import read_many

        return read_many(
            files,
            plan,
            None,
            keys=self.keys(),
            require_signature=self.require_signature,
            workers=self.workers,
            limits=self.limits(),
            bounds=self.bounds(),
        )

    def reading(
        self,
        files: Sequence[Input | Path],
        plan: Plan,
        period: Period | None,
        progress: Callable[[int], Any] | None = None,
        *,
        master: bool = False,
        spill: Spill | None = None,
    ) -> AbstractContextManager[Inputs]:
        """:func:`intake.read_inputs` with these settings (a ``with`` block); with
        ``spill``, accepted returns' answers wait on disk (:mod:`spill`)."""
        from .intake import read_inputs

        return read_inputs(
            files,
            plan,
            period,
            keys=self.keys(),
            require_signature=self.require_signature,
            workers=self.workers,
            limits=self.limits(),
            bounds=self.bounds(),
            progress=progress,
            master=master,
            spill=spill,
        )


def collect_files(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> Discovery:
    """Every entry under ``paths`` (see :mod:`discovery`): regular files of any
    extension to read, everything else listed with a reason. ``exclude``: our own files
    (the store, this command's outputs)."""
    from .discovery import discover

    return discover(list(paths), exclude=exclude)


def check_outputs(targets: Iterable[Path], overwrite: bool, inputs: Iterable[Path] = ()) -> None:
    """Refuse (before anything is read or written) an output that exists without
    ``overwrite``, or that is one of the inputs."""
    targets = list(targets)
    if not overwrite:
        existing = [t for t in targets if t.exists()]
        if existing:
            raise fail(
                UsageError,
                "output-exists",
                f"{existing[0]} already exists",
                Location(file=str(existing[0])),
            )
    inputs_set = {f.resolve() for f in inputs}
    clash = [t for t in targets if t.resolve() in inputs_set]
    if clash:
        raise fail(
            UsageError,
            "output-exists",
            f"{clash[0]} is one of the inputs",
            Location(file=str(clash[0])),
        )


def plan_period(plan: Plan, label: str) -> Period:
    """A period of the plan's cycle inside its strategy (raises UsageError otherwise)."""
    from .periods import parse_reporting_period

    return parse_reporting_period(label, plan.reporting.cycle, plan.start_year, plan.end_year)


def open_store(db: str | None, plan_path: Path, create: bool, rebuild: bool = False) -> Store:
    """The history store named by ``db`` (default: next to the plan). Without ``create``
    a SQLite store that does not exist is refused instead of being created empty."""
    from .store import Store, as_url, default_url

    url = as_url(db) if db else default_url(plan_path)
    if not create and url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise fail(
                UsageError,
                "store-not-found",
                f"no history store at {path}",
                Location(file=str(path), path="--db"),
            )
    return Store(url, rebuild=rebuild)


def store_paths(db: str | None, plan_path: Path) -> list[Path]:
    """The files of the store named by ``db`` (default: next to the plan), without
    opening it: input discovery never reads them as returns."""
    from .store import as_url, default_url

    url = as_url(db) if db else default_url(plan_path)
    if not url.startswith("sqlite:///"):
        return []
    path = Path(url.removeprefix("sqlite:///"))
    return [path.parent / "mne-archive"] + [
        Path(f"{path}{x}") for x in ("", "-wal", "-shm", "-journal")
    ]


def send_drafts(drafts: Sequence[Any], smtp: SmtpSettings, dry_run: bool) -> list[str]:
    """Send drafts; a refused connection or login becomes ``mail-send-failed``."""
    import smtplib

    from .mail import send

    try:
        return send(drafts, smtp, dry_run)
    except (smtplib.SMTPException, OSError) as exc:
        raise fail(
            UsageError,
            "mail-send-failed",
            f"{smtp.host}:{smtp.port}: {type(exc).__name__}: {exc}",
            Location(path="--smtp"),
        ) from None


# --------------------------------------------------------------------------- generate


@dataclass
class Round:
    """What ``generate`` wrote: the workbooks, and the drafts when asked."""

    plan: Plan
    period: Period
    out_dir: Path
    workbooks: list[GeneratedWorkbook]
    seconds: float
    mail: MailResult | None = None
    sent: list[str] = field(default_factory=list)
    #: the signing key file this run created (the first generate): back it up
    key_created: Path | None = None
    key_warnings: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.label,
            "due_date": self.period.due_date(self.plan.reporting.grace_days).isoformat(),
            "out": str(self.out_dir),
            "workbooks": [w.to_dict() for w in self.workbooks],
            "drafts": mail_dict(self.mail),
            "sent": self.sent,
        }


def mail_dict(result: MailResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "drafts": [
            {"institution": d.institution, "path": str(d.path), "to": list(d.to)}
            for d in result.drafts
        ],
        "without_contact": list(result.without_contact),
    }


def password_from_env(var: str | None) -> str | None:
    """The sheet password held in environment variable ``var`` (UsageError if unset)."""
    if not var:
        return None
    password = os.environ.get(var)
    if not password:
        raise fail(
            UsageError,
            "password-env-missing",
            f"environment variable {var} is not set or empty",
            Location(path="--password-env"),
        )
    return password


def generate_round(
    plan: Plan,
    period: Period,
    out_dir: Path,
    *,
    key_file: Path | None = None,
    institutions: Sequence[str] = (),
    lang: str | None = None,
    password: str | None = None,
    overwrite: bool = False,
    master: bool = True,
    mail_dir: Path | None = None,
    smtp: SmtpSettings | None = None,
    dry_run: bool = False,
    workers: int = 1,
) -> Round:
    """Write the period's workbooks (signed), the drafts when ``mail_dir``, and send
    them when ``smtp``; ``workers`` processes write them (see :func:`generate.generate`)."""
    from .generate import generate
    from .mail import write_round_drafts
    from .signing import load_keys

    started = time.perf_counter()
    keys = load_keys(key_file, create=True)
    written = generate(
        plan,
        period,
        out_dir,
        keys=keys,
        institutions=list(institutions) or None,
        lang=lang,
        password=password,
        overwrite=overwrite,
        master=master,
        workers=workers,
    )
    result = Round(plan, period, out_dir, written, time.perf_counter() - started)
    if keys is not None:
        result.key_created = keys.created
        result.key_warnings = list(keys.warnings)
    if mail_dir is not None:
        pairs = [(w.institution, w.path) for w in written if w.kind == "institution"]
        result.mail = write_round_drafts(
            plan, period, pairs, mail_dir, lang or plan.languages[0], overwrite
        )
        if smtp is not None:
            result.sent = send_drafts(result.mail.drafts, smtp, dry_run)
    return result


# --------------------------------------------------------------------------- consolidate


@dataclass
class ConsolidationRun:
    """A consolidation and the files read for it in this run."""

    consolidation: Consolidation
    #: the files given in this run, accepted or refused; without the store, the answers
    #: of the accepted returns that do not count are not kept (:mod:`spill`)
    read: list[Submission]
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)  # e-mail parts not read, and why

    @property
    def refused(self) -> list[Submission]:
        return [s for s in self.read if s.refused]


def consolidate_returns(
    plan: Plan,
    period: Period,
    files: Sequence[Input | Path],
    reading: ReadSettings,
    *,
    store: Store | None = None,
    as_of: dt.date | None = None,
    progress: Callable[[int], Any] | None = None,
    older: Sequence[Plan] = (),
) -> ConsolidationRun:
    """Read ``files`` and consolidate the period; with ``store``, the files are ingested
    first and the consolidation uses every stored return and the history. A return made
    from one of the ``older`` plan versions is told what changed since (plan diff)."""
    from .consolidate import consolidate
    from .plan_diff import name_plan_changes

    started = time.perf_counter()
    skipped: list[str] = []
    if store is None:
        from .spill import Spill

        # thousands of returns: their answers wait on disk until the rule has chosen
        with Spill() as spill:
            with reading.reading(files, plan, period, progress, spill=spill) as got:
                subs = got.submissions
                skipped = got.skipped
            name_plan_changes(subs, plan, older)
            con = consolidate(plan, subs, period, as_of, held=spill)
    else:
        from .history import build_history  # the store's (SQLAlchemy): only with --db
        from .storing import ingest_inputs

        rows = ingest_inputs(
            store,
            [f if isinstance(f, Input) else Input(Path(f)) for f in files],
            lambda todo: reading.reading(todo, plan, period, progress),
            max_archive_bytes=reading.max_file_bytes,
            skipped=skipped,
            prepare=lambda read: name_plan_changes(read, plan, older),
            keep_submissions=True,
            zone=plan_zone(plan),
        )
        subs = [r.submission for r in rows if r.submission is not None]
        stored = store.submissions(plan.id, period.label)
        con = consolidate(plan, stored, period, as_of, store.last_reported(plan.id, period.end))
        con.history = build_history(store, plan, period, as_of)
    return ConsolidationRun(con, subs, time.perf_counter() - started, skipped)


@dataclass
class Outputs:
    """Files written for a result; ``pdf_note`` says why the PDF is missing."""

    written: list[Path]
    pdf_note: str = ""


def pdf_or_note(xlsx: Path) -> tuple[Path | None, str]:
    """Print ``xlsx`` to PDF; when LibreOffice cannot, the reason instead."""
    from .report import to_pdf

    try:
        return to_pdf(xlsx), ""
    except UsageError as exc:
        return None, "; ".join(str(p) for p in exc.report.problems)


def consolidation_targets(
    out_path: Path, csv_dir: Path | None, json_file: Path | None, pdf: bool
) -> list[Path]:
    targets = [out_path]
    if pdf:
        targets.append(out_path.with_suffix(".pdf"))
    if json_file is not None:
        targets.append(json_file)
    if csv_dir is not None:
        targets += [
            csv_dir / n for n in ("matrix.csv", "flags.csv", "submissions.csv", "reporting.csv")
        ]
    return targets


def write_consolidation(
    con: Consolidation,
    out_path: Path,
    *,
    csv_dir: Path | None = None,
    json_file: Path | None = None,
    pdf: bool = False,
) -> Outputs:
    """The consolidated workbook, and CSV / JSON / PDF when asked."""
    from .report import write_consolidated, write_csv, write_json

    write_consolidated(con, out_path)
    out = Outputs([out_path])
    if csv_dir is not None:
        out.written += write_csv(con, csv_dir)
    if json_file is not None:
        out.written.append(write_json(con, json_file))
    if pdf:
        made, out.pdf_note = pdf_or_note(out_path)
        if made is not None:
            out.written.append(made)
    return out


# --------------------------------------------------------------------------- ingest


def ingest_files(
    plan: Plan,
    store: Store,
    files: Sequence[Input | Path],
    reading: ReadSettings,
    progress: Callable[[int], Any] | None = None,
) -> list[Ingested]:
    """Keep every file (saved e-mails: their attachments), accepted or refused, in the
    store; bytes already stored are recognised by their hash and not read again."""
    from .storing import ingest_inputs

    return ingest_inputs(
        store,
        [f if isinstance(f, Input) else Input(Path(f)) for f in files],
        lambda todo: reading.reading(todo, plan, None, progress),
        max_archive_bytes=reading.max_file_bytes,
        zone=plan_zone(plan),
    )


def rebuild_store(
    plan: Plan, store: Store, reading: ReadSettings, progress: Callable[[int], Any] | None = None
) -> list[Ingested]:
    """Re-read every archived file into the store (after its database was lost)."""
    from .storing import archived_inputs, ingest_inputs

    inputs, sides = archived_inputs(store)
    return ingest_inputs(
        store,
        inputs,
        lambda todo: reading.reading(todo, plan, None, progress),
        max_archive_bytes=reading.max_file_bytes,
        provenance=sides,
        zone=plan_zone(plan),
    )


@dataclass
class IngestRun:
    """The files kept in this run, and the stored returns read again."""

    rows: list[Ingested]
    rechecked: list[Rechecked] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return any(not r.accepted for r in self.rows) or any(not r.accepted for r in self.rechecked)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [r.to_dict() for r in self.rows],
            "rechecked": [
                {
                    "file": r.name,
                    "trigger": r.trigger,
                    "before": r.before,
                    "accepted": r.accepted,
                    "refusal": r.after or None,
                    "institution": r.institution or None,
                    "period": r.period or None,
                }
                for r in self.rechecked
            ],
        }


def ingest_and_recheck(
    plan: Plan,
    store: Store,
    files: Sequence[Input | Path],
    reading: ReadSettings,
    recheck_all: bool = False,
    *,
    rebuild: bool = False,
) -> IngestRun:
    """Keep ``files`` in the store, then read again every stored return refused for a
    reason that no longer holds (with ``recheck_all``: every one refused for a reason
    that can go away; see :mod:`recheck`)."""
    from .recheck import recheck

    again = recheck(  # first, so that files given again meet the store's new verdict
        plan,
        store,
        reading.keys(),
        reading.max_file_bytes,
        lambda paths: reading.read_workbooks(paths, plan),
        everything=recheck_all,
    )
    rows = rebuild_store(plan, store, reading) if rebuild else []
    rows += ingest_files(plan, store, files, reading) if files else []
    return IngestRun(rows, again)


# --------------------------------------------------------------------------- status


@dataclass
class StatusTable:
    """Each carrier's state per stored period, and each period's flags by code.

    States: ``on time``, ``late``, ``refused``, ``empty return`` (only returns with no
    answer, not counted as received), ``OVERDUE``, ``pending``, ``-`` (no return expected).
    """

    store: str
    periods: list[str]
    rows: list[tuple[str, str, list[str]]]  # institution id, short name, one state per period
    flags: dict[str, dict[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "periods": self.periods,
            "institutions": [
                {
                    "institution": i,
                    "short_name": n,
                    "states": dict(zip(self.periods, s, strict=True)),
                }
                for i, n, s in self.rows
            ],
            "flags": self.flags,
        }


def status_table(
    plan: Plan, store: Store, period: Period | None = None, as_of: dt.date | None = None
) -> StatusTable:
    """Who has returned what for ``period`` (default: every stored period)."""
    from .consolidate import consolidate
    from .periods import Period

    labels = [period.label] if period else store.periods(plan.id)
    cons = {}
    for lb in labels:
        p = Period.parse(lb)
        cons[lb] = consolidate(
            plan, store.submissions(plan.id, lb), p, as_of, store.last_reported(plan.id, p.end)
        )
    rows = []
    for inst in plan.carriers():
        cells = []
        for lb in labels:
            con = cons[lb]
            rate = next((r for r in con.rates if r.institution == inst.id), None)
            if rate is None:
                cells.append("-")
            elif rate.received:
                cells.append("on time" if rate.on_time else "late")
            else:
                # the same attribution as consolidate's flags (one rule, not two)
                codes = {f.code for f in con.flags if f.institution == inst.id}
                overdue = con.as_of > con.due_date
                if "return-refused" in codes:
                    cells.append("refused")
                elif "empty-return" in codes:
                    cells.append("empty return")
                else:
                    cells.append("OVERDUE" if overdue else "pending")
        rows.append((inst.id, inst.short_name, cells))
    flags = {
        lb: {k: v for k, v in cons[lb].flags_by_code().items() if not k.startswith("plan-gap")}
        for lb in labels
    }
    return StatusTable(store.url, labels, rows, flags)


# --------------------------------------------------------------------------- remind


@dataclass
class ReminderRound:
    """Who is reminded and why, the drafts written, and what was sent."""

    consolidation: Consolidation
    reasons: dict[str, list[str]]
    mail: MailResult
    sent: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        con = self.consolidation
        return {
            "period": con.period.label,
            "due_date": con.due_date.isoformat(),
            "as_of": con.as_of.isoformat(),
            "reminded": [{"institution": i, "reason": r[0]} for i, r in self.reasons.items()],
            "drafts": mail_dict(self.mail),
            "sent": self.sent,
        }


def reminder_round(
    plan: Plan,
    period: Period,
    files: Sequence[Input | Path],
    reading: ReadSettings,
    mail_dir: Path,
    *,
    lang: str | None = None,
    as_of: dt.date | None = None,
    overwrite: bool = False,
    smtp: SmtpSettings | None = None,
    dry_run: bool = False,
) -> ReminderRound:
    """Reminder drafts (a fresh workbook attached) for institutions whose return is
    overdue, refused or flagged; sent when ``smtp``."""
    from .consolidate import consolidate
    from .generate import generate
    from .mail import reminder_reasons, write_reminders
    from .signing import load_keys

    con = consolidate(plan, reading.read(files, plan, period), period, as_of)
    reasons = reminder_reasons(con)
    fresh = {}
    if reasons:
        made = generate(
            plan,
            period,
            mail_dir / "workbooks",
            institutions=list(reasons),
            lang=lang,
            keys=load_keys(reading.key_file, create=True),
            overwrite=overwrite,
            master=False,
        )
        fresh = {w.institution: w.path for w in made}
    result = write_reminders(con, fresh, mail_dir, lang or plan.languages[0], overwrite)
    out = ReminderRound(con, reasons, result)
    if smtp is not None:
        out.sent = send_drafts(result.drafts, smtp, dry_run)
    return out


# --------------------------------------------------------------------------- yearly report


def check_year(plan: Plan, year: int) -> None:
    if not plan.start_year <= year <= plan.end_year:
        raise fail(
            UsageError,
            "period-outside-strategy",
            f"{year} is outside {plan.start_year}-{plan.end_year}",
            Location(path="--year"),
        )


def yearly_report(plan: Plan, store: Store, year: int, out_path: Path, pdf: bool) -> Outputs:
    """Write the yearly report from the store (and its PDF when asked)."""
    from .history import year_figures
    from .yearly import write_yearly

    check_year(plan, year)
    out = Outputs([write_yearly(year_figures(store, plan, year), plan, out_path)])
    if pdf:
        made, out.pdf_note = pdf_or_note(out_path)
        if made is not None:
            out.written.append(made)
    return out


# --------------------------------------------------------------------------- update-plan


@dataclass
class PlanUpdateResult:
    update: PlanUpdate
    new_plan: Plan | None
    written: Path | None

    def to_dict(self) -> dict[str, Any]:
        u = self.update
        return {
            "ok": u.ok,
            "problems": [p.to_dict() for p in [*u.submission.problems, *u.problems]],
            "changes": [
                {
                    "activity": c.activity,
                    "indicator": c.indicator,
                    "field": c.field,
                    "old": c.old,
                    "new": c.new,
                    "cell": str(c.cell),
                }
                for c in u.changes
            ],
            "version": self.new_plan.version if self.new_plan else None,
            "fingerprint": self.new_plan.fingerprint if self.new_plan else None,
            "out": str(self.written) if self.written else None,
        }


def update_plan(
    plan: Plan,
    master: Input | Path,
    out_path: Path,
    *,
    key_file: Path | None = None,
    require_signature: bool = True,
    new_version: str | None = None,
    overwrite: bool = False,
    reading: ReadSettings | None = None,
) -> PlanUpdateResult:
    """Read ONATC's fields from the master workbook (through the one bounded reading
    path); write the new plan when it is clean."""
    from dataclasses import replace

    from .planning import apply_updates, plan_updates, write_plan

    reading = replace(
        reading or ReadSettings(), key_file=key_file, require_signature=require_signature
    )
    [sub] = reading.read([master], plan, None, master=True)
    update = plan_updates(sub, plan)
    if not update.ok:
        return PlanUpdateResult(update, None, None)
    new = apply_updates(plan, update.changes, new_version)
    return PlanUpdateResult(update, new, write_plan(new, out_path, overwrite))
