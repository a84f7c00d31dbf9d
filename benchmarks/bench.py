"""Speed and scale benchmark (`make bench`): mne-workbook against raw library floors.

Every figure is a median of --runs runs (default 3) measured in this same run, with the
variants interleaved (ours, floor, floor, ours, ...) so that a busy machine slows them
alike; CPU time (the process and its children) is reported beside wall time. Prints a
table and writes benchmarks/results.json.

1. Generation: the sample plan's workbooks and a synthetic plan (10,000 indicators, 60
   institutions) against two floors: a *replay* (exactly the xlsxwriter calls
   ``generate()`` makes, recorded once and replayed on bare xlsxwriter: the same cells,
   formats, validations, sheet protection; only the workbook's structure-protection
   element, which xlsxwriter has no call for, is ours alone) and the *minimal* floor
   (the same cell values with no formats, validations or protection).
2. Reading + consolidation of N distinct returns (N = 15, 200, 1000: every file has
   its own values and saved time; none is a copy) against python-calamine and openpyxl
   read-only reading the same files' values with the same number of worker processes.
   Ours is what ``mne-workbook consolidate`` does once it has found the files (the
   library calls it makes: signatures checked, answers spilled, the pack written).
3. Peak memory (RSS) of consolidation at each N, in a fresh process.
4. Start-up: `mne-workbook --help` against `python -c pass`.
5. Plan loading: `load_plan` (parse, schema, semantics, model) on the synthetic plan's YAML
   against libyaml's bare `yaml.load` (CSafeLoader, collector paused) of the same text.

``--scale N[,N...]`` (``make bench-scale``: 1,000, 3,000 and 10,000) instead runs the
CLI's ``consolidate`` and ``ingest`` on N distinct returns in fresh processes and reports
their time, peak memory and memory sampled over the run, for each N
(benchmarks/results-scale.json): flat memory is RSS that does not grow with N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xlsxwriter
import yaml

import mne_workbook.writer as writer_module
from mne_workbook.fill import fill_return, random_entries, set_arrived_at, set_saved_at
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
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, load_plan, paused_gc, plan_from_dict, plan_to_dict
from mne_workbook.report import to_json
from mne_workbook.signing import KeyRing
from mne_workbook.workflows import ReadSettings, consolidate_returns, write_consolidation

ROOT = Path(__file__).resolve().parent.parent
#: at least 32 bytes: the CLI refuses shorter keys (key-too-short)
KEY_TEXT = "benchmark-key-not-secret-0123456789"
KEYS = KeyRing((KEY_TEXT.encode(),))
MEASURES = ["number", "percentage", "yes-no", "text"]
FREQS = ["monthly", "bi-monthly", "quarterly", "half-year", "yearly"]


def cpu_now() -> float:
    """CPU seconds used so far by this process and its reaped children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def interleaved(variants: dict[str, Callable[[], Any]], runs: int) -> dict[str, dict[str, Any]]:
    """Run every variant ``runs`` times, interleaved and in a rotating order; the median
    wall and CPU time of each, with every run's wall time."""
    names = list(variants)
    walls: dict[str, list[float]] = {k: [] for k in names}
    cpus: dict[str, list[float]] = {k: [] for k in names}
    for r in range(runs):
        for k in names[r % len(names) :] + names[: r % len(names)]:
            c0, t0 = cpu_now(), time.perf_counter()
            variants[k]()
            walls[k].append(time.perf_counter() - t0)
            cpus[k].append(cpu_now() - c0)
    return {
        k: {
            "wall_s": statistics.median(walls[k]),
            "cpu_s": statistics.median(cpus[k]),
            "runs_wall": walls[k],
        }
        for k in names
    }


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


class _Ref:
    """A recorded xlsxwriter object (workbook, sheet, format, chart), by number."""

    def __init__(self, n: int) -> None:
        self.n = n


class _Recorder:
    """Stands in for an xlsxwriter object: forwards every call and logs it, so that the
    replay floor makes exactly the calls ``generate()`` made."""

    def __init__(self, log: list[Any], real: Any, n: int) -> None:
        self._log, self._real, self._n = log, real, n

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._log.append((self._n, name, _refs(args), _refs(kwargs)))
            got = attr(*_reals(args), **_reals(kwargs))
            ours = type(got).__mro__  # xlsxwriter's classes, or ours derived from them
            if any(c.__module__.startswith("xlsxwriter.") for c in ours) and name != "get_name":
                n = len(self._log)
                self._log.append((n, "<result>", None, None))
                return _Recorder(self._log, got, n)
            return got

        return call


def _refs(x: Any) -> Any:
    if isinstance(x, _Recorder):
        return _Ref(x._n)
    if isinstance(x, dict):
        return {k: _refs(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_refs(v) for v in x)
    return x


def _reals(x: Any) -> Any:
    if isinstance(x, _Recorder):
        return x._real
    if isinstance(x, dict):
        return {k: _reals(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_reals(v) for v in x)
    return x


def record_generation(plan: Plan, period: Period, tmp: Path) -> list[list[Any]]:
    """One call log per workbook that ``generate()`` writes (recorded, not timed)."""
    logs: list[list[Any]] = []
    real = writer_module.new_workbook

    def recording(path: Path, password: str | None) -> Any:
        log: list[Any] = [(-1, "<workbook>", (writer_module.WORKBOOK_OPTIONS,), {})]
        logs.append(log)
        return _Recorder(log, real(path, password), 0)

    writer_module.new_workbook = recording  # type: ignore[assignment]
    try:
        generate(plan, period, tmp / "recorded", keys=KEYS, overwrite=True)
    finally:
        writer_module.new_workbook = real  # type: ignore[assignment]
    # the replay must write what generate() wrote (every part but the creation time and
    # the structure protection, which xlsxwriter has no call for)
    first = sorted((tmp / "recorded").glob("*.xlsx"))
    made = {p.name: p for p in first}
    for log in logs[:2]:
        replay(log, tmp / "check.xlsx")
        with zipfile.ZipFile(tmp / "check.xlsx") as z:
            title = z.read("docProps/core.xml")
            twin = next(p for p in made.values() if _core_title(p) == _title_of(title))
            with zipfile.ZipFile(twin) as t:
                for part in z.namelist():
                    if part not in ("docProps/core.xml", "xl/workbook.xml"):
                        assert z.read(part) == t.read(part), f"the replay differs in {part}"
    shutil.rmtree(tmp / "recorded")
    return logs


def _title_of(core: bytes) -> bytes:
    return core.split(b"<dc:subject>")[1].split(b"</dc:subject>")[0]


def _core_title(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return _title_of(z.read("docProps/core.xml"))


def replay(log: list[Any], path: Path, lean: bool = False) -> None:
    """Make the recorded calls on bare xlsxwriter, writing ``path``.

    ``lean``: as cheaply as ``generate()`` makes them: the cyclic collector paused, the
    closed workbook's reference cycle broken (writer._release) and formulas prepared
    once (writer._Worksheet), so that the ratio against it is our own code alone."""
    if lean:
        with paused_gc():
            writer_module._release(_replay(log, path, lean))
    else:
        _replay(log, path, lean)


def _replay(log: list[Any], path: Path, lean: bool) -> Any:
    """The recorded calls made on bare xlsxwriter; the workbook they wrote."""
    _, _, args, kwargs = log[0]
    objs: dict[int, Any] = {0: xlsxwriter.Workbook(str(path), *args, **kwargs)}
    if lean:
        objs[0].worksheet_class = writer_module._Worksheet
    last: Any = None

    def resolve(x: Any) -> Any:
        if isinstance(x, _Ref):
            return objs[x.n]
        if isinstance(x, dict):
            return {k: resolve(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return type(x)(resolve(v) for v in x)
        return x

    for n, name, a, k in log[1:]:
        if name == "<result>":
            objs[n] = last
        else:
            last = getattr(objs[n], name)(*resolve(a), **resolve(k))
    return objs[0]


def bench_generation(name: str, plan: Plan, period: Period, runs: int, tmp: Path) -> dict[str, Any]:
    logs = record_generation(plan, period, tmp)

    def ours() -> None:
        d = tmp / f"gen-{name}"
        shutil.rmtree(d, ignore_errors=True)
        generate(plan, period, d, keys=KEYS)

    def replay_floor(lean: bool = False) -> None:
        d = tmp / f"replay-{name}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        for k, log in enumerate(logs):
            replay(log, d / f"{k}.xlsx", lean)

    def floor() -> None:
        d = tmp / f"raw-{name}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        raw_floor(plan, period, d)

    got = interleaved(
        {
            "ours": ours,
            "replay": replay_floor,
            "replay_lean": lambda: replay_floor(lean=True),
            "minimal": floor,
        },
        runs,
    )
    files = len(list((tmp / f"gen-{name}").glob("*.xlsx")))
    return {
        "plan": name,
        "indicators": len(plan.indicators()),
        "workbooks": files,
        "calls_replayed": sum(len(x) for x in logs),
        "ours_s": got["ours"]["wall_s"],
        "ours_cpu_s": got["ours"]["cpu_s"],
        "replay_floor_s": got["replay"]["wall_s"],
        "replay_floor_cpu_s": got["replay"]["cpu_s"],
        "floor_s": got["minimal"]["wall_s"],
        "floor_cpu_s": got["minimal"]["cpu_s"],
        "ratio_replay_cpu": got["ours"]["cpu_s"] / got["replay"]["cpu_s"],
        "replay_lean_s": got["replay_lean"]["wall_s"],
        "replay_lean_cpu_s": got["replay_lean"]["cpu_s"],
        "ratio_replay_lean": got["ours"]["wall_s"] / got["replay_lean"]["wall_s"],
        "ratio_replay_lean_cpu": got["ours"]["cpu_s"] / got["replay_lean"]["cpu_s"],
        "ratio_cpu": got["ours"]["cpu_s"] / got["minimal"]["cpu_s"],
        "ratio_replay": got["ours"]["wall_s"] / got["replay"]["wall_s"],
        "ratio": got["ours"]["wall_s"] / got["minimal"]["wall_s"],
        "runs_ours": got["ours"]["runs_wall"],
        "runs_replay": got["replay"]["runs_wall"],
        "runs_replay_lean": got["replay_lean"]["runs_wall"],
        "runs_floor": got["minimal"]["runs_wall"],
    }


SENTINEL = 7_770_000  # numbers and comment tags in the base returns, replaced per copy


def _base_returns(plan: Plan, period: Period, tmp: Path) -> list[tuple[Path, dict[int, Any]]]:
    """One filled return per institution whose entered numbers and comments are
    sentinels; with what each sentinel stands for, so that variants can differ."""
    gen = tmp / "returns-gen"
    if not gen.exists():
        generate(plan, period, gen, keys=KEYS, master=False)
    base = tmp / "returns-base"
    base.mkdir(exist_ok=True)
    rng = random.Random(5)
    out = []
    j = 0
    for w in sorted(gen.glob("*.xlsx")):
        inst = next(i.id for i in plan.institutions if w.name.startswith(i.short_name + "_"))
        entries = random_entries(plan, period, inst, rng)
        meaning: dict[int, Any] = {}
        for key, value in entries.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                j += 1
                meaning[SENTINEL + j] = value
                entries[key] = SENTINEL + j
            elif isinstance(value, str) and value.startswith("Progress on"):
                j += 1
                meaning[SENTINEL + j] = "comment"
                entries[key] = f"{value} [{SENTINEL + j}]"
        fill_return(w, base / w.name, entries)
        out.append((base / w.name, meaning))
    return out


def _variant(src: Path, meaning: dict[int, Any], dst: Path, rng: random.Random) -> None:
    """``src`` with every sentinel replaced by a fresh value of its kind: numbers, and
    comments' tags wherever the text is held (inline in the sheet, as ``fill_return``
    writes it, or in the shared strings)."""

    def number(m: re.Match[bytes]) -> bytes:
        v = meaning.get(int(m.group(1)))
        if isinstance(v, float):
            new: object = round(rng.uniform(0, 100), 1)
        elif isinstance(v, int):
            new = rng.randint(0, 500)
        else:
            return m.group(0)
        return b"<v>" + str(new).encode() + b"</v>"

    def tag(m: re.Match[bytes]) -> bytes:
        return b"[ref " + str(rng.randint(1, 10**6)).encode() + b"]"

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<v>(777\d{4})</v>", number, data)
                data = re.sub(rb"\[777\d{4}\]", tag, data)  # comments held inline
            elif info.filename == "xl/sharedStrings.xml":
                data = re.sub(rb"\[777\d{4}\]", tag, data)
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def make_returns(plan: Plan, period: Period, tmp: Path, n: int) -> list[Path]:
    """N distinct filled returns (own values, own saved and arrival time): every
    institution in turn, later ones superseding earlier ones."""
    d = tmp / f"returns-{n}"
    if d.exists():
        return sorted(d.iterdir())
    made: dict[Path, Any] = make_returns.__dict__.setdefault("bases", {})
    if tmp not in made:  # once per folder (the scale run uses a fresh one per N)
        made[tmp] = _base_returns(plan, period, tmp)
    bases = made[tmp]
    d.mkdir()
    rng = random.Random(n)
    out = []
    for k in range(n):
        src, meaning = bases[k % len(bases)]
        dst = d / f"{k:05d}-{src.name}"
        _variant(src, meaning, dst, rng)
        when = dt.datetime(2020, 1, 10) + dt.timedelta(seconds=k)
        set_saved_at(dst, when)
        set_arrived_at(dst, when)
        out.append(dst)
    return out


def _chunks(files: list[Path], workers: int) -> list[list[Path]]:
    return [files[k::workers] for k in range(workers)]


def _calamine_chunk(files: list[Path]) -> None:
    from python_calamine import CalamineWorkbook

    for f in files:
        wb = CalamineWorkbook.from_path(str(f))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()


def _openpyxl_chunk(files: list[Path]) -> None:
    import openpyxl

    for f in files:
        wb = openpyxl.load_workbook(f, read_only=True)
        for ws in wb.worksheets:
            for _ in ws.iter_rows(values_only=True):
                pass
        wb.close()


def in_workers(chunk: Callable[[list[Path]], None], files: list[Path], workers: int) -> None:
    """A floor with the same number of worker processes as ours (forked, then joined)."""
    if workers <= 1:
        chunk(files)
        return
    import multiprocessing as mp

    with mp.get_context("fork").Pool(workers) as pool:
        pool.map(chunk, _chunks(files, workers))
        pool.close()
        pool.join()


def consolidate_files(
    plan: Plan, period: Period, files: list[Path], workers: int, out: Path
) -> Any:
    """What ``mne-workbook consolidate`` does once it has found the files: the library
    calls its command makes (signatures required, answers spilled to disk, the pack)."""
    key = out.parent / "bench.key"
    if not key.exists():
        key.write_text(KEY_TEXT + "\n", "utf-8")
        key.chmod(0o600)
    settings = ReadSettings(key_file=key, workers=workers)
    run = consolidate_returns(plan, period, files, settings, as_of=dt.date(2020, 2, 1))
    write_consolidation(run.consolidation, out)
    return run.consolidation


def peak_rss(n: int, tmp: Path) -> dict[str, float]:
    """Consolidate N returns in a fresh process; its own and its children's peak RSS (MB)."""
    code = f"""
import re, resource, sys, datetime as dt
from pathlib import Path
sys.path.insert(0, {str(ROOT / "benchmarks")!r})
from bench import KEYS, consolidate_files
from mne_workbook.plan import load_plan
from mne_workbook.periods import Period
plan = load_plan({str(ROOT / "sample_plans" / "kosovo-2015-2019.yaml")!r})
files = sorted(Path({str(tmp / f"returns-{n}")!r}).iterdir())
consolidate_files(plan, Period.parse("2019-Q4"), files, 2, Path({str(tmp / "mem.xlsx")!r}))
# its own peak from VmHWM: ru_maxrss keeps, across exec, the RSS of the bench process
# this one was forked from (hundreds of MB once the generation bench has run)
own = int(re.search(r"^VmHWM:\\s+(\\d+)", open("/proc/self/status").read(), re.M).group(1)) / 1024
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


def bench_cli_generate(runs: int, workers: int, tmp: Path) -> dict[str, Any]:
    """`mne-workbook generate` on the 10,000-indicator plan's YAML, in a fresh process
    (start-up, plan loading, writing, manifest): wall and CPU time (its workers
    included) with one worker and with ``workers``, interleaved."""
    plan_file = tmp / "synthetic.yaml"
    plan_file.write_text(yaml.safe_dump(plan_to_dict(synthetic_plan())), "utf-8")
    key = tmp / "gen.key"
    key.write_text(KEY_TEXT + "\n", "utf-8")
    key.chmod(0o600)
    exe = str(Path(sys.executable).with_name("mne-workbook"))

    def command(n: int) -> Callable[[], None]:
        def run() -> None:
            out = tmp / f"cli-gen-{n}"
            shutil.rmtree(out, ignore_errors=True)
            cmd = [exe, "generate", str(plan_file), "--period", "2026-Q4", "--out", str(out)]
            cmd += ["--key-file", str(key), "--workers", str(n)]
            subprocess.run(cmd, capture_output=True, check=True)

        return run

    got = interleaved({f"workers={n}": command(n) for n in dict.fromkeys((1, workers))}, runs)
    return {
        "indicators": 10_000,
        "mb": plan_file.stat().st_size / 1e6,
        "command": "mne-workbook generate synthetic.yaml --period 2026-Q4 --out DIR"
        " --key-file K --workers N",
        **{k: {"wall_s": v["wall_s"], "cpu_s": v["cpu_s"]} for k, v in got.items()},
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


def _rss_tree(root: int) -> tuple[float, float, int]:
    """RSS (MB) of process ``root`` and the sum over its descendants, and how many."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            status = (d / "status").read_text()
        except OSError:
            continue
        parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        m = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        rss[int(d.name)] = int(m.group(1)) if m else 0
    kids: list[int] = []
    todo = [root]
    while todo:
        p = todo.pop()
        new = [c for c, pp in parent.items() if pp == p]
        kids += new
        todo += new
    return rss.get(root, 0) / 1024, sum(rss.get(k, 0) for k in kids) / 1024, len(kids)


def run_sampled(cmd: list[str], every: float = 1.0) -> dict[str, Any]:
    """Run ``cmd`` in a fresh process: exit code, wall and CPU time (it and its
    children), peak RSS of the largest process, and its RSS sampled every ``every`` s
    (the command's own, and the sum over its worker processes)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[tuple[float, float, float]] = []
    while True:
        try:
            proc.wait(every)
            break
        except subprocess.TimeoutExpired:
            own, kids, _ = _rss_tree(proc.pid)
            samples.append((round(time.perf_counter() - t0, 1), round(own, 1), round(kids, 1)))
    wall = time.perf_counter() - t0
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    k = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "exit_code": proc.returncode,
        "stderr_tail": err[-2000:],
        "wall_s": wall,
        "children_cpu_total_s": k.ru_utime + k.ru_stime,
        "children_maxrss_mb": k.ru_maxrss / 1024,
        "samples": samples,
    }


OWN_PEAK = (
    "import atexit, re, sys\n"
    "def _peak():\n"
    "    s = open('/proc/self/status').read()\n"
    "    kb = re.search(r'^VmHWM:\\s+(\\d+)', s, re.M).group(1)\n"
    "    print(f'command peak RSS kB: {kb}', file=sys.stderr)\n"
    "atexit.register(_peak)\n"
    "from mne_workbook.cli import main\n"
    "sys.argv[0] = 'mne-workbook'\n"
    "main()\n"
)


def _own_peak(stderr: str) -> float | None:
    """The command process's own peak RSS (MB), as it said at exit (see OWN_PEAK)."""
    m = re.search(r"command peak RSS kB: (\d+)", stderr)
    return int(m.group(1)) / 1024 if m else None


def _quartiles(samples: list[tuple[float, float, float]], i: int) -> list[float]:
    """The sampled RSS (column ``i``) at 25, 50, 75 and 100 % of the run."""
    if not samples:
        return []
    return [samples[min(len(samples) - 1, len(samples) * q // 4)][i] for q in (1, 2, 3, 4)]


def scale(
    n: int, workers: int, tmp: Path, only: tuple[str, ...] = ("consolidate", "ingest")
) -> dict[str, Any]:
    """The CLI's consolidate and ingest on N distinct returns, each in a fresh process:
    wall and CPU time, peak RSS of the command and of its largest child, and the RSS
    sampled over the run (flat memory: the quartiles should not grow with N)."""
    kosovo = load_plan(ROOT / "sample_plans" / "kosovo-2015-2019.yaml")
    t0 = time.perf_counter()
    files = make_returns(kosovo, Period.parse("2019-Q4"), tmp, n)
    made_s = time.perf_counter() - t0
    key = tmp / "bench.key"
    key.write_text(KEY_TEXT + "\n", "utf-8")
    key.chmod(0o600)
    # the CLI, in a process that says its own peak RSS at exit (the workers' is apart)
    exe_args = [sys.executable, "-c", OWN_PEAK]
    plan = str(ROOT / "sample_plans" / "kosovo-2015-2019.yaml")
    common = ["--key-file", str(key), "--workers", str(workers)]
    commands = {
        "consolidate": [
            *exe_args,
            "consolidate",
            plan,
            str(files[0].parent),
            "--period",
            "2019-Q4",
            "--as-of",
            "2020-02-01",
            "--out",
            str(tmp / "scale.xlsx"),
            "--overwrite",
            *common,
        ],
        "ingest": [
            *exe_args,
            "ingest",
            plan,
            str(files[0].parent),
            "--db",
            str(tmp / "scale.sqlite"),
            *common,
        ],
    }
    out: dict[str, Any] = {"n": n, "workers": workers, "returns_made_s": made_s}
    for name, cmd in commands.items():
        if name not in only:
            continue
        code = (
            "import json, sys\n"
            f"sys.path.insert(0, {str(ROOT / 'benchmarks')!r})\n"
            "from bench import run_sampled\n"
            f"got = run_sampled({cmd!r})\n"
            "print(json.dumps(got))\n"
        )
        got = json.loads(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        if got["exit_code"] not in (0, 1):
            raise SystemExit(f"{name} failed (exit {got['exit_code']}): {got['stderr_tail']}")
        s = got["samples"]
        out[name] = {
            "exit_code": got["exit_code"],
            "wall_s": got["wall_s"],
            "cpu_s": got["children_cpu_total_s"],
            "peak_rss_mb": got["children_maxrss_mb"],
            "command_peak_rss_mb": _own_peak(got["stderr_tail"]),
            "files_per_s": n / got["wall_s"],
            "rss_mb_at_25_50_75_100pct": _quartiles(s, 1),
            "workers_rss_mb_at_25_50_75_100pct": _quartiles(s, 2),
            "rss_samples": s,
        }
    return out


def bench_reading(
    plan: Plan, period: Period, sizes: list[int], w: int, runs: int, tmp: Path
) -> list[dict[str, Any]]:
    """Reading + consolidation of N distinct returns against the calamine and openpyxl
    floors, each with ``w`` worker processes, interleaved."""
    reading = []
    for n in sizes:
        files = make_returns(plan, period, tmp, n)
        got = interleaved(
            {
                "ours": lambda files=files: consolidate_files(
                    plan, period, files, w, tmp / "c.xlsx"
                ),
                "calamine": lambda files=files: in_workers(_calamine_chunk, files, w),
                "openpyxl": lambda files=files: in_workers(_openpyxl_chunk, files, w),
            },
            runs,
        )
        ours, cal, opx = got["ours"], got["calamine"], got["openpyxl"]
        row = {
            "n": n,
            "ours_s": ours["wall_s"],
            "ours_cpu_s": ours["cpu_s"],
            "files_per_s": n / ours["wall_s"],
            "calamine_s": cal["wall_s"],
            "calamine_cpu_s": cal["cpu_s"],
            "openpyxl_ro_s": opx["wall_s"],
            "openpyxl_ro_cpu_s": opx["cpu_s"],
            "ratio_calamine": ours["wall_s"] / cal["wall_s"],
            "ratio_calamine_cpu": ours["cpu_s"] / cal["cpu_s"],
            "ratio_openpyxl": ours["wall_s"] / opx["wall_s"],
            "ratio_openpyxl_cpu": ours["cpu_s"] / opx["cpu_s"],
            "runs_ours": ours["runs_wall"],
        }
        if n == sizes[min(1, len(sizes) - 1)]:
            one = to_json(consolidate_files(plan, period, files, 1, tmp / "one.xlsx"))
            two = to_json(consolidate_files(plan, period, files, w, tmp / "two.xlsx"))
            row["identical_to_single_process"] = one == two
        row.update(peak_rss(n, tmp))
        reading.append(row)
        shutil.rmtree(tmp / f"returns-{n}")  # keep the disk small between sizes
    return reading


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="15,200,1000")
    ap.add_argument("--workers", type=int, default=2, help="for ours and for the floors")
    ap.add_argument(
        "--scale", default="", help="run only the CLI scale run, on N returns (N,N,...: each)"
    )
    ap.add_argument("--out", default="")
    ap.add_argument(
        "--only",
        choices=("all", "reading", "generation"),
        default="all",
        help="reading: only reading + consolidation and its floors (written to --out, or"
        " benchmarks/results-reading.json); generation: only generation, plan loading and"
        " the generate command (--out, or benchmarks/results-generation.json)",
    )
    ap.add_argument(
        "--commands", default="consolidate,ingest", help="with --scale: which commands to run"
    )
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    results: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "runs": args.runs,
        "workers": args.workers,
        "date": dt.date.today().isoformat(),
        "load_average_at_start": os.getloadavg(),
    }
    if args.scale:
        results["scale"] = []
        for n in (int(x) for x in args.scale.split(",")):
            load = os.getloadavg()
            with tempfile.TemporaryDirectory() as d:
                got = scale(n, args.workers, Path(d), tuple(args.commands.split(",")))
            got["load_average_before"] = load
            results["scale"].append(got)
            print_scale(got)
        out = Path(args.out or ROOT / "benchmarks" / "results-scale.json")
        out.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
        print(f"wrote {out}")
        return
    kosovo = load_plan(ROOT / "sample_plans" / "kosovo-2015-2019.yaml")
    q4_2019 = Period.parse("2019-Q4")
    w = args.workers
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.only == "reading":
            results["reading"] = bench_reading(kosovo, q4_2019, sizes, w, args.runs, tmp)
            finish(results, print_reading, args.out, "results-reading.json")
            return
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
        results["generate_command"] = bench_cli_generate(args.runs, w, tmp)
        if args.only == "generation":
            finish(results, print_generation, args.out, "results-generation.json")
            return
        results["reading"] = bench_reading(kosovo, q4_2019, sizes, w, args.runs, tmp)
        results["startup"] = startup(args.runs)
    finish(results, print_table, args.out, "results.json")


def finish(
    results: dict[str, Any], show: Callable[[dict[str, Any]], None], out: str, name: str
) -> None:
    """Record the load at the end, print the table and write the results to ``out``
    (--out), or else to benchmarks/``name``."""
    results["load_average_at_end"] = os.getloadavg()
    show(results)
    path = Path(out) if out else ROOT / "benchmarks" / name
    path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(f"wrote {path}")


def print_scale(got: dict[str, Any]) -> None:
    for name in ("consolidate", "ingest"):
        if name not in got:
            continue
        x = got[name]
        print(
            f"{name} of {got['n']} returns: exit {x['exit_code']}, {x['wall_s']:.1f} s wall,"
            f" {x['cpu_s']:.1f} s CPU, peak RSS {x['peak_rss_mb']:.0f} MB (the command's own"
            f" {x.get('command_peak_rss_mb') or 0:.0f} MB); RSS at 25/50/75/100 %"
            f" of the run {x['rss_mb_at_25_50_75_100pct']} MB, workers"
            f" {x['workers_rss_mb_at_25_50_75_100pct']} MB"
        )


def print_table(r: dict[str, Any]) -> None:
    print_generation(r)
    print_reading(r)
    s = r["startup"]
    print(
        f"\nStart-up: mne-workbook --help {s['help_s']:.3f}s, python -c pass "
        f"{s['python_pass_s']:.3f}s ({s['ratio']:.1f}x)"
    )


def print_generation(r: dict[str, Any]) -> None:
    print(
        f"\nmne-workbook benchmark ({r['machine']['cores']} cores, Python "
        f"{r['machine']['python']}; medians of {r['runs']} interleaved runs; "
        f"{r['workers']} workers for ours and the floors)\n"
    )
    print(
        "Generation                    indicators  workbooks  ours(s) cpu(s)  "
        "replay(s) cpu(s) ratio(wall/cpu)  minimal(s) cpu(s) ratio(wall/cpu)"
    )
    for g in r["generation"]:
        print(
            f"  {g['plan']:<28}{g['indicators']:>10}{g['workbooks']:>11}{g['ours_s']:>9.2f}"
            f"{g['ours_cpu_s']:>7.2f}{g['replay_floor_s']:>11.2f}{g['replay_floor_cpu_s']:>7.2f}"
            f"{g['ratio_replay']:>8.2f}x/{g['ratio_replay_cpu']:.2f}x"
            f"{g['floor_s']:>12.2f}{g['floor_cpu_s']:>7.2f}{g['ratio']:>8.2f}x/{g['ratio_cpu']:.2f}x"
        )
    print("  the same against a lean replay (collector paused, cycle broken, formulas memo):")
    for g in r["generation"]:
        print(
            f"  {g['plan']:<28}{'':>30}{g['replay_lean_s']:>11.2f}{g['replay_lean_cpu_s']:>7.2f}"
            f"{g['ratio_replay_lean']:>8.2f}x/{g['ratio_replay_lean_cpu']:.2f}x"
        )
    pl = r["plan_loading"]
    print(
        f"\nPlan loading: {pl['indicators']} indicators ({pl['mb']:.1f} MB of YAML): load_plan "
        f"{pl['ours_s']:.2f}s, bare libyaml load {pl['libyaml_load_s']:.2f}s ({pl['ratio']:.1f}x)"
    )
    c = r["generate_command"]
    runs = ", ".join(
        f"{k}: {v['wall_s']:.2f}s wall, {v['cpu_s']:.2f}s CPU"
        for k, v in c.items()
        if k.startswith("workers=")
    )
    print(f"\n`mne-workbook generate` on the {c['indicators']}-indicator plan: {runs}")


def print_reading(r: dict[str, Any]) -> None:
    print(
        "\nReading + consolidation  N  ours(s) cpu(s) files/s calamine(s) cpu(s) ratio(wall/cpu)"
        "  openpyxl-ro(s) cpu(s) ratio(wall/cpu)  parent MB child MB"
    )
    for x in r["reading"]:
        print(
            f"  {'':<19}{x['n']:>5}{x['ours_s']:>9.2f}{x['ours_cpu_s']:>7.2f}"
            f"{x['files_per_s']:>8.0f}{x['calamine_s']:>12.2f}{x['calamine_cpu_s']:>7.2f}"
            f"{x['ratio_calamine']:>8.1f}x/{x['ratio_calamine_cpu']:.1f}x"
            f"{x['openpyxl_ro_s']:>16.2f}{x['openpyxl_ro_cpu_s']:>7.2f}"
            f"{x['ratio_openpyxl']:>8.2f}x/{x['ratio_openpyxl_cpu']:.2f}x"
            f"{x['parent_mb']:>11.0f}{x['child_mb']:>9.0f}"
        )
    same = [
        x.get("identical_to_single_process")
        for x in r["reading"]
        if "identical_to_single_process" in x
    ]
    print(f"  pool result identical to a single process: {same}")


if __name__ == "__main__":
    main()
