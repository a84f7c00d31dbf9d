"""The reading path before issue 17, kept only as the reference of the differential test.

openpyxl (read-only, defusedxml) parsed the workbook; :class:`OpenpyxlBook` shows it
through the interface the reader reads (that of :class:`mne_workbook.xlsx_parse.Workbook`),
exactly as the old reader consulted it: the sheet names, the core properties' created and
modified times, the custom properties, the global defined names, the first 40 rows and 2
columns of ``_identity`` and every row of a sheet (its declared dimension not trusted).
:func:`open_reference` takes the place of ``reader._open``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from mne_workbook import reader


class OpenpyxlBook:
    def __init__(self, wb: Any) -> None:
        self._wb = wb
        self.sheetnames: list[str] = list(wb.sheetnames)
        props = wb.properties
        self.created, self.modified = props.created, props.modified
        try:
            self.custom = [(p.name, p.value) for p in wb.custom_doc_props.props]
        except AttributeError:
            self.custom = []
        names = wb.defined_names if hasattr(wb, "defined_names") else {}
        self.defined_names = {k: v.attr_text for k, v in names.items()}

    def rows(
        self, name: str, max_row: int | None = None, max_col: int | None = None
    ) -> list[list[Any]]:
        ws = self._wb[name]
        if max_row is None and hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # a declared dimension is not trusted
        return [list(r) for r in ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col)]

    def close(self) -> None:
        self._wb.close()


def open_reference(
    sub: reader.Submission, path: Path, data: bytes | None = None, zf: Any = None
) -> Any:
    """``reader._open`` as it was: openpyxl, refusing to run without defusedxml (it
    opens ``path`` itself; ``data`` and ``zf`` are the new path's bytes and the zip the
    gate opened from them, unused here)."""
    import openpyxl

    if zf is not None:
        zf.close()

    if not openpyxl.DEFUSEDXML:
        raise reader._refuse(
            sub, "parse-failed", "openpyxl is not using defusedxml; refusing to parse"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return OpenpyxlBook(
                openpyxl.load_workbook(
                    path, read_only=True, data_only=False, keep_links=False, keep_vba=False
                )
            )
    except MemoryError:
        raise
    except Exception as exc:
        raise reader._refuse(sub, *reader._why(exc)) from None
