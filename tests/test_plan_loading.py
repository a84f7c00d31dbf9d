"""Plan loading on libyaml: the same data, lines and messages as the pure-Python loader.

`load_plan` parses a plan once with libyaml's C loader (falling back to PyYAML's pure
loader when libyaml objects) and checks it against a schema whose references are
inlined. The reference below is the old way: the pure loader and the schema as shipped.
Every report must be identical, problem for problem (code, message, file, line, path).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import activity, indicator, plan, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mne_workbook.plan as plan_module
from mne_workbook.plan import _line_map, plan_schema, validate_plan


def report_rows(path: Path) -> list[tuple[Any, ...]]:
    rep = validate_plan(path)
    return [
        (p.code, p.severity, p.message, p.location.file, p.location.line, p.location.path)
        for p in rep.problems
    ]


def both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    new = report_rows(path)
    with monkeypatch.context() as m:
        m.setattr(plan_module, "_C_LOADER", None)
        m.setattr(plan_module, "_fast_schema_check", lambda: None)
        m.setattr(
            plan_module,
            "_schema_validator",
            lambda: jsonschema.Draft202012Validator(plan_schema()),
        )
        old = report_rows(path)
    return new, old


def test_libyaml_is_used_where_pyyaml_has_it() -> None:
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("this PyYAML is built without libyaml: only the pure loader runs")
    assert plan_module._C_LOADER is not None
    assert issubclass(plan_module._C_LOADER, yaml.CSafeLoader)


def planted() -> dict[str, Any]:
    """A plan with schema, semantic and quality problems in every part of the tree."""
    bad_ind = indicator("A1.1.1-2", measure="count", frequency="weekly", target={"value": []})
    del bad_ind["responsible_person"]
    a1 = activity("A1.1.1", indicators=[indicator("A1.1.1-1"), bad_ind], carrier=["kp"])
    a2 = activity("A1.1.1", carriers=["police"], timeline={"start": "2026-06", "end": "2026-02"})
    a3 = activity(
        "A1.2.3",
        title="Publication of a study",
        timeline={"start": "2025-13", "end": 2031},
        inputs="",
    )
    a4 = activity("A1.1.4", expected_results=[{"text": "x", "level": "outcome"}])
    d = plan(activities=[a1, a2, a3, a4])
    d["institutions"].append({"id": "kp", "name": "Duplicate", "email": "not-an-address"})
    d["institutions"].append({"id": "x y", "name": 5, "illustrative": "yes"})
    d["strategic_objectives"].append(
        {"code": "S2", "title": "", "specific_objectives": [{"code": 1.1, "title": "t"}]}
    )
    d["reporting"] = {"cycle": "weekly", "grace_days": -1}
    d["critique"] = ["fine", 3]
    return d


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_planted_errors_give_identical_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    d = planted()
    if suffix == "json":
        path = tmp_path / "plan.json"
        path.write_text(json.dumps(d, indent=2), "utf-8")
    else:
        path = write(tmp_path, d)
    new, old = both(path, monkeypatch)
    assert len(new) >= 15, new  # the plan really holds many problems
    assert {r[0] for r in new} >= {"schema-violation", "duplicate-code", "unknown-institution"}
    assert all(r[4] for r in new), "every problem has a line"
    assert new == old


def test_a_valid_plan_gives_identical_warnings(
    monkeypatch: pytest.MonkeyPatch, kosovo_path: Path
) -> None:
    new, old = both(kosovo_path, monkeypatch)
    assert len(new) > 500 and new == old


SYNTAX = {
    "tab": "id: x\ntitle:\n\tbad: 1\n",
    "mapping-in-plain": "id: x\ntitle: a: b\n",
    "undefined-alias": "id: x\ntitle: *nowhere\n",
    "unclosed-quote": "id: x\ntitle: 'open\nversion: 1\n",
    "two-documents": "id: x\n---\nid: y\n",
    "bom-inside": "id: x\n\ufefftitle: t\n",  # PyYAML accepts it, libyaml does not
    "unhashable-key": "id: x\n? [a, b]\n: c\n",
    "deep": "id: " + "[" * 2000 + "]" * 2000 + "\n",
    "merge-key": "base: &b {id: x, title: t}\nplan:\n  <<: *b\n  version: 1\n",
    "crlf": "id: x\r\ntitle: t\r\nversion: 1\r\nbad key: 1\r\n",
    "lone-cr": "id: x\rtitle: t\rversion: [\r",
    "nel-and-ls": "id: x\x85title: t\u2028\nversion: 1\nextra: y\n",
    "control": "id: x\ntitle: \x01\n",
    "tab-before-colon": "id\t: x\ntitle: t\n",  # libyaml accepts it, PyYAML does not
    "comment-after-block": "id: x\ntitle: |# t\n  more\n",  # libyaml accepts it too
    "comment-after-folded": "id: x\ntitle: >-2# t\n  more\n",
}


@pytest.mark.parametrize("name", sorted(SYNTAX))
def test_syntax_problems_keep_pyyaml_messages_and_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(SYNTAX[name].encode("utf-8"))
    new, old = both(path, monkeypatch)
    assert new == old and new


def test_libyaml_wording_never_reaches_the_user(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("id: x\ntitle: a: b\n", "utf-8")
    [p] = validate_plan(path).problems
    assert (p.code, p.message, p.location.line) == (
        "syntax-error",
        "mapping values are not allowed here",  # libyaml: "... in this context"
        2,
    )


def test_a_plan_nested_too_deeply_is_a_message_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("id:\n" + "".join("  " * i + "- \n" for i in range(1, 3000)), "utf-8")
    [p] = validate_plan(path).problems
    assert p.code == "syntax-error" and "nests too deeply" in p.message


PIECES = ["", ":", " ", "\n", "\t", "'", '"', "- ", "[", "]", "{", "}", ",", "?", "|", ">"]
PIECES += ["&a ", "*a", "#", "!", "!!str ", "%", "@", "`", "\r", "\x85", "\u2028", "\ufeff", "\\"]
PIECES += ["<<: ", "---\n", "...\n", "\x00", "é", "0x", "~", ": -"]
PIECES += ["\xa0", "\u2029", "\x0c", "\x0b"]

# Texts near a plan: the planted plan damaged at random (replacing or inserting pieces).
_BASE = yaml.safe_dump(planted(), sort_keys=False, allow_unicode=True)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cuts=st.lists(
        st.tuples(
            st.integers(0, len(_BASE)),
            st.booleans(),
            st.sampled_from(PIECES),
        ),
        max_size=3,
    )
)
def test_damaged_plans_parse_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cuts: list[tuple[int, bool, str]]
) -> None:
    text = _BASE
    for pos, replace, piece in sorted(cuts, reverse=True):
        text = text[:pos] + piece + text[pos + replace :]
    path = tmp_path / "plan.yaml"
    path.write_text(text, "utf-8")
    new, old = both(path, monkeypatch)
    assert new == old


@settings(max_examples=40, deadline=None)
@given(
    flow=st.sampled_from([False, True, None]),
    width=st.integers(20, 200),
    indent=st.integers(2, 6),
)
def test_line_maps_agree_in_every_layout(flow: bool | None, width: int, indent: int) -> None:
    text = yaml.safe_dump(
        planted(), default_flow_style=flow, width=width, indent=indent, sort_keys=False
    )
    new = _line_map(text)
    plan_module_c = plan_module._C_LOADER
    try:
        plan_module._C_LOADER = None
        old = _line_map(text)
    finally:
        plan_module._C_LOADER = plan_module_c
    assert new == old and len(new) > 50


def _typed(x: Any) -> Any:
    """``x`` with every value's type beside it (1 and True, '1' and 1 differ)."""
    if isinstance(x, dict):
        return {_typed(k): _typed(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [type(x).__name__, *(_typed(v) for v in x)]
    return (type(x).__name__, x)


TEXTS = {
    "anchors": "a: &x hello\nb: *x\nc: &m {k: v}\nd: *m\n",
    "merge": "base: &b {id: x, title: t}\nplan:\n  <<: *b\n  version: 1\n",
    "tags": "a: !!str 5\nb: !!int '7'\nc: !!float '1.5'\nd: !!bool 'true'\ne: !!null ''\n",
    "set-omap": "s: !!set {a, b}\no: !!omap [a: 1, b: 2]\np: !!pairs [a: 1, a: 2]\n",
    "scalars": "a: yes\nb: '1'\nc: 1_000\nd: 0x1F\ne: .inf\nf: ~\ng: 2026-01-01\n",
    "value-key": "=: x\nk: {=: y}\n",
    "styles": 'a: |\n  one\n  two\nb: >-\n  folded\n  text\nc: "esc\\u00e9\\n"\n',
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_libyaml_data_is_pyyamls_value_for_value(name: str) -> None:
    text = TEXTS[name]
    new = plan_module._parse_yaml(text, lines=False)[0]
    assert plan_module._C_LOADER is None or plan_module._PURE_ONLY.search(text) is None
    old = yaml.load(text, Loader=plan_module._PlanLoader)
    assert _typed(new) == _typed(old)


def test_sample_plans_parse_to_the_same_data(kosovo_path: Path, demo_path: Path) -> None:
    for path in (kosovo_path, demo_path):
        text = path.read_text("utf-8")
        new = plan_module._parse_yaml(text, lines=False)[0]
        old = yaml.load(text, Loader=plan_module._PlanLoader)
        assert _typed(new) == _typed(old)
