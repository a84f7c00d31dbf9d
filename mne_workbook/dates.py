"""Plan dates: YYYY, YYYY-MM or YYYY-MM-DD (a module of its own so that the plan's
checks can use it without importing the plan module)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any


def parse_date(value: Any, *, end: bool = False) -> dt.date:
    """Parse YYYY, YYYY-MM or YYYY-MM-DD; ``end`` picks the last day of a year/month."""
    text = str(value)
    parts = text.split("-")
    year = int(parts[0])
    if len(parts) == 1:
        return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
    month = int(parts[1])
    if len(parts) == 2:
        if not 1 <= month <= 12:
            raise ValueError(f"month {month} out of range")
        day = calendar.monthrange(year, month)[1] if end else 1
        return dt.date(year, month, day)
    return dt.date(year, month, int(parts[2]))
