"""Print setup, one place for every workbook we write: A3 landscape at a known scale (or
a number of pages wide), margins, repeated rows, print area, headers and footers, and page
breaks that keep an activity's rows together.

Used by the workbooks institutions fill in and ONATC's master (:mod:`writer`), the
consolidated pack (:mod:`report`, :mod:`meeting`), the yearly report (:mod:`yearly`) and
the plan workbook (:mod:`plan_workbook`); what differs between them is a parameter
(:class:`Margins`, the header and footer texts, repeated rows), never a copy.

The scale is set, not left to "fit to width", so that the page breaks planned here
from measured row heights (:mod:`textmetrics`) are the ones the printer makes, and
so that body text is known to print at 7 pt or more. A hidden sheet gets no print
setup at all (:func:`hide`): LibreOffice prints a hidden sheet's print area.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xlsxwriter.worksheet import Worksheet

from .textmetrics import column_points

PAPER_A3 = 8
A3_LANDSCAPE = (1190.55, 841.89)  # points
#: Page room kept back from the planned breaks: renderers round row heights.
SAFETY = 0.97


@dataclass(frozen=True)
class Margins:
    """Page margins in inches: left and right (``x``), top and bottom (``y``), and the
    header's and footer's distance from the paper's edge."""

    x: float = 0.4
    y: float = 0.75
    header_footer: float = 0.3


#: The reports ONATC prints (consolidated pack, yearly report).
REPORT = Margins()
#: The workbooks institutions fill in, and ONATC's master.
RETURN = Margins(y=0.7)


def hf(text: str) -> str:
    """Escape '&' for Excel header/footer strings."""
    return text.replace("&", "&&")


def shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def header(plan_title: str, period: str, what: str = "", limit: int = 110) -> str:
    """A page header naming the plan and the period: the plan title is shortened,
    never the period."""
    tail = f" - {period}" + (f" - {what}" if what else "")
    return hf(shorten(plan_title, max(20, limit - len(tail))) + tail)


def a3_scale(widths: Sequence[float], minimum: int = 10, margins: Margins = REPORT) -> int:
    """The print scale (%) at which columns of ``widths`` fill an A3 landscape page."""
    usable = (A3_LANDSCAPE[0] - 2 * margins.x * 72) * 0.99
    total = sum(column_points(w, printed=True) for w in widths) or 1.0
    return max(minimum, min(100, int(100 * usable / total)))


def page_room(scale: int, repeated_pt: float = 0.0, margins: Margins = REPORT) -> float:
    """Sheet points of rows that fit on one printed page below the repeated rows."""
    usable = A3_LANDSCAPE[1] - 2 * margins.y * 72
    return usable * 100 / scale * SAFETY - repeated_pt


def plan_breaks(
    heights: Sequence[float],
    blocks: Sequence[tuple[int, int]],
    room: float,
    continued: Callable[[int], float] | None = None,
) -> list[int]:
    """Row offsets to break before so that no block (first, last offsets) is split
    across pages when it fits on one; a longer block breaks between its rows.

    ``continued(i)`` is called when row ``i`` opens a page in the middle of a block
    (to repeat the block's title there) and returns the row's new height.
    """
    breaks: list[int] = []
    used = 0.0
    for first, last in blocks:
        size = sum(heights[first : last + 1])
        if used and used + size > room and size <= room:
            breaks.append(first)
            used = 0.0
        for i in range(first, last + 1):
            h = heights[i]
            if used and used + h > room:
                breaks.append(i)
                used = 0.0
                if continued is not None and i != first:
                    h = continued(i)
            used += h
    return breaks


def hf_line(left: str = "", centre: str = "", right: str = "") -> str:
    """An Excel header or footer from its three parts (header/footer codes such as
    ``&P`` allowed; escape texts with :func:`hf`)."""
    return f"&L{left}" + (f"&C{centre}" if centre else "") + f"&R{right}"


def print_setup(
    ws: Worksheet,
    area: tuple[int, int, int, int] | None,
    *,
    paper: int | None = PAPER_A3,
    scale: int | None = None,
    pages_wide: int = 1,
    repeat: tuple[int, int] | None = None,
    header: str | None = None,
    footer: str | None = None,
    margins: Margins | None = None,
    centred: bool = False,
) -> tuple[int | None, int | None]:
    """Landscape on ``paper`` (A3; None: the printer's own) of ``area`` (first row,
    first column, last row, last column; None: what is filled): at ``scale`` % when
    given, else ``pages_wide`` pages wide; ``repeat`` rows (first, last) on every page;
    ``margins`` (the spreadsheet's own when None); the header and footer lines of
    :func:`hf_line`. Returns xlsxwriter's answers to the header and footer (-1 when one
    was refused, e.g. longer than 255 characters)."""
    ws.set_landscape()
    if paper is not None:
        ws.set_paper(paper)
    if scale is not None:
        ws.set_print_scale(scale)
    else:
        ws.fit_to_pages(pages_wide, 0)
    if repeat is not None:
        ws.repeat_rows(*repeat)
    if area is not None:
        ws.print_area(*area)
    if margins is not None:
        ws.set_margins(left=margins.x, right=margins.x, top=margins.y, bottom=margins.y)
    if centred:
        ws.center_horizontally()
    hf_margin = {"margin": (margins or REPORT).header_footer}
    said_header = None if header is None else ws.set_header(header, hf_margin)
    said_footer = None if footer is None else ws.set_footer(footer, hf_margin)
    return said_header, said_footer


def setup(
    ws: Worksheet,
    header_text: str,
    widths: Sequence[float],
    last_row: int,
    repeat: int = 0,
    as_of: dt.date | None = None,
    first_col: int = 0,
    scale: int | None = None,
) -> int:
    """A report sheet: A3 landscape at the scale that fits the columns (or ``scale``),
    the header naming plan, period and sheet, the footer with the date written and page
    numbers; returns the scale (%)."""
    scale = scale or a3_scale(widths)
    print_setup(
        ws,
        (0, first_col, max(last_row, 0), first_col + len(widths) - 1),
        scale=scale,
        repeat=(0, repeat - 1) if repeat else None,
        header=hf_line(header_text, right=f"As of {as_of.isoformat()}" if as_of else ""),
        footer=hf_line(f"Written {dt.date.today().isoformat()}", "Page &P of &N", "&A"),
        margins=REPORT,
    )
    return scale


def hide(ws: Worksheet) -> None:
    """Hide a sheet that must not print. It gets no print setup: LibreOffice's PDF export
    prints a hidden sheet's print area (one page more), Excel does not."""
    ws.hide()
