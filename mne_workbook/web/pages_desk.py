"""ONATC's pages: sign-in, status board, upload, matrix, plan, rounds, downloads, audit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import insert, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..errors import UsageError
from ..workflows import (
    consolidate_returns,
    generate_round,
    write_consolidation,
    yearly_report,
)
from . import accounts, views
from .links import links_for
from .security import SESSION_COOKIE, cookie_header
from .tables import rounds_t
from .uploads import Received, receive

if TYPE_CHECKING:
    from .app import Desk


def _today(desk: Desk) -> dt.date:
    from ..arrival import plan_zone
    from .app import today

    return today(plan_zone(desk.plan))


def _safe_next(target: str) -> str:
    """Only a local path: never redirect off the site after sign-in."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/board"


# -- sign in / out ------------------------------------------------------------------


async def login_page(desk: Desk, request: Request) -> Response:
    return desk.render(request, "login.html", next=_safe_next(request.query_params.get("next", "")))


async def login_post(desk: Desk, request: Request) -> Response:
    form = await desk.form(request)
    name = str(form.get("name") or "")[:64]
    password = str(form.get("password") or "")[:1024]
    ip = request.client.host if request.client else ""
    target = _safe_next(str(form.get("next") or ""))
    if await run_in_threadpool(accounts.login_blocked, desk.engine, name, ip):
        desk.audit(request, "login-blocked", "", actor=name or "-")
        return desk.render(
            request,
            "login.html",
            429,
            next=target,
            error="Too many failed sign-ins; wait 15 minutes and try again.",
        )
    user = await run_in_threadpool(accounts.authenticate, desk.engine, name, password)
    if user is None:
        desk.audit(request, "login-failed", "", actor=name or "-")
        return desk.render(
            request, "login.html", 401, next=target, error="Wrong user name or password."
        )
    token = await run_in_threadpool(accounts.open_session, desk.engine, user)
    request.state.user = user
    desk.audit(request, "login")
    resp = RedirectResponse(target, 303)
    resp.raw_headers.append(
        (b"set-cookie", cookie_header(SESSION_COOKIE, token, desk.config.secure_cookies))
    )
    return resp


async def logout(desk: Desk, request: Request) -> Response:
    await desk.form(request)
    accounts.close_session(desk.engine, request.cookies.get(SESSION_COOKIE, ""))
    desk.audit(request, "logout")
    resp = RedirectResponse("/login", 303)
    resp.raw_headers.append(
        (b"set-cookie", cookie_header(SESSION_COOKIE, "", desk.config.secure_cookies, 0))
    )
    return resp


async def home(desk: Desk, request: Request) -> Response:
    return RedirectResponse("/board", 303)


# -- status board --------------------------------------------------------------------


def _as_of(desk: Desk, request: Request) -> dt.date:
    text = request.query_params.get("as_of", "")
    try:
        return dt.date.fromisoformat(text) if text else _today(desk)
    except ValueError:
        raise HTTPException(400, "as_of must be a date like 2026-11-28") from None


async def board_page(desk: Desk, request: Request) -> Response:
    as_of = _as_of(desk, request)
    periods = views.known_periods(desk.plan, desk.store, as_of)
    b = await run_in_threadpool(views.board, desk.plan, desk.store, periods, as_of)
    needs = request.query_params.get("needs") == "1"
    return desk.render(
        request,
        "board.html",
        board=b.needing_action() if needs else b,
        needs=needs,
        as_of=as_of,
        total=len(b.rows),
    )


async def cell_page(desk: Desk, request: Request) -> Response:
    p = desk.period(request.path_params["period"])
    inst_id = request.path_params["institution"]
    if inst_id not in {i.id for i in desk.plan.institutions}:
        raise HTTPException(404, "no such institution in this plan")
    as_of = _as_of(desk, request)
    con = await run_in_threadpool(views.period_consolidation, desk.plan, desk.store, p.label, as_of)
    received = [r for r in desk.store.returns(p.label, desk.plan.id) if r.institution == inst_id]
    subs = {s.sha256: s for s in con.submissions}
    flags = [f for f in con.flags if f.institution == inst_id and not f.code.startswith("plan-gap")]
    return desk.render(
        request,
        "cell.html",
        period=p,
        due=con.due_date,
        inst=desk.plan.institution(inst_id),
        received=received,
        subs=subs,
        flags=flags,
        rate=next((r for r in con.rates if r.institution == inst_id), None),
    )


# -- upload --------------------------------------------------------------------------


async def upload_page(desk: Desk, request: Request) -> Response:
    return desk.render(request, "upload.html", outcomes=None, limits=desk.config)


async def read_uploads(desk: Desk, form: object) -> list[Received]:
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]  # type: ignore[attr-defined]
    out = []
    for f in files:
        data = await f.read()
        out.append(Received(f.filename or "upload", data))
        await f.close()
    if not out:
        raise HTTPException(400, "choose at least one file")
    return out


async def upload_post(desk: Desk, request: Request) -> Response:
    form = await desk.form(request)
    files = await read_uploads(desk, form)
    user = request.state.user
    outcomes = await run_in_threadpool(
        receive,
        files,
        desk.store,
        desk.plan,
        desk.inbox,
        desk.reading,
        actor=user.name,
    )
    for o in outcomes:
        state = "accepted" if o.accepted else f"refused {o.refusal.code if o.refusal else ''}"
        desk.audit(request, "upload", f"{o.name}: {state}, {o.institution} {o.period}")
    if request.headers.get("x-requested-with") == "fetch":
        return desk.render(request, "_outcomes.html", outcomes=outcomes)
    return desk.render(request, "upload.html", outcomes=outcomes, limits=desk.config)


# -- matrix ----------------------------------------------------------------------------


async def matrix_page(desk: Desk, request: Request) -> Response:
    as_of = _as_of(desk, request)
    periods = views.known_periods(desk.plan, desk.store, as_of)
    label = request.query_params.get("period") or (periods[-1] if periods else "")
    if not label:
        raise HTTPException(404, "no reporting period yet")
    p = desk.period(label)
    q = request.query_params
    con = await run_in_threadpool(views.period_consolidation, desk.plan, desk.store, p.label, as_of)
    heads, rows = views.matrix(con, q.get("so", ""), q.get("institution", ""), q.get("code", ""))
    codes = sorted({f.code for f in con.flags})
    return desk.render(
        request,
        "matrix.html",
        period=p,
        periods=periods,
        heads=heads,
        rows=rows,
        codes=codes,
        q=q,
        con=con,
    )


async def plan_page(desk: Desk, request: Request) -> Response:
    return desk.render(request, "plan.html", view=views.plan_view(desk.plan))


# -- rounds ------------------------------------------------------------------------------


async def rounds_page(desk: Desk, request: Request) -> Response:
    label = request.query_params.get("period")
    if label:
        return RedirectResponse(f"/round/{quote(desk.period(label.strip()).label)}", 303)
    periods = views.known_periods(desk.plan, desk.store, _today(desk))
    return desk.render(request, "rounds.html", periods=periods)


def _manifest(folder: Path, label: str) -> list[dict[str, object]]:
    path = folder / f"manifest_{label}.json"
    if not path.is_file():
        return []
    data = json.loads(path.read_text("utf-8"))
    items = data.get("files", []) if isinstance(data, dict) else data
    return [w for w in items if isinstance(w, dict)]


async def round_page(desk: Desk, request: Request, new_links: object = None) -> Response:
    p = desk.period(request.path_params["period"])
    as_of = _today(desk)
    b = await run_in_threadpool(views.board, desk.plan, desk.store, [p.label], as_of)
    folder = desk.round_dir(p.label)
    with desk.engine.connect() as conn:
        history = (
            conn.execute(
                select(rounds_t).where(rounds_t.c.period == p.label).order_by(rounds_t.c.id.desc())
            )
            .mappings()
            .all()
        )
    drafts = sorted((folder / "drafts").glob("*.eml")) if (folder / "drafts").is_dir() else []
    return desk.render(
        request,
        "round.html",
        period=p,
        due=p.due_date(desk.plan.reporting.grace_days),
        board=b,
        workbooks=_manifest(folder, p.label),
        drafts=drafts,
        history=history,
        links=links_for(desk.engine, p.label),
        new_links=new_links,
        now=accounts.utcnow(),
    )


def run_round(desk: Desk, label: str, lang: str, replace: bool, by: str) -> int:
    """Generate the round's workbooks and e-mail drafts, as `generate --mail` does."""
    p = desk.period(label)
    folder = desk.round_dir(p.label)
    made = generate_round(
        desk.plan,
        p,
        folder,
        key_file=desk.config.key_file,
        lang=lang,
        overwrite=replace,
        mail_dir=folder / "drafts",
    )
    with desk.engine.begin() as conn:
        conn.execute(
            insert(rounds_t).values(
                period=p.label,
                generated_at=accounts.utcnow(),
                generated_by=by,
                lang=lang,
                workbooks=len(made.workbooks),
            )
        )
    return len(made.workbooks)


async def generate_post(desk: Desk, request: Request) -> Response:
    form = await desk.form(request)
    p = desk.period(request.path_params["period"])
    lang = str(form.get("lang") or desk.plan.languages[0])
    if lang not in desk.plan.languages:
        raise HTTPException(400, f"language {lang!r} is not one of the plan's")
    replace = form.get("replace") == "1"
    try:
        n = await run_in_threadpool(
            run_round, desk, p.label, lang, replace, request.state.user.name
        )
    except UsageError as exc:
        msgs = "; ".join(f"[{x.code}] {x.message} - {x.hint}" for x in exc.report.problems)
        raise HTTPException(409, msgs) from None
    desk.audit(request, "generate", f"{p.label}: {n} workbook(s), {lang}")
    return RedirectResponse(f"/round/{quote(p.label)}", 303)


async def round_zip(desk: Desk, request: Request) -> Response:
    from .app import attachment, zip_dir

    p = desk.period(request.path_params["period"])
    folder = desk.round_dir(p.label)
    if not folder.is_dir():
        raise HTTPException(404, "this round has not been generated yet")
    desk.audit(request, "download", f"workbooks {p.label}")
    return attachment(
        zip_dir(folder, (".xlsx", ".json")), f"workbooks_{p.label}.zip", "application/zip"
    )


async def drafts_zip(desk: Desk, request: Request) -> Response:
    from .app import attachment, zip_dir

    p = desk.period(request.path_params["period"])
    folder = desk.round_dir(p.label) / "drafts"
    if not folder.is_dir():
        raise HTTPException(404, "this round has no drafts yet")
    desk.audit(request, "download", f"drafts {p.label}")
    return attachment(zip_dir(folder, (".eml",)), f"drafts_{p.label}.zip", "application/zip")


# -- downloads ---------------------------------------------------------------------------


async def downloads_page(desk: Desk, request: Request) -> Response:
    import shutil

    periods = views.known_periods(desk.plan, desk.store, _today(desk))
    years = sorted({int(lb[:4]) for lb in periods})
    return desk.render(
        request,
        "downloads.html",
        periods=periods,
        years=years,
        pdf=bool(shutil.which("soffice") or shutil.which("libreoffice")),
    )


KINDS = {
    "consolidated.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "consolidated.pdf": "application/pdf",
    "consolidated.json": "application/json",
    "csv.zip": "application/zip",
}


def build_download(desk: Desk, label: str, kind: str, as_of: dt.date) -> bytes:
    """Consolidate the period from the store and write the asked format (bytes)."""
    from .app import scratch, zip_dir

    p = desk.period(label)
    run = consolidate_returns(desk.plan, p, [], desk.reading, store=desk.store, as_of=as_of)
    with scratch() as tmp:
        out = Path(tmp)
        xlsx = out / f"consolidated-{p.label}.xlsx"
        written = write_consolidation(
            run.consolidation,
            xlsx,
            csv_dir=out / "csv" if kind == "csv.zip" else None,
            json_file=out / "c.json" if kind == "consolidated.json" else None,
            pdf=kind == "consolidated.pdf",
        )
        if kind == "consolidated.pdf" and written.pdf_note:
            raise HTTPException(503, f"no PDF: {written.pdf_note}")
        if kind == "csv.zip":
            return zip_dir(out / "csv", (".csv",))
        target = {"consolidated.json": out / "c.json", "consolidated.pdf": xlsx.with_suffix(".pdf")}
        return target.get(kind, xlsx).read_bytes()


async def download(desk: Desk, request: Request) -> Response:
    from .app import attachment

    kind = request.path_params["kind"]
    if kind not in KINDS:
        raise HTTPException(404, "no such download")
    p = desk.period(request.path_params["period"])
    try:
        data = await run_in_threadpool(build_download, desk, p.label, kind, _as_of(desk, request))
    except UsageError as exc:
        raise HTTPException(
            503, "; ".join(f"[{x.code}] {x.hint}" for x in exc.report.problems)
        ) from None
    desk.audit(request, "download", f"{kind} {p.label}")
    name = kind.replace("consolidated", f"consolidated-{p.label}").replace(
        "csv", f"csv-{p.label}", 1
    )
    return attachment(data, name, KINDS[kind])


def build_yearly(desk: Desk, year: int) -> bytes:
    from .app import scratch

    with scratch() as tmp:
        path = Path(tmp) / f"yearly-{year}.xlsx"
        yearly_report(desk.plan, desk.store, year, path, pdf=False)
        return path.read_bytes()


async def yearly(desk: Desk, request: Request) -> Response:
    from .app import attachment

    year = request.path_params["year"]
    if not desk.plan.start_year <= year <= desk.plan.end_year:
        raise HTTPException(404, "that year is outside the strategy period")
    data = await run_in_threadpool(build_yearly, desk, year)
    desk.audit(request, "download", f"yearly {year}")
    return attachment(data, f"yearly-{year}.xlsx", KINDS["consolidated.xlsx"])


async def audit_page(desk: Desk, request: Request) -> Response:
    return desk.render(request, "audit.html", entries=accounts.audit_log(desk.engine, 500))
