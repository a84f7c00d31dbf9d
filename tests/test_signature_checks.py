"""The reader's signature check names what was done to a file, fast enough to run for
every mutant of it (the hostile corpus covers the same ground end to end, slowly)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from returns import KEYS, ON_TIME, PERIOD, col, edit, generated, identity_of, row_of

from mne_workbook.fill import fill_return, random_entries
from mne_workbook.plan import Plan, load_plan
from mne_workbook.reader import read_return

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(ROOT / "sample_plans" / "demo.yaml")


@pytest.fixture(scope="module")
def gen(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("sig")
    g = generated(demo, d / "gen")
    for inst in ("kp", "mlsw"):
        entries = random_entries(demo, PERIOD, inst, random.Random(5))
        fill_return(g[inst], d / f"{inst}.xlsx", entries, ON_TIME)
        g[f"{inst}-filled"] = d / f"{inst}.xlsx"
    return g


def read(path: Path, demo: Plan, **kw: Any) -> Any:
    kw.setdefault("keys", KEYS)
    kw.setdefault("require_signature", True)
    return read_return(path, demo, PERIOD, **kw)


def only(sub: Any) -> Any:
    [p] = sub.problems
    return p


def _forge(wb: Any) -> None:  # say it is MLSW's, everywhere the identity is stored
    for row in wb["_identity"].iter_rows():
        if row[0].value == "institution":
            row[1].value = "mlsw"
    for prop in wb.custom_doc_props.props:
        if prop.name == "mne_institution":
            prop.value = "mlsw"
    dn = wb.defined_names["mne_identity"]
    dn.attr_text = dn.attr_text.replace("inst=kp", "inst=mlsw")


def test_an_identity_edited_to_another_institution_is_forged(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    sub = read(edit(gen["kp-filled"], tmp_path / "x.xlsx", _forge), demo)
    p = only(sub)
    assert sub.refused and p.code == "forged-identity"
    assert "generated for 'kp'" in p.message and "now says 'mlsw'" in p.message


def test_a_genuine_identity_on_another_workbook_is_copied(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    change = identity_of(gen["kp-filled"])
    sub = read(edit(gen["mlsw-filled"], tmp_path / "x.xlsx", change), demo)
    assert sub.refused
    p = sub.refusal()
    assert p.code == "identity-copied"
    assert "is 'kp''s" in p.message and "'mlsw''s workbook" in p.message
    assert "identity-copied" in [q.code for q in sub.problems]


def test_a_locked_plan_cell_edited_is_tampering_named_at_its_cell(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    def locked_edit(wb: Any) -> None:
        ws = wb["SO2"]
        ws.cell(row_of(ws, "A2.1.1", "D8"), col(ws, "target")).value = 1000

    sub = read(edit(gen["kp-filled"], tmp_path / "x.xlsx", locked_edit), demo)
    codes = [p.code for p in sub.problems]
    assert sub.refused and codes[0] == "plan-cells-tampered"
    assert sub.problems[0].message == (
        "the identity is genuine but plan cells, keys or columns were changed"
    )
    assert "plan-cell-changed" in codes  # and the cell is named


def test_messages_of_unsigned_files_say_what_is_missing(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    def unsign(wb: Any) -> None:
        for row in wb["_identity"].iter_rows():
            if row[0].value == "signature":
                row[1].value = ""
        for prop in wb.custom_doc_props.props:
            if prop.name == "mne_signature":
                prop.value = ""

    bare = edit(gen["kp-filled"], tmp_path / "x.xlsx", unsign)
    p = only(read(bare, demo))
    assert (p.code, p.message) == ("unsigned-workbook", "the workbook carries no signature")
    p = only(read(bare, demo, require_signature=False))
    assert (p.code, p.message) == ("unsigned-accepted", "the workbook carries no signature")


def test_without_any_key_a_required_signature_cannot_be_checked(
    demo: Plan, gen: dict[str, Path]
) -> None:
    from mne_workbook.signing import KeyRing

    sub = read(gen["kp-filled"], demo, keys=None)
    p = only(sub)
    assert sub.refused
    assert (p.code, p.message) == ("unknown-signing-key", "no signing key was found to verify it")
    # --allow-unsigned without any key: an empty ring, and every return says why
    p = only(read(gen["kp-filled"], demo, keys=KeyRing((), "no key"), require_signature=False))
    assert (p.code, p.message) == (
        "unsigned-accepted",
        "no signing key was found to verify it: not verified",
    )
    # not required and no key: nothing to check, nothing flagged
    sub = read(gen["kp-filled"], demo, keys=None, require_signature=False)
    assert sub.accepted and sub.problems == []


def test_an_unknown_key_when_not_required_says_it_was_not_verified(
    demo: Plan, gen: dict[str, Path]
) -> None:
    from mne_workbook.signing import KeyRing, key_id

    p = only(read(gen["kp-filled"], demo, keys=KeyRing((b"x",)), require_signature=False))
    assert (p.code, p.message) == (
        "unsigned-accepted",
        f"signed with key {key_id(KEYS.current)!r}, which is not in the key ring: not verified",
    )


def test_a_signature_that_matches_nothing_says_so(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    def resign(wb: Any) -> None:
        for row in wb["_identity"].iter_rows():
            if row[0].value == "signature":
                row[1].value = "0" * 64
        for prop in wb.custom_doc_props.props:
            if prop.name == "mne_signature":
                prop.value = "0" * 64

    p = only(read(edit(gen["kp-filled"], tmp_path / "x.xlsx", resign), demo))
    assert p.code == "signature-invalid"
    assert p.message == "the signature does not match the identity and content of the file"


def test_the_master_verifies_with_onatc_fields_completed(
    demo: Plan, gen: dict[str, Path], tmp_path: Path
) -> None:
    """ONATC's fields are open in the master and not signed; the plan text still is."""

    def complete(wb: Any) -> None:
        ws = wb["SO2"]
        ws.cell(row_of(ws, "A2.1.1", "D8"), col(ws, "target")).value = 1000

    sub = read_return(
        edit(gen["master"], tmp_path / "m.xlsx", complete),
        demo,
        None,
        keys=KEYS,
        require_signature=True,
        master=True,
    )
    assert sub.accepted and sub.problems == []
    as_return = read_return(gen["kp-filled"], demo, None, keys=KEYS, require_signature=True)
    assert as_return.accepted and as_return.problems == []
