"""Fill a generated workbook as an institution would (for demos, tests and benchmarks).

Cells are found through the same column model the reader uses: by the hidden column
ids and row keys, never by letter.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .layout import FIELD_ROW, FIRST_DATA_ROW, Kind, Owner, columns_for, rows_for, spans
from .layout import value_due as _value_due
from .locales import catalog
from .periods import Period
from .plan import Plan
from .signing import KeyRing
from .vocab import Measure

Entry = tuple[str, str, str]  # (activity code, indicator id or "", column id)


def fill_return(
    src: str | Path,
    dst: str | Path,
    entries: Mapping[Entry, object],
    saved_at: dt.datetime | None = None,
    arrived_at: dt.datetime | None = None,
) -> None:
    """Copy ``src`` to ``dst`` with ``entries`` written into their cells.

    ``saved_at`` sets the workbook's own last-saved time; ``arrived_at`` (default: the
    saved time) the file's modification time, i.e. when it reached the inbox."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    todo = dict(entries)
    for ws in wb.worksheets:
        if not re.fullmatch(r"SO\d+", ws.title):
            continue
        fields = {str(c.value): c.column for c in ws[FIELD_ROW + 1] if c.value}
        first_row: dict[str, int] = {}
        for r in range(FIRST_DATA_ROW + 1, ws.max_row + 1):
            act = ws.cell(r, fields["activity_key"]).value
            ind = ws.cell(r, fields["indicator_key"]).value or ""
            if act is None:
                continue
            first_row.setdefault(str(act), r)
            for (a, i, f), v in list(todo.items()):
                if a != act or f not in fields:
                    continue
                if i == ind or (i == "" and r == first_row[str(act)]):
                    ws.cell(r, fields[f]).value = v
                    del todo[(a, i, f)]
    if todo:
        raise KeyError(f"no cell for {sorted(todo)[:3]}")
    wb.save(dst)
    if saved_at is not None:
        set_saved_at(dst, saved_at)
    if (arrived_at or saved_at) is not None:
        set_arrived_at(dst, arrived_at or saved_at)


def set_arrived_at(path: str | Path, when: dt.datetime | None) -> None:
    """Set the file's modification time (a naive time is UTC), as the inbox would show it."""
    if when is None:
        return
    stamp = (when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when).timestamp()
    os.utime(path, (stamp, stamp))


def set_saved_at(path: str | Path, when: dt.datetime) -> None:
    """Set the workbook's last-saved time (docProps/core.xml), as a save at ``when`` would."""
    p = Path(path)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with tempfile.NamedTemporaryFile(delete=False, dir=p.parent, suffix=".xlsx") as fd:
        tmp = fd.name
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    data,
                )
            out.writestr(info, data)
    shutil.move(tmp, p)


def random_entries(
    plan: Plan,
    period: Period,
    institution: str,
    rng: random.Random,
    lang: str = "en",
    blank_share: float = 0.0,
) -> dict[Entry, object]:
    """Valid values for every open input of an institution's return."""
    cat = catalog(lang)
    columns = columns_for(plan, period)
    out: dict[Entry, object] = {}
    for so in plan.strategic_objectives:
        rows = rows_for(so, institution)
        for col in columns:
            if col.owner != Owner.CARRIER:
                continue
            for a, _b in spans(rows, col.span):
                r = rows[a]
                if rng.random() < blank_share:
                    continue
                act = r.activity.code
                if col.kind == Kind.VALUE:
                    ind = r.indicator
                    if ind is None or not _value_due(ind, col, period):
                        continue
                    out[(act, ind.id, col.field)] = _random_value(ind.measure, rng, cat)
                elif col.kind == Kind.STATUS:
                    out[(act, "", col.field)] = cat.entry("status", rng.randint(1, 4))
                elif (col.kind == Kind.RATING_HY and period.half_year_rating_due) or (
                    col.kind == Kind.RATING_Y and period.yearly_rating_due
                ):
                    out[(act, "", col.field)] = cat.entry("rating", rng.randint(1, 3))
                elif col.kind == Kind.COMMENT:
                    out[(act, "", col.field)] = f"Progress on {act} as planned."
    return out


def _random_value(measure: Measure, rng: random.Random, cat: object) -> object:
    if measure == Measure.NUMBER:
        return rng.randint(0, 500)
    if measure == Measure.PERCENTAGE:
        return round(rng.uniform(0, 100), 1)
    if measure == Measure.YES_NO:
        return catalog("en").yes_no()[rng.randint(0, 1)]
    return rng.choice(["On track", "Two sessions held", "Draft prepared"])


# --------------------------------------------------------------------------- realistic returns

_OPENINGS = (
    "In this quarter the {who} held {n} coordination meetings on {act}",
    "Work on {act} continued with {n} sessions organised together with municipal partners",
    "The {who} reports that {n} staff were trained under {act}",
    "Implementation of {act} was slower than planned",
    "Progress on {act} is in line with the action plan",
)
_MIDDLES = (
    "; the budget line for 2019 was released only in November",
    ", although two regional offices did not send their data in time",
    "; the joint working group with civil society met twice",
    ", and the materials were translated into Albanian and Serbian",
    "; one planned training was postponed because of the elections",
)
_ENDINGS = (
    ". We recommend that ONATC asks the Ministry of Finance to confirm the 2020 allocation.",
    ". Next quarter the remaining municipalities (Prizren, Gjilan/Gnjilane) will be covered.",
    ". Figures are provisional until the annual statistics are published in February.",
    ".",
    ". A revision of the indicator's target is proposed, as the baseline was underestimated.",
)


def realistic_comment(act: str, who: str, rng: random.Random) -> str:
    """A comment as a ministry writes one: 90-250 characters, with place names."""
    while True:
        text = (
            rng.choice(_OPENINGS).format(act=act, who=who, n=rng.randint(2, 14))
            + rng.choice(_MIDDLES)
            + rng.choice(_ENDINGS)
        )
        if 90 <= len(text) <= 250:
            return text


def realistic_entries(
    plan: Plan, period: Period, institution: str, rng: random.Random, lang: str = "en"
) -> dict[Entry, object]:
    """Every open input filled, with a 90-250 character comment on each activity."""
    cat = catalog(lang)
    out = random_entries(plan, period, institution, rng, lang)
    who = plan.institution(institution).short_name
    for (act, ind, fld), _v in list(out.items()):
        if fld == "comments":
            out[(act, ind, fld)] = realistic_comment(act, who, rng)
        elif fld == "status":  # most activities under way, some done, a few not started
            code = rng.choices([1, 2, 3, 4], weights=[1, 4, 3, 2])[0]
            out[(act, ind, fld)] = cat.entry("status", code)
        elif fld in ("rating_hy", "rating_y"):  # mostly on track, a few need revision
            out[(act, ind, fld)] = cat.entry(
                "rating", rng.choices([1, 2, 3], weights=[15, 4, 1])[0]
            )
    return out


@dataclass(frozen=True)
class RealisticCase:
    """The meeting-pack case: generated workbooks, the returns, who did not send one."""

    plan: Plan
    period: Period
    generated: Path
    returns: Path
    missing: tuple[str, ...]
    comments: dict[tuple[str, str], str]  # (institution, activity) -> typed comment


def realistic_case(
    plan_path: str | Path,
    period_label: str,
    out_dir: str | Path,
    missing: tuple[str, ...] = ("moh", "mfa"),
    seed: int = 2019,
    keys: KeyRing | None = None,
) -> RealisticCase:
    """Generate a period's workbooks and fill them as every carrier but ``missing`` would.

    Returns are saved on time except the police's (three days late). Used by the
    legibility tests, ``make docs-png`` and ``scripts/meeting_pack.py``.
    """
    from .generate import generate
    from .plan import load_plan

    plan = load_plan(plan_path)
    period = Period.parse(period_label)
    out = Path(out_dir)
    generated, returns = out / "generated", out / "returns"
    returns.mkdir(parents=True, exist_ok=True)
    sent_out = dt.datetime.combine(period.end, dt.time(9, 0), dt.UTC) - dt.timedelta(days=10)
    made = generate(
        plan, period, generated, master=False, overwrite=True, keys=keys, generated_at=sent_out
    )
    rng = random.Random(seed)
    due = period.due_date(plan.reporting.grace_days)
    comments: dict[tuple[str, str], str] = {}
    for wbk in made:
        inst = wbk.institution
        if not inst or inst in missing:
            continue
        entries = realistic_entries(plan, period, inst, rng)
        for (act, _i, fld), v in entries.items():
            if fld == "comments":
                comments[(inst, act)] = str(v)
        late = 3 if inst == "kp" else -2
        saved = dt.datetime.combine(due, dt.time(11, 0)) + dt.timedelta(days=late)
        target = returns / Path(wbk.path).name
        fill_return(wbk.path, target, entries, saved)
        stamp = saved.replace(tzinfo=dt.UTC).timestamp()
        os.utime(target, (stamp, stamp))  # arrived in the inbox when saved
    return RealisticCase(plan, period, generated, returns, missing, comments)
