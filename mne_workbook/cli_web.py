"""`serve` (the web desk) and `user` (its accounts): registered on the main CLI group."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .cli_options import allow_unsigned_option, db_option

EXIT_OK = 0


@click.command()
@click.option("--plan", "plan_path", required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--db", metavar="URL", help="Store: a path or SQLAlchemy URL (default: next to the plan)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for generated rounds and the upload inbox (default: mne-web next to the store).",
)
@click.option(
    "--key-file", type=click.Path(path_type=Path, dir_okay=False), help="Signing key file."
)
@click.option(
    "--ssl-certfile", type=click.Path(exists=True, dir_okay=False), help="TLS certificate."
)
@click.option(
    "--ssl-keyfile", type=click.Path(exists=True, dir_okay=False), help="TLS private key."
)
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="A TLS reverse proxy forwards to this server: trust its X-Forwarded-* headers.",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="With --behind-proxy: the proxy's addresses.",
)
@click.option(
    "--insecure-http",
    is_flag=True,
    help="Cookies without Secure, for plain http://127.0.0.1 on one PC.",
)
@allow_unsigned_option
@click.option("--max-files", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--max-file-mb", default=20, show_default=True, type=click.IntRange(1, 1024))
def serve(
    plan_path: Path,
    db: str | None,
    host: str,
    port: int,
    data_dir: Path | None,
    key_file: Path | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    behind_proxy: bool,
    forwarded_allow_ips: str,
    insecure_http: bool,
    allow_unsigned: bool,
    max_files: int,
    max_file_mb: int,
) -> None:
    """The web desk: status board, uploads, matrix, rounds and institution upload links."""
    import uvicorn

    from .store import default_url
    from .web.app import DeskConfig, create_app
    from .web.security import check_bind

    tls = bool(ssl_certfile and ssl_keyfile)
    check_bind(host, tls, behind_proxy)
    config = DeskConfig(
        plan_path=plan_path,
        db_url=db or default_url(plan_path),
        data_dir=data_dir,
        key_file=key_file,
        secure_cookies=not insecure_http,
        allow_unsigned=allow_unsigned,
        max_files=max_files,
        max_file_mb=max_file_mb,
        max_request_mb=max(200, max_files * max_file_mb + 1),
    )
    app = create_app(config)
    scheme = "https" if tls or behind_proxy else "http"
    click.echo(f"The web desk for {plan_path} on {scheme}://{host}:{port}/ (Ctrl+C stops it)")
    if insecure_http is False and scheme == "http":
        click.echo(
            "note: cookies are Secure; a browser on plain http:// will not keep the sign-in."
            " Pass --insecure-http for http://127.0.0.1 on this PC.",
            err=True,
        )
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        proxy_headers=behind_proxy,
        forwarded_allow_ips=forwarded_allow_ips if behind_proxy else None,
        server_header=False,
        log_level="info",
    )


@click.group()
def user() -> None:
    """Accounts of the web desk (ONATC staff): add, list, password, disable."""


def _engine(db: str | None, plan_path: Path | None) -> Any:
    from .store import Store, as_url, default_url
    from .web.tables import ensure_tables

    if db:
        url = as_url(db)
    elif plan_path:
        url = default_url(plan_path)
    else:
        raise click.UsageError("give --db URL or --plan PLAN")
    store = Store(url)
    ensure_tables(store.engine)
    return store.engine


def _password(password_env: str | None) -> tuple[str, bool]:
    """(password, made here): from the variable, typed twice, or made at random."""
    from .web.accounts import new_password

    if password_env:
        value = os.environ.get(password_env, "")
        if not value:
            raise click.UsageError(f"environment variable {password_env} is not set or empty")
        return value, False
    if sys.stdin.isatty():
        typed = click.prompt(
            "Password (empty: make one)", hide_input=True, default="", show_default=False
        )
        if typed:
            click.prompt("Again", hide_input=True, value_proc=lambda v: _same(v, typed))
            return typed, False
    return new_password(), True


def _same(value: str, first: str) -> str:
    if value != first:
        raise click.BadParameter("the two passwords differ")
    return value


_plan = click.option(
    "--plan", "plan_path", type=click.Path(path_type=Path), help="Plan (store next to it)."
)


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "viewer"]), default="admin", show_default=True)
@click.option("--password-env", metavar="VAR", help="Take the password from this variable.")
@db_option
@_plan
def user_add(
    name: str, role: str, password_env: str | None, db: str | None, plan_path: Path | None
) -> None:
    """Create an account; without --password-env, type it or let one be made and printed."""
    from .web.accounts import add_user

    engine = _engine(db, plan_path)
    password, made = _password(password_env)
    add_user(engine, name, password, role)
    click.echo(f"user {name} ({role}) added")
    if made:
        click.echo(f"password: {password}  (shown once; change it with `user password {name}`)")


@user.command("list")
@db_option
@_plan
def user_list(db: str | None, plan_path: Path | None) -> None:
    """The accounts and their roles."""
    from .web.accounts import list_users

    for u in list_users(_engine(db, plan_path)):
        state = " (disabled)" if u.disabled else ""
        click.echo(f"{u.name}\t{u.role}\tsince {u.created_at:%Y-%m-%d}{state}")


@user.command("password")
@click.argument("name")
@click.option("--password-env", metavar="VAR", help="Take the password from this variable.")
@db_option
@_plan
def user_password(
    name: str, password_env: str | None, db: str | None, plan_path: Path | None
) -> None:
    """Set a new password (signs the user out everywhere)."""
    from .web.accounts import set_password

    engine = _engine(db, plan_path)
    password, made = _password(password_env)
    set_password(engine, name, password)
    click.echo(f"password of {name} changed" + (f": {password}" if made else ""))


@user.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again.")
@db_option
@_plan
def user_disable(name: str, enable: bool, db: str | None, plan_path: Path | None) -> None:
    """Stop an account from signing in (its sessions end at once)."""
    from .web.accounts import set_disabled

    set_disabled(_engine(db, plan_path), name, not enable)
    click.echo(f"{name} {'enabled' if enable else 'disabled'}")


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(user)
