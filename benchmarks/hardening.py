"""Hardening figures (issue 15), outside `make test`: re-ingest cost and the default timeout.

1. Ingest of N files (default 5,000; distinct bytes, valid signed returns) into an empty
   store, then the same N files again: the second run hashes each file and skips the
   parser for bytes already stored. The ratio is measured in this run.
2. The default --timeout: the slowest honest returns we can build (the largest
   institution return and the master of the bundled Kosovo plan, and the master of a
   synthetic 10,000-indicator plan, filled) read through the bounded reader, against
   the stalling cases of the hostile corpus at the default bounds (wall time to refusal).

    .venv/bin/python benchmarks/hardening.py [--n 5000] [--skip-ingest]

Prints a table and writes benchmarks/hardening.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
import zipfile
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench import synthetic_plan  # noqa: E402

from mne_workbook.discovery import discover  # noqa: E402
from mne_workbook.fill import fill_return, random_entries  # noqa: E402
from mne_workbook.generate import generate  # noqa: E402
from mne_workbook.intake import read_inputs  # noqa: E402
from mne_workbook.parallel import Bounds, read_many  # noqa: E402
from mne_workbook.periods import Period  # noqa: E402
from mne_workbook.plan import Plan, load_plan  # noqa: E402
from mne_workbook.safety import Limits  # noqa: E402
from mne_workbook.signing import KeyRing  # noqa: E402
from mne_workbook.store import Store  # noqa: E402
from mne_workbook.storing import ingest_inputs  # noqa: E402

KEYS = KeyRing((b"hardening-benchmark-key-not-secret-0123",))
ON_TIME = dt.datetime(2026, 10, 10, 9, 0)


def variants(src: Path, out: Path, n: int) -> list[Path]:
    """``n`` copies of one return with distinct bytes (a zip comment): valid, signed."""
    out.mkdir(parents=True)
    paths = []
    for i in range(n):
        p = out / f"return-{i:05d}.xlsx"
        shutil.copyfile(src, p)
        with zipfile.ZipFile(p, "a") as z:
            z.comment = f"copy {i}".encode()
        paths.append(p)
    return paths


def bench_ingest(n: int, tmp: Path) -> dict[str, Any]:
    plan = load_plan(ROOT / "sample_plans" / "demo.yaml")
    period = Period.parse("2026-Q3")
    [kp] = generate(plan, period, tmp / "gen", institutions=["kp"], master=False, keys=KEYS)
    filled = tmp / "kp.xlsx"
    fill_return(kp.path, filled, random_entries(plan, period, "kp", random.Random(1)), ON_TIME)
    variants(filled, tmp / "inbox", n)
    store = Store(str(tmp / "h.mne.sqlite"))
    reader = partial(read_inputs, plan=plan, period=None, keys=KEYS, require_signature=True)

    def run() -> tuple[float, int]:
        start = time.perf_counter()
        found = discover([tmp / "inbox"], exclude=store.own_files())
        rows = ingest_inputs(store, found.inputs, lambda items: reader(items))
        return time.perf_counter() - start, sum(r.new for r in rows)

    first, new1 = run()
    again, new2 = run()
    return {
        "files": n,
        "first_s": first,
        "first_new": new1,
        "again_s": again,
        "again_new": new2,
        "ratio": again / first,
    }


def _filled(plan: Plan, period: Period, src: Path, dst: Path, inst: str) -> Path:
    fill_return(src, dst, random_entries(plan, period, inst, random.Random(7)), ON_TIME)
    return dst


def bench_timeout(tmp: Path) -> dict[str, Any]:
    default = Bounds()
    honest: list[tuple[str, Path, Plan, Period | None, bool]] = []
    kosovo = load_plan(ROOT / "sample_plans" / "kosovo-2015-2019.yaml")
    kp = Period.parse("2019-Q4")
    made = generate(kosovo, kp, tmp / "kosovo", keys=KEYS)
    biggest = max((w for w in made if w.kind == "institution"), key=lambda w: w.path.stat().st_size)
    honest.append(
        (
            f"kosovo 2019-Q4 largest return ({biggest.indicators} indicators)",
            _filled(kosovo, kp, biggest.path, tmp / "k-inst.xlsx", biggest.institution),
            kosovo,
            kp,
            False,
        )
    )
    master = next(w for w in made if w.kind == "master")
    honest.append(
        (f"kosovo master ({master.indicators} indicators)", master.path, kosovo, None, True)
    )
    synth = synthetic_plan()
    sp = Period.parse("2026-Q4")
    smade = generate(synth, sp, tmp / "synth", keys=KEYS)
    smaster = next(w for w in smade if w.kind == "master")
    honest.append(
        (f"synthetic master ({smaster.indicators} indicators)", smaster.path, synth, None, True)
    )
    rows = []
    from mne_workbook.reader import read_return

    for name, path, plan, period, is_master in honest:
        start = time.perf_counter()
        cpu = time.process_time()
        sub = read_return(path, plan, period, Limits(), KEYS, True, master=is_master)
        rows.append(
            {
                "case": name,
                "kind": "honest",
                "size_kb": path.stat().st_size // 1024,
                "wall_s": time.perf_counter() - start,
                "cpu_s": time.process_time() - cpu,
                "result": "refused" if sub.refused else "read",
            }
        )
    import hostile

    demo = load_plan(ROOT / "sample_plans" / "demo.yaml")
    cases = hostile.build(demo, tmp / "hostile")
    for name in ("million-rows.xlsx", "huge-token.xlsx", "xml-comment-10mb.xlsx"):
        start = time.perf_counter()
        [sub] = read_many(
            [tmp / "hostile" / name],
            demo,
            hostile.PERIOD,
            keys=hostile.KEYS,
            require_signature=True,
            bounds=default,
        )
        codes = sorted({p.code for p in sub.problems if p.severity == "error"})
        rows.append(
            {
                "case": name,
                "kind": "hostile" if cases[name].refused else "odd but honest",
                "size_kb": (tmp / "hostile" / name).stat().st_size // 1024,
                "wall_s": time.perf_counter() - start,
                "cpu_s": None,
                "result": ",".join(codes) or "read",
            }
        )
    return {"default_timeout_s": default.timeout, "cases": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--skip-timeout", action="store_true")
    args = ap.parse_args()
    result: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "load_1min": os.getloadavg()[0]},
        "date": dt.date.today().isoformat(),
    }
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not args.skip_timeout:
            t = bench_timeout(tmp / "t")
            result["timeout"] = t
            print(f"default --timeout {t['default_timeout_s']:g} s")
            for r in t["cases"]:
                cpu = f"{r['cpu_s']:.2f}" if r["cpu_s"] is not None else "-"
                print(
                    f"  {r['kind']:<15} {r['case']:<48} {r['size_kb']:>7} KB"
                    f"  wall {r['wall_s']:6.2f} s  cpu {cpu:>5}  {r['result']}"
                )
        if not args.skip_ingest:
            g = bench_ingest(args.n, tmp / "i")
            result["ingest"] = g
            print(
                f"ingest {g['files']} files: first {g['first_s']:.1f} s ({g['first_new']} new),"
                f" again {g['again_s']:.2f} s ({g['again_new']} new): ratio {g['ratio']:.3f}"
            )
    out = ROOT / "benchmarks" / "hardening.json"
    if out.exists():  # keep the part not measured in this run
        kept = json.loads(out.read_text("utf-8"))
        result = {**{k: v for k, v in kept.items() if k in ("timeout", "ingest")}, **result}
    out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
