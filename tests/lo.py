"""Drive LibreOffice Calc headless: re-save a workbook as .xlsx, or print it to PDF."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from programs import require


def require_soffice() -> str:
    """LibreOffice's path (skips, or fails in CI, when missing: see programs.py)."""
    return require("soffice")


def convert(src: Path, out_dir: Path, target: str) -> Path:
    """Convert ``src`` with LibreOffice into ``out_dir`` (target e.g. 'pdf', 'xlsx:...')."""
    soffice = require_soffice()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(out_dir),
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    ext = target.split(":")[0]
    out = out_dir / f"{src.stem}.{ext}"
    assert out.exists(), f"LibreOffice wrote no {out}"
    return out


def resave_xlsx(src: Path, out_dir: Path) -> Path:
    """Open ``src`` in LibreOffice Calc and save it again as .xlsx (Excel 2007-365)."""
    return convert(src, out_dir, "xlsx:Calc MS Excel 2007 XML")


def require_ssconvert() -> str:
    """Gnumeric's ssconvert (skips, or fails in CI, when missing: see programs.py)."""
    return require("ssconvert")


def gnumeric_resave(src: Path, dst: Path) -> Path:
    """Open ``src`` in Gnumeric and save it as .xlsx (Office Open XML)."""
    ssconvert = require_ssconvert()
    subprocess.run(
        [ssconvert, "--export-type=Gnumeric_Excel:xlsx2", str(src), str(dst)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return dst
