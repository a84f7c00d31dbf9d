"""The web desk over HTTP (Starlette's test client), on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from starlette.routing import Route
from starlette.testclient import TestClient
from web_site import ADMIN, PASSWORD, VIEWER, Site, csrf_of, filled, first_value_field, make_site

from mne_workbook.cli import main
from mne_workbook.web.accounts import utcnow
from mne_workbook.web.links import default_expiry, issue_link, revoke_link
from mne_workbook.web.security import check_bind
from mne_workbook.web.tables import links_t


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp(f"web-{request.param}")
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("fresh_postgres")(f"web_{tmp.name.replace('-', '_')}")
    s = make_site(tmp, url)
    yield s
    s.engine.dispose()


def client(site: Site) -> TestClient:
    return TestClient(site.app, base_url="http://127.0.0.1", follow_redirects=False)


def signed_in(site: Site, name: str = ADMIN) -> tuple[TestClient, str]:
    c = client(site)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return c, token


def upload(c: TestClient, token: str, *paths: Path, names: list[str] | None = None) -> Any:
    files = [
        ("files", ((names or [p.name for p in paths])[i], p.read_bytes()))
        for i, p in enumerate(paths)
    ]
    return c.post("/upload", data={"csrf_token": token}, files=files)


# -- accounts and security --------------------------------------------------------------


def test_pages_need_sign_in(site: Site) -> None:
    c = client(site)
    for path in ("/board", "/matrix", "/plan", "/upload", "/downloads", "/audit"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path


def test_security_headers_and_cookie_flags(site: Site) -> None:
    r = client(site).get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "<script>" not in r.text.replace("<script src=", "")  # no inline script


def test_session_cookie_is_secure_unless_insecure_http(tmp_path: Path) -> None:
    s = make_site(tmp_path)
    s.desk.config.secure_cookies = True
    s.app.secure = True
    c = TestClient(s.app, base_url="https://127.0.0.1", follow_redirects=False)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": token})
    session = next(
        v for k, v in r.headers.multi_items() if k == "set-cookie" and "mne_session" in v
    )
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session
    assert "strict-transport-security" in r.headers


def test_wrong_password_is_refused_logged_and_rate_limited(site: Site) -> None:
    c = client(site)
    token = csrf_of(c.get("/login").text)
    codes = [
        c.post(
            "/login", data={"name": "mallory", "password": "guess", "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    # blocked even with the right password of that name while the window lasts
    with site.engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT count(*) FROM web_audit WHERE action = 'login-failed' AND actor = 'mallory'"
            )
        ).scalar_one()
    assert n == 5


def test_every_post_route_refuses_a_request_without_csrf_token(site: Site) -> None:
    c, _token = signed_in(site)
    posts = [
        r.path
        for r in site.app.app.routes
        if isinstance(r, Route) and "POST" in (r.methods or set())
    ]
    assert len(posts) >= 8
    for path in posts:
        url = path.replace("{period}", site.period.label).replace("{id:int}", "1")
        url = url.replace("{token}", "x" * 43)
        r = c.post(url, data={"name": ADMIN, "password": PASSWORD})
        assert r.status_code in (403, 404, 410), (path, r.status_code)
        if "{token}" not in path:
            assert r.status_code == 403, path


def test_cross_site_post_is_refused_even_with_token(site: Site) -> None:
    c, token = signed_in(site)
    r = c.post(
        f"/round/{site.period.label}/links",
        data={"csrf_token": token, "institution": "kp"},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert r.status_code == 403


def test_viewer_may_look_but_not_change(site: Site) -> None:
    c, token = signed_in(site, VIEWER)
    assert c.get("/board").status_code == 200
    r = c.post(f"/round/{site.period.label}/generate", data={"csrf_token": token})
    assert r.status_code == 403
    r = upload(c, token, site.workbooks["kp"])
    assert r.status_code == 403


def test_non_loopback_bind_needs_tls_or_proxy() -> None:
    check_bind("127.0.0.1", False, False)
    check_bind("::1", False, False)
    check_bind("0.0.0.0", True, False)
    check_bind("0.0.0.0", False, True)
    from mne_workbook.errors import UsageError

    with pytest.raises(UsageError) as exc:
        check_bind("0.0.0.0", False, False)
    assert exc.value.report.problems[0].code == "web-bind-refused"
    result = CliRunner().invoke(
        main, ["serve", "--plan", "sample_plans/demo.yaml", "--host", "192.0.2.10"]
    )
    assert result.exit_code == 2 and "web-bind-refused" in result.output


def test_user_add_hashes_the_password(tmp_path: Path) -> None:
    db = str(tmp_path / "s.sqlite")
    r = CliRunner().invoke(
        main,
        ["user", "add", "ilir", "--role", "viewer", "--db", db, "--password-env", "PW"],
        env={"PW": "a long enough secret"},
    )
    assert r.exit_code == 0, r.output
    made = CliRunner().invoke(main, ["user", "add", "besa", "--db", db])
    assert made.exit_code == 0 and "password: " in made.output
    again = CliRunner().invoke(
        main,
        ["user", "add", "ilir", "--db", db, "--password-env", "PW"],
        env={"PW": "a long enough secret"},
    )
    assert again.exit_code == 2 and "web-user-exists" in again.output
    raw = (tmp_path / "s.sqlite").read_bytes()
    assert b"a long enough secret" not in raw and b"$argon2id$" in raw
    listed = CliRunner().invoke(main, ["user", "list", "--db", db])
    assert "ilir\tviewer" in listed.output and "besa\tadmin" in listed.output


# -- the desk ----------------------------------------------------------------------------


def test_upload_many_returns_each_with_its_outcome_escaped(site: Site, tmp_path: Path) -> None:
    c, token = signed_in(site)
    act, ind, fld = first_value_field(site, "kp")
    good = filled(site, "mlsw", tmp_path / "mlsw.xlsx")
    bad = filled(site, "kp", tmp_path / "kp.xlsx", changes={f"{act}/{ind}/{fld}": "lots"})
    fake = tmp_path / "fake.xlsx"
    fake.write_text("a;b\n1;2\n", "utf-8")
    hostile = "<img src=x onerror=alert(1)>.xlsx"
    r = upload(c, token, good, bad, fake, names=["mlsw.xlsx", "kp.xlsx", hostile])
    assert r.status_code == 200
    items = r.text.split('<li class="outcome')[1:]
    assert len(items) == 3
    assert "accepted" in items[0] and "accepted" in items[1] and "invalid-number" in items[1]
    assert "refused" in items[2] and "not-a-workbook" in items[2]
    assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text
    # the same bytes again: nothing new in the store
    r2 = upload(c, token, good)
    assert "already in the store" in r2.text
    with site.engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM returns WHERE file_name = 'mlsw.xlsx'")
        ).scalar_one()
    assert n == 1
    # the status board shows them, with a link to the flags
    board = c.get("/board").text
    label = site.period.label
    assert f'href="/board/{label}/kp"' in board
    cell = c.get(f"/board/{label}/kp").text
    assert ("invalid-number" in cell and f"{fld}" not in cell) or "sheet" in cell
    assert re.search(r"SO\d+!\$?[A-Z]+\d+|sheet SO\d+, cell [A-Z]+\d+", cell)
    needs = c.get("/board?needs=1").text
    assert ">KP<" in needs


def test_matrix_marks_flagged_cells_with_their_message(site: Site, tmp_path: Path) -> None:
    c, token = signed_in(site)
    act, ind, fld = first_value_field(site, "kp")
    upload(
        c,
        token,
        filled(site, "kp", tmp_path / "kp2.xlsx", seed=3, changes={f"{act}/{ind}/{fld}": None}),
    )
    html = c.get(f"/matrix?period={site.period.label}&institution=kp").text
    assert 'class="flag' in html and 'tabindex="0"' in html
    assert "value-missing" in html or "indicator-overdue" in html
    only = c.get(f"/matrix?period={site.period.label}&code=value-missing").text
    rows = only.count("<tr>") - 1
    assert rows >= 1 and "value-missing" in only
    assert ">MLSW<" not in only or "value-missing" in only


def test_round_generate_zip_and_drafts(site: Site) -> None:
    c, token = signed_in(site)
    label = site.period.label
    r = c.post(f"/round/{label}/generate", data={"csrf_token": token, "lang": "sq"})
    assert r.status_code == 303
    z = zipfile.ZipFile(io.BytesIO(c.get(f"/round/{label}/workbooks.zip").content))
    names = set(z.namelist())
    assert {f"KP_{label}.xlsx", f"MLSW_{label}.xlsx", f"manifest_{label}.json"} <= names
    drafts = zipfile.ZipFile(io.BytesIO(c.get(f"/round/{label}/drafts.zip").content))
    assert any(n.endswith(".eml") for n in drafts.namelist())
    page = c.get(f"/round/{label}").text
    assert f"KP_{label}.xlsx" in page and "Generated" in page
    # generating again without "replace" refuses instead of overwriting
    again = c.post(f"/round/{label}/generate", data={"csrf_token": token, "lang": "sq"})
    assert again.status_code == 409 and "output-exists" in again.text


def test_downloads(site: Site) -> None:
    c, _ = signed_in(site)
    label = site.period.label
    x = c.get(f"/download/{label}/consolidated.xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    j = c.get(f"/download/{label}/consolidated.json").json()
    assert j["period"] == label if "period" in j else j
    z = zipfile.ZipFile(io.BytesIO(c.get(f"/download/{label}/csv.zip").content))
    assert "matrix.csv" in z.namelist()
    assert c.get(f"/yearly/{site.period.year}").content[:2] == b"PK"
    assert c.get(f"/download/{label}/secret.txt").status_code == 404
    assert c.get("/download/1999-Q1/consolidated.xlsx").status_code == 404


def test_plan_page_and_audit_log(site: Site) -> None:
    c, _ = signed_in(site)
    plan = c.get("/plan").text
    assert "Who carries what" in plan and "A1.1.1" in plan
    log = c.get("/audit").text
    assert "login" in log and "upload" in log


# -- institution links -----------------------------------------------------------------------


def issued(site: Site, inst: str = "kp", lang: str = "sq") -> str:
    c, token = signed_in(site)
    r = c.post(
        f"/round/{site.period.label}/links",
        data={"csrf_token": token, "institution": inst, "lang": lang},
    )
    assert r.status_code == 200
    m = re.search(r'value="http://127\.0\.0\.1(/u/[A-Za-z0-9_-]+)"', r.text)
    assert m
    return m.group(1)


def test_link_token_is_stored_only_as_a_hash(site: Site) -> None:
    path = issued(site)
    token = path.rsplit("/", 1)[1]
    with site.engine.connect() as conn:
        rows = conn.execute(select(links_t)).mappings().all()
    assert rows and all(token not in str(dict(r)) for r in rows)


def test_link_upload_wrong_cell_in_albanian_then_correction_on_time(
    site: Site, tmp_path: Path
) -> None:
    path = issued(site, "kp", "sq")
    focal = client(site)
    page = focal.get(path)
    assert page.status_code == 200
    assert "Kosovo Police" in page.text and site.period.label in page.text
    for other in ("Ministry of Labour", "MLSW", "MEST", "Ministry of Education"):
        assert other not in page.text
    token = csrf_of(page.text)
    act, ind, fld = first_value_field(site, "kp")
    wrong = filled(
        site, "kp", tmp_path / "kp-wrong.xlsx", seed=5, changes={f"{act}/{ind}/{fld}": "shumë"}
    )
    r = focal.post(
        path, data={"csrf_token": token}, files=[("files", ("kp.xlsx", wrong.read_bytes()))]
    )
    assert r.status_code == 200
    assert "nuk është numër" in r.text  # "not a number", in Albanian
    assert re.search(r"fleta SO\d+, qeliza [A-Z]+\d+", r.text)
    fixed = filled(site, "kp", tmp_path / "kp-fixed.xlsx", seed=5)
    r = focal.post(
        path, data={"csrf_token": token}, files=[("files", ("kp.xlsx", fixed.read_bytes()))]
    )
    assert "U pranua" in r.text and "nuk është numër" not in r.text.split("Ngarkimet")[0]
    c, _ = signed_in(site)
    cell = c.get(f"/board/{site.period.label}/kp").text
    assert "counts" in cell and "kp.xlsx" in cell
    assert re.search(r">on time", c.get("/board").text)


def test_link_refuses_another_institutions_workbook(site: Site, tmp_path: Path) -> None:
    path = issued(site, "kp", "en")
    focal = client(site)
    token = csrf_of(focal.get(path).text)
    other = filled(site, "mlsw", tmp_path / "mlsw.xlsx", seed=9)
    r = focal.post(
        path, data={"csrf_token": token}, files=[("files", ("m.xlsx", other.read_bytes()))]
    )
    assert "link-wrong-return" in r.text and "Refused" in r.text


def test_expired_revoked_and_unknown_links_are_refused(site: Site, tmp_path: Path) -> None:
    focal = client(site)
    tok, _link = issue_link(
        site.engine, site.plan, site.period, "kp", ADMIN, "sq", utcnow() - dt.timedelta(seconds=1)
    )
    r = focal.get(f"/u/{tok}")
    assert r.status_code == 410 and "ka skaduar" in r.text
    wb = filled(site, "kp", tmp_path / "kp.xlsx")
    post = focal.post(f"/u/{tok}", files=[("files", ("kp.xlsx", wb.read_bytes()))])
    assert post.status_code == 410
    tok2, link2 = issue_link(site.engine, site.plan, site.period, "kp", ADMIN, "sr")
    assert focal.get(f"/u/{tok2}").status_code == 200
    revoke_link(site.engine, link2.id)
    r = focal.get(f"/u/{tok2}")
    assert r.status_code == 410 and "povučen" in r.text
    assert focal.get("/u/not-a-real-token").status_code == 404


def test_default_expiry_is_the_day_after_the_due_date(site: Site) -> None:
    due = site.period.due_date(site.plan.reporting.grace_days)
    assert default_expiry(site.plan, site.period) == dt.datetime.combine(
        due + dt.timedelta(days=1), dt.time()
    )


def test_request_body_over_the_limit_is_refused(site: Site) -> None:
    c, _token = signed_in(site)
    big = b"x" * (site.desk.config.max_request_mb * 1024 * 1024 + 1)
    r = c.post("/upload", content=big, headers={"content-type": "application/octet-stream"})
    assert r.status_code == 413


def test_too_many_files_in_one_upload(site: Site) -> None:
    c, token = signed_in(site)
    files = [("files", (f"f{i}.xlsx", b"x")) for i in range(site.desk.config.max_files + 1)]
    r = c.post("/upload", data={"csrf_token": token}, files=files)
    assert r.status_code == 413 and "upload-limit" in r.text


def test_concurrent_uploads_keep_every_return_exactly_once(site: Site, tmp_path: Path) -> None:
    """Three institutions upload at once, each its return twice over: three rows, no loss."""
    import threading

    import httpx

    from mne_workbook.web.server import running

    books = {
        inst: filled(site, inst, tmp_path / f"{inst}-race.xlsx", seed=42)
        for inst in ("kp", "mlsw", "mest")
    }
    tokens = {
        inst: issue_link(site.engine, site.plan, site.period, inst, ADMIN, "en")[0]
        for inst in books
    }
    outcomes: list[int] = []
    with running(site.app) as base:

        def send(inst: str) -> None:
            with httpx.Client(base_url=base, timeout=120) as c:
                token = csrf_of(c.get(f"/u/{tokens[inst]}").text)
                r = c.post(
                    f"/u/{tokens[inst]}",
                    data={"csrf_token": token},
                    files=[("files", ("race.xlsx", books[inst].read_bytes()))],
                )
                outcomes.append(r.status_code)

        threads = [threading.Thread(target=send, args=(i,)) for i in books for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    assert outcomes == [200] * 6
    import hashlib

    wanted = {hashlib.sha256(p.read_bytes()).hexdigest() for p in books.values()}
    with site.engine.connect() as conn:
        rows = conn.execute(text("SELECT sha256 FROM returns")).scalars().all()
    got = [r for r in rows if r in wanted]
    assert sorted(got) == sorted(wanted)  # each once, none lost


def test_upload_arrival_is_the_server_clock_or_the_emails(site: Site, tmp_path: Path) -> None:
    from mails import message, write_eml

    c, token = signed_in(site)
    before = utcnow()
    book = filled(site, "mest", tmp_path / "mest-clock.xlsx", seed=77)
    upload(c, token, book)
    received = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).replace(microsecond=0)
    mailed = filled(site, "mlsw", tmp_path / "mlsw-mail.xlsx", seed=78)
    eml = write_eml(
        message("x@mlsw.example", "return", {"mlsw.xlsx": mailed.read_bytes()}, received),
        tmp_path / "return.eml",
    )
    r = upload(c, token, eml)
    assert "return.eml!mlsw.xlsx" in r.text and "accepted" in r.text
    from mne_workbook.store import returns as returns_t

    q = select(returns_t.c.file_name, returns_t.c.arrived_at, returns_t.c.arrival_source)
    with site.engine.connect() as conn:
        rows = {name: (at, src) for name, at, src in conn.execute(q)}
    at, src = rows["mest-clock.xlsx"]
    assert src == "web-upload" and before <= at <= utcnow()
    assert rows["return.eml!mlsw.xlsx"] == (received.replace(tzinfo=None), "mail-received")


def test_account_rules() -> None:
    from sqlalchemy import create_engine

    from mne_workbook.errors import UsageError
    from mne_workbook.web.accounts import add_user, authenticate, set_disabled, set_password
    from mne_workbook.web.tables import ensure_tables

    engine = create_engine("sqlite://")
    ensure_tables(engine)
    for name, password, code in [
        ("bad name!", PASSWORD, "web-user-invalid"),
        ("ok", "short", "web-password-weak"),
    ]:
        with pytest.raises(UsageError) as exc:
            add_user(engine, name, password)
        assert exc.value.report.problems[0].code == code
    with pytest.raises(UsageError) as exc:
        set_password(engine, "nobody", PASSWORD)
    assert exc.value.report.problems[0].code == "web-user-unknown"
    add_user(engine, "drita", PASSWORD, "viewer")
    assert authenticate(engine, "drita", PASSWORD) is not None
    assert authenticate(engine, "drita", PASSWORD + "x") is None
    set_disabled(engine, "drita", True)
    assert authenticate(engine, "drita", PASSWORD) is None


@pytest.mark.needs("soffice")
def test_pdf_download_is_the_consolidated_workbook_printed(tmp_path: Path) -> None:
    s = make_site(tmp_path)
    c, _ = signed_in(s)
    assert "consolidated.pdf" in c.get("/downloads").text
    r = c.get(f"/download/{s.period.label}/consolidated.pdf")
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    assert r.headers["content-type"] == "application/pdf"


def test_links_as_email_drafts_carry_workbook_and_link_but_never_touch_disk(
    tmp_path: Path,
) -> None:
    import email
    from email import policy

    s = make_site(tmp_path)
    c, token = signed_in(s)
    label = s.period.label
    before = c.post(
        f"/round/{label}/links", data={"csrf_token": token, "institution": "kp", "drafts": "1"}
    )
    assert before.status_code == 409  # no round generated yet: nothing to attach
    c.post(f"/round/{label}/generate", data={"csrf_token": token, "lang": "en"})
    r = c.post(
        f"/round/{label}/links",
        data={"csrf_token": token, "institution": "all", "lang": "sq", "drafts": "1"},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert f"KP_{label}.eml" in z.namelist()
    msg = email.message_from_bytes(z.read(f"KP_{label}.eml"), policy=policy.default)
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    body = part.get_content()
    m = re.search(r"http://127\.0\.0\.1(/u/[A-Za-z0-9_-]+)", body)
    assert m and "Mbajeni këtë lidhje" in body
    assert [a.get_filename() for a in msg.iter_attachments()] == [f"KP_{label}.xlsx"]
    focal = client(s)
    page = focal.get(m.group(1))
    assert page.status_code == 200 and "Kosovo Police" in page.text
    secret = m.group(1).rsplit("/", 1)[1].encode()
    on_disk = [p for p in tmp_path.rglob("*") if p.is_file() and secret in p.read_bytes()]
    assert on_disk == []
