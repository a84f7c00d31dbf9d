"""End to end: generate, fill as ministries would, consolidate.

The returns here are filled with openpyxl only, so every test runs without LibreOffice;
the same consolidation over a return re-saved by LibreOffice is in
test_consolidate_real_clients.py (marked)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from returns import KEYS, LATE, ON_TIME, PERIOD, col, copy, edit, generated, row_of

from mne_workbook.cli import main
from mne_workbook.consolidate import combined_status, consolidate
from mne_workbook.fill import fill_return, random_entries, set_arrived_at
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import read_return
from mne_workbook.report import csv_safe, to_json, write_consolidated, write_csv

AS_OF = dt.date(2026, 11, 1)
EVIL = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def returns(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of plain filled returns: ONATC (twice, identical), KP (a gap, a planted
    formula text), MLSW (a decimal comma typed as text); nothing from MEST."""
    gen = generated(demo, tmp_path_factory.mktemp("gen"))
    out = tmp_path_factory.mktemp("returns")
    rng = random.Random(7)
    onatc = random_entries(demo, PERIOD, "onatc", rng)
    fill_return(gen["onatc"], out / "onatc.xlsx", onatc, ON_TIME)
    copy(out / "onatc.xlsx", out / "onatc (copy).xlsx")

    kp = random_entries(demo, PERIOD, "kp", rng)
    kp.pop(("A2.1.1", "D8", "value@2026-09-30"))
    kp.update(
        {
            ("A2.1.1", "D8", "value@2026-07-31"): 11,
            ("A2.1.1", "D8", "value@2026-08-31"): 12,
            ("A2.1.1", "", "status"): "3 - Has started",
            ("A2.1.2", "", "status"): 4,
        }
    )
    fill_return(gen["kp"], out / "kp-draft.xlsx", kp, ON_TIME)

    def plant(wb: Any) -> None:  # a comment that is text beginning with '='
        ws = wb["SO2"]
        c = ws.cell(row_of(ws, "A2.3.2"), col(ws, "comments"))
        c.value, c.data_type = EVIL, "s"

    edit(out / "kp-draft.xlsx", out / "kp.xlsx", plant)
    (out / "kp-draft.xlsx").unlink()

    mlsw = random_entries(demo, PERIOD, "mlsw", rng)
    mlsw[("A2.1.1", "", "status")] = "2 - In continuum"
    mlsw[("A2.2.1", "D11", "value@2026-08-31")] = "7,5"
    fill_return(gen["mlsw"], out / "mlsw.xlsx", mlsw, ON_TIME)
    for f in out.iterdir():  # all reached the inbox on time
        set_arrived_at(f, ON_TIME)
    return out


@pytest.fixture(scope="module")
def con(demo: Plan, returns: Path) -> Any:
    # signatures verified: filled as an institution would, they still hold
    subs = [
        read_return(p, demo, PERIOD, keys=KEYS, require_signature=True)
        for p in sorted(returns.iterdir())
    ]
    return consolidate(demo, subs, PERIOD, AS_OF)


def test_every_return_is_accepted_and_the_flags_are_exactly_the_gaps(con: Any) -> None:
    assert [s.accepted for s in con.submissions] == [True] * 4
    flags = Counter((f.code, f.institution, f.activity, f.indicator, f.field) for f in con.flags)
    assert flags == Counter(
        {
            ("return-overdue", "mest", "", "", ""): 1,
            ("indicator-overdue", "kp", "A2.1.1", "D8", "value 2026-09"): 1,
            ("activity-overdue", "mest", "A1.2.1", "", ""): 1,
            ("duplicate-return", "onatc", "", "", ""): 1,
            ("fraction-on-count", "mlsw", "A2.2.1", "D11", "value 2026-08"): 1,  # 7,5 persons
        }
    )
    [overdue] = [f for f in con.flags if f.code == "indicator-overdue"]
    assert overdue.file == "kp.xlsx" and overdue.cell.startswith("SO2!")
    [late] = [f for f in con.flags if f.code == "return-overdue"]
    assert "17 day(s) overdue" in late.message


def test_values_and_statuses_are_those_filled(con: Any) -> None:
    m = con.matrix
    kp_d8 = m[(m.activity == "A2.1.1") & (m.indicator == "D8") & (m.institution == "kp")].iloc[0]
    assert (kp_d8["value 2026-07"], kp_d8["value 2026-08"]) == (11, 12)
    assert kp_d8["value 2026-09"] is None or kp_d8["value 2026-09"] != kp_d8["value 2026-09"]
    assert kp_d8["status"] == 3
    mlsw_d8 = m[(m.activity == "A2.1.1") & (m.indicator == "D8") & (m.institution == "mlsw")]
    assert mlsw_d8.iloc[0]["status"] == 2
    assert set(m[m.activity == "A2.1.1"]["combined_status"]) == {3}  # least advanced
    d11 = m[(m.indicator == "D11") & (m.institution == "mlsw")].iloc[0]
    assert d11["value 2026-08"] == 7.5  # decimal comma typed as text
    kp_comment = m[(m.activity == "A2.3.2") & (m.institution == "kp")].iloc[0]["comment"]
    assert kp_comment == EVIL
    mest = m[m.institution == "mest"]
    assert not mest.received.any() and mest.status.isna().all()


def test_rates_are_reported_as_dhis2_defines_them(con: Any) -> None:
    rates = {r.institution: (r.expected, r.received, r.on_time) for r in con.rates}
    assert rates == {"onatc": (1, 1, 1), "kp": (1, 1, 1), "mlsw": (1, 1, 1), "mest": (1, 0, 0)}
    assert (con.overall.reporting_rate, con.overall.on_time_rate) == (75.0, 75.0)


def test_a_later_different_return_supersedes_the_earlier(
    demo: Plan, returns: Path, tmp_path: Path
) -> None:
    early = copy(returns / "kp.xlsx", tmp_path / "kp-early.xlsx")
    set_arrived_at(early, ON_TIME)
    later = tmp_path / "kp-later.xlsx"
    fill_return(early, later, {("A2.1.1", "D8", "value@2026-09-30"): 13}, LATE)
    subs = [read_return(p, demo, PERIOD) for p in (later, early)]
    c = consolidate(demo, subs, PERIOD, AS_OF)
    assert c.used["kp"].name == "kp-later.xlsx"
    [sup] = [f for f in c.flags if f.code == "superseded-return"]
    assert sup.file == "kp-early.xlsx" and "kp-later.xlsx" in sup.message
    assert not [f for f in c.flags if f.code == "indicator-overdue"]
    assert {r.institution: r.on_time for r in c.rates}["kp"] == 0  # arrived after the due date


def test_combined_status_is_the_least_advanced() -> None:
    assert combined_status([4, 2, 3]) == 3
    assert combined_status([4, 2]) == 2
    assert combined_status([None]) is None


def test_combined_status_is_never_completed_while_a_carrier_has_not_reported() -> None:
    assert combined_status([4, 4], carriers=2) == 4
    assert combined_status([4], carriers=2) is None  # the second carrier sent nothing
    assert combined_status([None, 4]) is None  # a carrier left the status blank
    assert combined_status([3], carriers=2) == 3  # less advanced than completed anyway


def test_ratings_due_are_flagged_when_missing_or_unexplained(demo: Plan, tmp_path: Path) -> None:
    from mne_workbook.periods import Period

    q4 = Period.parse("2026-Q4")
    gen = generated(demo, tmp_path / "g", q4)
    entries = {
        ("A2.1.1", "", "status"): 3,
        ("A2.1.1", "", "rating_hy"): "3 - Experiencing",
        ("A2.1.1", "", "rating_y"): 1,
    }
    fill_return(gen["kp"], tmp_path / "kp.xlsx", entries, ON_TIME)
    c = consolidate(demo, [read_return(tmp_path / "kp.xlsx", demo, q4)], q4, dt.date(2026, 12, 1))
    got = {
        (f.code, f.activity, f.field)
        for f in c.flags
        if f.institution == "kp" and f.code.startswith("rating")
    }
    assert ("rating-without-comment", "A2.1.1", "comments") in got  # the cell to fill
    assert ("rating-missing", "A2.3.2", "rating_hy") in got
    assert ("rating-missing", "A2.1.1", "rating_hy") not in got
    assert c.flags_by_code()["value-missing"] > 0  # not yet due: gaps, not overdue


def test_consolidated_workbook_writes_received_text_as_text(con: Any, tmp_path: Path) -> None:
    out = write_consolidated(con, tmp_path / "c.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "Meeting",
        "Summary",
        "SO1",
        "SO2",
        "Flags",
        "Submissions",
        "Plan gaps",
    ]
    assert wb["Plan gaps"].sheet_state == "hidden"
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == EVIL]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not [
        c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"
    ], "the consolidated workbook holds no formula"
    with zipfile.ZipFile(out) as z:
        assert len([n for n in z.namelist() if n.startswith("xl/charts/chart")]) == 2
    so2 = wb["SO2"]
    assert so2.print_title_rows == "$1:$3" and so2.page_setup.paperSize == 8
    assert so2.oddFooter.center.text == "Page &P of &N"
    assert re.search(r"\d{4}-\d\d-\d\d", so2.oddFooter.left.text), "dates print as ISO"
    assert "2026-Q3" in so2.oddHeader.left.text
    flags = wb["Flags"]
    gaps = [f for f in con.flags if f.code.startswith("plan-gap-")]
    assert flags.max_row == len(con.flags) - len(gaps) + 2  # legend and heading rows


def test_csv_and_json_exports(con: Any, tmp_path: Path) -> None:
    files = write_csv(con, tmp_path)
    assert sorted(p.name for p in files) == [
        "flags.csv",
        "matrix.csv",
        "reporting.csv",
        "submissions.csv",
    ]
    rows = list(csv.DictReader((tmp_path / "matrix.csv").open(encoding="utf-8")))
    comments = {r["comment"] for r in rows if r["comment"]}
    assert "'" + EVIL in comments and EVIL not in comments
    data = json.loads(json.dumps(to_json(con)))
    assert data["reporting"]["expected"] == 4 and data["period"] == "2026-Q3"
    assert {f["code"] for f in data["flags"]} == {
        "return-overdue",
        "indicator-overdue",
        "activity-overdue",
        "duplicate-return",
        "fraction-on-count",
    }


@pytest.mark.parametrize(
    "payload", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0"]
)
def test_csv_safe_neutralises_formula_triggers(payload: str) -> None:
    assert csv_safe(payload) == "'" + payload
    assert csv_safe("plain") == "plain" and csv_safe(5) == 5
    assert csv_safe("\n =1+1") == "'\n =1+1"  # a trigger after white space counts too


def _digests(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}


def test_cli_consolidate_exit_codes_and_outputs(
    demo_path: Path, returns: Path, tmp_path: Path
) -> None:
    before = _digests(returns)
    args = [
        "consolidate",
        str(demo_path),
        str(returns),
        "--period",
        "2026-Q3",
        "--as-of",
        "2026-11-01",
        "--out",
        str(tmp_path / "c.xlsx"),
        "--csv",
        str(tmp_path / "csv"),
        "--json",
        str(tmp_path / "c.json"),
    ]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "3 of 4 received (75%)" in r.output and "indicator-overdue" in r.output
    assert (tmp_path / "c.xlsx").exists() and (tmp_path / "c.json").exists()
    assert _digests(returns) == before  # inputs untouched
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "output-exists" in again.output
    bad = tmp_path / "in"
    bad.mkdir()
    copy(returns / "kp.xlsx", bad / "kp.xlsx")
    (bad / "notes.xlsx").write_text("a,b\n1,2\n", "utf-8")
    r = CliRunner().invoke(
        main,
        [
            "consolidate",
            str(demo_path),
            str(bad),
            "--period",
            "2026-Q3",
            "--out",
            str(tmp_path / "d.xlsx"),
        ],
    )
    assert r.exit_code == 1 and "refused notes.xlsx: [not-a-workbook]" in r.output
    r = CliRunner().invoke(
        main,
        [
            "consolidate",
            str(demo_path),
            str(bad),
            "--period",
            "2026-Q3",
            "--out",
            str(tmp_path / "e.xlsx"),
            "--json",
            "-",
        ],
    )
    assert json.loads(r.output)["submissions"][0]["Status"] in ("used", "refused")
    r = CliRunner().invoke(
        main,
        [
            "consolidate",
            str(demo_path),
            str(bad),
            "--period",
            "2026",
            "--out",
            str(tmp_path / "f.xlsx"),
        ],
    )
    assert r.exit_code == 2 and "period-wrong-cycle" in r.output


def test_unsigned_returns_are_refused_unless_allowed_and_then_flagged(
    demo: Plan, demo_path: Path, tmp_path: Path
) -> None:
    from mne_workbook.generate import generate

    [kp] = generate(demo, PERIOD, tmp_path / "gen", institutions=["kp"], master=False)  # no key
    (tmp_path / "in").mkdir()
    fill_return(kp.path, tmp_path / "in" / "kp.xlsx", {("A2.1.1", "", "status"): 3}, ON_TIME)
    base = [
        "consolidate",
        str(demo_path),
        str(tmp_path / "in"),
        "--period",
        "2026-Q3",
        "--as-of",
        "2026-11-01",
    ]
    r = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "a.xlsx")])
    assert r.exit_code == 1 and "refused kp.xlsx: [unsigned-workbook]" in r.output
    r = CliRunner().invoke(
        main,
        [
            *base,
            "--allow-unsigned",
            "--out",
            str(tmp_path / "b.xlsx"),
            "--json",
            str(tmp_path / "b.json"),
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "b.json").read_text("utf-8"))
    assert [f["institution"] for f in data["flags"] if f["code"] == "unsigned-accepted"] == ["kp"]
    assert data["reporting"]["received"] == 1


@pytest.mark.parametrize(
    ("timeline", "as_of", "expected"),
    [
        (
            None,
            dt.date(2028, 1, 20),
            "has no timeline of its own; the strategy period ended 2027-12-31",
        ),
        (None, dt.date(2027, 12, 31), None),  # the strategy's last day: not yet overdue
        ({"start": "2025-01-01", "end": "2026-06-30"}, dt.date(2027, 12, 31), "ended 2026-06-30"),
    ],
)
def test_an_activity_without_a_timeline_is_overdue_once_the_strategy_has_ended(
    tmp_path: Path, timeline: dict[str, str] | None, as_of: dt.date, expected: str | None
) -> None:
    """The framework's matrix gives no timelines: its activities run over the strategy
    period, and one not completed when that ends must reach the meeting page."""
    from helpers import activity, plan, write

    act = activity() if timeline is None else activity(timeline=timeline)
    p = load_plan(write(tmp_path, plan([act])))
    from mne_workbook.periods import Period

    con = consolidate(p, [], Period.parse("2027-Q4"), as_of=as_of)
    msgs = [f.message for f in con.flags if f.code == "activity-overdue"]
    if expected is None:
        assert msgs == []
    else:
        assert msgs == [f"A1.1.1 {expected} and is not reported by every carrier"]
