"""Rules that decide what ONATC sees, each pinned by a test that fails when it breaks.

Each test here was added because deliberately breaking the rule (accepting a file whose
signature does not match, accepting an unknown key while signatures are required,
dropping plan-gap flags, dropping ``status-missing``, dropping ``sheet-unexpected``,
never emitting ``return-pending``) left the whole suite green.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import random
import stat
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from returns import KEYS, ON_TIME, PERIOD, edit, generated

from mne_workbook.consolidate import consolidate
from mne_workbook.errors import UsageError
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.plan import Plan, load_plan, plan_from_dict, validate_plan
from mne_workbook.reader import read_return
from mne_workbook.signing import KeyRing

ROOT = Path(__file__).resolve().parent.parent
BEFORE_DUE = dt.date(2026, 10, 1)  # 2026-Q3 is due 2026-10-15
AFTER_DUE = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(ROOT / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def kp(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """KP's return, every value filled, saved on time."""
    d = tmp_path_factory.mktemp("kp")
    gen = generated(demo, d / "gen")
    entries = random_entries(demo, PERIOD, "kp", random.Random(3))
    fill_return(gen["kp"], d / "kp.xlsx", entries, ON_TIME)
    return d / "kp.xlsx"


def codes(sub: Any) -> list[str]:
    return [p.code for p in sub.problems]


# --------------------------------------------------------------------------- signatures


def test_a_genuine_return_verifies(demo: Plan, kp: Path) -> None:
    sub = read_return(kp, demo, PERIOD, keys=KEYS, require_signature=True)
    assert sub.accepted and codes(sub) == []


def _set_signature(wb: Any, signature: str) -> None:
    for row in wb["_identity"].iter_rows():
        if row[0].value == "signature":
            row[1].value = signature
    for prop in wb.custom_doc_props.props:
        if prop.name == "mne_signature":
            prop.value = signature


def test_a_signature_that_does_not_match_is_refused(demo: Plan, kp: Path, tmp_path: Path) -> None:
    genuine = openpyxl.load_workbook(kp)["_identity"]
    sig = next(r[1].value for r in genuine.iter_rows() if r[0].value == "signature")
    forged = ("0" if sig[0] != "0" else "1") + sig[1:]  # one hex digit changed
    bad = edit(kp, tmp_path / "kp.xlsx", lambda wb: _set_signature(wb, forged))
    sub = read_return(bad, demo, PERIOD, keys=KEYS, require_signature=True)
    assert sub.refused and codes(sub) == ["signature-invalid"]
    # and without requiring signatures, a known key that does not verify is still refused
    sub = read_return(bad, demo, PERIOD, keys=KEYS, require_signature=False)
    assert sub.refused and codes(sub) == ["signature-invalid"]


def test_an_unknown_signing_key_is_refused_when_signatures_are_required(
    demo: Plan, kp: Path
) -> None:
    other = KeyRing((b"another office's key, not ours",))
    sub = read_return(kp, demo, PERIOD, keys=other, require_signature=True)
    assert sub.refused and codes(sub) == ["unknown-signing-key"]
    assert "not in the key ring" in sub.problems[0].message


def test_an_unknown_signing_key_is_flagged_when_unsigned_files_are_allowed(
    demo: Plan, kp: Path
) -> None:
    other = KeyRing((b"another office's key, not ours",))
    sub = read_return(kp, demo, PERIOD, keys=other, require_signature=False)
    assert sub.accepted and codes(sub) == ["unsigned-accepted"]


def test_an_unsigned_return_is_refused_when_signatures_are_required(
    demo: Plan, kp: Path, tmp_path: Path
) -> None:
    bad = edit(kp, tmp_path / "kp.xlsx", lambda wb: _set_signature(wb, ""))
    sub = read_return(bad, demo, PERIOD, keys=KEYS, require_signature=True)
    assert sub.refused and codes(sub) == ["unsigned-workbook"]
    sub = read_return(bad, demo, PERIOD, keys=KEYS, require_signature=False)
    assert sub.accepted and codes(sub) == ["unsigned-accepted"]


# --------------------------------------------------------------------------- structure


def test_an_added_sheet_is_named_and_the_return_still_read(
    demo: Plan, kp: Path, tmp_path: Path
) -> None:
    def add_sheet(wb: Any) -> None:
        wb.create_sheet("My notes")["A1"] = "our own working"

    sub = read_return(
        edit(kp, tmp_path / "kp.xlsx", add_sheet), demo, PERIOD, keys=KEYS, require_signature=True
    )
    assert sub.accepted and codes(sub) == ["sheet-unexpected"]
    assert sub.problems[0].location.sheet == "My notes"


# --------------------------------------------------------------------------- consolidation flags


def test_no_return_before_the_due_date_is_pending_after_it_overdue(demo: Plan) -> None:
    carriers = {i.id for i in demo.carriers()}
    before = consolidate(demo, [], PERIOD, BEFORE_DUE)
    pending = {f.institution for f in before.flags if f.code == "return-pending"}
    assert pending == carriers
    assert not [f for f in before.flags if f.code == "return-overdue"]
    after = consolidate(demo, [], PERIOD, AFTER_DUE)
    assert {f.institution for f in after.flags if f.code == "return-overdue"} == carriers
    assert not [f for f in after.flags if f.code == "return-pending"]


def test_an_activity_without_status_is_flagged_at_its_cell(demo: Plan, tmp_path: Path) -> None:
    gen = generated(demo, tmp_path / "gen")
    entries = random_entries(demo, PERIOD, "kp", random.Random(3))
    entries.pop(("A2.1.1", "", "status"))
    path = tmp_path / "kp.xlsx"
    fill_return(gen["kp"], path, entries, ON_TIME)
    sub = read_return(path, demo, PERIOD, keys=KEYS, require_signature=True)
    con = consolidate(demo, [sub], PERIOD, AFTER_DUE)
    [flag] = [f for f in con.flags if f.code == "status-missing"]
    assert (flag.institution, flag.activity, flag.file) == ("kp", "A2.1.1", "kp.xlsx")
    assert flag.cell.startswith("SO2!")


def test_plan_gaps_are_flagged_for_each_missing_field(demo_data: dict[str, Any]) -> None:
    data = copy.deepcopy(demo_data)
    act = data["strategic_objectives"][1]["specific_objectives"][0]["activities"][0]
    ind = act["expected_results"][0]["indicators"][0]
    for key in ("baseline", "target", "frequency", "responsible_person"):
        ind.pop(key, None)
    plan = plan_from_dict(data)
    con = consolidate(plan, [], PERIOD, BEFORE_DUE)
    gaps = {f.code for f in con.flags if f.indicator == ind["id"]}
    assert gaps == {
        "plan-gap-baseline",
        "plan-gap-target",
        "plan-gap-frequency",
        "plan-gap-responsible",
    }
    complete = consolidate(plan_from_dict(demo_data), [], PERIOD, BEFORE_DUE)
    assert not [f for f in complete.flags if f.code.startswith("plan-gap")]


# --------------------------------------------------------------------------- plan files, PDFs


def test_a_plan_path_that_is_a_folder_is_unreadable(tmp_path: Path) -> None:
    report = validate_plan(tmp_path)
    assert [p.code for p in report.errors] == ["file-unreadable"]


def test_a_reversed_strategy_period_is_an_error(demo_data: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(demo_data)
    data["strategy_period"] = {"start": 2027, "end": 2025}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    assert "strategy-period-reversed" in {p.code for p in validate_plan(path).errors}


def test_pdf_without_libreoffice_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mne_workbook.report import to_pdf

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError) as exc:
        to_pdf(tmp_path / "x.xlsx")
    assert [p.code for p in exc.value.report.problems] == ["libreoffice-missing"]


def test_a_libreoffice_that_writes_no_pdf_is_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mne_workbook.report import to_pdf

    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + "/usr/bin")
    with pytest.raises(UsageError) as exc:
        to_pdf(tmp_path / "x.xlsx")
    assert [p.code for p in exc.value.report.problems] == ["pdf-failed"]
