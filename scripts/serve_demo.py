"""`make serve`: the web desk on the demo store, with a demo user whose password it prints.

    python scripts/serve_demo.py DEMO_OUT [PORT]

A fresh password is made each time (the account ``demo``, role admin); then the
process becomes ``mne-workbook serve`` on http://127.0.0.1:PORT (Ctrl+C stops it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mne_workbook.store import Store
from mne_workbook.web.accounts import add_user, list_users, new_password, set_password
from mne_workbook.web.tables import ensure_tables

ROOT = Path(__file__).resolve().parent.parent


def main(out: Path, port: str) -> None:
    db = out / "mne.sqlite"
    store = Store(str(db))
    ensure_tables(store.engine)
    password = new_password()
    if any(u.name == "demo" for u in list_users(store.engine)):
        set_password(store.engine, "demo", password)
    else:
        add_user(store.engine, "demo", password, "admin")
    store.engine.dispose()
    print(f"\n  The web desk: open http://127.0.0.1:{port}/ and sign in as")
    print(f"    user: demo\n    password: {password}\n", flush=True)
    exe = Path(sys.executable).with_name("mne-workbook")
    args = [
        str(exe),
        "serve",
        "--plan",
        str(ROOT / "sample_plans" / "demo.yaml"),
        "--db",
        str(db),
        "--key-file",
        str(out / "demo.key"),
        "--port",
        port,
        "--insecure-http",
    ]
    os.execv(args[0], args)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "8000")
