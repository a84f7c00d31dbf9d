"""The issue-12 case, built once per test session: the full 2015-2019 plan, 2019-Q4,
realistic returns from every carrier but two, consolidated, and the yearly report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from mne_workbook.consolidate import Consolidation, consolidate
from mne_workbook.fill import RealisticCase, realistic_case
from mne_workbook.history import year_figures
from mne_workbook.reader import read_return
from mne_workbook.report import write_consolidated
from mne_workbook.signing import load_keys
from mne_workbook.store import Store
from mne_workbook.yearly import write_yearly

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "sample_plans" / "kosovo-2015-2019.yaml"
AS_OF = dt.date(2020, 2, 10)
MISSING = ("moh", "mfa")


@dataclass(frozen=True)
class MeetingCase:
    case: RealisticCase
    con: Consolidation
    consolidated: Path
    yearly: Path


def build(out: Path) -> MeetingCase:
    keys = load_keys(None, create=False)
    case = realistic_case(PLAN, "2019-Q4", out, missing=MISSING, keys=keys)
    subs = [
        read_return(p, case.plan, case.period, keys=keys) for p in sorted(case.returns.iterdir())
    ]
    con = consolidate(case.plan, subs, case.period, AS_OF)
    consolidated = write_consolidated(con, out / "consolidated-2019-Q4.xlsx")
    store = Store(f"sqlite:///{out / 'mne.sqlite'}")
    for sub in subs:
        store.ingest(sub)
    yearly = write_yearly(year_figures(store, case.plan, 2019), case.plan, out / "yearly-2019.xlsx")
    return MeetingCase(case, con, consolidated, yearly)
