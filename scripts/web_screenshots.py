"""Screenshots of the web desk's pages for the README (`make docs-web`).

    python scripts/web_screenshots.py OUT_DIR

Starts the desk on 127.0.0.1 over a fresh store in a temporary folder, signs in,
drops the demo returns (`make demo` makes them) on the upload page, generates the
current round, issues an upload link and uploads a return with a wrong cell through
it in Albanian, and saves one PNG per page, taken in Debian's headless Chromium.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from mne_workbook.fill import fill_return, random_entries
from mne_workbook.periods import Period
from mne_workbook.web.accounts import add_user
from mne_workbook.web.app import DeskConfig, create_app
from mne_workbook.web.server import running

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo-output"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "screenshots only"


def drop(page: object, paths: list[Path]) -> None:
    files = [{"name": p.name, "b64": base64.b64encode(p.read_bytes()).decode()} for p in paths]
    data = page.evaluate_handle(  # type: ignore[attr-defined]
        """files => { const dt = new DataTransfer();
        for (const f of files) {
          const bytes = Uint8Array.from(atob(f.b64), c => c.charCodeAt(0));
          dt.items.add(new File([bytes], f.name)); }
        return dt; }""",
        files,
    )
    page.dispatch_event("form[data-dropzone]", "drop", {"dataTransfer": data})  # type: ignore[attr-defined]


def main(out: Path) -> None:
    returns = sorted(p for p in (DEMO / "returns").iterdir() if p.is_file())
    if not returns:
        sys.exit("run `make demo` first: it writes the example returns")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="mne-shots-"))
    app = create_app(
        DeskConfig(
            ROOT / "sample_plans" / "demo.yaml",
            f"sqlite:///{tmp / 'store.sqlite'}",
            data_dir=tmp / "data",
            key_file=DEMO / "demo.key",
            secure_cookies=False,
        )
    )
    desk = app.state.desk
    add_user(desk.engine, "ana", PASSWORD, "admin")
    period = Period.containing(desk.plan.reporting.cycle, dt.datetime.now(dt.UTC).date())
    with running(app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})

        def shot(name: str, full: bool = True) -> None:
            page.screenshot(path=str(out / f"{name}.png"), full_page=full)
            print(out / f"{name}.png")

        page.goto(f"{base}/login")
        shot("login", False)
        page.fill("input[name=name]", "ana")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{base}/upload")
        drop(page, returns)
        expect(page.locator("li.outcome:not(.reading)")).to_have_count(
            len(returns), timeout=120_000
        )
        shot("upload")
        page.goto(f"{base}/round/{period.label}")
        page.click("text=Generate the round")
        page.select_option("form[action$='/links'] select[name=lang]", "sq")
        page.select_option("select[name=institution]", "kp")
        page.click("text=Issue upload links")
        link = page.input_value("input.link")
        shot("round")
        page.goto(f"{base}/board")
        shot("board")
        page.goto(f"{base}/board/2026-Q3/kp")
        shot("flags")
        page.goto(f"{base}/matrix?period=2026-Q3&institution=kp")
        cell = page.locator("td.flag.error").first
        cell.focus()
        shot("matrix", False)
        page.goto(f"{base}/plan")
        shot("plan", False)
        page.goto(f"{base}/downloads")
        shot("downloads")

        entries = random_entries(desk.plan, period, "kp", random.Random(3))
        key = next(k for k, v in entries.items() if k[1] and isinstance(v, int))
        entries[key] = "shumë"  # "many": not a number
        wrong = tmp / "KP raporti.xlsx"
        fill_return(desk.round_dir(period.label) / f"KP_{period.label}.xlsx", wrong, entries)
        focal = browser.new_page(viewport={"width": 1100, "height": 800})
        focal.goto(link)
        focal.set_input_files("input[type=file]", str(wrong))
        focal.click("button[type=submit]")
        focal.wait_for_selector("li.outcome:not(.reading)")
        focal.screenshot(path=str(out / "link.png"), full_page=True)
        print(out / "link.png")
        page.goto(f"{base}/audit")
        shot("audit", False)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
