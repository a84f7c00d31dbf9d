"""Generate a period's workbooks: one per carrier institution plus ONATC's master.

Files are written atomically (temporary file, then rename) and never overwritten
unless asked; a manifest lists what was written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from . import __version__
from .atomic import atomic_write
from .errors import Location, UsageError, fail
from .forked import run_jobs
from .identity import KIND_INSTITUTION, KIND_MASTER, Identity
from .layout import columns_for, content_records
from .locales import SUPPORTED, catalog
from .periods import Period
from .plan import Institution, Plan, paused_gc
from .signing import KeyRing, content_digest, key_id, sign
from .writer import SheetStats, write_workbook


@dataclass(frozen=True)
class GeneratedWorkbook:
    path: Path
    kind: str  # "institution" or "master"
    institution: str  # id; "" for the master
    period: str
    sha256: str
    activities: int
    indicators: int
    sheets: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["path"] = self.path.name
        d["sheets"] = list(self.sheets)
        return d


def manifest_name(period: Period) -> str:
    return f"manifest_{period.label}.json"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def file_names(plan: Plan, period: Period, institutions: Iterable[Institution]) -> dict[str, str]:
    """Predictable, unique file names: short name + period (``KP_2026-Q2.xlsx``)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for inst in institutions:
        name = f"{_safe(inst.short_name)}_{period.label}.xlsx"
        if name.lower() in used:
            name = f"{_safe(inst.short_name)}-{_safe(inst.id)}_{period.label}.xlsx"
        used.add(name.lower())
        names[inst.id] = name
    names[""] = f"MASTER_{_safe(plan.id)}_{period.label}.xlsx"
    return names


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(plan: Plan, inst: Institution | None) -> int:
    """About how long a workbook takes to write: its indicators (the master: all)."""
    return sum(
        len(ref.activity.indicators)
        for ref in plan.iter_activities()
        if inst is None or inst.id in ref.activity.carriers
    )


def generate(
    plan: Plan,
    period: Period,
    out_dir: str | Path,
    institutions: Iterable[str] | None = None,
    lang: str | None = None,
    password: str | None = None,
    overwrite: bool = False,
    generated_at: dt.datetime | None = None,
    master: bool = True,
    keys: KeyRing | None = None,
    workers: int = 1,
) -> list[GeneratedWorkbook]:
    """Write the period's workbooks into ``out_dir`` and return what was written.

    ``institutions`` limits the institution workbooks to those ids (the master is
    still written unless ``master`` is false). With ``keys``, every workbook is signed
    with the ring's current key (see :mod:`signing`). ``workers`` > 1 writes them in
    that many forked processes (:mod:`forked`; here, one after another, when called
    from a thread): the same files, byte for byte.
    """
    lang = lang or plan.languages[0]
    if lang not in SUPPORTED:
        raise fail(
            UsageError,
            "usage-error",
            f"language {lang!r} is not supported ({', '.join(SUPPORTED)})",
            Location(path="--lang"),
        )
    cat = catalog(lang)
    carriers = plan.carriers()
    if institutions is not None:
        wanted = list(dict.fromkeys(institutions))
        known = {i.id for i in plan.institutions}
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise fail(
                UsageError,
                "unknown-institution",
                f"no institution {', '.join(map(repr, unknown))} in the plan; known:"
                f" {', '.join(sorted(known))}",
                Location(path="--institution"),
            )
        carriers = [plan.institution(i) for i in wanted]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = file_names(plan, period, plan.institutions)
    targets: list[tuple[Institution | None, Path]] = [(i, out / names[i.id]) for i in carriers]
    if master:
        targets.append((None, out / names[""]))
    if not overwrite:
        existing = [p for _, p in targets if p.exists()]
        if existing:
            raise fail(
                UsageError,
                "output-exists",
                f"{len(existing)} file(s) already exist, e.g. {existing[0]}",
                Location(file=str(existing[0])),
            )
    stamp = (generated_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    columns = columns_for(plan, period)  # the same for every workbook of the period
    shown: dict[tuple[str, int, int, int], str] = {}  # plan cells' texts, for every signature
    fingerprint = plan.fingerprint  # computed once, before any worker is forked

    def make(k: int) -> GeneratedWorkbook:
        inst, target = targets[k]
        identity = Identity(
            plan_id=plan.id,
            plan_version=plan.version,
            plan_fingerprint=fingerprint,
            kind=KIND_MASTER if inst is None else KIND_INSTITUTION,
            institution=inst.id if inst else "",
            period=period.label,
            language=lang,
            generator_version=__version__,
            generated_at=stamp.isoformat().replace("+00:00", "Z"),
        )
        if keys is not None:
            identity = replace(identity, key_id=key_id(keys.current))
            digest = content_digest(
                content_records(plan, period, identity.institution or None, cat, columns, shown)
            )
            identity = replace(
                identity, signature=sign(keys.current, identity.signed_pairs(), digest)
            )

        def write(tmp: Path) -> SheetStats:
            return write_workbook(plan, period, tmp, identity, cat, inst, password, columns)

        stats = atomic_write(target, write)
        return GeneratedWorkbook(
            path=target,
            kind=identity.kind,
            institution=identity.institution,
            period=period.label,
            sha256=_sha256(target),
            activities=len(stats.activities),
            indicators=len(stats.indicators),
            sheets=tuple(stats.sheets),
        )

    order = list(range(len(targets)))
    if workers > 1:  # the longest first, so that no worker is left with the master alone
        order.sort(key=lambda k: -_rows(plan, targets[k][0]))
    with paused_gc():  # workbooks hold no cycles (writer._release): no collector passes
        made = run_jobs(order, make, workers)
    results = [made[k] for k in range(len(targets))]
    manifest_path = out / manifest_name(period)
    previous: list[dict[str, object]] = []
    if manifest_path.exists():  # keep entries of files written by an earlier run
        try:
            previous = json.loads(manifest_path.read_text("utf-8")).get("files", [])
        except (ValueError, AttributeError):
            previous = []
    written = {r.path.name for r in results}
    files = [f for f in previous if f.get("path") not in written]
    files += [r.to_dict() for r in results]
    manifest = {
        "plan_id": plan.id,
        "plan_version": plan.version,
        "plan_fingerprint": plan.fingerprint,
        "period": period.label,
        "due_date": period.due_date(plan.reporting.grace_days).isoformat(),
        "language": lang,
        "generated_at": stamp.isoformat().replace("+00:00", "Z"),
        "generator_version": __version__,
        "files": files,
    }
    atomic_write(
        manifest_path, lambda p: p.write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    )
    return results
