"""Mail-ready rounds: drafts parsed back with the standard library; sending to a local server."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from returns import ON_TIME, PERIOD, copy, generated

from mne_workbook.cli import main
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.locales import catalog
from mne_workbook.mail import read_draft
from mne_workbook.plan import Plan, load_plan

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    assert "Traceback" not in r.output, r.output
    return r.exit_code, r.output


def plain(msg: Any) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


def attachment(msg: Any) -> tuple[str, bytes]:
    [part] = list(msg.iter_attachments())
    return part.get_filename(), part.get_content()


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(ROOT / "sample_plans" / "demo.yaml")


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_generate_writes_one_draft_per_institution(
    demo: Plan, demo_path: Path, tmp_path: Path, lang: str
) -> None:
    code, out = run(
        "generate",
        str(demo_path),
        "--period",
        "2026-Q3",
        "--out",
        str(tmp_path / "wb"),
        "--mail",
        str(tmp_path / "mail"),
        "--lang",
        lang,
    )
    assert code == 0, out
    drafts = sorted((tmp_path / "mail").glob("*.eml"))
    assert [d.name for d in drafts] == [
        "KP_2026-Q3.eml",
        "MEST_2026-Q3.eml",
        "MLSW_2026-Q3.eml",
        "ONATC_2026-Q3.eml",
    ]
    cat = catalog(lang)
    for d in drafts:
        msg = read_draft(d)
        inst = next(i for i in demo.institutions if d.name.startswith(i.short_name + "_"))
        assert [a.addr_spec for a in msg["To"].addresses] == list(inst.emails)
        assert msg["Subject"] == cat.text(
            "mail.subject", plan=demo.title, period="2026-Q3", due="2026-10-15"
        )
        assert msg["X-Unsent"] == "1" and msg["Reply-To"] == demo.reporting.send_to
        body = plain(msg)
        assert body.startswith(cat.text("mail.greeting", institution=inst.name))
        assert "2026-10-15" in body
        name, data = attachment(msg)
        assert name == d.stem + ".xlsx"
        assert data == (tmp_path / "wb" / name).read_bytes()


def test_institutions_without_contact_are_listed_not_skipped(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "sample_plans" / "demo.yaml").read_text("utf-8"))
    data["institutions"][1].pop("email")  # KP
    data["institutions"][2]["name"] = "Ministria e Punës dhe Mirëqenies Sociale"
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    code, out = run(
        "generate",
        str(plan),
        "--period",
        "2026-Q3",
        "--out",
        str(tmp_path / "wb"),
        "--mail",
        str(tmp_path / "mail"),
    )
    assert code == 0
    assert "no contact address for Kosovo Police (kp)" in out
    assert not (tmp_path / "mail" / "KP_2026-Q3.eml").exists()
    raw = (tmp_path / "mail" / "MLSW_2026-Q3.eml").read_bytes()
    assert b"Pun\xc3\xabs" not in raw.split(b"\n\n")[0], "headers are encoded, never raw UTF-8"
    msg = read_draft(tmp_path / "mail" / "MLSW_2026-Q3.eml")
    assert msg["To"].addresses[0].display_name == "Ministria e Punës dhe Mirëqenies Sociale"


@pytest.fixture
def inbox(demo: Plan, tmp_path: Path) -> Path:
    """ONATC and KP returned in full; MLSW sent a file of another period; MEST nothing."""
    from mne_workbook.periods import Period

    gen = generated(demo, tmp_path / "gen")
    box = tmp_path / "inbox"
    box.mkdir()
    for inst in ("onatc", "kp"):
        entries = random_entries(demo, PERIOD, inst, __import__("random").Random(1))
        fill_return(gen[inst], box / f"{inst}.xlsx", entries, ON_TIME)
    other = generated(demo, tmp_path / "q2", Period.parse("2026-Q2"))
    copy(other["mlsw"], box / "mlsw.xlsx")
    return box


def test_remind_drafts_only_for_overdue_refused_or_flagged(
    demo: Plan, demo_path: Path, inbox: Path, tmp_path: Path
) -> None:
    code, out = run(
        "remind",
        str(demo_path),
        str(inbox),
        "--period",
        "2026-Q3",
        "--as-of",
        "2026-11-01",
        "--mail",
        str(tmp_path / "r"),
    )
    assert code == 0, out
    drafts = {d.name: read_draft(d) for d in (tmp_path / "r").glob("*.eml")}
    assert sorted(drafts) == ["reminder_MEST_2026-Q3.eml", "reminder_MLSW_2026-Q3.eml"]
    mest = plain(drafts["reminder_MEST_2026-Q3.eml"])
    assert "due on 2026-10-15 (17 days ago)" in mest
    mlsw = plain(drafts["reminder_MLSW_2026-Q3.eml"])
    assert "The file you sent (mlsw.xlsx) could not be used: the file is for 2026-Q2" in mlsw
    name, data = attachment(drafts["reminder_MLSW_2026-Q3.eml"])
    assert data == (tmp_path / "r" / "workbooks" / name).read_bytes()
    import io

    import openpyxl

    ident = dict(openpyxl.load_workbook(io.BytesIO(data))["_identity"].iter_rows(values_only=True))
    assert (ident["institution"], ident["period"]) == ("mlsw", "2026-Q3")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sending_through_a_local_smtp_server(demo_path: Path, tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    class Collect:
        def __init__(self) -> None:
            self.got: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.got.append(envelope)
            return "250 OK"

    handler = Collect()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        args = [
            "generate",
            str(demo_path),
            "--period",
            "2026-Q3",
            "--out",
            str(tmp_path / "wb"),
            "--mail",
            str(tmp_path / "mail"),
            "--smtp",
            f"127.0.0.1:{port}",
            "--no-starttls",
        ]
        code, out = run(*args, "--dry-run")
        assert code == 0 and out.count("would send") == 4 and handler.got == []
        code, out = run(
            *args[:-3],
            "--mail",
            str(tmp_path / "mail2"),
            "--smtp",
            f"127.0.0.1:{port}",
            "--no-starttls",
            "--overwrite",
        )
        assert code == 0, out
    finally:
        controller.stop()
    assert len(handler.got) == 4
    from email import message_from_bytes, policy

    recipients = sorted(r for e in handler.got for r in e.rcpt_tos)
    assert recipients == sorted(
        [
            "monitoring@onatc.example",
            "thb.unit@kp.example",
            "idht@kp.example",
            "social.services@mlsw.example",
            "curriculum@mest.example",
        ]
    )
    for e in handler.got:
        msg = message_from_bytes(e.content, policy=policy.default)
        assert msg["X-Unsent"] is None
        [part] = list(msg.iter_attachments())
        assert part.get_content() == (tmp_path / "wb" / str(part.get_filename())).read_bytes()
