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

    def walk(group: click.Command, parent: click.Context, prefix: str) -> None:
        commands = getattr(group, "commands", {})
        for name in sorted(commands):
            cmd = commands[name]
            sub = click.Context(cmd, info_name=name, parent=parent, terminal_width=100)
            out.extend([f"## {prefix} {name}", "", "```", cmd.get_help(sub), "```", ""])
            walk(cmd, sub, f"{prefix} {name}")  # a command group's own commands

    walk(main, ctx, "mne-workbook")
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
