"""XlsxWriter-style golden parts: one small workbook's XML parts, kept under tests/golden/.

``python tests/golden.py`` (or ``make golden``) rewrites them after a deliberate change to
what the writer produces; review the diff like any code change. docProps/core.xml holds
the creation time and is masked.
"""

from __future__ import annotations

import datetime as dt
import sys
import xml.dom.minidom
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import activity, indicator, plan

from mne_workbook.generate import generate
from mne_workbook.periods import Period
from mne_workbook.plan import plan_from_dict
from mne_workbook.signing import KeyRing

GOLDEN = Path(__file__).resolve().parent / "golden" / "small-kp"
MASKED = {"docProps/core.xml"}  # creation and modification times
STAMP = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
KEYS = KeyRing((b"golden-test-key",))


def small_workbook(out: Path) -> Path:
    """KP's 2026-Q3 workbook of a one-activity plan with a number and a yes/no indicator."""
    data = plan(
        [
            activity(
                "A1.1.1",
                [
                    indicator("I1"),
                    indicator("I2", text="Law adopted (yes/no)", measure="yes-no"),
                ],
            )
        ]
    )
    written = generate(
        plan_from_dict(data),
        Period.parse("2026-Q3"),
        out,
        institutions=["kp"],
        master=False,
        generated_at=STAMP,
        keys=KEYS,
    )
    [w] = written
    return w.path


def parts(xlsx: Path) -> dict[str, str]:
    """Every XML part, pretty-printed so that a diff shows the change, core.xml masked."""
    out = {}
    with zipfile.ZipFile(xlsx) as z:
        for name in sorted(z.namelist()):
            data = z.read(name)
            if name in MASKED:
                out[name] = "(masked)\n"
            elif name.endswith((".xml", ".rels")):
                pretty = xml.dom.minidom.parseString(data).toprettyxml(indent=" ")
                out[name] = "\n".join(ln for ln in pretty.splitlines() if ln.strip()) + "\n"
            else:
                out[name] = f"(binary, {len(data)} bytes)\n"
    return out


def update() -> None:
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        got = parts(small_workbook(Path(tmp)))
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for name, text in got.items():
        target = GOLDEN / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
    print(f"wrote {len(got)} parts into {GOLDEN}")


if __name__ == "__main__":
    update()
