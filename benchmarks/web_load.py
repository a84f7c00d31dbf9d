"""Load test of the web desk (`make bench-web`): 50 uploads from 10 simulated institutions.

Everything stays on 127.0.0.1: the desk runs in this process on a free local port and
the simulated focal points are threads. Each institution gets its own upload link and
uploads 5 different returns (a first version and 4 corrections) through it; the 10
institutions upload at the same time. The loop is bounded: 50 requests, 120 s each.

Prints the latency of each upload (p50, p95, max), the errors, and checks the store:
every return kept exactly once (50 rows, 50 distinct files), none lost, and a second
round of the same 50 files adds nothing. Writes benchmarks/web_load.json.

    python benchmarks/web_load.py [--db URL]   (default: a SQLite store in a temp folder)
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import random
import re
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import yaml
from sqlalchemy import text

from mne_workbook.fill import fill_return, random_entries
from mne_workbook.generate import generate
from mne_workbook.periods import Period
from mne_workbook.plan import load_plan
from mne_workbook.signing import new_key
from mne_workbook.web.app import DeskConfig, create_app
from mne_workbook.web.links import issue_link
from mne_workbook.web.server import running

ROOT = Path(__file__).resolve().parent.parent
INSTITUTIONS, PER_INSTITUTION, TIMEOUT = 10, 5, 120.0


def plan_with_ten(tmp: Path) -> Path:
    """The demo plan with 10 carrier institutions, each carrying some activities."""
    data = copy.deepcopy(yaml.safe_load((ROOT / "sample_plans" / "demo.yaml").read_text()))
    data["strategy_period"]["end"] = max(2027, dt.date.today().year + 1)
    data["reporting"].pop("coordinator", None)  # the demo's coordinator is not among the ten
    data["institutions"] = [
        {"id": f"inst{i}", "name": f"Institution {i}", "short_name": f"I{i}"}
        for i in range(INSTITUTIONS)
    ]
    n = 0
    for so in data["strategic_objectives"]:
        for spec in so["specific_objectives"]:
            for act in spec["activities"]:
                act.pop("timeline", None)
                act["carriers"] = [f"inst{n % INSTITUTIONS}", f"inst{(n + 3) % INSTITUTIONS}"]
                n += 1
    path = tmp / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="SQLAlchemy URL of an empty store (default: temp SQLite)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mne-load-"))
    key = tmp / "bench.key"
    plan_path = plan_with_ten(tmp)
    plan = load_plan(plan_path)
    period = Period.containing(plan.reporting.cycle, dt.datetime.now(dt.UTC).date())
    made = generate(plan, period, tmp / "round", keys=new_key(key))
    books = {w.institution: w.path for w in made if w.institution}
    files: dict[str, list[Path]] = {}
    for inst, book in books.items():
        files[inst] = []
        for k in range(PER_INSTITUTION):
            out = tmp / "returns" / f"{inst}-v{k}.xlsx"
            out.parent.mkdir(exist_ok=True)
            fill_return(book, out, random_entries(plan, period, inst, random.Random(f"{inst}-{k}")))
            files[inst].append(out)
    app = create_app(
        DeskConfig(
            plan_path,
            args.db or f"sqlite:///{tmp / 'store.sqlite'}",
            data_dir=tmp / "data",
            key_file=key,
            secure_cookies=False,
            workers=1,
        )
    )
    desk = app.state.desk
    links = {inst: issue_link(desk.engine, plan, period, inst, "bench")[0] for inst in books}

    def institution(inst: str) -> list[tuple[float, str]]:
        """One focal point: open the link, upload its returns one after the other."""
        out = []
        with httpx.Client(base_url=base, timeout=TIMEOUT) as c:
            page = c.get(f"/u/{links[inst]}")
            token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
            assert token, page.status_code
            for path in files[inst]:
                started = time.perf_counter()
                try:
                    r = c.post(
                        f"/u/{links[inst]}",
                        data={"csrf_token": token.group(1)},
                        files=[("files", (path.name, path.read_bytes()))],
                        headers={"x-requested-with": "fetch"},
                    )
                    ok = r.status_code == 200 and "outcome accepted" in r.text
                    state = "ok" if ok else f"HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    state = type(exc).__name__
                out.append((time.perf_counter() - started, state))
        return out

    results: dict[str, object] = {}
    with running(app) as base:
        for round_name in ("first", "again"):
            started = time.perf_counter()
            with ThreadPoolExecutor(INSTITUTIONS) as pool:
                timings = [t for got in pool.map(institution, books) for t in got]
            wall = time.perf_counter() - started
            lat = [t for t, _ in timings]
            errors = [s for _, s in timings if s != "ok"]
            with desk.engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT count(*), count(DISTINCT sha256) FROM returns")
                ).one()
            results[round_name] = {
                "uploads": len(timings),
                "wall_s": round(wall, 2),
                "p50_s": round(statistics.median(lat), 3),
                "p95_s": round(pct(lat, 95), 3),
                "max_s": round(max(lat), 3),
                "errors": len(errors),
                "error_kinds": sorted(set(errors)),
                "store_rows": rows[0],
                "distinct_files": rows[1],
            }
            print(f"{round_name}: {json.dumps(results[round_name])}")
    expected = INSTITUTIONS * PER_INSTITUTION
    first, again = results["first"], results["again"]
    assert isinstance(first, dict) and isinstance(again, dict)
    exactly_once = (
        first["store_rows"] == first["distinct_files"] == expected
        and again["store_rows"] == expected
    )
    results["every_return_stored_once"] = exactly_once
    results["store"] = "postgresql" if args.db and "postgres" in args.db else "sqlite"
    print(f"every return stored exactly once: {exactly_once}")
    (ROOT / "benchmarks" / "web_load.json").write_text(json.dumps(results, indent=2) + "\n")
    if not exactly_once or first["errors"] or again["errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
