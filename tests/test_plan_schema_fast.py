"""The compiled schema check (fastjsonschema) only ever says "valid" when jsonschema does.

`plan.schema_errors` asks the compiled check first and, whenever it objects, jsonschema,
whose errors (messages, paths, order) are the ones reported. So the compiled check may
be stricter than jsonschema (then a valid plan is merely checked twice), never more
lenient: a plan it passes must have no jsonschema error at all.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import activity, indicator, plan
from hypothesis import given, settings
from hypothesis import strategies as st

import mne_workbook.plan as plan_module
from mne_workbook.plan import FAST_KEYWORDS, load_plan, plan_schema, schema_errors

REFERENCE = jsonschema.Draft202012Validator(plan_schema())


def fast_says_valid(data: Any) -> bool:
    check = plan_module._fast_schema_check()
    assert check is not None, "fastjsonschema is a declared dependency"
    try:
        check(data)
    except Exception:
        return False
    return True


def reference_errors(data: Any) -> list[tuple[str, str]]:
    errs = sorted(REFERENCE.iter_errors(data), key=lambda e: list(map(str, e.path)))
    return [(e.message, e.json_path) for e in errs]


def keywords(node: Any) -> set[str]:
    """Every keyword used in a (sub-)schema; names under properties/$defs are not."""
    if isinstance(node, list):
        return set().union(*(keywords(x) for x in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    out = set(node)
    for k, v in node.items():
        if k in ("properties", "$defs"):
            out |= set().union(*(keywords(x) for x in v.values())) if v else set()
        elif k not in ("enum", "required", "default"):
            out |= keywords(v)
    return out


def test_the_schema_uses_only_keywords_both_checkers_treat_alike() -> None:
    used = keywords(plan_schema())
    assert used <= FAST_KEYWORDS, f"check these in fastjsonschema first: {used - FAST_KEYWORDS}"
    assert {"pattern", "oneOf", "additionalProperties", "uniqueItems"} <= used


def test_a_valid_plan_never_reaches_jsonschema(
    monkeypatch: pytest.MonkeyPatch, kosovo_path: Path
) -> None:
    def refuse() -> Any:
        raise AssertionError("jsonschema was asked about a valid plan")

    monkeypatch.setattr(plan_module, "_schema_validator", refuse)
    assert len(load_plan(kosovo_path).indicators()) > 50


def test_the_check_leaves_the_data_as_it_was(kosovo_path: Path) -> None:
    data = yaml.safe_load(kosovo_path.read_text("utf-8"))
    del data["reporting"]["grace_days"]  # a default in the schema
    before = copy.deepcopy(data)
    assert schema_errors(data) == []
    assert data == before


def test_an_invalid_plan_gets_jsonschemas_own_errors() -> None:
    d = plan()
    d["institutions"][0]["email"] = "x@y\n"  # jsonschema's $ matches before a last newline
    d["strategic_objectives"][0]["code"] = "SO0"
    d["version"] = 3
    got = [(e.message, e.json_path) for e in schema_errors(d)]
    assert got == reference_errors(d) and len(got) == 2


# Values a plan's fields may wrongly (or rightly) hold: types jsonschema and fastjsonschema
# could disagree on (1.0 as an integer, booleans as numbers, NaN, a trailing newline).
ODD = st.sampled_from(
    [
        None, True, False, 0, 1, -1, 1.0, 2025.0, 2025.5, 1e300, math.nan, math.inf, -0.0,
        "", " ", "x", "x\n", "\n", "SO1", "SO1\n", "1.1", "A1.1.1", "a@b", "a@b\n", "a b@c",
        "KP", "K/P", "x" * 25, "2026", "2026-13", "2026-01-01\n", "number", "yearly", "en",
        "outcome", [], [None], ["en", "en"], ["kp", "kp"], [1, True], ["a@b"], {}, {"x": 1},
        {"value": 1}, {1: "x"}, 2025, 1899, 2201, 366, 367,
    ]
)  # fmt: skip


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*here, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*here, i))
    return out


def _base() -> dict[str, Any]:
    a1 = activity(
        "A1.1.1",
        indicators=[indicator("I1", means_of_verification=["Reports"], unit="cases")],
        timeline={"start": "2025-01", "end": 2026},
        carriers=["kp", "mlsw"],
    )
    a2 = activity("A1.1.2", indicators=[indicator("I2", measure="yes-no", cumulative=True)])
    d = plan(activities=[a1, a2], languages=["en", "sq"], critique=["a note"])
    d["institutions"][0]["email"] = ["a@b.org", "c@d.org"]
    d["institutions"][1]["sender_emails"] = ["x@y.org"]
    d["reporting"].update({"cycle": "quarterly", "grace_days": 15, "coordinator": "kp"})
    return d


BASE = _base()
PATHS = _paths(BASE)


@settings(max_examples=400, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(PATHS),
            st.sampled_from(["set", "delete", "add"]),
            ODD,
            st.sampled_from(["note", "extra", "id", "value", "year", "email"]),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_fast_valid_implies_jsonschema_valid(edits: list[tuple[Any, str, Any, str]]) -> None:
    data = copy.deepcopy(BASE)
    for path, how, value, key in edits:
        if not path:
            continue
        try:
            parent = data
            for p in path[:-1]:
                parent = parent[p]
            last = path[-1]
            if how == "set":
                parent[last] = copy.deepcopy(value)
            elif how == "delete":
                del parent[last]
            elif isinstance(parent[last], dict):
                parent[last][key] = copy.deepcopy(value)
            elif isinstance(parent[last], list):
                parent[last].append(copy.deepcopy(value))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced the spot
    ref = reference_errors(data)
    if fast_says_valid(data):
        assert ref == []
    assert [(e.message, e.json_path) for e in schema_errors(data)] == ref


def test_the_base_plan_is_valid_for_both() -> None:
    assert fast_says_valid(BASE) and reference_errors(BASE) == []
