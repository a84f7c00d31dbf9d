"""Institution upload links: ONATC issues, extends and revokes them; focal points upload.

The link page needs no account; it shows one institution's name, period and due date,
and the outcome of each upload in the link's language. It shows nothing of any other
institution.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .i18n import code_text, texts
from .links import LinkState, extend_link, find_link, issue_link, link_drafts, revoke_link
from .tables import arrivals_t, links_t
from .uploads import receive

if TYPE_CHECKING:
    from .app import Desk


async def issue_post(desk: Desk, request: Request) -> Response:
    from .pages_desk import round_page

    form = await desk.form(request)
    p = desk.period(request.path_params["period"])
    wanted = str(form.get("institution") or "all")
    lang = str(form.get("lang") or desk.plan.languages[0])
    if lang not in desk.plan.languages:
        raise HTTPException(400, f"language {lang!r} is not one of the plan's")
    carriers = [i.id for i in desk.plan.carriers()]
    if wanted != "all" and wanted not in carriers:
        raise HTTPException(400, "that institution carries no activity in the plan")
    base = str(request.base_url).rstrip("/")
    as_drafts = form.get("drafts") == "1"
    workbooks = _round_workbooks(desk, p.label)
    if as_drafts and not workbooks:
        raise HTTPException(409, "generate the round first: the drafts carry its workbooks")
    made = []
    for inst in carriers if wanted == "all" else [wanted]:
        token, link = issue_link(desk.engine, desk.plan, p, inst, request.state.user.name, lang)
        made.append((desk.plan.institution(inst), f"{base}/u/{token}", link))
        desk.audit(
            request,
            "link-issued",
            f"link {link.id}: {inst} {p.label}, until {link.expires_at:%Y-%m-%d %H:%M}",
        )
    if as_drafts:
        from .app import attachment

        issued = [(i.id, url, link) for i, url, link in made]
        data = link_drafts(desk.plan, p, issued, workbooks)
        return attachment(data, f"drafts-with-links_{p.label}.zip", "application/zip")
    return await round_page(desk, request, new_links=made)


def _round_workbooks(desk: Desk, label: str) -> dict[str, Path]:
    """Institution id -> its workbook in the generated round (empty when not generated)."""
    from .pages_desk import _manifest

    folder = desk.round_dir(label)
    return {
        str(w["institution"]): folder / str(w["path"])
        for w in _manifest(folder, label)
        if w.get("kind") == "institution" and (folder / str(w["path"])).is_file()
    }


def _link_period(desk: Desk, link_id: int) -> str:
    with desk.engine.connect() as conn:
        row = conn.execute(select(links_t.c.period).where(links_t.c.id == link_id)).first()
    if row is None:
        raise HTTPException(404, "no such link")
    return str(row[0])


async def revoke_post(desk: Desk, request: Request) -> Response:
    await desk.form(request)
    link_id = request.path_params["id"]
    label = _link_period(desk, link_id)
    revoke_link(desk.engine, link_id)
    desk.audit(request, "link-revoked", f"link {link_id}")
    return RedirectResponse(f"/round/{quote(label)}", 303)


async def extend_post(desk: Desk, request: Request) -> Response:
    form = await desk.form(request)
    link_id = request.path_params["id"]
    label = _link_period(desk, link_id)
    try:
        until = dt.date.fromisoformat(str(form.get("until") or ""))
    except ValueError:
        raise HTTPException(400, "give the new last day as 2026-12-31") from None
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time())
    extend_link(desk.engine, link_id, end)
    desk.audit(request, "link-extended", f"link {link_id} until {until.isoformat()}")
    return RedirectResponse(f"/round/{quote(label)}", 303)


def _lang(request: Request, default: str) -> str:
    lang = request.query_params.get("lang", default)
    return lang if lang in ("en", "sq", "sr") else default


def _history(desk: Desk, link_id: int) -> list[dict[str, object]]:
    with desk.engine.connect() as conn:
        rows = conn.execute(
            select(arrivals_t)
            .where(arrivals_t.c.actor == f"link:{link_id}")
            .order_by(arrivals_t.c.id)
        ).mappings()
        return [dict(r) for r in rows]


async def _closed(desk: Desk, request: Request, state: LinkState, lang: str) -> Response:
    status = 404 if state == LinkState.UNKNOWN else 410
    return desk.render(request, "link_closed.html", status, t=texts(lang), state=str(state))


async def link_page(desk: Desk, request: Request) -> Response:
    link = find_link(desk.engine, request.path_params["token"])
    if link is None:
        return await _closed(desk, request, LinkState.UNKNOWN, _lang(request, "en"))
    lang = _lang(request, link.lang)
    if link.state() != LinkState.OPEN:
        return await _closed(desk, request, link.state(), lang)
    return _render_link(desk, request, link, lang, None)


def _render_link(
    desk: Desk, request: Request, link: object, lang: str, outcomes: object
) -> Response:
    from .links import Link

    assert isinstance(link, Link)
    p = desk.period(link.period)
    return desk.render(
        request,
        "link.html",
        t=texts(lang),
        lang=lang,
        code_text=code_text,
        link=link,
        inst=desk.plan.institution(link.institution),
        period=p,
        due=p.due_date(desk.plan.reporting.grace_days),
        outcomes=outcomes,
        history=_history(desk, link.id),
        limits=desk.config,
        token=request.path_params["token"],
    )


async def link_post(desk: Desk, request: Request) -> Response:
    from .pages_desk import read_uploads

    link = find_link(desk.engine, request.path_params["token"])
    lang = _lang(request, link.lang if link else "en")
    if link is None or link.state() != LinkState.OPEN:
        state = link.state() if link else LinkState.UNKNOWN
        desk.audit(request, "link-refused", f"{state}", actor=f"link:{link.id}" if link else "-")
        return await _closed(desk, request, state, lang)
    form = await desk.form(request)
    files = await read_uploads(desk, form)
    outcomes = await run_in_threadpool(
        receive,
        files,
        desk.store,
        desk.plan,
        desk.inbox,
        desk.reading,
        link=link,
        actor=f"link:{link.id}",
    )
    for o in outcomes:
        what = "accepted" if o.accepted else f"refused {o.refusal.code if o.refusal else ''}"
        desk.audit(request, "link-upload", f"{o.name}: {what}", actor=f"link:{link.id}")
    if request.headers.get("x-requested-with") == "fetch":
        return desk.render(
            request,
            "_link_outcomes.html",
            t=texts(lang),
            code_text=code_text,
            lang=lang,
            outcomes=outcomes,
        )
    return _render_link(desk, request, link, lang, outcomes)
