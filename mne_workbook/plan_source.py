"""A parsed plan file and how to locate a JSON path in it (below :mod:`plan`).

:class:`PlanSource` holds a YAML/JSON plan's data with its line numbers; the plan
workbook reader gives each path a sheet, row and column instead. The schema lives here
too, so that modules below :mod:`plan` (the plan workbook's sheets) can read it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .errors import Location

JsonPath = tuple[str | int, ...]


def json_path(path: tuple[str | int, ...] | list[str | int]) -> str:
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


class LazyLines(Mapping[JsonPath, int]):
    """A line map made the first time it is asked: a valid plan never needs one, and
    mapping every node of a large plan costs about a sixth of parsing it."""

    def __init__(self, make: Callable[[], dict[JsonPath, int]]) -> None:
        self._make: Callable[[], dict[JsonPath, int]] | None = make
        self._lines: dict[JsonPath, int] = {}

    def _all(self) -> dict[JsonPath, int]:
        if self._make is not None:
            self._lines, self._make = self._make(), None
        return self._lines

    def __getitem__(self, key: JsonPath) -> int:
        return self._all()[key]

    def __iter__(self) -> Iterator[JsonPath]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


@dataclass
class PlanSource:
    """A plan file's raw data with what is needed to locate problems in it."""

    path: str
    data: Any
    lines: Mapping[JsonPath, int]

    def where(self, path: tuple[str | int, ...] | list[str | int]) -> Location:
        p = tuple(path)
        line = None
        while line is None:
            line = self.lines.get(p)
            if not p:
                break
            p = p[:-1]
        return Location(file=self.path, path=json_path(path), line=line)

    def where_error(self, err: Any) -> Location | None:
        """Where a JSON Schema error is; None when that spot's problem is already reported."""
        return self.where(list(err.absolute_path))


def plan_schema() -> dict[str, Any]:
    """The plan's JSON Schema (2020-12), as shipped in the package."""
    text = resources.files("mne_workbook").joinpath("schema/plan.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
