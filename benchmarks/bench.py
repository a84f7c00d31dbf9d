"""Speed and scale benchmark (`make bench`): mne-workbook against raw library floors.

Every figure is a median of --runs runs (default 3) measured in this same run, so ratios
compare like with like on this machine. Prints a table and writes benchmarks/results.json.

1. Generation: the sample plan's workbooks and a synthetic plan (10,000 indicators, 60
   institutions) against raw xlsxwriter writing the same cell values with no formats,
   validations or protection.
2. Reading + consolidation of N returns (N = 15, 200, 1000; filled copies of generated
   workbooks) against python-calamine and openpyxl read-only reading the same files' values.
3. Peak memory (RSS) of consolidation at each N, in a fresh process.
4. Start-up: `mne-workbook --help` against `python -c pass`.
5. Plan loading: `load_plan` (parse, schema, semantics, model) on the synthetic plan's YAML
   against libyaml's bare `yaml.load` (CSafeLoader, collector paused) of the same text.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xlsxwriter
import yaml

from mne_workbook.consolidate import consolidate
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.generate import generate
from mne_workbook.layout import (
    FIELD_ROW,
    FIRST_DATA_ROW,
    HEADER_ROW,
    columns_for,
    plan_cell,
    rows_for,
    sheet_name,
)
from mne_workbook.locales import catalog
from mne_workbook.parallel import read_many
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, load_plan, plan_from_dict, plan_to_dict
from mne_workbook.report import to_json, write_consolidated
from mne_workbook.signing import KeyRing

ROOT = Path(__file__).resolve().parent.parent
KEYS = KeyRing((b"benchmark-key-not-secret",))
MEASURES = ["number", "percentage", "yes-no", "text"]
FREQS = ["monthly", "bi-monthly", "quarterly", "half-year", "yearly"]


def median_time(fn: Callable[[], Any], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def synthetic_plan(indicators: int = 10_000, institutions: int = 60, seed: int = 1) -> Plan:
    """4 SOs x 10 specific objectives x 25 activities x 2 results x 5 indicators."""
    rng = random.Random(seed)
    insts = [f"i{n:02d}" for n in range(institutions)]
    per_activity = 10
    n_act = indicators // per_activity
    sos: list[dict[str, Any]] = []
    k = 0
    for s in range(1, 5):
        sps = []
        for p in range(1, 11):
            acts = []
            for a in range(1, n_act // 40 + 1):
                results = []
                for _ in range(2):
                    inds = []
                    for _ in range(per_activity // 2):
                        k += 1
                        inds.append(
                            {
                                "id": f"I{k}",
                                "text": f"# of outputs of kind {k}",
                                "measure": rng.choice(MEASURES),
                                "frequency": rng.choice(FREQS),
                                "baseline": {"value": rng.randint(0, 50), "year": 2024},
                                "target": {"value": rng.randint(51, 100), "year": 2027},
                                "means_of_verification": ["Periodic reports"],
                                "responsible_person": "Officer",
                            }
                        )
                    results.append(
                        {"text": "An expected result", "level": "output", "indicators": inds}
                    )
                acts.append(
                    {
                        "code": f"A{s}.{p}.{a}",
                        "title": f"Activity {s}.{p}.{a}",
                        "carriers": rng.sample(insts, rng.randint(1, 2)),
                        "expected_results": results,
                    }
                )
            sps.append(
                {"code": f"{s}.{p}", "title": f"Specific objective {s}.{p}", "activities": acts}
            )
        sos.append(
            {"code": f"SO{s}", "title": f"Strategic objective {s}", "specific_objectives": sps}
        )
    return plan_from_dict(
        {
            "id": "synthetic",
            "title": "Synthetic plan",
            "version": "1",
            "strategy_period": {"start": 2025, "end": 2027},
            "institutions": [
                {"id": i, "name": f"Institution {i}", "short_name": i.upper()} for i in insts
            ],
            "strategic_objectives": sos,
        }
    )


def raw_floor(plan: Plan, period: Period, out: Path) -> None:
    """The same cell values as the generated workbooks, written by bare xlsxwriter."""
    cat = catalog("en")
    columns = columns_for(plan, period)
    targets: list[str | None] = [i.id for i in plan.carriers()] + [None]
    for inst in targets:
        wb = xlsxwriter.Workbook(str(out / f"raw-{inst or 'master'}.xlsx"))
        for so in plan.strategic_objectives:
            rows = rows_for(so, inst)
            if not rows and inst is not None:
                continue
            ws = wb.add_worksheet(sheet_name(so))
            ws.write_string(0, 2, so.title)
            for ci, col in enumerate(columns):
                ws.write_string(FIELD_ROW, ci, col.field)
                ws.write_string(HEADER_ROW, ci, cat.text(col.label_key))
            for ri, r in enumerate(rows):
                for ci, col in enumerate(columns):
                    value = plan_cell(col, r, cat)[0]
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        ws.write_number(FIRST_DATA_ROW + ri, ci, value)
                    elif value:
                        ws.write_string(FIRST_DATA_ROW + ri, ci, str(value))
        wb.close()


def bench_generation(name: str, plan: Plan, period: Period, runs: int, tmp: Path) -> dict[str, Any]:
    def ours() -> None:
        d = tmp / f"gen-{name}"
        shutil.rmtree(d, ignore_errors=True)
        generate(plan, period, d, keys=KEYS)

    def floor() -> None:
        d = tmp / f"raw-{name}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        raw_floor(plan, period, d)

    t_ours, all_ours = median_time(ours, runs)
    t_floor, all_floor = median_time(floor, runs)
    files = len(list((tmp / f"gen-{name}").glob("*.xlsx")))
    return {
        "plan": name,
        "indicators": len(plan.indicators()),
        "workbooks": files,
        "ours_s": t_ours,
        "floor_s": t_floor,
        "ratio": t_ours / t_floor,
        "runs_ours": all_ours,
        "runs_floor": all_floor,
    }


def make_returns(plan: Plan, period: Period, tmp: Path, n: int) -> list[Path]:
    """N filled returns: every institution once, then later re-sends (superseding)."""
    gen = tmp / "returns-gen"
    if not gen.exists():
        generate(plan, period, gen, keys=KEYS, master=False)
    base = tmp / "returns-base"
    if not base.exists():
        base.mkdir()
        rng = random.Random(5)
        for w in sorted(gen.glob("*.xlsx")):
            inst = next(i.id for i in plan.institutions if w.name.startswith(i.short_name + "_"))
            fill_return(
                w, base / w.name, random_entries(plan, period, inst, rng), dt.datetime(2020, 1, 10)
            )
    filled = sorted(base.glob("*.xlsx"))
    d = tmp / f"returns-{n}"
    if d.exists():
        return sorted(d.iterdir())
    d.mkdir()
    out = []
    for k in range(n):
        src = filled[k % len(filled)]
        dst = d / f"{k:05d}-{src.name}"
        shutil.copyfile(src, dst)
        out.append(dst)
    return out


def calamine_floor(files: list[Path]) -> None:
    from python_calamine import CalamineWorkbook

    for f in files:
        wb = CalamineWorkbook.from_path(str(f))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()


def openpyxl_floor(files: list[Path]) -> None:
    import openpyxl

    for f in files:
        wb = openpyxl.load_workbook(f, read_only=True)
        for ws in wb.worksheets:
            for _ in ws.iter_rows(values_only=True):
                pass
        wb.close()


def consolidate_files(
    plan: Plan, period: Period, files: list[Path], workers: int, out: Path
) -> Any:
    subs = read_many(files, plan, period, keys=KEYS, require_signature=True, workers=workers)
    con = consolidate(plan, subs, period, dt.date(2020, 2, 1))
    write_consolidated(con, out)
    return con


def peak_rss(n: int, tmp: Path) -> dict[str, float]:
    """Consolidate N returns in a fresh process; its own and its children's peak RSS (MB)."""
    code = f"""
import resource, sys, datetime as dt
from pathlib import Path
sys.path.insert(0, {str(ROOT / "benchmarks")!r})
from bench import KEYS, consolidate_files
from mne_workbook.plan import load_plan
from mne_workbook.periods import Period
plan = load_plan({str(ROOT / "sample_plans" / "kosovo-2015-2019.yaml")!r})
files = sorted(Path({str(tmp / f"returns-{n}")!r}).iterdir())
consolidate_files(plan, Period.parse("2019-Q4"), files, 2, Path({str(tmp / "mem.xlsx")!r}))
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(own, kids)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return {"parent_mb": float(out[0]), "child_mb": float(out[1])}


def bench_plan_loading(plan: Plan, runs: int, tmp: Path) -> dict[str, Any]:
    path = tmp / "synthetic.yaml"
    path.write_text(yaml.safe_dump(plan_to_dict(plan), sort_keys=False), "utf-8")
    ours, _ = median_time(lambda: load_plan(path), runs)
    text = path.read_text("utf-8")

    def floor_load() -> None:  # the fastest bare parse: libyaml, garbage collector paused
        gc.disable()
        try:
            yaml.load(text, Loader=yaml.CSafeLoader)
        finally:
            gc.enable()

    floor, _ = median_time(floor_load, runs)
    return {
        "indicators": len(plan.indicators()),
        "mb": path.stat().st_size / 1e6,
        "ours_s": ours,
        "libyaml_load_s": floor,
        "ratio": ours / floor,
    }


def startup(runs: int) -> dict[str, float]:
    exe = str(Path(sys.executable).with_name("mne-workbook"))

    def run(cmd: list[str]) -> float:
        return median_time(
            lambda: subprocess.run(cmd, capture_output=True, check=True), max(runs, 5)
        )[0]

    help_s = run([exe, "--help"])
    pass_s = run([sys.executable, "-c", "pass"])
    return {"help_s": help_s, "python_pass_s": pass_s, "ratio": help_s / pass_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="15,200,1000")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"))
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    results: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "runs": args.runs,
        "date": dt.date.today().isoformat(),
    }
    kosovo = load_plan(ROOT / "sample_plans" / "kosovo-2015-2019.yaml")
    q4_2019 = Period.parse("2019-Q4")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        gen = [bench_generation("sample (kosovo 2019-Q4)", kosovo, q4_2019, args.runs, tmp)]
        gen.append(
            bench_generation(
                "synthetic 10k indicators",
                synthetic_plan(),
                Period.parse("2026-Q4"),
                args.runs,
                tmp,
            )
        )
        results["generation"] = gen
        results["plan_loading"] = bench_plan_loading(synthetic_plan(), args.runs, tmp)
        reading = []
        for n in sizes:
            files = make_returns(kosovo, q4_2019, tmp, n)
            t_ours, runs_ours = median_time(
                lambda files=files: consolidate_files(kosovo, q4_2019, files, 2, tmp / "c.xlsx"),
                args.runs,
            )
            t_cal, _ = median_time(lambda files=files: calamine_floor(files), args.runs)
            t_opx, _ = median_time(lambda files=files: openpyxl_floor(files), args.runs)
            row = {
                "n": n,
                "ours_s": t_ours,
                "files_per_s": n / t_ours,
                "calamine_s": t_cal,
                "openpyxl_ro_s": t_opx,
                "ratio_calamine": t_ours / t_cal,
                "ratio_openpyxl": t_ours / t_opx,
                "runs_ours": runs_ours,
            }
            if n == sizes[min(1, len(sizes) - 1)]:
                one = to_json(consolidate_files(kosovo, q4_2019, files, 1, tmp / "one.xlsx"))
                two = to_json(consolidate_files(kosovo, q4_2019, files, 2, tmp / "two.xlsx"))
                row["identical_to_single_process"] = one == two
            row.update(peak_rss(n, tmp))
            reading.append(row)
            shutil.rmtree(tmp / f"returns-{n}")  # keep the disk small between sizes
        results["reading"] = reading
        results["startup"] = startup(args.runs)
    print_table(results)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(f"wrote {args.out}")


def print_table(r: dict[str, Any]) -> None:
    print(
        f"\nmne-workbook benchmark ({r['machine']['cores']} cores, Python "
        f"{r['machine']['python']}; medians of {r['runs']} runs)\n"
    )
    print("Generation                    indicators  workbooks   ours(s)  xlsxwriter(s)  ratio")
    for g in r["generation"]:
        print(
            f"  {g['plan']:<28}{g['indicators']:>10}{g['workbooks']:>11}{g['ours_s']:>10.2f}"
            f"{g['floor_s']:>15.2f}{g['ratio']:>7.2f}x"
        )
    pl = r["plan_loading"]
    print(
        f"\nPlan loading: {pl['indicators']} indicators ({pl['mb']:.1f} MB of YAML): load_plan "
        f"{pl['ours_s']:.2f}s, bare libyaml load {pl['libyaml_load_s']:.2f}s ({pl['ratio']:.1f}x)"
    )
    print(
        "\nReading + consolidation     N   ours(s)  files/s  calamine(s)  ratio  "
        "openpyxl-ro(s)  ratio  parent MB  child MB"
    )
    for x in r["reading"]:
        print(
            f"  {'':<22}{x['n']:>5}{x['ours_s']:>10.2f}{x['files_per_s']:>9.0f}"
            f"{x['calamine_s']:>13.2f}{x['ratio_calamine']:>6.1f}x{x['openpyxl_ro_s']:>16.2f}"
            f"{x['ratio_openpyxl']:>6.2f}x{x['parent_mb']:>11.0f}{x['child_mb']:>10.0f}"
        )
    same = [
        x.get("identical_to_single_process")
        for x in r["reading"]
        if "identical_to_single_process" in x
    ]
    print(f"  pool result identical to a single process: {same}")
    s = r["startup"]
    print(
        f"\nStart-up: mne-workbook --help {s['help_s']:.3f}s, python -c pass "
        f"{s['python_pass_s']:.3f}s ({s['ratio']:.1f}x)"
    )


if __name__ == "__main__":
    main()
