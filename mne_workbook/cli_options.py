"""Shared command-line options: one definition, one help text, one check for each.

Commands (in ``cli.py`` and in command modules registered there) stack these
decorators instead of repeating ``click.option`` calls, so that ``--key-file`` or
``--db`` means the same on every command. Options that must be checked (``--smtp
HOST:PORT``, ``--password-env``) are checked while the command line is parsed, before
anything is read or written; a bad value raises our :class:`UsageError` (a coded
message from the error boundary in :func:`mne_workbook.cli.main`).

The plan: every command that needs one takes it as its first argument (``consolidate
PLAN FILES...``) or as ``--plan PLAN`` (then every argument is an input); both work on
every command.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from .errors import Location, UsageError, fail
from .safety import DEFAULT_TIMEOUT
from .workflows import ReadSettings

F = TypeVar("F", bound=Callable[..., Any])


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Apply decorators as if written one above the other (first = top)."""

    def apply(f: F) -> F:
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


# --------------------------------------------------------------------------- the plan


def plan_argument(inputs: str | None = None, inputs_required: bool = False) -> Callable[[F], F]:
    """``PLAN [INPUTS...]`` or ``--plan PLAN [INPUTS...]``; passes ``plan_path`` (and
    ``inputs``, a tuple of existing paths, when ``inputs`` names them)."""
    metavar = "PLAN" + (f" {inputs}" if inputs else "")

    def deco(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, plan_opt: Path | None, paths: tuple[Path, ...], **kw: Any) -> Any:
            rest = list(paths)
            if plan_opt is None:
                if not rest:
                    raise fail(
                        UsageError,
                        "usage-error",
                        "give the plan file as the first argument or with --plan",
                        Location(path="PLAN"),
                    )
                plan_opt = rest.pop(0)
            if inputs is None:
                if rest:
                    raise fail(
                        UsageError,
                        "usage-error",
                        f"unexpected argument {rest[0]} (the plan is {plan_opt})",
                        Location(path=str(rest[0])),
                    )
                return f(*args, plan_path=plan_opt, **kw)
            if inputs_required and not rest:
                raise fail(
                    UsageError,
                    "usage-error",
                    f"give {inputs} after the plan",
                    Location(path=inputs),
                )
            missing = [p for p in rest if not p.exists() and not p.is_symlink()]
            if missing:
                raise fail(
                    UsageError,
                    "file-not-found",
                    f"{missing[0]} does not exist",
                    Location(file=str(missing[0])),
                )
            return f(*args, plan_path=plan_opt, inputs=tuple(rest), **kw)

        wrapper = click.option(
            "--plan",
            "plan_opt",
            metavar="PLAN",
            type=click.Path(path_type=Path, dir_okay=False),
            help="The plan file (YAML/JSON); instead of giving it as the first argument.",
        )(wrapper)
        wrapper = click.argument(
            "paths", metavar=metavar, nargs=-1, type=click.Path(path_type=Path)
        )(wrapper)
        return cast(F, wrapper)

    return deco


# --------------------------------------------------------------------------- reading returns


key_file_option = click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Signing key file (default: $MNE_WORKBOOK_KEY, else"
    " ~/.config/mne-workbook/signing.key; generate creates it on first use).",
)

allow_unsigned_option = click.option(
    "--allow-unsigned",
    is_flag=True,
    help="Read unsigned or unverifiable workbooks (each is flagged).",
)


def bounds_options(f: F) -> F:
    """Reading bounds per returned file: workers, time, memory, size."""
    return _stack(
        click.option(
            "--workers",
            type=click.IntRange(1, 64),
            default=None,
            help="Files read at once, each in its own bounded process (default: the cores).",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(0.1),
            default=DEFAULT_TIMEOUT,
            show_default=True,
            help="Seconds one file may take to read; a slower file is refused (the slowest"
            " honest file measured, a 10,000-indicator master, takes about 3-5 s).",
        ),
        click.option(
            "--memory-mb",
            type=click.IntRange(16),
            default=1024,
            show_default=True,
            help="Memory (MB) reading one file may use; a hungrier file is refused.",
        ),
        click.option(
            "--max-file-mb",
            type=click.IntRange(1),
            default=20,
            show_default=True,
            help="Largest returned file accepted (MB).",
        ),
    )(f)


def reading_options(f: F) -> F:
    """``--key-file``, ``--allow-unsigned`` and the reading bounds, passed to the command
    as one ``reading`` argument (:class:`ReadSettings`)."""

    @functools.wraps(f)
    def wrapper(
        *args: Any,
        key_file: Path | None,
        allow_unsigned: bool,
        workers: int | None,
        timeout: float,
        memory_mb: int,
        max_file_mb: int,
        **kw: Any,
    ) -> Any:
        reading = ReadSettings(
            key_file=key_file,
            require_signature=not allow_unsigned,
            workers=workers,
            timeout=timeout,
            memory_mb=memory_mb,
            max_file_mb=max_file_mb,
        )
        return f(*args, reading=reading, **kw)

    return _stack(key_file_option, allow_unsigned_option, bounds_options)(cast(F, wrapper))


# --------------------------------------------------------------------------- store, dates


db_option = click.option(
    "--db",
    metavar="URL",
    help="History store: a path or SQLAlchemy URL (default: <plan>.mne.sqlite next to the plan).",
)


def _as_of(_ctx: click.Context, _param: click.Parameter, value: dt.datetime | None) -> Any:
    return value.date() if value else None


as_of_option = click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    callback=_as_of,
    help="Judge overdue returns as of this date, YYYY-MM-DD (default: today).",
)


def period_option(required: bool = True, help: str = "The reporting period") -> Callable[[F], F]:
    return click.option(
        "--period",
        required=required,
        metavar="PERIOD",
        help=f"{help}: 2026-Q2, 2026-H1, 2026-B3, 2026-05 or 2026 (of the plan's cycle).",
    )


lang_option = click.option(
    "--lang",
    type=click.Choice(["en", "sq", "sr"]),
    default=None,
    help="Language of workbooks and e-mails (default: the plan's first language).",
)


# --------------------------------------------------------------------------- outputs


overwrite_option = click.option(
    "--overwrite", is_flag=True, help="Replace output files that already exist."
)


def out_file_option(help: str) -> Callable[[F], F]:
    return click.option(
        "--out",
        "out_path",
        required=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help=help,
    )


def json_option(shape: str) -> Callable[[F], F]:
    """``--json``: print the result as one JSON object on stdout (documented in docs/json.md)."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help=f"Print the result as JSON on stdout: {shape} (see docs/json.md).",
    )


# --------------------------------------------------------------------------- e-mail


def _smtp(ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from .mail import SmtpSettings

    return SmtpSettings.parse(value)


def mail_options(required: bool, help: str) -> Callable[[F], F]:
    """``--mail DIR``, ``--smtp HOST:PORT`` (checked while parsing), ``--no-starttls``,
    ``--dry-run``; passed as ``mail_dir`` and ``smtp`` (SmtpSettings or None) and
    ``dry_run``."""

    def deco(f: F) -> F:
        @functools.wraps(f)
        def wrapper(
            *args: Any, smtp: Any, no_starttls: bool, insecure_plain_auth: bool, **kw: Any
        ) -> Any:
            if smtp is not None:
                if kw.get("mail_dir") is None:
                    raise fail(
                        UsageError,
                        "usage-error",
                        "--smtp sends the drafts written with --mail DIR; add --mail DIR",
                        Location(path="--smtp"),
                    )
                if no_starttls:
                    from dataclasses import replace

                    smtp = replace(smtp, starttls=False, insecure_plain_auth=insecure_plain_auth)
                smtp.check()  # no credentials in clear: refused before anything is written
            return f(*args, smtp=smtp, **kw)

        return _stack(
            click.option(
                "--mail",
                "mail_dir",
                required=required,
                type=click.Path(path_type=Path, file_okay=False),
                help=help,
            ),
            click.option(
                "--smtp",
                metavar="HOST:PORT",
                callback=_smtp,
                help="Send the drafts (STARTTLS; credentials from MNE_SMTP_USER /"
                " MNE_SMTP_PASSWORD).",
            ),
            click.option("--no-starttls", is_flag=True, help="With --smtp: do not use STARTTLS."),
            click.option(
                "--insecure-plain-auth",
                is_flag=True,
                help="With --no-starttls: send MNE_SMTP_USER / MNE_SMTP_PASSWORD unencrypted"
                " anyway (a trusted network only); refused otherwise.",
            ),
            click.option("--dry-run", is_flag=True, help="With --smtp: show what would be sent."),
        )(cast(F, wrapper))

    return deco
