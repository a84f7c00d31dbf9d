"""The web desk: a server-rendered Starlette application over the library and the store.

Pages are Jinja2 templates (autoescaped: names and cell texts from returns are
hostile); the browser runs only the two scripts served from the package (htmx and the
drag-and-drop uploader), so it works on an office network without internet.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import tempfile
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import CATALOG, Problem, UsageError
from ..periods import Period
from ..plan import Plan, load_plan
from ..store import Store
from ..workflows import ReadSettings, plan_period
from . import accounts, pages_desk, pages_link
from .security import CSRF_COOKIE, SESSION_COOKIE, BodyTooLarge, Guard, csrf_ok, csrf_token
from .tables import ensure_tables

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class DeskConfig:
    """How the desk runs; the CLI's ``serve`` options."""

    plan_path: Path
    db_url: str
    data_dir: Path | None = None  # rounds and the upload inbox; default next to the store
    key_file: Path | None = None
    secure_cookies: bool = True
    allow_unsigned: bool = False
    max_files: int = 50  # files in one upload request
    max_file_mb: int = 20  # one file
    max_request_mb: int = 200  # a whole request
    workers: int | None = None  # child processes reading at once per upload
    read_timeout: float = 60.0


def _when(value: object) -> str:
    """A stored time to the second (UTC)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else str(value)


def _until(value: dt.datetime) -> str:
    """The last second a link is open (it closes at ``value``)."""
    return (value - dt.timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")


class Desk:
    """What every request needs: plan, store, keys, templates, the CSRF secret."""

    def __init__(self, config: DeskConfig) -> None:
        self.config = config
        self.plan: Plan = load_plan(config.plan_path)
        self.store = Store(config.db_url)
        ensure_tables(self.store.engine)
        self.engine = self.store.engine
        self.data_dir = (config.data_dir or self.store.root / "mne-web").resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.store.url.startswith("sqlite"):
            # a shared-server store has no folder of its own: keep the archive of
            # received files in the desk's data folder, not wherever the server started
            self.store.root = self.data_dir
        self.secret = accounts.secret(self.engine)
        self.reading = ReadSettings(
            key_file=config.key_file,
            require_signature=not config.allow_unsigned,
            workers=config.workers,
            timeout=config.read_timeout,
            max_file_mb=config.max_file_mb,
        )
        self.env = Environment(
            loader=PackageLoader("mne_workbook.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["catalog"] = CATALOG
        self.env.filters["when"] = _when
        self.env.filters["until"] = _until

    @property
    def inbox(self) -> Path:
        return self.data_dir / "inbox"

    def round_dir(self, period: str) -> Path:
        return self.data_dir / "rounds" / period

    def period(self, label: str) -> Period:
        """A period of the plan's cycle within the strategy, or 404."""
        try:
            return plan_period(self.plan, label)
        except UsageError:
            raise HTTPException(404, "no such reporting period in this plan") from None

    def render(self, request: Request, name: str, code: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("user", getattr(request.state, "user", None))
        ctx["csrf_token"] = csrf_token(self.secret, request.state.csrf_cookie)
        ctx["plan"] = self.plan
        ctx["request"] = request
        return HTMLResponse(self.env.get_template(name).render(**ctx), status_code=code)

    def audit(self, request: Request, action: str, detail: str = "", actor: str = "") -> None:
        user = getattr(request.state, "user", None)
        accounts.audit(
            self.engine,
            actor or (user.name if user else "-"),
            action,
            detail,
            request.client.host if request.client else "",
        )

    async def form(self, request: Request) -> FormData:
        """The posted form, once its CSRF token checked (403 otherwise)."""
        if request.headers.get("sec-fetch-site") == "cross-site":
            raise HTTPException(403, "cross-site request refused")
        try:
            form = await request.form(
                max_files=self.config.max_files,
                max_fields=200,
                max_part_size=1024 * 1024,
            )
        except MultiPartException as exc:
            raise over_limit(exc.message) from None
        except HTTPException as exc:  # Starlette turns the parser's limits into a 400
            raise over_limit(exc.detail) from None
        token = request.headers.get("x-csrf-token") or str(form.get("csrf_token") or "")
        if not csrf_ok(self.secret, request.state.csrf_cookie, token):
            raise HTTPException(403, "the form has expired or did not come from this site")
        return form


def over_limit(message: str) -> HTTPException:
    """413 with the ``upload-limit`` problem: what was too much and what to do."""
    p = Problem("upload-limit", message)
    return HTTPException(413, f"[{p.code}] {p.message}. {p.hint}")


def user_of(desk: Desk, request: Request) -> accounts.User | None:
    return accounts.session_user(desk.engine, request.cookies.get(SESSION_COOKIE, ""))


def need(role: str) -> Callable[[Callable[[Desk, Request], Awaitable[Response]]], Handler]:
    """Wrap a desk page: a signed-in user is required, ``admin`` for changes."""

    def wrap(fn: Callable[[Desk, Request], Awaitable[Response]]) -> Handler:
        @functools.wraps(fn)
        async def handler(request: Request) -> Response:
            desk: Desk = request.app.state.desk
            user = await run_in_threadpool(user_of, desk, request)
            request.state.user = user
            if user is None:
                if request.method == "GET":
                    return RedirectResponse(f"/login?next={request.url.path}", 303)
                raise HTTPException(401, "sign in first")
            if role == "admin" and user.role != "admin":
                raise HTTPException(403, "your account may only look, not change")
            return await fn(desk, request)

        return handler

    return wrap


def public(fn: Callable[[Desk, Request], Awaitable[Response]]) -> Handler:
    @functools.wraps(fn)
    async def handler(request: Request) -> Response:
        request.state.user = None
        return await fn(request.app.state.desk, request)

    return handler


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    desk: Desk = request.app.state.desk
    if not hasattr(request.state, "user"):
        request.state.user = None
    return desk.render(
        request, "error.html", exc.status_code, status=exc.status_code, detail=exc.detail
    )


async def _too_large(request: Request, exc: Exception) -> Response:
    desk: Desk = request.app.state.desk
    request.state.user = None
    exc_ = over_limit(f"more than {desk.config.max_request_mb} MB in one request")
    return desk.render(request, "error.html", 413, status=413, detail=exc_.detail)


async def _static_ok(request: Request) -> Response:
    return Response("ok\n", media_type="text/plain")


async def _no_icon(request: Request) -> Response:
    return Response(status_code=204)


def create_app(config: DeskConfig) -> Any:
    """The ASGI application (wrapped in the security middleware)."""
    desk = Desk(config)
    routes = [
        Route("/healthz", _static_ok),
        Route("/favicon.ico", _no_icon),
        Route("/login", public(pages_desk.login_page), methods=["GET"]),
        Route("/login", public(pages_desk.login_post), methods=["POST"]),
        Route("/logout", need("viewer")(pages_desk.logout), methods=["POST"]),
        Route("/", need("viewer")(pages_desk.home)),
        Route("/board", need("viewer")(pages_desk.board_page)),
        Route("/board/{period}/{institution}", need("viewer")(pages_desk.cell_page)),
        Route("/upload", need("viewer")(pages_desk.upload_page), methods=["GET"]),
        Route("/upload", need("admin")(pages_desk.upload_post), methods=["POST"]),
        Route("/matrix", need("viewer")(pages_desk.matrix_page)),
        Route("/plan", need("viewer")(pages_desk.plan_page)),
        Route("/rounds", need("viewer")(pages_desk.rounds_page)),
        Route("/round/{period}", need("viewer")(pages_desk.round_page)),
        Route(
            "/round/{period}/generate", need("admin")(pages_desk.generate_post), methods=["POST"]
        ),
        Route("/round/{period}/workbooks.zip", need("viewer")(pages_desk.round_zip)),
        Route("/round/{period}/drafts.zip", need("viewer")(pages_desk.drafts_zip)),
        Route("/round/{period}/links", need("admin")(pages_link.issue_post), methods=["POST"]),
        Route("/links/{id:int}/revoke", need("admin")(pages_link.revoke_post), methods=["POST"]),
        Route("/links/{id:int}/extend", need("admin")(pages_link.extend_post), methods=["POST"]),
        Route("/downloads", need("viewer")(pages_desk.downloads_page)),
        Route("/download/{period}/{kind}", need("viewer")(pages_desk.download)),
        Route("/yearly/{year:int}", need("viewer")(pages_desk.yearly)),
        Route("/audit", need("admin")(pages_desk.audit_page)),
        Route("/u/{token}", public(pages_link.link_page), methods=["GET"]),
        Route("/u/{token}", public(pages_link.link_post), methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("mne_workbook.web", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, BodyTooLarge: _too_large},
    )
    app.state.desk = desk
    guarded = Guard(app, config.max_request_mb * 1024 * 1024, config.secure_cookies)
    guarded.state = app.state  # type: ignore[attr-defined]
    return guarded


def zip_dir(folder: Path, suffixes: tuple[str, ...]) -> bytes:
    """The files of ``folder`` with those suffixes, as a zip archive in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()) if folder.is_dir() else []:
            if p.is_file() and p.suffix.lower() in suffixes:
                zf.write(p, p.name)
    return buf.getvalue()


def attachment(data: bytes, name: str, media: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return Response(
        data, media_type=media, headers={"content-disposition": f'attachment; filename="{safe}"'}
    )


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="mne-web-")


def today(zone: dt.tzinfo | None = None) -> dt.date:
    """Today in ONATC's zone (the plan's ``reporting.timezone``); the server's UTC without one."""
    return dt.datetime.now(dt.UTC).astimezone(zone or dt.UTC).date()


__all__ = ["CSRF_COOKIE", "Desk", "DeskConfig", "UploadFile", "create_app"]
