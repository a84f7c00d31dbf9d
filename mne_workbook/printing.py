"""Print setup of the report workbooks: A3 landscape at a known scale, headers that
keep plan and period, and page breaks that keep an activity's rows together.

The scale is set, not left to "fit to width", so that the page breaks planned here
from measured row heights (:mod:`textmetrics`) are the ones the printer makes, and
so that body text is known to print at 7 pt or more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from xlsxwriter.worksheet import Worksheet

from .textmetrics import column_points

PAPER_A3 = 8
A3_LANDSCAPE = (1190.55, 841.89)  # points
MARGIN_X = 0.4  # inches
MARGIN_Y = 0.75
HEADER_FOOTER = 0.3
#: Page room kept back from the planned breaks: renderers round row heights.
SAFETY = 0.97


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


def a3_scale(widths: Sequence[float], minimum: int = 10) -> int:
    """The print scale (%) at which columns of ``widths`` fill an A3 landscape page."""
    usable = (A3_LANDSCAPE[0] - 2 * MARGIN_X * 72) * 0.99
    total = sum(column_points(w, printed=True) for w in widths) or 1.0
    return max(minimum, min(100, int(100 * usable / total)))


def page_room(scale: int, repeated_pt: float = 0.0) -> float:
    """Sheet points of rows that fit on one printed page below the repeated rows."""
    usable = A3_LANDSCAPE[1] - 2 * MARGIN_Y * 72
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


def setup(
    ws: Worksheet,
    header_text: str,
    widths: Sequence[float],
    last_row: int,
    repeat: int = 0,
    as_of: dt.date | None = None,
    first_col: int = 0,
) -> int:
    """A3 landscape at the scale that fits the columns; returns the scale (%)."""
    scale = a3_scale(widths)
    ws.set_landscape()
    ws.set_paper(PAPER_A3)
    ws.set_print_scale(scale)
    if repeat:
        ws.repeat_rows(0, repeat - 1)
    ws.print_area(0, first_col, max(last_row, 0), first_col + len(widths) - 1)
    right = f"As of {as_of.isoformat()}" if as_of else ""
    ws.set_header(f"&L{header_text}&R{right}", {"margin": HEADER_FOOTER})
    made = dt.date.today().isoformat()
    ws.set_footer(f"&LWritten {made}&CPage &P of &N&R&A", {"margin": HEADER_FOOTER})
    ws.set_margins(left=MARGIN_X, right=MARGIN_X, top=MARGIN_Y, bottom=MARGIN_Y)
    return scale
