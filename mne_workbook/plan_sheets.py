"""THE layout of a plan workbook: its sheets and columns, derived from the plan schema.

One sheet per level of the plan (Plan, Institutions, Strategic objectives, Specific
objectives, Activities, Expected results, Indicators), one row per item, one column per
schema field. Nested objects become dotted columns (``timeline.start``), lists of
values numbered columns (``carriers.1``, ``carriers.2``). The writer and the reader
both ask this module where things are; a field added to the schema flows through.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from .plan_source import plan_schema

#: Columns per list field when a plan does not need more (carriers.1 ... carriers.4).
LIST_SLOTS = {"carriers": 4, "means_of_verification": 3, "email": 2, "languages": 3}
DEFAULT_SLOTS = 3
#: Workbook-only key of an expected result (the schema gives results no id).
RESULT_KEY = "key"
INSTRUCTIONS_SHEET = "Instructions"


@dataclass(frozen=True)
class Column:
    """One column of a level's sheet."""

    header: str  # what row 1 says: the schema field, dotted / numbered
    path: tuple[str, ...]  # where the value sits in the item (schema shape)
    kind: str  # text | int | bool | date | value | choice | parent | key
    required: bool = False
    choices: tuple[str, ...] = ()
    description: str = ""
    slot: int | None = None  # 0-based index within a list field
    single_if_one: bool = False  # a list written as a plain value when it holds one item
    ref: str | None = None  # sheet whose first column gives the dropdown (carriers, parents)

    @property
    def field(self) -> str:
        return self.path[0]


@dataclass(frozen=True)
class Level:
    """One sheet: which schema object it holds and how it hangs under the level above."""

    sheet: str
    definition: str | None  # $defs name; None for the plan itself
    children: str | None  # the list field holding this level's items in the parent
    parent: Level | None = None
    parent_column: str | None = None  # header of the column naming the parent's key
    key: str | None = None  # field that identifies an item (for children's dropdowns)


PLAN = Level("Plan", None, None, key="id")
INSTITUTIONS = Level("Institutions", "institution", "institutions", PLAN, key="id")
STRATEGIC = Level(
    "Strategic objectives", "strategic_objective", "strategic_objectives", PLAN, key="code"
)
SPECIFIC = Level(
    "Specific objectives",
    "specific_objective",
    "specific_objectives",
    STRATEGIC,
    "strategic_objective",
    "code",
)
ACTIVITIES = Level("Activities", "activity", "activities", SPECIFIC, "specific_objective", "code")
RESULTS = Level(
    "Expected results", "expected_result", "expected_results", ACTIVITIES, "activity", RESULT_KEY
)
INDICATORS = Level("Indicators", "indicator", "indicators", RESULTS, "expected_result", "id")
LEVELS: tuple[Level, ...] = (
    PLAN,
    INSTITUTIONS,
    STRATEGIC,
    SPECIFIC,
    ACTIVITIES,
    RESULTS,
    INDICATORS,
)
#: Fields that are lists of child items, not columns.
CHILD_FIELDS = {lv.children for lv in LEVELS if lv.children}


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Follow a $ref; return the target merged with the referring node, and the def name."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node, None
    name = ref.rsplit("/", 1)[-1]
    target, _ = _resolve(defs[name], defs)
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}, name


def _scalar_kind(node: dict[str, Any], name: str | None) -> tuple[str, tuple[str, ...]]:
    if name == "date":
        return "date", ()
    if name == "value":
        return "value", ()
    if "enum" in node:
        return "choice", tuple(str(v) for v in node["enum"])
    kind = node.get("type")
    if kind == "integer":
        return "int", ()
    if kind == "boolean":
        return "bool", ()
    return "text", ()


def _object_columns(
    props: dict[str, Any],
    required: list[str],
    defs: dict[str, Any],
    slots: dict[str, int],
    prefix: tuple[str, ...] = (),
) -> list[Column]:
    out: list[Column] = []
    for name, raw in props.items():
        if name in CHILD_FIELDS and not prefix:
            continue
        node, def_name = _resolve(raw, defs)
        path = (*prefix, name)
        dotted = ".".join(path)
        desc = str(node.get("description", ""))
        req = name in required
        if node.get("type") == "object" and "properties" in node:
            out += _object_columns(node["properties"], node.get("required", []), defs, slots, path)
            continue
        variants = [_resolve(v, defs)[0] for v in node.get("oneOf", [])]
        array = node if node.get("type") == "array" else None
        single = False
        if array is None and any(v.get("type") == "array" for v in variants):
            array = next(v for v in variants if v.get("type") == "array")
            single = True
        if array is not None:
            item, item_def = _resolve(array.get("items", {}), defs)
            kind, choices = _scalar_kind(item, item_def)
            ref = INSTITUTIONS.sheet if name == "carriers" else None
            for i in range(slots.get(name, LIST_SLOTS.get(name, DEFAULT_SLOTS))):
                out.append(
                    Column(
                        f"{dotted}.{i + 1}",
                        path,
                        "choice" if ref else kind,
                        req and i == 0,
                        choices,
                        desc,
                        slot=i,
                        single_if_one=single,
                        ref=ref,
                    )
                )
            continue
        kind, choices = _scalar_kind(node, def_name)
        out.append(Column(dotted, path, kind, req, choices, desc))
    return out


@cache
def _schema() -> dict[str, Any]:
    return plan_schema()


def columns(level: Level, slots: tuple[tuple[str, int], ...] = ()) -> tuple[Column, ...]:
    """The columns of ``level``'s sheet; ``slots`` widens list fields (name, count)."""
    schema = _schema()
    defs = schema["$defs"]
    node = schema if level.definition is None else defs[level.definition]
    cols = _object_columns(node["properties"], node.get("required", []), defs, dict(slots))
    head: list[Column] = []
    if level.parent is not None and level.parent_column:
        head.append(
            Column(
                level.parent_column,
                (),
                "parent",
                True,
                description=f"the {level.parent.key} of its parent in sheet {level.parent.sheet}",
                ref=level.parent.sheet,
            )
        )
    if level.key == RESULT_KEY:
        head.append(Column(RESULT_KEY, (), "key", True, description="a short key of your choice"))
    return (*head, *cols)


def list_slots(plan_data: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    """Numbered columns each list field needs to hold ``plan_data`` (at least the default)."""
    need: dict[str, int] = dict(LIST_SLOTS)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(v, list) and v and not isinstance(v[0], dict):
                    need[k] = max(need.get(k, DEFAULT_SLOTS), len(v))
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(plan_data)
    return tuple(sorted(need.items()))


def col_letter(index: int) -> str:
    """0-based column index -> letters (0 -> A)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out
