"""`mne-workbook generate`: the table, exit codes, passwords, and the sample plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from xlsx_helpers import open_wb

from mne_workbook.cli import main
from mne_workbook.workbook_protection import legacy_password_hash


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args), env=env)
    assert "Traceback" not in r.output
    return r.exit_code, r.output


def test_generate_prints_a_table_of_the_files(demo_path: Path, tmp_path: Path) -> None:
    code, out = run("generate", str(demo_path), "--period", "2026-Q3", "--out", str(tmp_path))
    assert code == 0
    for name in ("ONATC_2026-Q3.xlsx", "KP_2026-Q3.xlsx", "MASTER_demo-ath-2025-2027_2026-Q3"):
        assert name in out
    assert "5 workbook(s) for 2026-Q3 (due 2026-10-15)" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            "ONATC_2026-Q3.xlsx",
            "KP_2026-Q3.xlsx",
            "MLSW_2026-Q3.xlsx",
            "MEST_2026-Q3.xlsx",
            "MASTER_demo-ath-2025-2027_2026-Q3.xlsx",
            "manifest_2026-Q3.json",
        ]
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--period", "2026-05"], 2, "period-wrong-cycle"),
        (["--period", "2030-Q1"], 2, "period-outside-strategy"),
        (["--period", "soon"], 2, "period-invalid"),
        (["--period", "2026-Q1", "--institution", "nobody"], 2, "unknown-institution"),
        (["--period", "2026-Q1", "--password-env", "MNE_TEST_UNSET"], 2, "password-env-missing"),
        (["--period", "2026-Q1", "--lang", "de"], 2, "Invalid value for '--lang'"),
    ],
)
def test_bad_arguments_exit_2_with_a_coded_message(
    demo_path: Path, tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    got, out = run("generate", str(demo_path), "--out", str(tmp_path), *args)
    assert (got, message in out) == (code, True), out
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".xlsx"]


def test_invalid_plan_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n", "utf-8")
    code, out = run("generate", str(bad), "--period", "2026-Q1", "--out", str(tmp_path / "o"))
    assert code == 1 and "schema-violation" in out and "mne-workbook validate" in out


def test_existing_files_are_not_overwritten_without_the_flag(
    demo_path: Path, tmp_path: Path
) -> None:
    args = ("generate", str(demo_path), "--period", "2026-Q3", "--out", str(tmp_path))
    assert run(*args)[0] == 0
    code, out = run(*args)
    assert code == 2 and "output-exists" in out
    assert run(*args, "--overwrite")[0] == 0


def test_password_from_the_environment_protects_every_sheet(
    demo_path: Path, tmp_path: Path
) -> None:
    code, _ = run(
        "generate",
        str(demo_path),
        "--period",
        "2026-Q3",
        "--out",
        str(tmp_path),
        "--institution",
        "kp",
        "--no-master",
        "--password-env",
        "MNE_PW",
        env={"MNE_PW": "s3cret"},
    )
    assert code == 0
    wb = open_wb(tmp_path / "KP_2026-Q3.xlsx")
    assert {ws.protection.password for ws in wb.worksheets} == {legacy_password_hash("s3cret")}
    assert wb.security.workbookPassword == legacy_password_hash("s3cret")


def test_legacy_password_hash_matches_known_values() -> None:
    # The value Excel writes for this password (ECMA-376 legacy verifier).
    assert legacy_password_hash("password") == "83AF"


def test_sample_plan_generates_for_its_last_period(kosovo_path: Path, tmp_path: Path) -> None:
    code, out = run("generate", str(kosovo_path), "--period", "2019-Q4", "--out", str(tmp_path))
    assert "14 workbook(s) for 2019-Q4 (due 2020-01-15)" in out
    assert code == 0
    files = sorted(p.name for p in tmp_path.glob("*.xlsx"))
    assert len(files) == 14  # 13 carrier institutions + master
    master = open_wb(tmp_path / "MASTER_ks-ath-2015-2019_2019-Q4.xlsx")
    assert [n for n in master.sheetnames if n.startswith("SO")] == ["SO1", "SO2", "SO3", "SO4"]
