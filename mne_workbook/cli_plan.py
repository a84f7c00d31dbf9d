"""`mne-workbook plan ...`: the plan as a workbook (template, export, import) and plan diff."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import MneError

LANG = click.option(
    "--lang",
    type=click.Choice(["en", "sq", "sr"]),
    default="en",
    show_default=True,
    help="Language of the instructions, input messages and header notes.",
)
OVERWRITE = click.option("--overwrite", is_flag=True, help="Replace a file that already exists.")


@click.group("plan")
def plan_group() -> None:
    """Write and revise the plan in a workbook; compare plan versions."""


def _fail(exc: MneError, code: int) -> None:
    from .cli import _die

    _die(exc, code)


@plan_group.command("template")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The empty plan workbook to write (.xlsx).",
)
@LANG
@OVERWRITE
def template(out_path: Path, lang: str, overwrite: bool) -> None:
    """An empty plan workbook: one sheet per level, dropdowns, instructions."""
    from .cli import EXIT_USAGE
    from .errors import UsageError
    from .plan_workbook import write_plan_workbook

    try:
        write_plan_workbook(None, out_path, lang=lang, overwrite=overwrite)
    except UsageError as exc:
        _fail(exc, EXIT_USAGE)
    click.echo(f"Wrote {out_path}: fill it in, then run `mne-workbook plan import {out_path}`")


@plan_group.command("export")
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The plan workbook to write (.xlsx).",
)
@LANG
@OVERWRITE
def export(plan_path: Path, out_path: Path, lang: str, overwrite: bool) -> None:
    """A plan file (YAML/JSON) as a plan workbook, notes and all."""
    from .cli import EXIT_PROBLEMS, EXIT_USAGE, _load_plan_or_exit
    from .errors import GenerationError, UsageError
    from .plan_workbook import write_plan_workbook

    plan = _load_plan_or_exit(plan_path)
    try:
        write_plan_workbook(plan, out_path, lang=lang, overwrite=overwrite)
    except UsageError as exc:
        _fail(exc, EXIT_USAGE)
    except GenerationError as exc:
        _fail(exc, EXIT_PROBLEMS)
    click.echo(
        f"Wrote {out_path}: plan {plan.id} version {plan.version} (fingerprint {plan.fingerprint})"
    )


@plan_group.command("import")
@click.argument("workbook", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The plan file to write (.yaml, or .json).",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (write nothing).")
@click.option("--all", "show_all", is_flag=True, help="List every warning, not 3 per code.")
@OVERWRITE
def import_(workbook: Path, out_path: Path, strict: bool, show_all: bool, overwrite: bool) -> None:
    """A plan workbook back to a plan file, checked as `validate` checks it."""
    from .cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, _render_report
    from .errors import UsageError
    from .plan_import import import_plan
    from .planning import write_plan

    report, plan = import_plan(workbook)
    _render_report(report, show_all)
    if plan is None or (strict and report.warnings):
        click.echo(f"no plan written: fix the problems above in {workbook}", err=True)
        sys.exit(EXIT_PROBLEMS)
    try:
        if out_path.suffix.lower() == ".json":
            from .generate import atomic_write
            from .plan import plan_to_dict

            if out_path.exists() and not overwrite:
                from .errors import Location, fail

                raise fail(
                    UsageError,
                    "output-exists",
                    f"{out_path} already exists",
                    Location(file=str(out_path)),
                )
            text = json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"
            atomic_write(out_path, lambda tmp: tmp.write_text(text, "utf-8"))
        else:
            write_plan(plan, out_path, overwrite, by=f"plan import {workbook.name}")
    except UsageError as exc:
        _fail(exc, EXIT_USAGE)
    click.echo(
        f"Wrote {out_path}: plan {plan.id} version {plan.version} (fingerprint {plan.fingerprint})"
    )
    sys.exit(EXIT_OK)


@plan_group.command("diff")
@click.argument("old_path", metavar="OLD", type=click.Path(path_type=Path))
@click.argument("new_path", metavar="NEW", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def diff(old_path: Path, new_path: Path, as_json: bool) -> None:
    """What changed between two plan versions (YAML, JSON or workbook)."""
    from .cli import _load_plan_or_exit
    from .plan_diff import diff_plans

    d = diff_plans(_load_plan_or_exit(old_path), _load_plan_or_exit(new_path))
    if as_json:
        click.echo(json.dumps(d.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{old_path} version {d.old_version} ({d.old_fingerprint}) -> {new_path} version"
        f" {d.new_version} ({d.new_fingerprint}): {len(d.changes)} change(s)"
    )
    for ch in d.changes:
        click.echo(f"  {ch}")
