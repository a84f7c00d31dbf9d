"""Returns re-saved by real spreadsheet applications are read exactly, signatures intact."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from lo import gnumeric_resave, resave_xlsx
from returns import KEYS, ON_TIME, PERIOD, generated

from mne_workbook.fill import fill_return, random_entries
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import read_return


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    plan = load_plan(Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml")
    d = tmp_path_factory.mktemp("clients")
    gen = generated(plan, d / "gen")
    entries = random_entries(plan, PERIOD, "mlsw", random.Random(11))
    fill_return(gen["mlsw"], d / "mlsw.xlsx", entries, ON_TIME)
    return plan, d / "mlsw.xlsx"


@pytest.mark.parametrize(
    "client",
    [
        pytest.param("libreoffice", marks=pytest.mark.needs("soffice")),
        pytest.param("gnumeric", marks=pytest.mark.needs("ssconvert")),
    ],
)
def test_a_resaved_return_reads_exactly_and_still_verifies(
    filled: tuple[Plan, Path], tmp_path: Path, client: str
) -> None:
    plan, path = filled
    original = read_return(path, plan, PERIOD, keys=KEYS, require_signature=True)
    assert original.accepted and not original.problems and original.values
    if client == "libreoffice":
        resaved = resave_xlsx(path, tmp_path)
    else:
        resaved = gnumeric_resave(path, tmp_path / "mlsw.xlsx")
    sub = read_return(resaved, plan, PERIOD, keys=KEYS, require_signature=True)
    assert sub.accepted and sub.problems == [], [str(p) for p in sub.problems]
    assert sub.content_key() == original.content_key()
    assert sub.identity == original.identity


def _strip(src: Path, dst: Path, drop_props: bool, drop_sheet: bool) -> Path:
    """Save ``src`` as an exporter that loses some identity stores would."""
    import openpyxl
    from openpyxl.packaging.custom import CustomPropertyList

    wb = openpyxl.load_workbook(src)
    if drop_props:
        wb.custom_doc_props = CustomPropertyList()
        del wb.defined_names["mne_identity"]
    if drop_sheet:
        wb.remove(wb["_identity"])
    wb.save(dst)
    return dst


@pytest.mark.parametrize(
    ("drop_props", "drop_sheet", "code"),
    [(True, False, None), (False, True, None), (True, True, "identity-missing")],
)
def test_identity_survives_the_loss_of_any_one_store(
    filled: tuple[Plan, Path],
    tmp_path: Path,
    drop_props: bool,
    drop_sheet: bool,
    code: str | None,
) -> None:
    """What an export that drops document properties and named constants (as Google
    Sheets' is documented to) or hidden sheets does to a return."""
    plan, path = filled
    sub = read_return(
        _strip(path, tmp_path / "x.xlsx", drop_props, drop_sheet),
        plan,
        PERIOD,
        keys=KEYS,
        require_signature=True,
    )
    if code is None:
        assert sub.accepted and sub.problems == [] and sub.values
    else:
        assert [p.code for p in sub.problems] == [code]
        assert "pasted into a new file" in sub.problems[0].hint
