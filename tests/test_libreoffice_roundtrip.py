"""A generated workbook survives a re-save in LibreOffice Calc."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lo import require_soffice, resave_xlsx
from xlsx_helpers import open_wb, resolve_list, table, validations

from mne_workbook.generate import generate
from mne_workbook.periods import Period
from mne_workbook.plan import load_plan

pytestmark = pytest.mark.needs("soffice")


def facts(path: Path) -> dict[str, Any]:
    """What must survive: locks, validations and their entries, protection, identity."""
    wb = open_wb(path)
    out: dict[str, Any] = {
        "sheets": wb.sheetnames,
        "states": [ws.sheet_state for ws in wb.worksheets],
    }
    for ws in (w for w in wb.worksheets if w.title.startswith("SO")):
        out[ws.title] = {
            "unlocked": {
                (c.row, c.column)
                for row in ws.iter_rows()
                for c in row
                if c.protection.locked is False
            },
            "validations": sorted(
                (
                    dv.type,
                    tuple(resolve_list(wb, dv.formula1)) if dv.type == "list" else _rule(dv),
                    tuple(sorted(cells)),
                )
                for dv, cells in validations(ws)
            ),
            "protected": ws.protection.sheet,
            "table": table(ws),
        }
    # an empty text may come back as an empty cell: both read as ""
    out["identity"] = [(k, v or "") for k, v in wb["_identity"].iter_rows(values_only=True)]
    out["props"] = {p.name: p.value or "" for p in wb.custom_doc_props.props}
    out["name"] = wb.defined_names["mne_identity"].attr_text
    return out


def _rule(dv: Any) -> tuple[Any, ...]:
    """A validation's rule; a second operand counts only for (not) between."""
    op = dv.operator or "between"
    return (op, dv.formula1, dv.formula2 if op in ("between", "notBetween") else None)


def _merge_cells(v: list[Any]) -> dict[Any, set[Any]]:
    """Validations per (type, rule); LibreOffice may regroup the cell ranges."""
    by: dict[Any, set[Any]] = {}
    for t, rule, cells in v:
        by.setdefault((t, rule), set()).update(cells)
    return by


def test_validations_locks_protection_and_identity_survive_a_libreoffice_save(
    tmp_path: Path,
) -> None:
    require_soffice()
    demo = load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")
    [w] = generate(
        demo, Period.parse("2026-Q2"), tmp_path / "gen", institutions=["mlsw"], master=False
    )
    before = facts(w.path)
    after = facts(resave_xlsx(w.path, tmp_path / "lo"))
    assert after["sheets"] == before["sheets"]
    assert (
        after["states"] == before["states"] == ["visible", "visible", "visible", "hidden", "hidden"]
    )
    for so in ("SO1", "SO2"):
        assert after[so]["unlocked"] == before[so]["unlocked"] != set()
        assert _merge_cells(after[so]["validations"]) == _merge_cells(before[so]["validations"])
        assert after[so]["protected"] is True
        assert after[so]["table"] == before[so]["table"]
    assert after["identity"] == before["identity"]
    assert after["props"] == before["props"]
    assert after["name"].strip('"') == before["name"].strip('"')
