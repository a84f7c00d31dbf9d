"""Outputs of a consolidation: the print-ready workbook, JSON, CSV, and PDF.

Every string that came from a returned file is written as a string: never as a
formula, hyperlink or number-guess (xlsxwriter's conversions are off and each cell
is written by type). CSV cells that a spreadsheet would run as a formula get a
leading apostrophe, as OWASP recommends.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from .arrival import SOURCE_TEXT, Source, arrival_of, arrived_by, show
from .consolidate import Consolidation, Flag
from .errors import CATALOG, Location, UsageError, fail
from .locales import catalog
from .vocab import Status

PAPER_A3 = 8
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Neutralise a string a spreadsheet could treat as a formula (CSV injection).

    Besides OWASP's leading ``= + - @``, tab and CR, a trigger after leading white
    space counts too: some importers strip it.
    """
    if isinstance(value, str) and (
        value.startswith(FORMULA_TRIGGERS) or value.lstrip().startswith(FORMULA_TRIGGERS)
    ):
        return "'" + value
    return value


def code_text(vocab: str, code: int | None) -> str:
    return catalog("en").entry(vocab, code) if code is not None else ""


def put_cell(ws: Worksheet, r: int, c: int, value: object, fmt: Any = None) -> None:
    if value is None or value == "":
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(r, c, "Yes" if value else "No", fmt)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def print_setup(
    ws: Worksheet, title: str, header_rows: int, last_col: int, last_row: int, as_of: dt.date
) -> None:
    ws.set_landscape()
    ws.set_paper(PAPER_A3)
    ws.fit_to_pages(1, 0)
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)
    ws.print_area(0, 0, max(last_row, 0), last_col)
    ws.set_header(f"&L{_hf(title)}&R{_hf(as_of.isoformat())}")
    ws.set_footer("&LPrinted &D&CPage &P of &N&R&A")
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.7)


def _hf(text: str) -> str:
    return text.replace("&", "&&")[:100]


def write_consolidated(con: Consolidation, path: str | Path) -> Path:
    """Write the consolidated workbook atomically; returns its path."""
    from .generate import atomic_write

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda tmp: _write(con, tmp))
    return target


def new_workbook(path: Path) -> Any:
    """An xlsxwriter workbook that never turns a string into a formula, link or number."""
    return xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )


def formats(wb: Any) -> dict[str, Any]:
    """The cell formats of the consolidated and yearly workbooks."""
    return {
        "title": wb.add_format({"bold": True, "font_size": 14, "font_color": "#1F3864"}),
        "h": wb.add_format(
            {
                "bold": True,
                "bg_color": "#D9D9D9",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
                "font_size": 9,
            }
        ),
        "cell": wb.add_format(
            {
                "border": 1,
                "text_wrap": True,
                "valign": "top",
                "font_size": 9,
                "border_color": "#A6A6A6",
            }
        ),
        "pct": wb.add_format({"border": 1, "num_format": "0.0", "font_size": 9}),
        "warn": wb.add_format(
            {
                "border": 1,
                "text_wrap": True,
                "valign": "top",
                "font_size": 9,
                "bg_color": "#FFEB9C",
            }
        ),
        "err": wb.add_format(
            {
                "border": 1,
                "text_wrap": True,
                "valign": "top",
                "font_size": 9,
                "bg_color": "#FFC7CE",
            }
        ),
        "label": wb.add_format({"bold": True}),
    }


def _write(con: Consolidation, path: Path) -> None:
    wb = new_workbook(path)
    try:
        f = formats(wb)
        wb.set_properties(
            {
                "title": f"{con.plan.title} - {con.period.label} (consolidated)",
                "author": "mne-workbook",
            }
        )
        _summary(wb, con, f)
        for so in con.plan.strategic_objectives:
            _so_matrix(wb, con, so.code, so.title, f)
        _flags_sheet(wb, con, f)
        _submissions_sheet(wb, con, f)
    finally:
        wb.close()


def table(
    ws: Worksheet,
    r0: int,
    headers: list[str],
    rows: list[list[Any]],
    f: dict[str, Any],
    widths: list[float] | None = None,
) -> int:
    for c, h in enumerate(headers):
        ws.write_string(r0, c, h, f["h"])
        if widths:
            ws.set_column(c, c, widths[c])
    for i, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            put_cell(ws, r0 + i, c, v, f["pct"] if isinstance(v, float) else f["cell"])
    return r0 + len(rows)


def _summary(wb: Any, con: Consolidation, f: dict[str, Any]) -> None:
    ws = wb.add_worksheet("Summary")
    ws.set_column(0, 0, 34)
    ws.set_column(1, 8, 14)
    ws.write_string(0, 0, f"Consolidated M&E matrix: {con.plan.title}", f["title"])
    facts = [
        ("Reporting period", f"{con.period.label} ({con.period.start} to {con.period.end})"),
        ("Returns due", con.due_date.isoformat()),
        ("As of", con.as_of.isoformat()),
        ("Plan version", f"{con.plan.version} ({con.plan.fingerprint})"),
    ]
    for i, (k, v) in enumerate(facts, start=2):
        ws.write_string(i, 0, k, f["label"])
        ws.write_string(i, 1, v)
    r = 7
    ws.write_string(r, 0, "Returns received and on time", f["label"])
    rates = [
        [
            x.name,
            x.expected,
            x.received,
            x.on_time,
            x.file,
            x.arrived_at[:10],  # the day (ONATC's time); the Submissions sheet has the rest
        ]
        for x in con.rates
    ]
    o = con.overall
    rates.append(["All institutions", o.expected, o.received, o.on_time, "", ""])
    heads = ["Institution", "Expected", "Received", "On time (arrived)", "File", "Arrived"]
    end = table(ws, r + 1, heads, rates, f)
    ws.write_string(end + 1, 0, "Reporting rate (%)", f["label"])
    put_cell(ws, end + 1, 1, round(o.reporting_rate or 0.0, 1), f["pct"])
    ws.write_string(end + 2, 0, "On-time rate (%)", f["label"])
    put_cell(ws, end + 2, 1, round(o.on_time_rate or 0.0, 1), f["pct"])

    # status of the activities per strategic objective (combined status)
    r = end + 4
    ws.write_string(r, 0, "Status of the activities (combined over carriers)", f["label"])
    statuses = [int(s) for s in Status]
    heads = ["Strategic objective"] + [code_text("status", s) for s in statuses] + ["Not reported"]
    rows = []
    for so in con.plan.strategic_objectives:
        counts = dict.fromkeys([*statuses, None], 0)
        seen = set()
        for row in con.rows:
            if row["so"] == so.code and row["activity"] not in seen:
                seen.add(row["activity"])
                counts[row["combined_status"]] += 1
        rows.append([so.code, *[counts[s] for s in statuses], counts[None]])
    status_top = r + 1
    status_end = table(ws, status_top, heads, rows, f)
    chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
    for c in range(1, len(heads)):
        chart.add_series(
            {
                "name": ["Summary", status_top, c],
                "categories": ["Summary", status_top + 1, 0, status_end, 0],
                "values": ["Summary", status_top + 1, c, status_end, c],
                "data_labels": {"value": True},
            }
        )
    chart.set_title({"name": "Activities by status"})
    chart.set_size({"width": 620, "height": 300})
    ws.insert_chart(7, 7, chart)

    # ratings given in the returns
    r = status_end + 2
    ws.write_string(r, 0, "Ratings given (activities)", f["label"])
    rating_rows = []
    for label, key in (("Half-year (HY)", "rating_hy"), ("Yearly (Y)", "rating_y")):
        counts = {1: 0, 2: 0, 3: 0}
        for sub in con.used.values():
            for rep in sub.activities.values():
                v = getattr(rep, key)
                if v in counts:
                    counts[v] += 1
        rating_rows.append([label, counts[1], counts[2], counts[3]])
    rating_top = r + 1
    rating_end = table(
        ws, rating_top, ["Rating", *(code_text("rating", i) for i in (1, 2, 3))], rating_rows, f
    )
    chart = wb.add_chart({"type": "column"})
    colours = ["#63BE7B", "#FFD966", "#F8696B"]
    for c in range(1, 4):
        chart.add_series(
            {
                "name": ["Summary", rating_top, c],
                "categories": ["Summary", rating_top + 1, 0, rating_end, 0],
                "values": ["Summary", rating_top + 1, c, rating_end, c],
                "fill": {"color": colours[c - 1]},
                "data_labels": {"value": True},
            }
        )
    chart.set_title({"name": "Ratings"})
    chart.set_size({"width": 620, "height": 260})
    ws.insert_chart(24, 7, chart)

    # flags by code
    r = rating_end + 2
    ws.write_string(r, 0, "Flags by code", f["label"])
    flag_rows = [
        [code, str(CATALOG[code].severity), n, CATALOG[code].title]
        for code, n in con.flags_by_code().items()
    ]
    flag_top = r + 1
    flag_end = table(ws, flag_top, ["Code", "Severity", "Count", "Meaning"], flag_rows, f)
    if flag_rows:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "Flags",
                "categories": ["Summary", flag_top + 1, 0, flag_end, 0],
                "values": ["Summary", flag_top + 1, 2, flag_end, 2],
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": "Flags by code"})
        chart.set_legend({"none": True})
        chart.set_size({"width": 620, "height": max(220, 24 * len(flag_rows))})
        ws.insert_chart(39, 7, chart)
    end = flag_end
    if con.history is not None:
        end = _history_tables(wb, ws, con.history, flag_end + 2, f)
    print_setup(ws, "Summary", 0, 16, max(end, 60), con.as_of)


def _history_tables(wb: Any, ws: Worksheet, hist: Any, r: int, f: dict[str, Any]) -> int:
    """Trends over the stored periods and progress against targets (from the store)."""
    ws.write_string(r, 0, "Trends over the periods", f["label"])
    statuses = [int(s) for s in Status]
    heads = [
        "Period",
        "Received",
        "Expected",
        "On time",
        *[code_text("status", s) for s in statuses],
        "Not reported",
        "HY 1",
        "HY 2",
        "HY 3",
        "Y 1",
        "Y 2",
        "Y 3",
    ]
    rows = [
        [
            t.period,
            t.received,
            t.expected,
            t.on_time,
            *[t.statuses.get(s, 0) for s in statuses],
            t.statuses.get(None, 0),
            t.ratings_hy[1],
            t.ratings_hy[2],
            t.ratings_hy[3],
            t.ratings_y[1],
            t.ratings_y[2],
            t.ratings_y[3],
        ]
        for t in hist.trends
    ]
    top = r + 1
    end = table(ws, top, heads, rows, f)
    if rows:
        chart = wb.add_chart({"type": "column", "subtype": "stacked"})
        for c in range(4, 4 + len(statuses) + 1):
            chart.add_series(
                {
                    "name": ["Summary", top, c],
                    "categories": ["Summary", top + 1, 0, end, 0],
                    "values": ["Summary", top + 1, c, end, c],
                }
            )
        chart.set_title({"name": "Activities by status over the periods"})
        chart.set_size({"width": 620, "height": 300})
        ws.insert_chart(top, 17, chart)
    r = end + 2
    ws.write_string(
        r, 0, "Progress against targets: (actual - baseline) / (target - baseline)", f["label"]
    )
    rows = [
        [
            p.activity,
            p.indicator,
            p.baseline,
            p.target,
            p.actual,
            p.last_period,
            round(100 * p.progress, 1) if p.progress is not None else None,
        ]
        for p in hist.progress
    ]
    return table(
        ws,
        r + 1,
        ["Activity", "Indicator", "Baseline", "Target", "Actual", "Last reported", "Progress (%)"],
        rows,
        f,
    )


def _flag_index(flags: list[Flag]) -> dict[tuple[str, str, str, str], list[Flag]]:
    out: dict[tuple[str, str, str, str], list[Flag]] = {}
    for fl in flags:
        out.setdefault((fl.institution, fl.activity, fl.indicator, fl.field), []).append(fl)
    return out


def _so_matrix(wb: Any, con: Consolidation, code: str, title: str, f: dict[str, Any]) -> None:
    ws = wb.add_worksheet(code)
    points = con.value_points
    heads = [
        "Specific objective",
        "Activity",
        "Expected result",
        "Indicator",
        "Baseline",
        "Target",
        "Institution",
        *[f"Value {p}" for p in points],
        "Status",
        "Combined status",
        "Rating HY",
        "Rating Y",
        "Comments and recommendations",
        "Flags",
    ]
    widths = [10, 34, 26, 34, 10, 10, 12, *[10] * len(points), 16, 16, 14, 14, 34, 22]
    ws.merge_range(0, 0, 0, len(heads) - 1, "", f["title"])
    ws.write_string(0, 0, f"{code}  {title}", f["title"])
    ws.set_row(0, 30)
    for c, h in enumerate(heads):
        ws.write_string(1, c, h, f["h"])
        ws.set_column(c, c, widths[c])
    index = _flag_index(con.flags)
    names = {i.id: i.short_name for i in con.plan.institutions}
    r = 2
    for row in (x for x in con.rows if x["so"] == code):
        inst = row["institution"]
        keyed = {
            fld: index.get(
                (inst, row["activity"], row["indicator"] if fld.startswith("value") else "", fld),
                [],
            )
            for fld in [
                "status",
                "rating_hy",
                "rating_y",
                "comments",
                *[f"value {p}" for p in points],
            ]
        }
        row_flags = [fl for fls in keyed.values() for fl in fls]

        def fmt(fld: str, keyed: dict[str, list[Flag]] = keyed) -> Any:
            fls = keyed.get(fld, [])
            if not fls:
                return f["cell"]
            return f["err"] if any(str(x.severity) == "error" for x in fls) else f["warn"]

        cells: list[tuple[object, Any]] = [
            (row["specific_objective"], f["cell"]),
            (f"{row['activity']} {row['activity_title']}", f["cell"]),
            (row["expected_result"], f["cell"]),
            (f"{row['indicator']} {row['indicator_text']}".strip(), f["cell"]),
            (row["baseline"], f["cell"]),
            (row["target"], f["cell"]),
            (names.get(inst, inst), f["cell"] if row["received"] else f["warn"]),
        ]
        for p in points:
            cells.append((row[f"value {p}"], fmt(f"value {p}") if row[f"due {p}"] else f["cell"]))
        cells += [
            (code_text("status", row["status"]), fmt("status")),
            (code_text("status", row["combined_status"]), f["cell"]),
            (code_text("rating", row["rating_hy"]), fmt("rating_hy")),
            (code_text("rating", row["rating_y"]), fmt("rating_y")),
            (row["comment"], fmt("comments")),
            (", ".join(sorted({x.code for x in row_flags})), f["cell"]),
        ]
        for c, (v, cf) in enumerate(cells):
            put_cell(ws, r, c, v, cf)
        r += 1
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, max(r - 1, 1), len(heads) - 1)
    print_setup(ws, f"{con.plan.title} - {con.period.label}", 2, len(heads) - 1, r - 1, con.as_of)


def _flags_sheet(wb: Any, con: Consolidation, f: dict[str, Any]) -> None:
    ws = wb.add_worksheet("Flags")
    heads = [
        "Code",
        "Severity",
        "Institution",
        "SO",
        "Activity",
        "Indicator",
        "Field",
        "Message",
        "File",
        "Cell",
    ]
    widths = [22, 9, 12, 6, 9, 11, 14, 70, 28, 12]
    data = [
        [
            fl.code,
            str(fl.severity),
            fl.institution,
            fl.so,
            fl.activity,
            fl.indicator,
            fl.field,
            fl.message,
            fl.file,
            fl.cell,
        ]
        for fl in con.flags
    ]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    if data:
        ws.add_table(
            0,
            0,
            len(data),
            len(heads) - 1,
            {
                "columns": [{"header": h} for h in heads],
                "style": "Table Style Light 9",
                "autofilter": True,
            },
        )
        for i, row in enumerate(data, start=1):
            for c, v in enumerate(row):
                put_cell(ws, i, c, v, f["cell"])
    else:
        for c, h in enumerate(heads):
            ws.write_string(0, c, h, f["h"])
    ws.freeze_panes(1, 0)
    print_setup(ws, "Flags", 1, len(heads) - 1, len(data), con.as_of)


def _submissions_sheet(wb: Any, con: Consolidation, f: dict[str, Any]) -> None:
    ws = wb.add_worksheet("Submissions")
    heads = [
        "File",
        "SHA-256",
        "Institution",
        "Period",
        "Arrived at",
        "Arrival from",
        "Saved at",
        "On time",
        "Sender",
        "Status",
        "Problems",
        "First problem",
    ]
    rows = submission_rows(con)
    widths: list[float] = [34, 20, 12, 9, 17, 24, 17, 8, 24, 24, 9, 60]
    table(ws, 0, heads, [[r[h] for h in heads] for r in rows], f, widths)
    ws.freeze_panes(1, 0)
    print_setup(ws, "Submissions", 1, len(heads) - 1, len(rows), con.as_of)


def arrived_text(at: str, source: str) -> str:
    """An arrival time with where it came from, for a table cell."""
    return f"{at} ({SOURCE_TEXT[Source(source)]})" if at else ""


def submission_rows(con: Consolidation) -> list[dict[str, Any]]:
    out = []
    used = {id(s) for s in con.used.values()}
    for s in con.submissions:
        first = s.refusal() or next(
            (p for p in s.problems if str(p.severity) == "error"),
            s.problems[0] if s.problems else None,
        )
        if s.refused:
            state = "refused"
        elif id(s) in used:
            state = "used"
        else:
            state = con.notes.get(s.path, "not used")
        arrived = arrival_of(s)
        on_time = ""
        if arrived is not None and not s.refused:
            on_time = "yes" if arrived_by(s, con.due_date) else "no"
        out.append(
            {
                "File": s.name,
                "SHA-256": s.sha256,
                "Institution": s.institution or "",
                "Period": s.identity.period if s.identity else "",
                "Arrived at": show(arrived.at) if arrived else "",
                "Arrival from": SOURCE_TEXT[arrived.source] if arrived else "",
                "Saved at": show(s.saved_at),
                "On time": on_time,
                "Sender": s.sender,
                "Subject": s.subject,
                "Status": state,
                "Problems": len(s.problems),
                "First problem": f"[{first.code}] {first.message}" if first else "",
            }
        )
    return out


# --------------------------------------------------------------------------- data exports


def _jsonable(v: object) -> object:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if isinstance(v, float) and v != v:  # NaN
        return None
    return v


def to_json(con: Consolidation) -> dict[str, Any]:
    o = con.overall
    return {
        "plan": {
            "id": con.plan.id,
            "version": con.plan.version,
            "fingerprint": con.plan.fingerprint,
        },
        "period": con.period.label,
        "due_date": con.due_date.isoformat(),
        "as_of": con.as_of.isoformat(),
        "reporting": {
            "expected": o.expected,
            "received": o.received,
            "on_time": o.on_time,
            "reporting_rate": o.reporting_rate,
            "on_time_rate": o.on_time_rate,
            "institutions": [
                {
                    "institution": r.institution,
                    "name": r.name,
                    "expected": r.expected,
                    "received": r.received,
                    "on_time": r.on_time,
                    "file": r.file,
                    "saved_at": r.saved_at,
                    "arrived_at": r.arrived_at,
                    "arrival_source": r.arrival_source,
                }
                for r in con.rates
            ],
        },
        "flags_by_code": con.flags_by_code(),
        "flags": [fl.to_dict() for fl in con.flags],
        "submissions": submission_rows(con),
        "matrix": [{k: _jsonable(v) for k, v in row.items()} for row in con.rows],
    }


def json_text(con: Consolidation) -> str:
    return json.dumps(to_json(con), indent=2, ensure_ascii=False)


def write_json(con: Consolidation, target: str | Path) -> Path:
    from .generate import atomic_write

    text = json_text(con)
    p = Path(target)
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(p, lambda tmp: tmp.write_text(text + "\n", "utf-8"))
    return p


def write_csv(con: Consolidation, out_dir: str | Path) -> list[Path]:
    """matrix.csv, flags.csv, submissions.csv and reporting.csv, injection-safe."""
    from .generate import atomic_write

    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    tables = {
        "matrix.csv": con.rows,
        "flags.csv": [fl.to_dict() for fl in con.flags],
        "submissions.csv": submission_rows(con),
        "reporting.csv": to_json(con)["reporting"]["institutions"],
    }
    written = []
    for name, rows in tables.items():

        def write(tmp: Path, rows: list[dict[str, Any]] = rows) -> None:
            with tmp.open("w", newline="", encoding="utf-8") as fh:
                if not rows:
                    return
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                for row in rows:
                    w.writerow({k: csv_safe(_jsonable(v)) for k, v in row.items()})

        atomic_write(d / name, write)
        written.append(d / name)
    return written


def to_pdf(xlsx: str | Path, out_dir: str | Path | None = None) -> Path:
    """Print a workbook to PDF with LibreOffice (raises UsageError when it is missing)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    src = Path(xlsx)
    if soffice is None:
        raise fail(
            UsageError, "libreoffice-missing", "no soffice on the PATH", Location(path="--pdf")
        )
    out = Path(out_dir) if out_dir else src.parent
    with tempfile.TemporaryDirectory() as profile, tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation=file://{profile}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    str(src),
                ],
                check=True,
                capture_output=True,
                timeout=300,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            raise fail(UsageError, "pdf-failed", str(exc)[:200], Location(file=str(src))) from None
        made = Path(tmp) / f"{src.stem}.pdf"
        if not made.exists():
            raise fail(
                UsageError, "pdf-failed", "LibreOffice wrote no PDF", Location(file=str(src))
            )
        target = out / made.name
        shutil.move(str(made), target)
    return target
