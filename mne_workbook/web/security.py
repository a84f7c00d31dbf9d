"""Security plumbing of the desk: response headers, body limit, CSRF tokens, bind check.

* Every response carries a Content-Security-Policy without inline script, nosniff,
  frame denial and no referrer (upload links hold their token in the path).
* A request body larger than the limit is refused before it is parsed.
* CSRF: a random cookie (``mne_csrf``, HttpOnly, SameSite=Lax) is set on the first
  visit; every POST must carry HMAC(server secret, cookie) in its form field
  ``csrf_token`` or header ``X-CSRF-Token``. A cross-site page can neither read the
  cookie nor compute the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from ..errors import Location, UsageError, fail

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_COOKIE = "mne_csrf"
SESSION_COOKIE = "mne_session"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class BodyTooLarge(Exception):
    """The request body passed the configured limit."""


def cookie_value(scope: Scope, name: str) -> str:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is as good as none
                continue
            if name in jar:
                return jar[name].value
    return ""


def cookie_header(name: str, value: str, secure: bool, max_age: int | None = None) -> bytes:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts).encode("latin-1")


def csrf_token(secret: bytes, cookie: str) -> str:
    return hmac.new(secret, cookie.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, cookie: str, token: str) -> bool:
    return bool(cookie) and hmac.compare_digest(csrf_token(secret, cookie), token or "")


class Guard:
    """ASGI middleware: security headers, the CSRF cookie, the request body limit."""

    def __init__(self, app: ASGIApp, max_body: int, secure: bool) -> None:
        self.app = app
        self.max_body = max_body
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length", b"0")
        try:
            too_big = int(length) > self.max_body
        except ValueError:
            too_big = True
        if too_big:
            await _plain(send, 413, "The upload is larger than the limit.", self.secure)
            return
        csrf = cookie_value(scope, CSRF_COOKIE)
        fresh = not csrf or len(csrf) > 100
        if fresh:
            csrf = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_cookie"] = csrf
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge()
            return message

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = security_headers(self.secure, scope.get("path", ""))
                if fresh:
                    extra.append((b"set-cookie", cookie_header(CSRF_COOKIE, csrf, self.secure)))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, limited, with_headers)


def security_headers(secure: bool, path: str = "") -> list[tuple[bytes, bytes]]:
    out = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if not path.startswith("/static/"):
        out.append((b"cache-control", b"no-store"))
    if secure:
        out.append((b"strict-transport-security", b"max-age=31536000"))
    return out


async def _plain(send: Send, status: int, text: str, secure: bool) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *security_headers(secure),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, tls: bool, behind_proxy: bool) -> None:
    """Refuse to serve plain HTTP on a non-loopback address unless a TLS proxy is in front."""
    if is_loopback(host) or tls or behind_proxy:
        return
    raise fail(
        UsageError,
        "web-bind-refused",
        f"--host {host} is reachable from the network and no TLS is configured",
        Location(path="--host"),
    )
