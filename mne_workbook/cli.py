"""Command-line interface: parse options, call the library, render, set the exit code.

Exit codes: 0 success; 1 problems in the input (errors, or warnings under --strict);
2 usage errors (bad options or arguments).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .errors import MneError, Problem, Report, Severity

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _echo_problem(p: Problem, *, err: bool = False) -> None:
    colour = {"error": "red", "warning": "yellow"}.get(str(p.severity))
    where = str(p.location)
    head = click.style(f"{p.severity} [{p.code}]", fg=colour)
    click.echo(f"  {where}: {head} {p.message}" if where else f"  {head} {p.message}", err=err)


def _echo_hint_block(report: Report, *, err: bool = False) -> None:
    from .errors import CATALOG

    for code in report.counts():
        click.echo(f"  -> {code}: {CATALOG[code].hint}", err=err)


def _die(exc: MneError, code: int) -> NoReturn:
    """Render an exception's report on stderr and exit with ``code``."""
    for p in exc.report.problems:
        _echo_problem(p, err=True)
    _echo_hint_block(exc.report, err=True)
    sys.exit(code)


def _render_report(report: Report, show_all: bool, per_code: int = 3) -> None:
    from .errors import CATALOG

    status = click.style("valid", fg="green") if report.valid else click.style("invalid", fg="red")
    click.echo(
        f"{report.source}: {status}, {len(report.errors)} error(s),"
        f" {len(report.warnings)} warning(s)"
    )
    if not report.problems:
        return
    ordered = sorted(report.problems, key=lambda p: p.severity != Severity.ERROR)
    shown: dict[str, int] = {}
    hidden = 0
    for p in ordered:
        n = shown.get(p.code, 0)
        if show_all or p.severity == Severity.ERROR or n < per_code:
            _echo_problem(p)
            shown[p.code] = n + 1
        else:
            hidden += 1
    if hidden:
        click.echo(f"  ... and {hidden} more warning(s); --all lists every one")
    click.echo("  summary by code:")
    for code, count in report.counts().items():
        c = CATALOG[code]
        click.echo(f"    {count:5d}  {c.severity:<7} {code:<30} {c.title}")
        click.echo(f"           what to do: {c.hint}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mne-workbook")
def main() -> None:
    """Generate and read results-based M&E workbooks (plan -> Excel -> consolidated matrix)."""


@main.command()
@click.argument("plans", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 on any warning).")
@click.option("--json", "as_json", is_flag=True, help="Print the report(s) as JSON.")
@click.option("--all", "show_all", is_flag=True, help="List every warning, not 3 per code.")
def validate(plans: tuple[Path, ...], strict: bool, as_json: bool, show_all: bool) -> None:
    """Check plan file(s): syntax, schema, semantics and the framework's quality checks."""
    from .plan import validate_plan

    reports = [validate_plan(p) for p in plans]
    if as_json:
        payload: Any = [r.to_dict() for r in reports]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2))
    else:
        for r in reports:
            _render_report(r, show_all)
    failed = any(not r.valid or (strict and r.warnings) for r in reports)
    sys.exit(EXIT_PROBLEMS if failed else EXIT_OK)


def _load_plan_or_exit(path: Path) -> Any:
    from .errors import PlanError
    from .plan import load_plan

    try:
        return load_plan(path)
    except PlanError as exc:
        click.echo(f"{path}: the plan has errors; run `mne-workbook validate {path}`", err=True)
        _die(exc, EXIT_PROBLEMS)


def _table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    click.echo("  ".join("-" * w for w in widths))
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


@main.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path))
@click.option("--period", required=True, help="Reporting period: 2026-Q2, 2026-H1, 2026-05, 2026.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to write the workbooks into (created if missing).",
)
@click.option(
    "--institution",
    "institutions",
    multiple=True,
    metavar="ID",
    help="Only this institution's workbook (repeatable); the master is still written.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "sq", "sr"]),
    default=None,
    help="Language of labels and dropdowns (default: the plan's first language).",
)
@click.option(
    "--password-env",
    metavar="VAR",
    help="Protect sheets with the password held in environment variable VAR.",
)
@click.option("--overwrite", is_flag=True, help="Replace workbooks that already exist.")
@click.option("--no-master", is_flag=True, help="Do not write ONATC's master workbook.")
@click.option(
    "--mail",
    "mail_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write one .eml draft per institution, its workbook attached.",
)
@click.option(
    "--smtp",
    metavar="HOST:PORT",
    help="Send the drafts (STARTTLS; MNE_SMTP_USER / MNE_SMTP_PASSWORD).",
)
@click.option("--no-starttls", is_flag=True, help="With --smtp: do not use STARTTLS.")
@click.option("--dry-run", is_flag=True, help="With --smtp: show what would be sent.")
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Signing key file (default: $MNE_WORKBOOK_KEY, else"
    " ~/.config/mne-workbook/signing.key, created on first use).",
)
def generate(
    plan_path: Path,
    period: str,
    out_dir: Path,
    institutions: tuple[str, ...],
    lang: str | None,
    password_env: str | None,
    overwrite: bool,
    no_master: bool,
    mail_dir: Path | None,
    smtp: str | None,
    no_starttls: bool,
    dry_run: bool,
    key_file: Path | None,
) -> None:
    """Write the period's workbooks: one per carrier institution, plus the master."""
    import os
    import time

    from .errors import Location, UsageError, fail
    from .generate import generate as run
    from .periods import parse_reporting_period

    plan = _load_plan_or_exit(plan_path)
    try:
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise fail(
                    UsageError,
                    "password-env-missing",
                    f"environment variable {password_env} is not set or empty",
                    Location(path="--password-env"),
                )
        p = parse_reporting_period(period, plan.reporting.cycle, plan.start_year, plan.end_year)
        started = time.perf_counter()
        from .signing import load_keys

        keys = load_keys(key_file, create=True)
        written = run(
            plan,
            p,
            out_dir,
            keys=keys,
            institutions=institutions or None,
            lang=lang,
            password=password,
            overwrite=overwrite,
            master=not no_master,
        )
        seconds = time.perf_counter() - started
    except UsageError as exc:
        _die(exc, EXIT_USAGE)
    if mail_dir is not None:
        _mail_round(plan, p, written, mail_dir, lang, overwrite, smtp, not no_starttls, dry_run)
    rows = [
        [
            w.path.name,
            w.kind,
            w.institution or "-",
            str(w.activities),
            str(w.indicators),
            " ".join(w.sheets),
        ]
        for w in written
    ]
    _table(["file", "kind", "institution", "activities", "indicators", "sheets"], rows)
    due = p.due_date(plan.reporting.grace_days).isoformat()
    click.echo(
        f"{len(written)} workbook(s) for {p.label} (due {due}) in {out_dir}"
        f" in {seconds:.2f}s; manifest: manifest_{p.label}.json"
    )


def _collect(paths: tuple[Path, ...], exclude: tuple[Path, ...] = ()) -> Any:
    """Discovery of every entry under ``paths``; lists (on stderr) what is not read."""
    from .discovery import discover

    found = discover(paths, exclude=exclude)
    for s in found.skipped:
        pr = s.problem()
        colour = {"error": "red", "warning": "yellow"}.get(str(pr.severity))
        click.echo(
            click.style(f"  not read {pr.location.file}: [{pr.code}] {pr.message}", fg=colour),
            err=True,
        )
    return found


@main.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path))
@click.argument(
    "inputs",
    metavar="[FILES_OR_DIRS...]",
    nargs=-1,
    required=False,
    type=click.Path(path_type=Path, exists=True),
)
@click.option("--period", required=True, help="The reporting period of the returns.")
@click.option(
    "--db",
    metavar="URL",
    help="Use the store (a path or SQLAlchemy URL): files given are ingested first;"
    " overdue flags and trends use the history.",
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The consolidated workbook to write (.xlsx).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Judge overdue returns as of this date (default: today).",
)
@click.option("--json", "json_out", metavar="FILE|-", help="Also write the result as JSON.")
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write matrix, flags, submissions and reporting rates as CSV.",
)
@click.option("--pdf", is_flag=True, help="Also print the workbook to PDF with LibreOffice.")
@click.option("--overwrite", is_flag=True, help="Replace output files that already exist.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Files read at once, each in its own bounded process (default: the cores).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=60.0,
    show_default=True,
    help="Seconds one file may take to read; a slower file is refused.",
)
@click.option(
    "--memory-mb",
    type=click.IntRange(16),
    default=1024,
    show_default=True,
    help="Memory (MB) reading one file may use; a hungrier file is refused.",
)
@click.option(
    "--max-file-mb",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="Largest returned file accepted (MB).",
)
@click.option(
    "--allow-unsigned",
    is_flag=True,
    help="Read unsigned or unverifiable workbooks (they are flagged).",
)
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Key file to verify signatures (default as for generate).",
)
def consolidate(
    plan_path: Path,
    inputs: tuple[Path, ...],
    period: str,
    out_path: Path,
    as_of: Any,
    json_out: str | None,
    csv_dir: Path | None,
    pdf: bool,
    overwrite: bool,
    workers: int | None,
    timeout: float,
    memory_mb: int,
    max_file_mb: int,
    allow_unsigned: bool,
    key_file: Path | None,
    db: str | None,
) -> None:
    """Read returned workbooks, consolidate them and flag gaps and overdue indicators."""
    import time

    from .consolidate import consolidate as run
    from .errors import Location, UsageError, fail
    from .parallel import Bounds, read_many
    from .periods import parse_reporting_period
    from .report import json_text, to_pdf, write_consolidated, write_csv, write_json
    from .safety import Limits

    plan = _load_plan_or_exit(plan_path)
    try:
        p = parse_reporting_period(period, plan.reporting.cycle, plan.start_year, plan.end_year)
        targets = [out_path]
        if pdf:
            targets.append(out_path.with_suffix(".pdf"))
        if json_out and json_out != "-":
            targets.append(Path(json_out))
        if csv_dir:
            targets += [
                csv_dir / n for n in ("matrix.csv", "flags.csv", "submissions.csv", "reporting.csv")
            ]
        existing = [t for t in targets if t.exists()]
        if existing and not overwrite:
            raise fail(
                UsageError,
                "output-exists",
                f"{existing[0]} already exists",
                Location(file=str(existing[0])),
            )
        if not inputs and not db:
            raise fail(
                UsageError,
                "usage-error",
                "give returned files or folders, or --db",
                Location(path="FILES_OR_DIRS"),
            )
        found = _collect(inputs, tuple(targets))
        files = found.inputs
        inputs_set = {f.path.resolve() for f in files} | {i.resolve() for i in inputs}
        clash = [t for t in targets if t.resolve() in inputs_set]
        if clash:
            raise fail(
                UsageError,
                "output-exists",
                f"{clash[0]} is one of the inputs",
                Location(file=str(clash[0])),
            )
    except UsageError as exc:
        _die(exc, EXIT_USAGE)
    from .signing import load_keys

    keys = load_keys(key_file, create=False)
    quiet = json_out == "-"
    started = time.perf_counter()
    require = not allow_unsigned
    limits = Limits(max_file_bytes=max_file_mb * 1024 * 1024)
    bounds = Bounds(timeout=timeout, memory_mb=memory_mb)
    options: dict[str, Any] = {
        "keys": keys,
        "require_signature": require,
        "workers": workers,
        "limits": limits,
        "bounds": bounds,
    }
    if len(files) > 10 and not quiet:
        with click.progressbar(length=len(files), label="Reading returns", file=sys.stderr) as bar:
            subs = read_many(files, plan, p, progress=bar.update, **options)
    else:
        subs = read_many(files, plan, p, **options)
    as_of_date = as_of.date() if as_of else None
    refused_now = any(s.refused for s in subs) or found.has_errors
    if db:
        from .history import build_history
        from .store import Store

        store = Store(db)
        for sub in subs:
            store.ingest(sub)
        subs = store.submissions(plan.id, p.label)
        con = run(plan, subs, p, as_of_date, store.last_reported(plan.id, p.end))
        con.history = build_history(store, plan, p, as_of_date)
    else:
        con = run(plan, subs, p, as_of_date)
    write_consolidated(con, out_path)
    written = [str(out_path)]
    if csv_dir:
        written += [str(x) for x in write_csv(con, csv_dir)]
    if json_out and json_out != "-":
        written.append(str(write_json(con, json_out)))
    pdf_note = ""
    if pdf:
        try:
            written.append(str(to_pdf(out_path)))
        except UsageError as exc:
            pdf_note = "; ".join(str(pr) for pr in exc.report.problems)
    seconds = time.perf_counter() - started
    if quiet:
        click.echo(json_text(con))
    else:
        _render_consolidation(con, subs, written, seconds)
    if pdf_note:
        click.echo(f"PDF not written: {pdf_note}", err=True)
    sys.exit(EXIT_PROBLEMS if refused_now or pdf_note else EXIT_OK)


def _render_consolidation(con: Any, subs: list[Any], written: list[str], seconds: float) -> None:
    from .errors import CATALOG

    refused = [s for s in subs if s.refused]
    click.echo(
        f"Read {len(subs)} file(s) in {seconds:.2f}s: {len(subs) - len(refused)}"
        f" accepted, {len(refused)} refused"
    )
    for s in refused:
        pr = s.refusal()
        if pr is not None:
            click.echo(click.style(f"  refused {s.name}: [{pr.code}] {pr.message}", fg="red"))
            click.echo(f"          what to do: {pr.hint}")
    for path, note in con.notes.items():
        click.echo(f"  not used {Path(path).name}: {note}")
    o = con.overall
    rate = f"{o.reporting_rate:.0f}%" if o.reporting_rate is not None else "-"
    ontime = f"{o.on_time_rate:.0f}%" if o.on_time_rate is not None else "-"
    click.echo(
        f"Returns for {con.period.label} (due {con.due_date}, as of {con.as_of}):"
        f" {o.received} of {o.expected} received ({rate}), {o.on_time} on time ({ontime})"
    )
    for r in con.rates:
        state = "on time" if r.on_time else ("late" if r.received else "missing")
        click.echo(f"  {r.name:<50} {state}")
    counts = con.flags_by_code()
    if counts:
        click.echo("Flags by code:")
        for code, n in counts.items():
            c = CATALOG[code]
            click.echo(f"  {n:5d}  {c.severity:<7} {code:<26} {c.title}")
    click.echo(f"Wrote {', '.join(written)} in {seconds:.2f}s")


def _report_mail(plan: Any, result: Any, smtp: str | None, starttls: bool, dry_run: bool) -> None:
    from .mail import SmtpSettings, send

    for d in result.drafts:
        click.echo(f"draft {d.path} -> {', '.join(d.to)}")
    for inst in result.without_contact:
        click.echo(
            click.style(
                f"no contact address for {plan.institution(inst).name}"
                f" ({inst}): no draft; add an email to the plan",
                fg="yellow",
            )
        )
    if smtp:
        settings = SmtpSettings.parse(smtp, starttls)
        try:
            for line in send(result.drafts, settings, dry_run):
                click.echo(line)
        except Exception as exc:  # smtplib and sockets raise many kinds
            click.echo(f"sending failed: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_PROBLEMS)


def _mail_round(
    plan: Any,
    period: Any,
    written: list[Any],
    mail_dir: Path,
    lang: str | None,
    overwrite: bool,
    smtp: str | None,
    starttls: bool,
    dry_run: bool,
) -> None:
    from .errors import UsageError
    from .mail import write_round_drafts

    pairs = [(w.institution, w.path) for w in written if w.kind == "institution"]
    try:
        result = write_round_drafts(
            plan, period, pairs, mail_dir, lang or plan.languages[0], overwrite
        )
        _report_mail(plan, result, smtp, starttls, dry_run)
    except UsageError as exc:
        _die(exc, EXIT_USAGE)


@main.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path))
@click.argument(
    "inputs",
    metavar="FILES_OR_DIRS...",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path, exists=True),
)
@click.option("--period", required=True, help="The reporting period of the returns.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Judge overdue returns as of this date (default: today).",
)
@click.option(
    "--mail",
    "mail_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write the reminder drafts (and the fresh workbooks).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "sq", "sr"]),
    default=None,
    help="Language of the reminders and workbooks (default: the plan's first).",
)
@click.option("--smtp", metavar="HOST:PORT", help="Send the reminders (see generate).")
@click.option("--no-starttls", is_flag=True, help="With --smtp: do not use STARTTLS.")
@click.option("--dry-run", is_flag=True, help="With --smtp: show what would be sent.")
@click.option("--allow-unsigned", is_flag=True, help="Read unsigned workbooks (flagged).")
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Signing key file (as for generate).",
)
@click.option("--overwrite", is_flag=True, help="Replace drafts that already exist.")
def remind(
    plan_path: Path,
    inputs: tuple[Path, ...],
    period: str,
    as_of: Any,
    mail_dir: Path,
    lang: str | None,
    smtp: str | None,
    no_starttls: bool,
    dry_run: bool,
    allow_unsigned: bool,
    key_file: Path | None,
    overwrite: bool,
) -> None:
    """Reminder drafts for institutions whose return is overdue, refused or flagged."""
    from .consolidate import consolidate as run
    from .errors import UsageError
    from .generate import generate as gen
    from .mail import reminder_reasons, write_reminders
    from .parallel import read_many
    from .periods import parse_reporting_period
    from .signing import load_keys

    plan = _load_plan_or_exit(plan_path)
    try:
        p = parse_reporting_period(period, plan.reporting.cycle, plan.start_year, plan.end_year)
        found = _collect(inputs)
        subs = read_many(
            found.inputs,
            plan,
            p,
            keys=load_keys(key_file),
            require_signature=not allow_unsigned,
        )
        con = run(plan, subs, p, as_of.date() if as_of else None)
        who = list(reminder_reasons(con))
        fresh = {}
        if who:
            keys = load_keys(key_file, create=True)
            made = gen(
                plan,
                p,
                mail_dir / "workbooks",
                institutions=who,
                lang=lang,
                keys=keys,
                overwrite=True,
                master=False,
            )
            fresh = {w.institution: w.path for w in made}
        result = write_reminders(con, fresh, mail_dir, lang or plan.languages[0], overwrite)
    except UsageError as exc:
        _die(exc, EXIT_USAGE)
    click.echo(
        f"{len(who)} institution(s) to remind for {p.label} (due {con.due_date}, as of {con.as_of})"
    )
    _report_mail(plan, result, smtp, not no_starttls, dry_run)


def _store(db: str | None, plan_path: Path) -> Any:
    from .store import Store, default_url

    return Store(db or default_url(plan_path))


@main.command()
@click.argument(
    "inputs",
    metavar="FILES_OR_DIRS...",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path, exists=True),
)
@click.option(
    "--plan",
    "plan_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The plan the returns belong to.",
)
@click.option(
    "--db",
    metavar="URL",
    help="Store: a path or SQLAlchemy URL (default: <plan>.mne.sqlite next to the plan).",
)
@click.option("--allow-unsigned", is_flag=True, help="Keep unsigned workbooks (flagged).")
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Key file to verify signatures.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Files read at once (default: the cores).",
)
def ingest(
    inputs: tuple[Path, ...],
    plan_path: Path,
    db: str | None,
    allow_unsigned: bool,
    key_file: Path | None,
    workers: int | None,
) -> None:
    """Keep every returned file (accepted or refused) in the history store."""
    from .parallel import read_many
    from .signing import load_keys

    plan = _load_plan_or_exit(plan_path)
    store = _store(db, plan_path)
    found = _collect(inputs)
    subs = read_many(
        found.inputs,
        plan,
        None,
        keys=load_keys(key_file),
        require_signature=not allow_unsigned,
        workers=workers,
    )
    rows = []
    for sub in subs:
        res = store.ingest(sub)
        reason = sub.refusal()
        why = f"[{reason.code}]" if reason else ""
        rows.append(
            [
                sub.name,
                "new" if res.new else "already stored",
                "accepted" if sub.accepted else f"refused {why}",
                res.institution or "-",
                res.period or "-",
            ]
        )
    _table(["file", "store", "status", "institution", "period"], rows)
    click.echo(
        f"{sum(1 for r in rows if r[1] == 'new')} new, "
        f"{sum(1 for r in rows if r[1] != 'new')} already stored, in {store.url}"
    )
    failed = any(s.refused for s in subs) or found.has_errors
    sys.exit(EXIT_PROBLEMS if failed else EXIT_OK)


@main.command()
@click.option("--plan", "plan_path", required=True, type=click.Path(path_type=Path))
@click.option("--db", metavar="URL", help="Store (default: next to the plan).")
@click.option("--period", help="One period (default: every stored period).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None)
def status(plan_path: Path, db: str | None, period: str | None, as_of: Any) -> None:
    """Who has returned what, what is overdue, and what is flagged."""
    from .consolidate import consolidate as run
    from .errors import UsageError
    from .periods import Period, parse_reporting_period

    plan = _load_plan_or_exit(plan_path)
    store = _store(db, plan_path)
    try:
        labels = (
            [
                parse_reporting_period(
                    period, plan.reporting.cycle, plan.start_year, plan.end_year
                ).label
            ]
            if period
            else store.periods(plan.id)
        )
    except UsageError as exc:
        _die(exc, EXIT_USAGE)
    if not labels:
        click.echo(f"no returns stored yet in {store.url}")
        return
    cons = {
        lb: run(
            plan,
            store.submissions(plan.id, lb),
            Period.parse(lb),
            as_of.date() if as_of else None,
            store.last_reported(plan.id, Period.parse(lb).end),
        )
        for lb in labels
    }
    head = ["institution", *labels]
    rows = []
    for inst in plan.carriers():
        cells = []
        for lb in labels:
            rate = next((r for r in cons[lb].rates if r.institution == inst.id), None)
            if rate is None:
                cells.append("-")
            elif rate.received:
                cells.append("on time" if rate.on_time else "late")
            else:
                refused = any(s.refused and s.institution == inst.id for s in cons[lb].submissions)
                overdue = cons[lb].as_of > cons[lb].due_date
                cells.append("refused" if refused else "OVERDUE" if overdue else "pending")
        rows.append([inst.short_name, *cells])
    _table(head, rows)
    for lb in labels:
        counts = {k: v for k, v in cons[lb].flags_by_code().items() if not k.startswith("plan-gap")}
        text = ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"
        click.echo(f"{lb} flags: {text}")


@main.command()
@click.option("--plan", "plan_path", required=True, type=click.Path(path_type=Path))
@click.option("--db", metavar="URL", help="Store (default: next to the plan).")
@click.option("--year", type=int, required=True)
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--pdf", is_flag=True, help="Also print it to PDF with LibreOffice.")
@click.option("--overwrite", is_flag=True, help="Replace an existing report.")
def report(
    plan_path: Path, db: str | None, year: int, out_path: Path, pdf: bool, overwrite: bool
) -> None:
    """The yearly report: activities realized, indicators on track, ratings, reporting."""
    from .errors import Location, UsageError, fail
    from .history import year_figures
    from .report import to_pdf
    from .yearly import write_yearly

    plan = _load_plan_or_exit(plan_path)
    try:
        if out_path.exists() and not overwrite:
            raise fail(
                UsageError,
                "output-exists",
                f"{out_path} already exists",
                Location(file=str(out_path)),
            )
        if not plan.start_year <= year <= plan.end_year:
            raise fail(
                UsageError,
                "period-outside-strategy",
                f"{year} is outside {plan.start_year}-{plan.end_year}",
                Location(path="--year"),
            )
    except UsageError as exc:
        _die(exc, EXIT_USAGE)
    fig = year_figures(_store(db, plan_path), plan, year)
    written = [str(write_yearly(fig, plan, out_path))]
    if pdf:
        try:
            written.append(str(to_pdf(out_path)))
        except UsageError as exc:
            click.echo("PDF not written: " + "; ".join(map(str, exc.report.problems)), err=True)
            sys.exit(EXIT_PROBLEMS)
    click.echo("Wrote " + ", ".join(written))


@main.command("update-plan")
@click.argument("master", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--plan", "plan_path", required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--version", "new_version", help="Version label of the new plan.")
@click.option("--allow-unsigned", is_flag=True, help="Read an unsigned master workbook.")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--overwrite", is_flag=True, help="Replace an existing output plan.")
def update_plan(
    master: Path,
    plan_path: Path,
    out_path: Path,
    new_version: str | None,
    allow_unsigned: bool,
    key_file: Path | None,
    overwrite: bool,
) -> None:
    """Read ONATC's fields from the master workbook and write a new plan version."""
    from .errors import UsageError
    from .planning import apply_updates, read_plan_updates, write_plan
    from .signing import load_keys

    plan = _load_plan_or_exit(plan_path)
    update = read_plan_updates(master, plan, load_keys(key_file), not allow_unsigned)
    for p in [*update.submission.problems, *update.problems]:
        _echo_problem(p, err=True)
    if not update.ok:
        click.echo("no new plan written: fix the problems above in the master workbook", err=True)
        sys.exit(EXIT_PROBLEMS)
    new = apply_updates(plan, update.changes, new_version)
    try:
        write_plan(new, out_path, overwrite)
    except UsageError as exc:
        _die(exc, EXIT_USAGE)
    for ch in update.changes:
        click.echo(f"  {ch}")
    click.echo(
        f"{len(update.changes)} change(s); plan {plan.version} ({plan.fingerprint}) ->"
        f" {new.version} ({new.fingerprint}) written to {out_path}"
    )
