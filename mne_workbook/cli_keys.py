"""``mne-workbook key``: create, rotate and show the signing key (registered in cli.py)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def key() -> None:
    """The signing key: create it, rotate it, see where it is."""


@key.command("new")
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write it (default: ~/.config/mne-workbook/signing.key).",
)
@click.option(
    "--rotate",
    is_flag=True,
    help="The file exists: put a new current key in front, keep the old ones for returns"
    " already sent.",
)
def key_new(key_file: Path | None, rotate: bool) -> None:
    """Create a signing key file (mode 600), or rotate the key in an existing one."""
    from .signing import default_key_file, key_id, new_key

    path = key_file or default_key_file()
    ring = new_key(path, rotate=rotate)
    what = "rotated" if rotate else "created"
    click.echo(f"{what} signing key {key_id(ring.current)} in {path}")
    if rotate:
        click.echo(f"  {len(ring.keys) - 1} older key(s) kept below it for earlier returns")
    click.echo(
        "  back this file up now (without it, returns of workbooks it signed cannot be"
        " verified); never send it to anyone"
    )


@key.command("show")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), default=None)
def key_show(key_file: Path | None) -> None:
    """Where the keys come from and their ids (never the keys themselves)."""
    from .signing import key_id, keys_for_reading

    ring = keys_for_reading(key_file, require_signature=True)
    assert ring is not None
    click.echo(f"keys from {ring.source}:")
    for n, k in enumerate(ring.keys):
        click.echo(f"  {key_id(k)}  {'current (signs)' if n == 0 else 'older (verifies)'}")
    for w in ring.warnings:
        click.echo(click.style(f"warning [{w.code}] {w.message}", fg="yellow"), err=True)
