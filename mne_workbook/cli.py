"""Command-line interface: parse options, call one library function, render, exit.

Every workflow lives in :mod:`mne_workbook.workflows` (or the library modules it
calls); options shared between commands live in :mod:`mne_workbook.cli_options`.

Errors: commands never catch exceptions. The one error boundary is :class:`MneGroup`
(``main``): our :class:`~mne_workbook.errors.MneError` hierarchy, ``OSError`` and
database errors become a coded message with what to do, never a traceback.

Exit codes: 0 success; 1 the data had problems (a refused return, plan errors,
warnings under ``--strict``); 2 the command could not run (bad options or arguments,
a missing or unwritable file, an unreachable store or mail server).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .cli_options import (
    as_of_option,
    db_option,
    json_option,
    key_file_option,
    lang_option,
    mail_options,
    out_file_option,
    overwrite_option,
    period_option,
    plan_argument,
    reading_options,
)
from .errors import (
    CATALOG,
    Location,
    MneError,
    PlanError,
    Problem,
    Report,
    Severity,
    UsageError,
    fail,
)
from .names import name_of

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


# --------------------------------------------------------------------------- error boundary


def _boundary_error(exc: BaseException) -> MneError | None:
    """Our error for an exception the boundary handles (None: not ours to handle)."""
    if isinstance(exc, MneError):
        return exc
    if isinstance(exc, click.ClickException):
        return fail(UsageError, "usage-error", exc.format_message())
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else None
        text = exc.strerror or str(exc) or type(exc).__name__
        return fail(
            MneError,
            "file-system-error",
            f"{name}: {text}" if name else text,
            Location(file=str(name)) if name else None,
        )
    try:
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError:  # pragma: no cover - a runtime dependency
        return None
    if isinstance(exc, SQLAlchemyError):
        text = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return fail(MneError, "store-error", f"{type(exc).__name__}: {text}")
    return None


class MneGroup(click.Group):
    """The command group whose ``main`` is the CLI's one error boundary."""

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(EXIT_PROBLEMS)
        except Exception as exc:
            err = _boundary_error(exc)
            if err is None:
                if os.environ.get("MNE_WORKBOOK_DEBUG"):
                    raise
                err = fail(MneError, "internal-error", f"{type(exc).__name__}: {exc}")
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                click.echo(exc.ctx.get_usage(), err=True)
            render_error(err)
            sys.exit(err.exit_status)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


def render_error(exc: MneError) -> None:
    """An error's problems and, once per code, what to do (stderr)."""
    if isinstance(exc, PlanError) and exc.report.source and Path(exc.report.source).is_file():
        src = exc.report.source
        click.echo(f"{src}: the plan has errors; run `mne-workbook validate {src}`", err=True)
    for p in exc.report.problems:
        echo_problem(p, err=True)
    for code in exc.report.counts():
        click.echo(f"  -> {code}: {CATALOG[code].hint}", err=True)


# --------------------------------------------------------------------------- rendering


def echo_problem(p: Problem, *, err: bool = False) -> None:
    colour = {"error": "red", "warning": "yellow"}.get(str(p.severity))
    where = str(p.location)
    head = click.style(f"{p.severity} [{p.code}]", fg=colour)
    click.echo(f"  {where}: {head} {p.message}" if where else f"  {head} {p.message}", err=err)


def echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def echo_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _render_report(report: Report, show_all: bool, per_code: int = 3) -> None:
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
            echo_problem(p)
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


def _render_mail(plan: Any, result: Any, sent: list[str]) -> None:
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
    for line in sent:
        click.echo(line)


def _load_plan(path: Path) -> Any:
    from .plan import load_plan

    return load_plan(path)


def _echo_skipped(found: Any) -> None:
    """Every entry that is not read, with its reason; what to do once per code (stderr)."""
    for s in found.skipped:
        pr = s.problem()
        colour = {"error": "red", "warning": "yellow"}.get(str(pr.severity))
        click.echo(
            click.style(f"  not read {pr.location.file}: [{pr.code}] {pr.message}", fg=colour),
            err=True,
        )
    for code in dict.fromkeys(s.code for s in found.skipped if s.severity != Severity.INFO):
        click.echo(f"  -> {code}: {CATALOG[code].hint}", err=True)


def _echo_key_warnings(problems: list[Problem]) -> None:
    for pr in problems:
        echo_problem(pr, err=True)


# --------------------------------------------------------------------------- commands


@click.group(cls=MneGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mne-workbook")
def main() -> None:
    """Generate and read results-based M&E workbooks (plan -> Excel -> consolidated matrix).

    Every command that needs the plan takes it as its first argument or as --plan PLAN.
    Exit codes: 0 ok; 1 the data had problems; 2 the command could not run.
    """


@main.command()
@click.argument("plans", metavar="[PLAN]...", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--plan",
    "plan_opts",
    metavar="PLAN",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A plan file to check (repeatable; same as giving it as an argument).",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 on any warning).")
@json_option('{"valid": bool, "plans": [report, ...]}, one report per plan')
@click.option("--all", "show_all", is_flag=True, help="List every warning, not 3 per code.")
def validate(
    plans: tuple[Path, ...],
    plan_opts: tuple[Path, ...],
    strict: bool,
    as_json: bool,
    show_all: bool,
) -> int:
    """Check plan file(s): syntax, schema, semantics and the framework's quality checks."""
    from .plan import validate_plan

    paths = [*plan_opts, *plans]
    if not paths:
        raise fail(UsageError, "usage-error", "give at least one plan file", Location(path="PLAN"))
    reports = [validate_plan(p) for p in paths]
    failed = any(not r.valid or (strict and r.warnings) for r in reports)
    if as_json:
        echo_json({"valid": not failed, "plans": [r.to_dict() for r in reports]})
    else:
        for r in reports:
            _render_report(r, show_all)
    return EXIT_PROBLEMS if failed else EXIT_OK


@main.command()
@plan_argument()
@period_option()
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
@lang_option
@click.option(
    "--password-env",
    metavar="VAR",
    help="Protect sheets with the password held in environment variable VAR.",
)
@overwrite_option
@click.option("--no-master", is_flag=True, help="Do not write ONATC's master workbook.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    metavar="N",
    help="Workbooks written at once, each in its own process (default: the cores).",
)
@mail_options(False, "Also write one .eml draft per institution, its workbook attached.")
@key_file_option
@json_option('{"period", "due_date", "out", "workbooks": [...], "drafts", "sent"}')
def generate(
    plan_path: Path,
    period: str,
    out_dir: Path,
    institutions: tuple[str, ...],
    lang: str | None,
    password_env: str | None,
    overwrite: bool,
    no_master: bool,
    workers: int | None,
    mail_dir: Path | None,
    smtp: Any,
    dry_run: bool,
    key_file: Path | None,
    as_json: bool,
) -> int:
    """Write the period's workbooks: one per carrier institution, plus the master."""
    from .workflows import generate_round, password_from_env, plan_period

    password = password_from_env(password_env)
    plan = _load_plan(plan_path)
    result = generate_round(
        plan,
        plan_period(plan, period),
        out_dir,
        key_file=key_file,
        institutions=institutions,
        lang=lang,
        password=password,
        overwrite=overwrite,
        master=not no_master,
        mail_dir=mail_dir,
        smtp=smtp,
        dry_run=dry_run,
        workers=workers or os.cpu_count() or 1,
    )
    _echo_key_warnings(result.key_warnings)
    if result.key_created is not None:
        click.echo(
            click.style(
                f"created a new signing key in {result.key_created}: back this file up now"
                " (returns of these workbooks can only be verified with it);"
                " see `mne-workbook key --help`",
                fg="yellow",
            ),
            err=True,
        )
    if as_json:
        echo_json(result.to_dict())
        return EXIT_OK
    if result.mail is not None:
        _render_mail(plan, result.mail, result.sent)
    rows = [
        [
            w.path.name,
            w.kind,
            w.institution or "-",
            str(w.activities),
            str(w.indicators),
            " ".join(w.sheets),
        ]
        for w in result.workbooks
    ]
    echo_table(["file", "kind", "institution", "activities", "indicators", "sheets"], rows)
    p = result.period
    due = p.due_date(plan.reporting.grace_days).isoformat()
    click.echo(
        f"{len(result.workbooks)} workbook(s) for {p.label} (due {due}) in {out_dir}"
        f" in {result.seconds:.2f}s; manifest: manifest_{p.label}.json"
    )
    return EXIT_OK


@main.command()
@plan_argument("[FILES_OR_DIRS]...")
@period_option(help="The reporting period of the returns")
@db_option
@out_file_option("The consolidated workbook to write (.xlsx).")
@as_of_option
@click.option(
    "--json",
    "json_out",
    metavar="FILE|-",
    help="Also write the result as JSON to FILE, or only print it on stdout with - (see"
    " docs/json.md).",
)
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write matrix, flags, submissions and reporting rates as CSV.",
)
@click.option("--pdf", is_flag=True, help="Also print the workbook to PDF with LibreOffice.")
@overwrite_option
@reading_options
@click.option(
    "--older-plan",
    "older_plans",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="An earlier version of the plan (repeatable): returns made from it name what changed.",
)
def consolidate(
    plan_path: Path,
    inputs: tuple[Path, ...],
    period: str,
    db: str | None,
    out_path: Path,
    as_of: Any,
    json_out: str | None,
    csv_dir: Path | None,
    pdf: bool,
    overwrite: bool,
    reading: Any,
    older_plans: tuple[Path, ...],
) -> int:
    """Read returned workbooks, consolidate them and flag gaps and overdue indicators.

    With --db, the files given (if any) are ingested first and the consolidation uses
    every return stored for the period, with overdue days and trends from the history.
    """
    from .report import json_text
    from .workflows import (
        check_outputs,
        collect_files,
        consolidate_returns,
        consolidation_targets,
        open_store,
        plan_period,
        store_paths,
        write_consolidation,
    )

    if not inputs and not db:
        raise fail(
            UsageError,
            "usage-error",
            "give returned files or folders, or --db",
            Location(path="FILES_OR_DIRS"),
        )
    json_file = Path(json_out) if json_out and json_out != "-" else None
    targets = consolidation_targets(out_path, csv_dir, json_file, pdf)
    found = collect_files(inputs, [*targets, *(store_paths(db, plan_path) if db else [])])
    files = found.inputs
    check_outputs(targets, overwrite, [*found.paths, *inputs])
    plan = _load_plan(plan_path)
    p = plan_period(plan, period)
    _echo_key_warnings(reading.key_warnings())
    _echo_skipped(found)
    store = open_store(db, plan_path, create=bool(files)) if db else None
    quiet = json_out == "-"
    older = [_load_plan(o) for o in older_plans]
    if len(files) > 10 and not quiet:
        with click.progressbar(length=len(files), label="Reading returns", file=sys.stderr) as bar:
            run = consolidate_returns(
                plan, p, files, reading, store=store, as_of=as_of, progress=bar.update, older=older
            )
    else:
        run = consolidate_returns(plan, p, files, reading, store=store, as_of=as_of, older=older)
    out = write_consolidation(
        run.consolidation, out_path, csv_dir=csv_dir, json_file=json_file, pdf=pdf
    )
    if quiet:
        click.echo(json_text(run.consolidation))
    else:
        _render_consolidation(run, [str(w) for w in out.written])
    if out.pdf_note:
        click.echo(f"PDF not written: {out.pdf_note}", err=True)
    return EXIT_PROBLEMS if run.refused or out.pdf_note or found.has_errors else EXIT_OK


def _render_consolidation(run: Any, written: list[str]) -> None:
    from .report import arrived_text

    con, subs = run.consolidation, run.read
    refused = run.refused
    click.echo(
        f"Read {len(subs)} file(s) in {run.seconds:.2f}s: {len(subs) - len(refused)}"
        f" accepted, {len(refused)} refused"
    )
    for s in refused:
        pr = s.refusal()
        if pr is not None:
            click.echo(click.style(f"  refused {s.name}: [{pr.code}] {pr.message}", fg="red"))
            click.echo(f"          what to do: {pr.hint}")
    for path, note in con.notes.items():
        click.echo(f"  {name_of(path)}: {note}")  # used, merged, superseded, empty...
    for note in run.skipped:
        click.echo(f"  not read {note}")
    o = con.overall
    rate = f"{o.reporting_rate:.0f}%" if o.reporting_rate is not None else "-"
    ontime = f"{o.on_time_rate:.0f}%" if o.on_time_rate is not None else "-"
    click.echo(
        f"Returns for {con.period.label} (due {con.due_date}, as of {con.as_of}):"
        f" {o.received} of {o.expected} received ({rate}), {o.on_time} on time ({ontime})"
    )
    for r in con.rates:
        state = "on time" if r.on_time else ("late" if r.received else "missing")
        arrived = (
            f"  {r.file}, arrived {arrived_text(r.arrived_at, r.arrival_source)}"
            if r.received
            else ""
        )
        click.echo(f"  {r.name:<50} {state:<8}{arrived}")
    counts = con.flags_by_code()
    if counts:
        click.echo("Flags by code:")
        for code, n in counts.items():
            c = CATALOG[code]
            click.echo(f"  {n:5d}  {c.severity:<7} {code:<26} {c.title}")
    click.echo(f"Wrote {', '.join(written)}")


@main.command()
@plan_argument("FILES_OR_DIRS...", inputs_required=True)
@period_option(help="The reporting period of the returns")
@as_of_option
@mail_options(True, "Where to write the reminder drafts (and the fresh workbooks).")
@lang_option
@overwrite_option
@reading_options
@json_option('{"period", "due_date", "as_of", "reminded": [...], "drafts", "sent"}')
def remind(
    plan_path: Path,
    inputs: tuple[Path, ...],
    period: str,
    as_of: Any,
    mail_dir: Path,
    smtp: Any,
    dry_run: bool,
    lang: str | None,
    overwrite: bool,
    reading: Any,
    as_json: bool,
) -> int:
    """Reminder drafts for institutions whose return is overdue, refused or flagged."""
    from .workflows import collect_files, plan_period, reminder_round

    plan = _load_plan(plan_path)
    p = plan_period(plan, period)
    found = collect_files(inputs, [mail_dir])
    _echo_key_warnings(reading.key_warnings())
    _echo_skipped(found)
    result = reminder_round(
        plan,
        p,
        found.inputs,
        reading,
        mail_dir,
        lang=lang,
        as_of=as_of,
        overwrite=overwrite,
        smtp=smtp,
        dry_run=dry_run,
    )
    code = EXIT_PROBLEMS if found.has_errors else EXIT_OK
    if as_json:
        echo_json(result.to_dict())
        return code
    con = result.consolidation
    click.echo(
        f"{len(result.reasons)} institution(s) to remind for {con.period.label}"
        f" (due {con.due_date}, as of {con.as_of})"
    )
    _render_mail(plan, result.mail, result.sent)
    return code


@main.command()
@plan_argument("[FILES_OR_DIRS]...")
@db_option
@click.option(
    "--rebuild",
    is_flag=True,
    help="Rebuild the store's database from its archive (after the database was lost):"
    " every archived file is read again and stored under the name it came with.",
)
@reading_options
@click.option(
    "--recheck",
    is_flag=True,
    help="Also read again every stored return refused for a reason that can go away"
    " (key, limits, time, --allow-unsigned); those whose reason went away are read"
    " again on every ingest.",
)
@json_option('{"store", "files": [{"file", "new", ...}], "rechecked": [{"file", ...}]}')
def ingest(
    plan_path: Path,
    inputs: tuple[Path, ...],
    db: str | None,
    rebuild: bool,
    reading: Any,
    recheck: bool,
    as_json: bool,
) -> int:
    """Keep every returned file (accepted or refused) in the history store.

    Files whose exact bytes are already stored are recognised by their SHA-256 and not
    read again. Stored returns refused only because the signing key was missing or a
    limit was lower are read again once the key is given or the limit raised; the audit
    trail keeps both outcomes.
    """
    from .workflows import collect_files, ingest_and_recheck, open_store

    if not inputs and not recheck and not rebuild:
        raise fail(
            UsageError,
            "usage-error",
            "give returned files or folders after the plan, or --recheck or --rebuild",
            Location(path="FILES_OR_DIRS"),
        )
    plan = _load_plan(plan_path)
    store = open_store(db, plan_path, create=bool(inputs) or rebuild, rebuild=rebuild)
    _echo_key_warnings(reading.key_warnings())
    found = collect_files(inputs, store.own_files())
    _echo_skipped(found)
    result = ingest_and_recheck(plan, store, found.inputs, reading, recheck, rebuild=rebuild)
    rows = result.rows
    code = EXIT_PROBLEMS if result.refused or found.has_errors else EXIT_OK
    if as_json:
        echo_json({"store": store.where, **result.to_dict()})
        return code
    _render_rechecked(result.rechecked, recheck)
    if not rows:
        return code
    from .report import arrived_text

    echo_table(
        ["file", "store", "status", "institution", "period", "arrived"],
        [
            [
                r.name,
                "new" if r.new else "already stored" if r.kept else "not kept",
                "accepted" if r.accepted else f"refused [{r.refusal}]" if r.refusal else "refused",
                r.institution or "-",
                r.period or "-",
                arrived_text(r.arrived_at, r.arrival_source),
            ]
            for r in rows
        ],
    )
    new = sum(1 for r in rows if r.new)
    known = sum(1 for r in rows if r.kept and not r.new)
    click.echo(f"{new} new, {known} already stored, in {store.where}")
    return code


_WHY = {
    "key-now-known": "its signing key is now known",
    "limit-raised": "it is within the size limit now",
    "recheck": "--recheck",
}


def _render_rechecked(rechecked: list[Any], asked: bool) -> None:
    if not rechecked:
        if asked:
            click.echo("no stored return is refused for a reason that can go away")
        return
    click.echo(f"Read {len(rechecked)} stored return(s) again:")
    for r in rechecked:
        now = "accepted" if r.accepted else f"refused [{r.after}]"
        click.echo(f"  {r.name}: refused [{r.before}] -> {now} ({_WHY.get(r.trigger, r.trigger)})")


@main.command()
@plan_argument()
@db_option
@period_option(required=False, help="One period (default: every stored period)")
@as_of_option
@json_option('{"store", "periods", "institutions": [{"institution", "states"}], "flags"}')
def status(plan_path: Path, db: str | None, period: str | None, as_of: Any, as_json: bool) -> int:
    """Who has returned what, what is overdue, and what is flagged."""
    from .workflows import open_store, plan_period, status_table

    plan = _load_plan(plan_path)
    p = plan_period(plan, period) if period else None
    table = status_table(plan, open_store(db, plan_path, create=False), p, as_of)
    if as_json:
        echo_json(table.to_dict())
        return EXIT_OK
    if not table.periods:
        click.echo(f"no returns stored yet in {table.store}")
        return EXIT_OK
    echo_table(["institution", *table.periods], [[n, *s] for _, n, s in table.rows])
    for lb, counts in table.flags.items():
        text = ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"
        click.echo(f"{lb} flags: {text}")
    return EXIT_OK


@main.command()
@plan_argument()
@db_option
@click.option("--year", type=int, required=True, help="The calendar year reported on.")
@out_file_option("The yearly report workbook to write (.xlsx).")
@click.option("--pdf", is_flag=True, help="Also print it to PDF with LibreOffice.")
@overwrite_option
@json_option('{"written": [paths], "pdf_note"}')
def report(
    plan_path: Path,
    db: str | None,
    year: int,
    out_path: Path,
    pdf: bool,
    overwrite: bool,
    as_json: bool,
) -> int:
    """The yearly report: activities realized, indicators on track, ratings, reporting."""
    from .workflows import check_outputs, check_year, open_store, yearly_report

    targets = [out_path, out_path.with_suffix(".pdf")] if pdf else [out_path]
    check_outputs(targets, overwrite)
    plan = _load_plan(plan_path)
    check_year(plan, year)
    out = yearly_report(plan, open_store(db, plan_path, create=False), year, out_path, pdf)
    code = EXIT_PROBLEMS if out.pdf_note else EXIT_OK
    if as_json:
        echo_json({"written": [str(w) for w in out.written], "pdf_note": out.pdf_note or None})
        return code
    if out.pdf_note:
        click.echo(f"PDF not written: {out.pdf_note}", err=True)
    click.echo("Wrote " + ", ".join(str(w) for w in out.written))
    return code


@main.command("update-plan")
@plan_argument("MASTER", inputs_required=True)
@out_file_option("The new plan file to write (YAML).")
@click.option("--version", "new_version", help="Version label of the new plan.")
@overwrite_option
@reading_options
@json_option('{"ok", "problems", "changes": [...], "version", "fingerprint", "out"}')
def update_plan(
    plan_path: Path,
    inputs: tuple[Path, ...],
    out_path: Path,
    new_version: str | None,
    overwrite: bool,
    reading: Any,
    as_json: bool,
) -> int:
    """Read ONATC's fields from the master workbook and write a new plan version.

    The old form `update-plan MASTER --plan PLAN` still works.
    """
    from .workflows import check_outputs, collect_files
    from .workflows import update_plan as run

    if len(inputs) != 1:
        raise fail(
            UsageError,
            "usage-error",
            f"give one master workbook, not {len(inputs)}",
            Location(path="MASTER"),
        )
    check_outputs([out_path], overwrite, inputs)
    found = collect_files(inputs)
    _echo_skipped(found)
    if len(found.inputs) != 1:
        return EXIT_PROBLEMS
    plan = _load_plan(plan_path)
    _echo_key_warnings(reading.key_warnings())
    result = run(
        plan,
        found.inputs[0],
        out_path,
        key_file=reading.key_file,
        require_signature=reading.require_signature,
        new_version=new_version,
        overwrite=overwrite,
        reading=reading,
    )
    if as_json:
        echo_json(result.to_dict())
        return EXIT_OK if result.new_plan else EXIT_PROBLEMS
    update = result.update
    for pr in [*update.submission.problems, *update.problems]:
        echo_problem(pr, err=True)
    if result.new_plan is None:
        click.echo("no new plan written: fix the problems above in the master workbook", err=True)
        return EXIT_PROBLEMS
    for ch in update.changes:
        click.echo(f"  {ch}")
    click.echo(
        f"{len(update.changes)} change(s); plan {plan.version} ({plan.fingerprint}) ->"
        f" {result.new_plan.version} ({result.new_plan.fingerprint}) written to {out_path}"
    )
    return EXIT_OK


from .cli_keys import key  # noqa: E402  (its own module, registered here)

main.add_command(key)
main.add_command(__import__("mne_workbook.cli_plan", fromlist=["plan_group"]).plan_group)
__import__("mne_workbook.cli_web", fromlist=["register"]).register(main)  # serve, user
