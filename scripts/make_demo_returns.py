"""Fill the demo plan's generated workbooks as the ministries might, for `make demo`.

    python scripts/make_demo_returns.py GENERATED_DIR RETURNS_DIR

ONATC returns on time; the police returns on time, with a value typed past the
dropdown and a monthly value left blank; the ministry of labour sends a draft and
then a corrected file (the later one counts); education sends nothing; and someone
sends a CSV renamed to .xlsx.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import sys
from pathlib import Path

from mne_workbook.fill import fill_return, random_entries
from mne_workbook.periods import Period
from mne_workbook.plan import load_plan

PLAN = Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml"
PERIOD = "2026-Q3"


def main(generated: Path, returns: Path) -> None:
    plan = load_plan(PLAN)
    period = Period.parse(PERIOD)
    rng = random.Random(2026)
    if returns.exists():
        shutil.rmtree(returns)
    returns.mkdir(parents=True)
    due = period.due_date(plan.reporting.grace_days)
    on_time = dt.datetime.combine(due, dt.time(10, 0)) - dt.timedelta(days=3)

    onatc = random_entries(plan, period, "onatc", rng)
    fill_return(
        generated / f"ONATC_{PERIOD}.xlsx", returns / "ONATC return Q3.xlsx", onatc, on_time
    )

    kp = random_entries(plan, period, "kp", rng)
    kp[("A2.1.1", "D8", "value@2026-08-31")] = "n/a"  # typed past the validation
    kp[("A2.1.1", "", "status")] = "3 - Has started"
    kp.pop(("A2.1.1", "D8", "value@2026-09-30"), None)  # left blank: overdue
    fill_return(
        generated / f"KP_{PERIOD}.xlsx",
        returns / "kp-2026q3.xlsx",
        kp,
        on_time - dt.timedelta(days=1),
    )

    draft = random_entries(plan, period, "mlsw", rng, blank_share=0.5)
    fill_return(
        generated / f"MLSW_{PERIOD}.xlsx",
        returns / "MLSW draft.xlsx",
        draft,
        on_time - dt.timedelta(days=10),
    )
    final = random_entries(plan, period, "mlsw", rng)
    fill_return(
        generated / f"MLSW_{PERIOD}.xlsx",
        returns / "MLSW final.xlsx",
        final,
        on_time + dt.timedelta(days=5),
    )  # after the due date: late

    (returns / "notes from MEST.xlsx").write_text("activity;value\nA1.2.1;done\n", "utf-8")
    print(f"Wrote {len(list(returns.iterdir()))} example returns to {returns}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
