"""Print the CLI reference (docs/cli.md) from the commands' own help texts.

`make docs` rewrites docs/cli.md; a test fails when the file and the CLI drift apart.
"""

from __future__ import annotations

import click

from mne_workbook.cli import main


def render() -> str:
    out = [
        "# CLI reference",
        "",
        "Generated from `mne-workbook --help` by `make docs`; do not edit.",
        "",
    ]
    ctx = click.Context(main, info_name="mne-workbook", terminal_width=100)
    out += ["```", main.get_help(ctx), "```", ""]
    commands = getattr(main, "commands", {})
    for name in sorted(commands):
        cmd = commands[name]
        sub = click.Context(cmd, info_name=name, parent=ctx, terminal_width=100)
        out += [f"## mne-workbook {name}", "", "```", cmd.get_help(sub), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
