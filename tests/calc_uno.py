"""Drive LibreOffice Calc through UNO the way a person edits a return.

Run by the system Python (``/usr/bin/python3``, which has ``uno``), not the venv:
``python3 calc_uno.py JOBS.json``. JOBS is a list of jobs, each
``{"src": path, "ops": [...], "save": [[path, filter], ...]}``; every op acts on a cell
or range of a sheet:

- ``type``: the text typed into the cell (Calc parses it as on the keyboard, en-US),
- ``paste_text``: the text pasted as text (stays a string, e.g. ``1.500``),
- ``format``: apply the number format code (e.g. ``0%``, ``YYYY-MM-DD``),
- ``unmerge``: split the merged range (e.g. ``F5:F7``),
- ``unprotect``: remove the sheet's protection (no password), as a person must to unmerge.

One soffice process (its own profile) does every job; the documents are saved with the
filters named (``Calc MS Excel 2007 XML``, ``calc8``, ``MS Excel 97``,
``Text - txt - csv (StarCalc)``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.lang import Locale  # type: ignore[import-not-found]


def _prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _connect(port: int, proc: subprocess.Popen[bytes]) -> object:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    url = f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
    for _ in range(240):
        if proc.poll() is not None:
            raise SystemExit(f"soffice exited with {proc.returncode}")
        try:
            return resolver.resolve(url)
        except Exception:
            time.sleep(0.25)
    raise SystemExit("could not connect to soffice")


def _apply(doc: object, op: dict[str, str]) -> None:
    sheet = doc.Sheets.getByName(op["sheet"])  # type: ignore[attr-defined]
    kind = op["op"]
    if kind == "unprotect":
        sheet.unprotect("")
        return
    if kind == "unmerge":
        sheet.getCellRangeByName(op["range"]).merge(False)
        return
    cell = sheet.getCellRangeByName(op["cell"])
    if kind == "type":
        cell.setFormula(op["text"])
    elif kind == "paste_text":
        cell.setString(op["text"])
    elif kind == "format":
        formats = doc.NumberFormats  # type: ignore[attr-defined]
        locale = Locale("en", "US", "")
        key = formats.queryKey(op["code"], locale, False)
        if key == -1:
            key = formats.addNew(op["code"], locale)
        cell.NumberFormat = key
    else:
        raise SystemExit(f"unknown op {kind}")


def main() -> None:
    jobs = json.loads(Path(sys.argv[1]).read_text("utf-8"))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "soffice not found"
    port = 20000 + os.getpid() % 20000
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--invisible",
                "--nologo",
                "--norestore",
                f"--accept=socket,host=127.0.0.1,port={port};urp;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            ctx = _connect(port, proc)
            desktop = ctx.ServiceManager.createInstanceWithContext(  # type: ignore[attr-defined]
                "com.sun.star.frame.Desktop", ctx
            )
            for job in jobs:
                url = uno.systemPathToFileUrl(str(Path(job["src"]).resolve()))
                doc = desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
                try:
                    for op in job["ops"]:
                        _apply(doc, op)
                    for path, filt in job["save"]:
                        target = uno.systemPathToFileUrl(str(Path(path).resolve()))
                        doc.storeToURL(target, (_prop("FilterName", filt),))
                finally:
                    doc.close(True)
            with contextlib.suppress(Exception):  # the bridge drops as soffice exits
                desktop.terminate()
        finally:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
