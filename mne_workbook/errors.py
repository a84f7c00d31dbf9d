"""One exception hierarchy and the catalog of coded, located messages.

Problems found in *data* (a plan file, a returned workbook) are collected into a
:class:`Report` so that every problem is shown at once. Exceptions are raised only
when work cannot go on; they carry the report that explains why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Code:
    """A stable message code: its severity, a one-line title and what to do."""

    code: str
    severity: Severity
    title: str
    hint: str


def _c(code: str, severity: Severity, title: str, hint: str) -> Code:
    return Code(code, severity, title, hint)


E, W = Severity.ERROR, Severity.WARNING

#: Every code a user can see. Tests check that no other code is ever emitted.
CATALOG: dict[str, Code] = {
    c.code: c
    for c in [
        # -- reading a plan file -------------------------------------------------
        _c("file-not-found", E, "file not found", "Check the path and try again."),
        _c("file-unreadable", E, "file cannot be read", "Check the file's permissions."),
        _c("file-empty", E, "file is empty", "Give a plan file with content."),
        _c(
            "file-not-utf8",
            E,
            "file is not UTF-8 text",
            "Save the plan as UTF-8 text (YAML or JSON).",
        ),
        _c(
            "syntax-error",
            E,
            "not valid YAML/JSON",
            "Fix the syntax at the line shown (indentation, quotes, colons).",
        ),
        _c(
            "wrong-top-level",
            E,
            "top level is not a mapping",
            "A plan file is a mapping with keys such as id, title, strategic_objectives.",
        ),
        _c(
            "schema-violation",
            E,
            "does not match the plan schema",
            "Correct the value at the path shown; see schema/plan.schema.json.",
        ),
        # -- semantic errors -----------------------------------------------------
        _c(
            "duplicate-code",
            E,
            "code used twice",
            "Give every objective, activity and indicator its own code or id.",
        ),
        _c(
            "code-not-under-parent",
            E,
            "code does not belong to its parent",
            "An activity's code starts with its specific objective's code (A1.2.x under 1.2);"
            " a specific objective's with its strategic objective's number.",
        ),
        _c(
            "unknown-institution",
            E,
            "unknown carrier institution",
            "Use an id from the plan's institutions list, or add the institution there.",
        ),
        _c(
            "timeline-outside-strategy",
            E,
            "timeline outside the strategy period",
            "Keep activity timelines within strategy_period.",
        ),
        _c(
            "timeline-reversed",
            E,
            "timeline ends before it starts",
            "Swap or correct the timeline's start and end.",
        ),
        _c(
            "strategy-period-reversed",
            E,
            "strategy period ends before it starts",
            "Correct strategy_period.start and strategy_period.end.",
        ),
        _c(
            "invalid-date",
            E,
            "not a valid date",
            "Write dates as YYYY, YYYY-MM or YYYY-MM-DD.",
        ),
        # -- the framework's quality checks (section V.1) --------------------------
        _c(
            "indicator-no-target",
            W,
            "indicator without target",
            "Set a target (value and year) so that progress can be judged.",
        ),
        _c(
            "indicator-no-baseline",
            W,
            "indicator without baseline",
            "Record a baseline value and its year; without it progress cannot be measured.",
        ),
        _c(
            "objective-no-outcome",
            W,
            "no expected result reaches outcome level",
            "Add an outcome- or impact-level result: the framework asks for more than outputs.",
        ),
        _c(
            "indicator-not-measurable",
            W,
            "indicator names no measurable quantity",
            "Phrase the indicator as a number or share ('# of ...', '% of ...').",
        ),
        _c(
            "activity-no-carrier",
            W,
            "activity without carrier institution",
            "Name the institution(s) that carry the activity.",
        ),
        _c(
            "objective-no-activities",
            W,
            "specific objective without activities",
            "Add the activities that serve this objective, or note why there are none.",
        ),
        _c(
            "activity-no-indicators",
            W,
            "activity without indicators",
            "Give the activity at least one expected result with an indicator.",
        ),
        _c(
            "one-time-activity-multi-year",
            W,
            "one-time activity on a multi-year timeline",
            "A publication, launch or signing is an event: give it the year it happens in.",
        ),
        _c(
            "frequency-unassigned",
            W,
            "frequency of data collection not defined",
            "Define how often the indicator is collected (to be defined by ONATC).",
        ),
        _c(
            "responsible-unassigned",
            W,
            "no responsible person in ONATC",
            "Assign one person in ONATC to collect the indicator (to be assigned by ONATC).",
        ),
        # -- command-line usage --------------------------------------------------
        _c("usage-error", E, "invalid command-line usage", "See --help for the options."),
        _c(
            "period-invalid",
            E,
            "not a reporting period",
            "Write a period as 2026-Q2, 2026-H1, 2026-B3 (bi-monthly), 2026-05 or 2026.",
        ),
        _c(
            "period-wrong-cycle",
            E,
            "period does not match the plan's reporting cycle",
            "Use a period of the plan's cycle (reporting.cycle in the plan).",
        ),
        _c(
            "period-outside-strategy",
            E,
            "period outside the strategy period",
            "Pick a period within the plan's strategy_period.",
        ),
        _c(
            "output-exists",
            E,
            "output file already exists",
            "Choose another output directory or pass --overwrite.",
        ),
        _c(
            "password-env-missing",
            E,
            "password environment variable not set",
            "Export the variable named by --password-env, or drop the option.",
        ),
        _c(
            "generation-limit",
            E,
            "spreadsheet format limit exceeded",
            "Shorten the text named (Excel limits titles and messages).",
        ),
    ]
}


@dataclass(frozen=True)
class Location:
    """Where a problem is. Every field is optional; set the ones that apply."""

    file: str | None = None
    path: str | None = None  # JSON path in a plan, e.g. $.strategic_objectives[0].code
    line: int | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.column and self.row:
            parts.append(f"cell {self.column}{self.row}")
        elif self.row:
            parts.append(f"row {self.row}")
        if self.path:
            parts.append(self.path)
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One located, coded problem."""

    code: str
    message: str
    location: Location = field(default_factory=Location)
    severity: Severity | None = None  # defaults to the catalog's severity

    def __post_init__(self) -> None:
        if self.code not in CATALOG:
            raise KeyError(f"unknown problem code {self.code!r}")
        if self.severity is None:
            object.__setattr__(self, "severity", CATALOG[self.code].severity)

    @property
    def hint(self) -> str:
        return CATALOG[self.code].hint

    def to_dict(self) -> dict[str, Any]:
        loc = {k: v for k, v in asdict(self.location).items() if v is not None}
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "hint": self.hint,
            **loc,
        }

    def __str__(self) -> str:
        where = str(self.location)
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.severity} [{self.code}] {self.message}"


@dataclass
class Report:
    """Problems found in one input, as data."""

    source: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(self, code: str, message: str, location: Location | None = None) -> None:
        self.problems.append(Problem(code, message, location or Location(file=self.source)))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        """Number of problems per code, most frequent first."""
        return dict(Counter(p.code for p in self.problems).most_common())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "counts": self.counts(),
            "problems": [p.to_dict() for p in self.problems],
        }


class MneError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(self, report: Report) -> None:
        self.report = report
        first = report.errors[0] if report.errors else None
        super().__init__(str(first) if first else "error")


class PlanError(MneError):
    """A plan file could not be loaded (see ``report``)."""


class UsageError(MneError):
    """An argument given by the user is invalid (period, output path, ...)."""


class GenerationError(MneError):
    """A workbook could not be generated (a format limit was hit)."""


def fail(
    exc: type[MneError], code: str, message: str, location: Location | None = None
) -> MneError:
    """Build an exception of type ``exc`` holding one problem."""
    report = Report(source=location.file if location else None)
    report.add(code, message, location)
    return exc(report)
