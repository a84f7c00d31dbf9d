"""The printed pack is legible: LibreOffice prints the consolidated workbook, the yearly
report and a filled institution workbook of the issue-12 case (full 2015-2019 plan,
2019-Q4, comments of 90-250 characters, two institutions missing), and the PDFs'
word boxes show no word over another, every typed comment in full, and body text
of 7 pt or more on A3. Slow (LibreOffice): one conversion of three files per run.
"""

from __future__ import annotations

import subprocess
import tempfile

import openpyxl
import pytest
from legibility import Page, missing_texts, overprints, pages, smallest_text_pt
from meeting_case import MISSING, MeetingCase, build
from programs import require

pytestmark = pytest.mark.needs("soffice", "pdftotext")

INSTITUTION = "mlsw"  # the carrier with the most activities


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[MeetingCase, dict[str, list[Page]]]:
    soffice = require("soffice")
    out = tmp_path_factory.mktemp("legible")
    pack = build(out)
    filled = next(p for p in pack.case.returns.iterdir() if p.name.startswith("MLSW"))
    files = {"consolidated": pack.consolidated, "yearly": pack.yearly, "institution": filled}
    pdf_dir = out / "pdf"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(pdf_dir),
                *map(str, files.values()),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return pack, {k: pages(pdf_dir / f"{p.stem}.pdf") for k, p in files.items()}


@pytest.mark.parametrize("which", ["consolidated", "yearly", "institution"])
def test_no_word_is_printed_over_another(
    printed: tuple[MeetingCase, dict[str, list[Page]]], which: str
) -> None:
    _, pdfs = printed
    hits = [(n + 1, a.text, b.text) for n, p in enumerate(pdfs[which]) for a, b in overprints(p)]
    assert not hits, f"{len(hits)} overprinted word pairs, e.g. {hits[:5]}"


@pytest.mark.parametrize("which", ["consolidated", "yearly", "institution"])
def test_every_typed_comment_prints_in_full_at_7_pt_or_more(
    printed: tuple[MeetingCase, dict[str, list[Page]]], which: str
) -> None:
    pack, pdfs = printed
    comments = [
        c
        for (inst, _act), c in pack.case.comments.items()
        if which != "institution" or inst == INSTITUTION
    ]
    assert len(comments) > 20
    assert missing_texts(pdfs[which], comments) == []
    assert smallest_text_pt(pdfs[which]) >= 7.0


def test_the_pack_fits_24_pages_and_opens_with_the_missing_institutions(
    printed: tuple[MeetingCase, dict[str, list[Page]]],
) -> None:
    pack, pdfs = printed
    consolidated = pdfs["consolidated"]
    assert len(consolidated) <= 24
    first = " ".join(w.text for w in consolidated[0].words)
    for inst in MISSING:
        assert pack.case.plan.institution(inst).name in first
    assert first.count("NOT REPORTED") == len(MISSING)
    # the overdue activities start on the first page and are all on the Meeting pages
    # (each page's footer names its sheet), before the Summary
    overdue = [f.activity for f in pack.con.flags if f.code == "activity-overdue"]
    assert overdue and "Activities overdue" in first
    meeting = " ".join(
        w.text for p in consolidated if p.words and p.words[-1].text == "Meeting" for w in p.words
    )
    assert [a for a in overdue if a not in meeting] == []


def test_a_hidden_sheet_is_not_printed(
    printed: tuple[MeetingCase, dict[str, list[Page]]],
) -> None:
    """The Plan gaps sheet is hidden: read on screen, never printed (LibreOffice printed
    a hidden sheet that had a print area, one page more)."""
    pack, pdfs = printed
    wb = openpyxl.load_workbook(pack.consolidated)
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "hidden"] == ["Plan gaps"]
    text = " ".join(w.text for p in pdfs["consolidated"] for w in p.words)
    assert "Plan gaps in the activities" not in text
    # every page's footer ends with its sheet's name; only visible sheets print
    visible = {ws.title.split()[-1] for ws in wb.worksheets if ws.sheet_state == "visible"}
    assert {p.words[-1].text for p in pdfs["consolidated"] if p.words} <= visible
