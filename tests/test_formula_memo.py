"""Formulas prepared from the writer's memo are what xlsxwriter itself prepares.

`writer._Worksheet` remembers xlsxwriter's `_prepare_formula` result per formula and
flags. The memo must give exactly xlsxwriter's text for every formula and flag, the first
time and every time after, and the writer's workbooks must really use it.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from xlsxwriter.worksheet import Worksheet

from mne_workbook import writer
from mne_workbook.generate import generate
from mne_workbook.periods import Period
from mne_workbook.plan import load_plan

SAMPLES = Path(__file__).resolve().parent.parent / "sample_plans"

NAMES = ["FILTER", "SORT", "XLOOKUP", "SINGLE", "LEN", "AND", "ISNUMBER", "BETA.DIST"]
NAMES += ["CONCAT", "IFS", "TEXTJOIN", "STDEV.S", "_xlfn.X", "MAP", "SUM", "A1", "$B$5"]
PIECES = st.sampled_from([*(n + "(" for n in NAMES), *NAMES, ")", ",", '"', "=", "{", "}", " "])


def plain(formula: str, expand: bool, future: bool) -> str:
    ws = Worksheet()
    ws.use_future_functions = future
    got: str = ws._prepare_formula(formula, expand)
    return got


def memoed(formula: str, expand: bool, future: bool) -> str:
    ws = writer._Worksheet()
    ws.use_future_functions = future
    got: str = ws._prepare_formula(formula, expand)
    return got


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(PIECES, max_size=12), expand=st.booleans(), future=st.booleans())
def test_the_memo_gives_xlsxwriters_own_text(parts: list[str], expand: bool, future: bool) -> None:
    formula = "".join(parts)
    want = plain(formula, expand, future)
    assert memoed(formula, expand, future) == want  # computed
    assert memoed(formula, expand, future) == want  # remembered
    assert memoed(formula, not expand, future) == plain(formula, not expand, future)


def test_the_writers_workbooks_use_it_and_it_stays_bounded(tmp_path: Path) -> None:
    writer._PREPARED.clear()
    plan = load_plan(SAMPLES / "kosovo-2015-2019.yaml")
    generate(plan, Period.parse("2019-Q4"), tmp_path, institutions=["kp"])
    used = dict(writer._PREPARED)
    assert used, "no formula went through the memo"
    assert all(plain(f, e, u) == got for (f, e, u), got in used.items())
    for n in range(5000):
        memoed(f'=A{n}<>""', True, False)
    assert len(writer._PREPARED) <= 4096
