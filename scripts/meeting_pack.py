"""Build the meeting-pack case and print it: the full 2015-2019 plan, 2019-Q4, realistic
returns from all carriers but two (see mne_workbook.fill.realistic_case).

    python scripts/meeting_pack.py OUT_DIR [--pdf]

Writes OUT_DIR/consolidated-2019-Q4.xlsx (and .pdf), a filled institution workbook's
PDF and OUT_DIR/yearly-2019.xlsx (and .pdf); prints the page counts.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from mne_workbook.consolidate import consolidate
from mne_workbook.fill import realistic_case
from mne_workbook.history import year_figures
from mne_workbook.reader import read_return
from mne_workbook.report import to_pdf, write_consolidated
from mne_workbook.signing import load_keys, new_key
from mne_workbook.store import Store
from mne_workbook.yearly import write_yearly

PLAN = Path(__file__).resolve().parent.parent / "sample_plans" / "kosovo-2015-2019.yaml"
AS_OF = dt.date(2020, 2, 10)


def build(out: Path) -> tuple[Path, Path]:
    """The consolidated workbook and the yearly report of the realistic case."""
    key = out / "demo.key"  # a throw-away signing key
    keys = load_keys(key) if key.exists() else new_key(key)
    case = realistic_case(PLAN, "2019-Q4", out, keys=keys)
    subs = [
        read_return(p, case.plan, case.period, keys=keys) for p in sorted(case.returns.iterdir())
    ]
    con = consolidate(case.plan, subs, case.period, AS_OF)
    target = out / "consolidated-2019-Q4.xlsx"
    write_consolidated(con, target)
    comments = [
        {"institution": i, "activity": a, "comment": c} for (i, a), c in case.comments.items()
    ]
    (out / "comments.json").write_text(json.dumps(comments, indent=1), "utf-8")
    store = Store(f"sqlite:///{out / 'mne.sqlite'}")
    for sub in subs:
        store.ingest(sub)
    yearly = write_yearly(year_figures(store, case.plan, 2019), case.plan, out / "yearly-2019.xlsx")
    return target, yearly


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(x for x in info.stdout.splitlines() if x.startswith("Pages:")).split()[-1])


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for xlsx in build(out):
        print(xlsx)
        if "--pdf" in sys.argv:
            pdf = to_pdf(xlsx)
            print(pdf, pages(pdf), "pages")
