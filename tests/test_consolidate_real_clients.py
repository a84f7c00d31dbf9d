"""The consolidation of test_consolidate.py over a return re-saved by LibreOffice Calc,
and the consolidated workbook printed to PDF by it."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from lo import resave_xlsx
from returns import KEYS, ON_TIME, PERIOD
from test_consolidate import AS_OF, con, demo, returns  # noqa: F401 (fixtures)

from mne_workbook.consolidate import consolidate
from mne_workbook.fill import random_entries, set_arrived_at, set_saved_at
from mne_workbook.plan import Plan
from mne_workbook.reader import read_return
from mne_workbook.report import to_pdf, write_consolidated

pytestmark = pytest.mark.needs("soffice")


@pytest.fixture(scope="module")
def lo_returns(returns: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """The same folder, MLSW's return opened and saved again in LibreOffice Calc."""
    out = tmp_path_factory.mktemp("lo-returns")
    for p in returns.iterdir():
        shutil.copy2(p, out / p.name)  # arrival times kept
    saved = resave_xlsx(returns / "mlsw.xlsx", tmp_path_factory.mktemp("lo"))
    set_saved_at(saved, ON_TIME)
    shutil.copyfile(saved, out / "mlsw.xlsx")
    set_arrived_at(out / "mlsw.xlsx", ON_TIME)
    return out


def test_the_libreoffice_saved_return_is_read_exactly(demo: Plan, lo_returns: Path) -> None:  # noqa: F811
    sub = read_return(lo_returns / "mlsw.xlsx", demo, PERIOD, keys=KEYS, require_signature=True)
    rng = random.Random(7)
    random_entries(demo, PERIOD, "onatc", rng)
    random_entries(demo, PERIOD, "kp", rng)
    want = random_entries(demo, PERIOD, "mlsw", rng)
    want[("A2.1.1", "", "status")] = "2 - In continuum"
    want[("A2.2.1", "D11", "value@2026-08-31")] = "7,5"
    got = {
        (v.activity, v.indicator, f"value@{v.point_end.isoformat()}"): v.value for v in sub.values
    }
    for (a, i, f), v in want.items():
        if f.startswith("value@"):
            expect = 7.5 if v == "7,5" else (True if v == "Yes" else False if v == "No" else v)
            assert got[(a, i, f)] == expect, (a, i, f)
    assert sub.accepted and [p.code for p in sub.problems] == ["fraction-on-count"]  # 7,5 persons


def test_the_consolidation_is_the_same_through_libreoffice(
    demo: Plan,  # noqa: F811
    lo_returns: Path,
    con: Any,  # noqa: F811
) -> None:
    subs = [
        read_return(p, demo, PERIOD, keys=KEYS, require_signature=True)
        for p in sorted(lo_returns.iterdir())
    ]
    lo_con = consolidate(demo, subs, PERIOD, AS_OF)
    pd.testing.assert_frame_equal(lo_con.matrix, con.matrix)  # NaN equals NaN here
    key = [(f.code, f.institution, f.activity, f.indicator, f.field) for f in con.flags]
    assert Counter(key) == Counter(
        (f.code, f.institution, f.activity, f.indicator, f.field) for f in lo_con.flags
    )


@pytest.mark.needs("soffice")
def test_consolidated_pdf_prints_through_libreoffice(con: Any, tmp_path: Path) -> None:  # noqa: F811
    pdf = to_pdf(write_consolidated(con, tmp_path / "c.xlsx"))
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
