"""Long sheets written out as they grow (``streamed_sheet``) are the same bytes as
xlsxwriter's normal sheets: shared strings, row spans, style numbers given in the order
of the cells across the whole workbook; and a cell written to a row already written out
is refused, never lost."""

from __future__ import annotations

import datetime as dt
import enum
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memreturns import Q3, at, ret, small_plan
from pack_reference import put_cell
from xlsxwriter.worksheet import Worksheet

import mne_workbook.report as report
from mne_workbook.consolidate import consolidate
from mne_workbook.streamed_sheet import StreamedSheet


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def _book(path: Path, sheet_class: Any) -> None:
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True})
    italic = wb.add_format({"italic": True})
    number = wb.add_format({"num_format": "0.0", "bg_color": "#FFEEEE"})
    wrap = wb.add_format({"text_wrap": True})
    one = wb.add_worksheet("One")
    one.write_string(0, 0, "first", italic)
    long = wb.add_worksheet("Long", worksheet_class=sheet_class)
    long.set_column(0, 3, 20)
    long.write_string(0, 0, "heading", wrap)  # a format used first here, not in One
    for r in range(1, 333):
        long.write_string(r, 0, f"row {r} " * (r % 4), bold if r % 3 else number)
        if r % 7:
            long.write_number(r, 1 + r % 4, r * 1.25, italic)  # rows of different widths
        if r % 11 == 0:
            long.write_blank(r, 6, None, number)
        if r % 5:
            long.set_row(r, 15 + r % 9)
    long.freeze_panes(1, 0)
    long.autofilter(0, 0, 332, 6)
    last = wb.add_worksheet("Last")
    last.write_string(0, 0, "end", wb.add_format({"underline": True}))
    last.write_string(1, 0, "row 5 row 5 ", bold)  # a shared string seen before
    wb.close()


def test_the_same_bytes_as_a_normal_sheet(tmp_path: Path) -> None:
    _book(tmp_path / "normal.xlsx", Worksheet)
    _book(tmp_path / "streamed.xlsx", StreamedSheet)
    normal, streamed = parts(tmp_path / "normal.xlsx"), parts(tmp_path / "streamed.xlsx")
    assert b'spans="' in normal["xl/worksheets/sheet2.xml"]
    assert streamed == normal


def test_rows_are_written_out_as_the_table_grows(tmp_path: Path) -> None:
    wb = xlsxwriter.Workbook(str(tmp_path / "w.xlsx"))
    ws = wb.add_worksheet("Long", worksheet_class=StreamedSheet)
    for r in range(200):
        ws.write_number(r, 0, r)
    assert len(ws.table) < 100  # the finished blocks left memory
    with pytest.raises(ValueError, match="row 3 was already written out"):
        ws.write_string(2, 0, "late")  # refused, never silently lost
    ws.write_string(199, 1, "same row: fine")
    wb.close()


def test_the_pack_is_the_same_with_and_without_streamed_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = small_plan()
    base = at("2026-10-01")
    subs = [
        ret(
            plan,
            "kp",
            f"kp-{k:03d}.xlsx",
            values={("A1.1.1", "I1", dt.date(2026, 7, 31)): k},
            acts={"A1.1.1": {"status": 1 + k % 3, "comment": f"note {k}"}},
            arrived=base + dt.timedelta(minutes=k),
        )
        for k in range(150)
    ]
    con = consolidate(plan, subs, Q3, dt.date(2026, 11, 1))
    assert len(con.flags) > 150 and len(con.submissions) == 150
    report.write_consolidated(con, tmp_path / "streamed.xlsx")
    monkeypatch.setattr(report, "StreamedSheet", Worksheet)
    report.write_consolidated(con, tmp_path / "normal.xlsx")
    assert parts(tmp_path / "streamed.xlsx") == parts(tmp_path / "normal.xlsx")


class Level(enum.IntEnum):
    LOW = 1


_VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(Level.LOW),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.text(max_size=40),
    st.sampled_from(["=1+2", "<b>&amp;</b>", "_x0000_", "\x00\x1f", "x" * 17_000, " pad "]),
)


def _rows_book(path: Path, rows: list[list[tuple[object, int | None]]], streamed: bool) -> str:
    """A workbook with a table written row by row: given whole (``put_row``) to a
    streamed sheet, or cell by cell (``put_cell``) to a normal one; "" or the error."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    styles = [wb.add_format({"bold": True}), wb.add_format({"num_format": "0.0"})]
    wb.add_worksheet("Before").write_string(0, 0, "first", styles[1])
    ws = wb.add_worksheet("T", worksheet_class=StreamedSheet if streamed else Worksheet)
    ws.write_string(0, 1, "heading", wb.add_format({"italic": True}))
    try:
        for r, row in enumerate(rows, start=1):
            cells = [(v, None if s is None else styles[s]) for v, s in row]
            height = 15.0 + r % 5 * 7.5 if r % 3 else None
            if streamed:
                ws.put_row(r, r % 2, cells, height)
            else:
                for c, (v, fmt) in enumerate(cells, start=r % 2):
                    put_cell(ws, r, c, v, fmt)
                if height is not None:
                    ws.set_row(r, height)
    except (TypeError, ValueError, OverflowError) as exc:
        return type(exc).__name__
    finally:
        wb.close()
    return ""


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.tuples(_VALUES, st.sampled_from([0, 1, None])), max_size=6),
        max_size=150,
    )
)
def test_rows_given_whole_are_the_bytes_of_cells_written_one_by_one(
    tmp_path: Path, rows: list[list[tuple[object, int | None]]]
) -> None:
    """Any values (texts, numbers of every size, NaN and infinities, bools, an enum,
    dates, blanks, cells without format) and rows of any width: ``put_row`` gives the
    bytes of ``put_cell`` per cell and ``set_row``, or the same refusal."""
    normal = _rows_book(tmp_path / "normal.xlsx", rows, streamed=False)
    whole = _rows_book(tmp_path / "whole.xlsx", rows, streamed=True)
    assert whole == normal
    if not normal:
        assert parts(tmp_path / "whole.xlsx") == parts(tmp_path / "normal.xlsx")


def test_rows_at_the_edges_of_the_sheet(tmp_path: Path) -> None:
    """Cells past the last row or column are dropped as xlsxwriter drops them, the
    others kept: the same bytes as cell by cell."""
    short: list[object] = ["a", 1.5]
    wide: list[object] = ["b"] * 6
    places: list[tuple[int, int, list[object]]] = [(5, 16_380, wide), (6, 16_378, wide)]
    places += [(7, 16_382, short)]
    places += [(1_048_574, 0, wide), (1_048_575, 16_383, short), (1_048_576, 0, short)]

    def book(path: Path, streamed: bool) -> None:
        wb = xlsxwriter.Workbook(str(path))
        bold = wb.add_format({"bold": True})
        ws = wb.add_worksheet("T", worksheet_class=StreamedSheet if streamed else Worksheet)
        for r, c, row in places:
            cells = [(v, bold) for v in row]
            if streamed:
                ws.put_row(r, c, cells, 20.0)
            else:
                for k, (v, fmt) in enumerate(cells, start=c):
                    put_cell(ws, r, k, v, fmt)
                ws.set_row(r, 20.0)
        wb.close()

    book(tmp_path / "normal.xlsx", streamed=False)
    book(tmp_path / "whole.xlsx", streamed=True)
    assert parts(tmp_path / "whole.xlsx") == parts(tmp_path / "normal.xlsx")
