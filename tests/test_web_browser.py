"""The web desk in a real browser: Playwright driving Debian's Chromium, on SQLite and
PostgreSQL. Few and focused: the main paths of the issue, end to end."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from web_site import ADMIN, PASSWORD, Site, filled, first_value_field, make_site

from mne_workbook.web.accounts import utcnow
from mne_workbook.web.links import issue_link, revoke_link
from mne_workbook.web.server import running

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


pytestmark = pytest.mark.needs("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # a dev dependency

    with sync_playwright() as p:  # never `playwright install`: Debian's Chromium is used
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Site, str]]:
    tmp = tmp_path_factory.mktemp(f"browser-{request.param}")
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("fresh_postgres")(f"b_{tmp.name.replace('-', '_')}")
    site = make_site(tmp, url)
    with running(site.app) as base:
        yield site, base
    site.engine.dispose()


def drop(page: Any, selector: str, paths: list[Path]) -> None:
    """Drop files on an element, as dragging them from the file manager does."""
    files = [{"name": p.name, "b64": base64.b64encode(p.read_bytes()).decode()} for p in paths]
    data = page.evaluate_handle(
        """files => { const dt = new DataTransfer();
        for (const f of files) {
          const bytes = Uint8Array.from(atob(f.b64), c => c.charCodeAt(0));
          dt.items.add(new File([bytes], f.name)); }
        return dt; }""",
        files,
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": data})


def sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/board")
    page.fill("input[name=name]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/board")


def test_onatc_generates_uploads_by_drag_and_drop_and_opens_a_flag(
    browser: Any, served: tuple[Site, str], tmp_path: Path
) -> None:
    site, base = served
    label = site.period.label
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, base)
    page.goto(f"{base}/round/{label}")
    page.click("text=Generate the round")
    page.wait_for_selector(f"text=KP_{label}.xlsx")
    assert page.is_visible("text=Download all workbooks")

    act, ind, fld = first_value_field(site, "kp")
    returns = [
        filled(
            site, "kp", tmp_path / "KP return.xlsx", seed=2, changes={f"{act}/{ind}/{fld}": "many"}
        ),
        filled(site, "mlsw", tmp_path / "MLSW return.xlsx", seed=3),
        filled(site, "onatc", tmp_path / "ONATC return.xlsx", seed=4),
    ]
    page.goto(f"{base}/upload")
    drop(page, "form[data-dropzone]", returns)
    expect(page.locator("li.outcome:not(.reading)")).to_have_count(3, timeout=60_000)
    expect(page.locator("li.outcome.accepted")).to_have_count(3)
    assert page.locator("li.outcome.reading").count() == 0
    assert "invalid-number" in page.inner_text("ul.outcomes")

    page.goto(f"{base}/board")
    row = page.locator("tr", has=page.locator("th", has_text="KP"))
    assert "on time" in row.inner_text()
    page.click(f"a[href='/board/{label}/kp']")
    page.wait_for_url(f"{base}/board/{label}/kp")
    flag = page.locator("#flags tr", has_text="invalid-number")
    expect(flag.first).to_be_visible()
    assert re.search(r"SO\d+!\$?[A-Z]+\$?\d+", flag.first.inner_text())
    page.goto(f"{base}/matrix?period={label}&code=invalid-number")
    cell = page.locator("td.flag.error").first
    cell.focus()
    assert cell.locator(".tip").is_visible()
    assert "invalid-number" in cell.locator(".tip").inner_text()
    assert not errors, errors  # no CSP violation or script error
    page.close()


def test_focal_point_corrects_a_wrong_cell_in_albanian(
    browser: Any, served: tuple[Site, str], tmp_path: Path
) -> None:
    site, base = served
    label = site.period.label
    admin = browser.new_page()
    sign_in(admin, base)
    admin.goto(f"{base}/round/{label}")
    admin.select_option("select[name=institution]", "mest")
    admin.select_option("form[action$='/links'] select[name=lang]", "sq")
    admin.click("text=Issue upload links")
    link = admin.input_value("input.link")
    assert link.startswith(f"{base}/u/")

    focal = browser.new_context().new_page()
    focal.goto(link)
    assert "Ngarkoni raportin tuaj" in focal.inner_text("h1")
    assert "Ministry of Education" in focal.inner_text("dl.facts")
    act, ind, fld = first_value_field(site, "mest")
    wrong = filled(
        site, "mest", tmp_path / "mest.xlsx", seed=7, changes={f"{act}/{ind}/{fld}": "x"}
    )
    focal.set_input_files("input[type=file]", str(wrong))
    focal.click("button[type=submit]")
    focal.wait_for_selector("li.outcome:not(.reading)")
    text = focal.inner_text("ul.outcomes")
    assert "nuk është numër" in text and re.search(r"fleta SO\d+, qeliza [A-Z]+\d+", text)
    fixed = filled(site, "mest", tmp_path / "mest-fixed.xlsx", seed=7)
    focal.set_input_files("input[type=file]", str(fixed))
    focal.click("button[type=submit]")
    focal.wait_for_selector("li.outcome .badge.ok")
    focal.context.close()

    admin.goto(f"{base}/board")
    row = admin.locator("tr", has=admin.locator("th", has_text="MEST"))
    assert "on time" in row.inner_text()
    admin.goto(f"{base}/board/{label}/mest")
    assert "counts" in admin.inner_text("main")
    admin.close()


def test_closed_links_and_csrf_less_posts_are_refused(
    browser: Any, served: tuple[Site, str]
) -> None:
    site, base = served
    expired, _ = issue_link(
        site.engine, site.plan, site.period, "kp", ADMIN, "sq", utcnow() - dt.timedelta(hours=1)
    )
    revoked, link = issue_link(site.engine, site.plan, site.period, "kp", ADMIN, "en")
    revoke_link(site.engine, link.id)
    page = browser.new_page()
    r = page.goto(f"{base}/u/{expired}")
    assert r.status == 410 and "ka skaduar" in page.inner_text("main")
    r = page.goto(f"{base}/u/{revoked}")
    assert r.status == 410 and "withdrawn" in page.inner_text("main")
    sign_in(page, base)
    status = page.evaluate(
        """async (label) => { const f = new FormData(); f.append('institution', 'kp');
        const r = await fetch('/round/' + label + '/links', {method: 'POST', body: f});
        return r.status; }""",
        site.period.label,
    )
    assert status == 403
    page.close()
