"""A whole year in the store: four quarterly rounds, trends, the yearly report, the audit trail."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import random
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from returns import KEYS, edit, generated

from mne_workbook.cli import main
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.history import build_history, year_figures
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import read_return
from mne_workbook.store import SCHEMA_VERSION, Store

ROOT = Path(__file__).resolve().parent.parent
Q = {
    q: Period(2026, q, load_plan(ROOT / "sample_plans" / "demo.yaml").reporting.cycle)
    for q in range(1, 5)
}


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    assert "Traceback" not in r.output, r.output
    return r.exit_code, r.output


def _entries(plan: Plan, q: int, inst: str, **override: Any) -> dict[tuple[str, str, str], Any]:
    e: dict[Any, Any] = random_entries(plan, Q[q], inst, random.Random(q * 100 + len(inst)))
    for key in list(e):
        if key[1] == "D1":
            e[key] = 2  # every monthly D1 value is 2: cumulative progress is countable
    e.update(override)
    return e


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four rounds: late, missing, resubmitted, superseded and refused returns."""
    plan = load_plan(ROOT / "sample_plans" / "demo.yaml")
    root = tmp_path_factory.mktemp("year")
    db = root / "store" / "mne.sqlite"
    db.parent.mkdir()
    inbox: dict[int, Path] = {}
    for q in range(1, 5):
        gen = generated(plan, root / f"gen{q}", Q[q])
        box = root / f"inbox{q}"
        box.mkdir()
        inbox[q] = box
        due = Q[q].due_date(15)
        on_time = dt.datetime.combine(due, dt.time(9)) - dt.timedelta(days=2)
        late = on_time + dt.timedelta(days=9)
        fill_return(gen["onatc"], box / "onatc.xlsx", _entries(plan, q, "onatc"), on_time)
        kp = _entries(plan, q, "kp")
        if q == 3:
            kp.pop(("A2.1.1", "D9", "value@2026-09-30"))  # quarterly value left out
        if q == 2:  # a draft, then the corrected file later
            draft = dict(kp)
            draft[("A2.1.1", "D8", "value@2026-04-30")] = 1
            fill_return(gen["kp"], box / "kp-draft.xlsx", draft, on_time - dt.timedelta(days=5))
        fill_return(gen["kp"], box / "kp.xlsx", kp, on_time)
        if q == 3:  # MLSW deletes a row: refused
            fill_return(gen["mlsw"], box / "mlsw-filled.xlsx", _entries(plan, q, "mlsw"), on_time)
            edit(box / "mlsw-filled.xlsx", box / "mlsw.xlsx", lambda wb: wb["SO2"].delete_rows(6))
            (box / "mlsw-filled.xlsx").unlink()
        else:
            fill_return(
                gen["mlsw"],
                box / "mlsw.xlsx",
                _entries(plan, q, "mlsw"),
                late if q == 1 else on_time,
            )
        if q in (2, 4):
            fill_return(gen["mest"], box / "mest.xlsx", _entries(plan, q, "mest"), on_time)
    results = {}
    for q in range(1, 5):
        code, out = run(
            "ingest",
            str(inbox[q]),
            "--plan",
            str(ROOT / "sample_plans" / "demo.yaml"),
            "--db",
            str(db),
        )
        results[q] = (code, out)
    return {"plan": plan, "db": db, "inbox": inbox, "ingest": results, "root": root}


def test_ingest_keeps_every_file_and_the_same_file_twice_is_a_no_op(year: dict[str, Any]) -> None:
    codes = {q: c for q, (c, _) in year["ingest"].items()}
    assert codes == {1: 0, 2: 0, 3: 1, 4: 0}  # Q3 has a refused file
    assert "refused [rows-changed]" in year["ingest"][3][1]
    code, out = run(
        "ingest",
        str(year["inbox"][2]),
        "--plan",
        str(ROOT / "sample_plans" / "demo.yaml"),
        "--db",
        str(year["db"]),
    )
    assert code == 0 and "0 new, 5 already stored" in out
    store = Store(str(year["db"]))
    assert store.version() == SCHEMA_VERSION
    rows = store.returns()
    assert len(rows) == 3 + 5 + 3 + 4
    for r in rows:  # the original bytes are archived, content-addressed
        data = (store.root / r.archive).read_bytes()
        import hashlib

        assert hashlib.sha256(data).hexdigest() == r.sha256


def test_the_audit_trail_shows_the_superseded_return(year: dict[str, Any]) -> None:
    rows = [r for r in Store(str(year["db"])).returns("2026-Q2") if r.institution == "kp"]
    assert [(r.file_name, r.superseded_by) for r in rows] == [
        ("kp-draft.xlsx", "kp.xlsx"),
        ("kp.xlsx", ""),
    ] or [(r.file_name, r.superseded_by) for r in rows] == [
        ("kp.xlsx", ""),
        ("kp-draft.xlsx", "kp.xlsx"),
    ]
    q3 = {r.institution: r.accepted for r in Store(str(year["db"])).returns("2026-Q2")}
    assert q3["mest"] is True


def test_consolidate_with_the_store_knows_overdue_days_and_last_reports(
    year: dict[str, Any], tmp_path: Path
) -> None:
    code, out = run(
        "consolidate",
        str(ROOT / "sample_plans" / "demo.yaml"),
        "--period",
        "2026-Q3",
        "--db",
        str(year["db"]),
        "--as-of",
        "2026-11-01",
        "--out",
        str(tmp_path / "q3.xlsx"),
        "--json",
        str(tmp_path / "q3.json"),
    )
    assert code == 0, out
    import json

    data = json.loads((tmp_path / "q3.json").read_text("utf-8"))
    msgs = {(f["code"], f["institution"]): f["message"] for f in data["flags"]}
    assert "17 day(s) overdue" in msgs[("return-overdue", "mest")]
    assert msgs[("indicator-overdue", "kp")] == (
        "A2.1.1/D9: no value for 2026-09; 17 day(s) overdue; last reported 2026-06-30"
    )
    # whose only file was refused is reported as refused, not overdue
    assert ("return-overdue", "mlsw") not in msgs
    refused = msgs[("return-refused", "mlsw")]
    assert refused.startswith("refused: ") and "mlsw.xlsx (rows were inserted" in refused
    wb = openpyxl.load_workbook(tmp_path / "q3.xlsx")
    texts = [c.value for row in wb["Summary"].iter_rows() for c in row]
    assert "Trends over the periods" in texts


def test_trends_and_progress_over_the_year(year: dict[str, Any]) -> None:
    plan, store = year["plan"], Store(str(year["db"]))
    hist = build_history(store, plan, Q[3], dt.date(2026, 11, 1))
    assert [(t.period, t.received, t.expected) for t in hist.trends] == [
        ("2026-Q1", 3, 4),
        ("2026-Q2", 4, 4),
        ("2026-Q3", 2, 4),
    ]
    d1 = next(p for p in hist.progress if p.indicator == "D1")
    # cumulative: 2 per month per carrier; Q1 ONATC 6, Q2 ONATC+MEST 12, Q3 ONATC 6 = 24
    assert (d1.actual, d1.baseline, d1.target) == (24, 0, 120)
    assert d1.progress == pytest.approx(0.2)
    assert hist.last_reported[("A2.1.1", "D9")] == dt.date(2026, 6, 30)


def test_the_yearly_report(year: dict[str, Any], tmp_path: Path) -> None:
    plan, store = year["plan"], Store(str(year["db"]))
    fig = year_figures(store, plan, 2026)
    rep = {r["institution"]: (r["expected"], r["received"], r["on_time"]) for r in fig.reporting}
    assert rep["mest"] == (4, 2, 2)
    assert rep["mlsw"] == (4, 3, 2)  # Q1 late, Q3 refused
    assert rep["kp"] == (4, 4, 4) and rep["onatc"] == (4, 4, 4)
    assert {r["period"] for r in fig.ratings} == {"2026-Q2", "2026-Q4"}
    assert all(r["rating_y"] is None for r in fig.ratings if r["period"] == "2026-Q2")
    total = sum(sum(c.values()) for c in fig.activities.values())
    assert total == len(list(plan.iter_activities()))
    code, out = run(
        "report",
        "--plan",
        str(ROOT / "sample_plans" / "demo.yaml"),
        "--db",
        str(year["db"]),
        "--year",
        "2026",
        "--out",
        str(tmp_path / "y.xlsx"),
    )
    assert code == 0, out
    wb = openpyxl.load_workbook(tmp_path / "y.xlsx")
    assert wb.sheetnames == ["Report", "Ratings", "Reporting", "Progress"]
    reporting = {r[0]: r[1:4] for r in wb["Reporting"].iter_rows(min_row=2, values_only=True)}
    assert reporting["Ministry of Education, Science and Technology"] == (4, 2, 2)


def test_status_table(year: dict[str, Any]) -> None:
    code, out = run(
        "status",
        "--plan",
        str(ROOT / "sample_plans" / "demo.yaml"),
        "--db",
        str(year["db"]),
        "--as-of",
        "2026-11-01",
    )
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.startswith("MEST"))
    assert line.split()[1:] == ["OVERDUE", "on", "time", "OVERDUE", "on", "time"]
    line = next(ln for ln in out.splitlines() if ln.startswith("MLSW"))
    assert "late" in line and "refused" in line


def _ingest_all(db: str, files: list[str]) -> int:
    plan = load_plan(ROOT / "sample_plans" / "demo.yaml")
    store = Store(db)
    n = 0
    for f in files:
        sub = read_return(f, plan, None, keys=KEYS)
        n += store.ingest(sub).new
    return n


def test_two_ingests_at_once_lose_nothing(year: dict[str, Any], tmp_path: Path) -> None:
    db = str(tmp_path / "concurrent.sqlite")
    files = sorted(str(p) for q in (1, 2, 4) for p in year["inbox"][q].iterdir())
    half = len(files) // 2
    a, b = files[: half + 2], files[half - 2 :]  # overlapping: four files in both
    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        new = pool.starmap(_ingest_all, [(db, a), (db, b)])
    assert sum(new) == len(files)  # each file stored exactly once
    con = sqlite3.connect(tmp_path / "concurrent.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("select count(*), count(distinct sha256) from returns").fetchone() == (
        len(files),
        len(files),
    )


def test_update_plan_round_trip(year: dict[str, Any], tmp_path: Path) -> None:
    plan = year["plan"]
    master = generated(plan, tmp_path / "g", Q[4])["master"]

    def complete(wb: Any) -> None:
        from returns import col, row_of

        ws = wb["SO1"]
        r = row_of(ws, "A1.2.2", "D5")
        ws.cell(r, col(ws, "target")).value = 320
        ws.cell(r, col(ws, "responsible_person")).value = "Mirëlinda Krasniqi"

    edited = edit(master, tmp_path / "master.xlsx", complete)
    out = tmp_path / "plan-v2.yaml"
    code, text = run(
        "update-plan",
        str(edited),
        "--plan",
        str(ROOT / "sample_plans" / "demo.yaml"),
        "--out",
        str(out),
        "--version",
        "2.0",
    )
    assert code == 0, text
    assert "D5 target: 300 -> 320" in text and "2 change(s)" in text
    new = load_plan(out)
    d5 = next(i for i in new.indicators() if i.id == "D5")
    assert d5.target is not None
    assert (d5.target.value, d5.responsible_person) == (320, "Mirëlinda Krasniqi")
    assert new.version == "2.0" and new.fingerprint != plan.fingerprint
    # a return made from the old version is recognised as such and still read
    kp = generated(plan, tmp_path / "old", Q[4])["kp"]
    sub = read_return(kp, new, Q[4], keys=KEYS, require_signature=True)
    assert sub.accepted and [p.code for p in sub.problems] == ["older-plan-version"]
    # an institution's return is not a master
    code, text = run(
        "update-plan",
        str(kp),
        "--plan",
        str(ROOT / "sample_plans" / "demo.yaml"),
        "--out",
        str(tmp_path / "x.yaml"),
    )
    assert code == 1 and "not-a-master" in text
