"""A corpus of hostile and damaged returns, built at test time (no committed binaries).

Each case is a file and the code the reader must answer with. The suite builds and reads
it once per session (:func:`read_once`, the ``hostile_run`` fixture of conftest.py): one
CLI run whose bounded reading is recorded, so that the library's answer per file and
the CLI's report are asserted on the same read. Run it directly to time every case and
measure peak memory (figures for the closing notes):

    .venv/bin/python tests/hostile.py
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from returns import (  # noqa: E402
    KEYS,
    ON_TIME,
    PERIOD,
    col,
    edit,
    generated,
    identity_of,
    row_of,
)

from mne_workbook import intake, parallel  # noqa: E402
from mne_workbook.cli import main as cli_main  # noqa: E402
from mne_workbook.discovery import Input  # noqa: E402
from mne_workbook.fill import fill_return  # noqa: E402
from mne_workbook.plan import Plan, load_plan, plan_from_dict, plan_to_dict  # noqa: E402
from mne_workbook.reader import Submission  # noqa: E402

V7 = "value@2026-07-31"


@dataclass(frozen=True)
class Case:
    name: str
    code: str  # the refusal or flag code expected for the file
    refused: bool = True


def _rezip(
    src: Path,
    dst: Path,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = (replace or {}).get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)


def _sheet_part(src: Path, title: str) -> str:
    """The zip member of a sheet, found through the workbook's relationships."""
    wb = openpyxl.load_workbook(src, read_only=True)
    index = wb.sheetnames.index(title) + 1
    wb.close()
    return f"xl/worksheets/sheet{index}.xml"


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1"'
    b' uniqueCount="1"><si><t>&xxe;</t></si></sst>'
)


def build(plan: Plan, out: Path) -> dict[str, Case]:
    """Write the corpus into ``out``; returns file name -> expected case."""
    gen = generated(plan, out / "_generated")
    kp, mlsw = gen["kp"], gen["mlsw"]
    cases: dict[str, Case] = {}

    def add(name: str, code: str, make: Callable[[Path], Any], refused: bool = True) -> None:
        make(out / name)
        cases[name] = Case(name, code, refused)

    # not a plain .xlsx
    add("empty.xlsx", "file-empty", lambda p: p.write_bytes(b""))
    add("csv-renamed.xlsx", "not-a-workbook", lambda p: p.write_text("a;b\n1;2\n", "utf-8"))
    add("pdf-renamed.xlsx", "not-a-workbook", lambda p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\n"))
    add(
        "xls-renamed.xlsx",
        "legacy-xls",
        lambda p: p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(2048)),
    )
    add(
        "encrypted.xlsx",
        "encrypted-workbook",
        lambda p: p.write_bytes(
            bytes.fromhex("D0CF11E0A1B11AE1")
            + bytes(512)
            + "EncryptionInfo".encode("utf-16-le")
            + bytes(512)
        ),
    )
    add(
        "truncated.xlsx",
        "corrupt-archive",
        lambda p: p.write_bytes(kp.read_bytes()[: kp.stat().st_size // 3]),
    )
    add(
        "macros.xlsm.xlsx",
        "macro-enabled",
        lambda p: _rezip(kp, p, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(60)}),
    )
    add(
        "external-link.xlsx",
        "unsafe-content",
        lambda p: _rezip(kp, p, add={"xl/externalLinks/externalLink1.xml": b"<x/>"}),
    )

    def zip_bomb(p: Path) -> None:
        with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("xl/workbook.xml", "<workbook/>")
            with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
                chunk = bytes(8 * 1024 * 1024)
                for _ in range(26):  # 208 MiB of zeros, about 200 kB compressed
                    fh.write(chunk)

    add("zip-bomb.xlsx", "archive-too-large", zip_bomb)
    add(
        "xml-bomb.xlsx",
        "parse-failed",
        lambda p: _rezip(kp, p, replace={"xl/sharedStrings.xml": BOMB}),
    )
    add("xxe.xlsx", "parse-failed", lambda p: _rezip(kp, p, replace={"xl/sharedStrings.xml": XXE}))

    so2 = _sheet_part(kp, "SO2")

    def huge_token(p: Path) -> None:  # one 90 MB attribute value: a parser must buffer it
        with zipfile.ZipFile(kp) as z:
            xml = z.read(so2)
        token = b' x="' + b"A" * (90 * 1024 * 1024) + b'"'
        _rezip(kp, p, replace={so2: xml.replace(b"<worksheet ", b"<worksheet" + token + b" ", 1)})

    add("huge-token.xlsx", "parse-timeout", huge_token)

    def many_rows(p: Path) -> None:  # a million empty rows: slow to walk, tiny to send
        with zipfile.ZipFile(kp) as z:
            xml = z.read(so2)
        rows = b"".join(b'<row r="%d"/>' % r for r in range(100, 1_200_000))
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:R1200000"/>', xml)
        _rezip(kp, p, replace={so2: xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)})

    add("million-rows.xlsx", "parse-timeout", many_rows)

    def huge_string(p: Path) -> None:  # an 80 MB shared string: fast to parse, big in memory
        with zipfile.ZipFile(kp) as z:
            sst = z.read("xl/sharedStrings.xml")
        big = b"<si><t>" + b"y" * (80 * 1024 * 1024) + b"</t></si>"
        _rezip(kp, p, replace={"xl/sharedStrings.xml": sst.replace(b"</sst>", big + b"</sst>")})

    add("huge-string.xlsx", "", huge_string, refused=False)  # read within the default bounds

    def xml_comment(p: Path) -> None:  # a 10 MB XML comment: ignored, the file is fine
        with zipfile.ZipFile(kp) as z:
            xml = z.read(so2)
        comment = b"<!--" + b"x" * (10 * 1024 * 1024) + b"-->"
        _rezip(kp, p, replace={so2: xml.replace(b"<sheetData>", comment + b"<sheetData>", 1)})

    add("xml-comment-10mb.xlsx", "", xml_comment, refused=False)

    # structure and identity
    add(
        "sheet-deleted.xlsx",
        "sheet-missing",
        lambda p: edit(kp, p, lambda wb: wb.remove(wb["SO2"])),
    )
    add(
        "row-inserted.xlsx",
        "plan-cells-tampered",
        lambda p: edit(kp, p, lambda wb: wb["SO2"].insert_rows(6)),
    )
    add(
        "row-deleted.xlsx",
        "plan-cells-tampered",
        lambda p: edit(kp, p, lambda wb: wb["SO2"].delete_rows(6)),
    )

    def swap(wb: Any) -> None:  # two indicator rows of one activity, every own cell moved
        from openpyxl.cell.cell import MergedCell

        ws = wb["SO2"]
        a, b = row_of(ws, "A2.1.1", "D8"), row_of(ws, "A2.1.1", "D9")
        for c in range(1, ws.max_column + 1):
            x, y = ws.cell(a, c), ws.cell(b, c)
            if not isinstance(x, MergedCell) and not isinstance(y, MergedCell):
                x.value, y.value = y.value, x.value

    add("rows-swapped.xlsx", "plan-cells-tampered", lambda p: edit(kp, p, swap))

    def locked_edit(wb: Any) -> None:
        ws = wb["SO2"]
        ws.cell(row_of(ws, "A2.1.1", "D8"), col(ws, "target")).value = 1000

    add("locked-cell-edited.xlsx", "plan-cells-tampered", lambda p: edit(kp, p, locked_edit))

    def forge(wb: Any) -> None:  # say it is MLSW's, everywhere the identity is stored
        for row in wb["_identity"].iter_rows():
            if row[0].value == "institution":
                row[1].value = "mlsw"
        for prop in wb.custom_doc_props.props:
            if prop.name == "mne_institution":
                prop.value = "mlsw"
        dn = wb.defined_names["mne_identity"]
        dn.attr_text = dn.attr_text.replace("inst=kp", "inst=mlsw")

    add("other-institution.xlsx", "forged-identity", lambda p: edit(kp, p, forge))

    def copy_identity(p: Path) -> None:  # KP's genuine identity on MLSW's sheets
        edit(mlsw, p, identity_of(kp))

    add("identity-copied.xlsx", "identity-copied", copy_identity)

    older = plan_to_dict(plan)
    older["version"] = "0.9"
    older["strategic_objectives"][1]["specific_objectives"][0]["activities"][0]["expected_results"][
        0
    ]["indicators"][0]["target"]["value"] = 10
    old_gen = generated(plan_from_dict(older), out / "_old")
    add(
        "older-plan-version.xlsx",
        "older-plan-version",
        lambda p: shutil.copyfile(old_gen["kp"], p),
        refused=False,
    )
    other_period = generated(plan, out / "_q2", PERIOD.__class__.parse("2026-Q2"))
    add("wrong-period.xlsx", "wrong-period", lambda p: shutil.copyfile(other_period["kp"], p))

    # values
    add(
        "invalid-pasted.xlsx",
        "invalid-code",
        lambda p: fill_return(kp, p, {("A2.1.1", "", "status"): "done!"}, ON_TIME),
        refused=False,
    )
    add(
        "comment-10mb.xlsx",
        "text-too-long",
        lambda p: fill_return(kp, p, {("A2.1.1", "", "comments"): "x" * 10_000_000}, ON_TIME),
        refused=False,
    )
    add(
        "valid.xlsx",
        "",
        lambda p: fill_return(mlsw, p, {("A2.2.1", "D11", V7): 3}, ON_TIME),
        refused=False,
    )
    shutil.rmtree(out / "_generated")
    shutil.rmtree(out / "_old")
    shutil.rmtree(out / "_q2")
    return cases


#: The per-file reading deadline of the one read. The slowest honest case (a 10 MB XML
#: comment) reads in about 3 s on an idle machine, over 8 s on a shared one (load 7 on
#: 2 cores); the stalling ones need minutes. 30 s keeps the margin either way.
TIMEOUT = 30.0


@dataclass
class HostileRun:
    """The corpus, read once: by ``consolidate`` (CLI, in process), whose bounded
    reading (:func:`parallel.read_many`, called by :mod:`intake`) is recorded."""

    folder: Path
    cases: dict[str, Case]
    before: dict[str, str]  # file name -> SHA-256 before the run
    after: dict[str, str]  # ... and after it
    subs: dict[str, Submission]  # file name -> what read_many returned for it
    result: Result  # the CLI's exit code, output and exception
    report: dict[str, Any]  # its --json


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def read_once(plan_path: Path, folder: Path, cases: dict[str, Case], out: Path) -> HostileRun:
    """Read the corpus built in ``folder`` once through the CLI (outputs into ``out``)."""
    before = digests(folder)
    seen: list[tuple[Path, Submission]] = []
    real = parallel.read_many  # what intake calls

    def recorded(paths: Sequence[str | Path | Input], *args: Any, **kw: Any) -> list[Submission]:
        subs = real(paths, *args, **kw)
        for p, sub in zip(paths, subs, strict=True):
            seen.append((p.path if isinstance(p, Input) else Path(p), sub))
        return subs

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(intake, "read_many", recorded)
        result = CliRunner().invoke(
            cli_main,
            [
                "consolidate",
                str(plan_path),
                str(folder),
                "--period",
                PERIOD.label,
                "--out",
                str(out / "c.xlsx"),
                "--json",
                str(out / "c.json"),
                "--timeout",
                str(TIMEOUT),
                "--workers",
                "2",
            ],
        )
    report = json.loads((out / "c.json").read_text("utf-8")) if (out / "c.json").exists() else {}
    subs = {p.name: sub for p, sub in seen}
    assert len(subs) == len(seen), "a file was read twice"
    return HostileRun(folder, cases, before, digests(folder), subs, result, report)


def main() -> None:  # pragma: no cover - a measuring script
    import resource
    import tempfile
    import time

    from mne_workbook.parallel import Bounds, read_many

    plan = load_plan(HERE.parent / "sample_plans" / "demo.yaml")
    with tempfile.TemporaryDirectory() as d:
        cases = build(plan, Path(d))
        rows = []
        for name, case in sorted(cases.items()):
            start = time.perf_counter()
            [sub] = read_many(
                [Path(d) / name],
                plan,
                PERIOD,
                keys=KEYS,
                require_signature=True,
                bounds=Bounds(timeout=5, memory_mb=512),
            )
            took = time.perf_counter() - start
            got = sorted({p.code for p in sub.problems})
            rows.append((took, name, case.code, got))
        for took, name, code, got in sorted(rows, reverse=True):
            print(f"{took:7.2f}s  {name:<28} expected {code or '-':<22} got {got}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"{len(rows)} cases; slowest {rows and max(rows)[0]:.2f}s; peak child RSS {peak:.0f} MB"
        )


if __name__ == "__main__":  # pragma: no cover
    main()
