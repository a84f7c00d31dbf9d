"""`mne-workbook plan ...`: the plan as a workbook (template, export, import) and plan diff.

Registered on ``main`` with one line in :mod:`mne_workbook.cli`; errors go to its one
error boundary (commands raise, never catch).
"""

from __future__ import annotations

from pathlib import Path

import click

from .cli_options import json_option, out_file_option, overwrite_option

LANG = click.option(
    "--lang",
    type=click.Choice(["en", "sq", "sr"]),
    default="en",
    show_default=True,
    help="Language of the instructions, input messages and header notes.",
)


@click.group("plan")
def plan_group() -> None:
    """Write and revise the plan in a workbook; compare plan versions."""


@plan_group.command("template")
@out_file_option("The empty plan workbook to write (.xlsx).")
@LANG
@overwrite_option
def template(out_path: Path, lang: str, overwrite: bool) -> int:
    """An empty plan workbook: one sheet per level, dropdowns, instructions."""
    from .plan_workbook import write_plan_workbook

    write_plan_workbook(None, out_path, lang=lang, overwrite=overwrite)
    click.echo(f"Wrote {out_path}: fill it in, then run `mne-workbook plan import {out_path}`")
    return 0


@plan_group.command("export")
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path, dir_okay=False))
@out_file_option("The plan workbook to write (.xlsx).")
@LANG
@overwrite_option
def export(plan_path: Path, out_path: Path, lang: str, overwrite: bool) -> int:
    """A plan file (YAML/JSON) as a plan workbook, notes and all."""
    from .plan import load_plan
    from .plan_workbook import write_plan_workbook

    plan = load_plan(plan_path)
    write_plan_workbook(plan, out_path, lang=lang, overwrite=overwrite)
    click.echo(
        f"Wrote {out_path}: plan {plan.id} version {plan.version} (fingerprint {plan.fingerprint})"
    )
    return 0


@plan_group.command("import")
@click.argument("workbook", type=click.Path(path_type=Path, dir_okay=False))
@out_file_option("The plan file to write (.yaml; .json for JSON).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (write nothing).")
@click.option("--all", "show_all", is_flag=True, help="List every warning, not 3 per code.")
@overwrite_option
def import_(workbook: Path, out_path: Path, strict: bool, show_all: bool, overwrite: bool) -> int:
    """A plan workbook back to a plan file, checked as `validate` checks it."""
    from .cli import EXIT_PROBLEMS, _render_report
    from .plan_workbook import import_plan
    from .planning import write_plan

    report, plan = import_plan(workbook)
    _render_report(report, show_all)
    if plan is None or (strict and report.warnings):
        click.echo(f"no plan written: fix the problems above in {workbook}", err=True)
        return EXIT_PROBLEMS
    write_plan(plan, out_path, overwrite, by=f"plan import {workbook.name}")
    click.echo(
        f"Wrote {out_path}: plan {plan.id} version {plan.version} (fingerprint {plan.fingerprint})"
    )
    return 0


@plan_group.command("diff")
@click.argument("old_path", metavar="OLD", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new_path", metavar="NEW", type=click.Path(path_type=Path, dir_okay=False))
@json_option('{"old", "new", "counts", "changes"}')
def diff(old_path: Path, new_path: Path, as_json: bool) -> int:
    """What changed between two plan versions (YAML, JSON or workbook)."""
    from .cli import echo_json
    from .plan import load_plan
    from .plan_diff import diff_plans

    d = diff_plans(load_plan(old_path), load_plan(new_path))
    if as_json:
        echo_json(d.to_dict())
        return 0
    click.echo(
        f"{old_path} version {d.old_version} ({d.old_fingerprint}) -> {new_path} version"
        f" {d.new_version} ({d.new_fingerprint}): {len(d.changes)} change(s)"
    )
    for ch in d.changes:
        click.echo(f"  {ch}")
    return 0
