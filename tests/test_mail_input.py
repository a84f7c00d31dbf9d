"""Saved e-mails (.eml, .msg, .mbox) as input: attachments, arrival from ONATC's server, sender."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mails import forward, message, write_eml, write_mbox, write_msg
from returns import ON_TIME, PERIOD, generated

from mne_workbook.cli import main
from mne_workbook.consolidate import consolidate
from mne_workbook.fill import fill_return, random_entries, set_arrived_at
from mne_workbook.intake import read_inputs
from mne_workbook.mail_input import MailLimits, clean, expand_mail
from mne_workbook.plan import Plan, load_plan

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "sample_plans" / "demo.yaml"
UTC = dt.UTC
ARRIVED = dt.datetime(2026, 10, 12, 8, 30, tzinfo=UTC)  # ONATC's server: on time
RELAYED = dt.datetime(2026, 10, 12, 8, 29, tzinfo=UTC)  # a relay before it
LATE = dt.datetime(2026, 10, 21, 8, 0, tzinfo=UTC)
AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(PLAN)


@pytest.fixture(scope="module")
def returns(demo: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Filled returns of ONATC, KP and MLSW (saved before they were sent)."""
    gen = generated(demo, tmp_path_factory.mktemp("gen"))
    out = tmp_path_factory.mktemp("filled")
    rng = random.Random(13)
    got = {}
    for inst in ("onatc", "kp", "mlsw"):
        fill_return(
            gen[inst], out / f"{inst}.xlsx", random_entries(demo, PERIOD, inst, rng), ON_TIME
        )
        got[inst] = (out / f"{inst}.xlsx").read_bytes()
    return got


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    assert "Traceback" not in r.output, r.output
    return r.exit_code, r.output


def _consolidate_json(inbox: Path, out: Path) -> tuple[int, dict[str, Any], str]:
    code, text = run(
        "consolidate", str(PLAN), str(inbox), "--period", PERIOD.label, "--as-of",
        AS_OF.isoformat(), "--out", str(out / "c.xlsx"), "--json", str(out / "c.json"),
    )  # fmt: skip
    return code, json.loads((out / "c.json").read_text("utf-8")), text


def test_an_eml_gives_its_attachments_with_arrival_from_onatcs_server(
    returns: dict[str, bytes], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    mail = message(
        "Kosovo Police <thb.unit@kp.example>",
        "KP return Q3",
        {"KP_2026-Q3.xlsx": returns["kp"], "cover letter.pdf": b"%PDF-1.4 letter"},
        ARRIVED,
        sent=RELAYED,
    )
    write_eml(mail, inbox / "KP return.eml")
    set_arrived_at(inbox / "KP return.eml", LATE)  # the file's time must not count
    code, data, text = _consolidate_json(inbox, tmp_path)
    subs = {s["File"]: s for s in data["submissions"]}
    kp = subs["KP return.eml!KP_2026-Q3.xlsx"]
    assert kp["Status"] == "used" and kp["On time"] == "yes"
    # the top-most Received: (08:30 UTC), shown in the plan's zone (Europe/Belgrade, CEST)
    assert kp["Arrived at"] == "2026-10-12T10:30+02:00"
    assert kp["Arrival from"] == "e-mail Received: header"
    assert (kp["Sender"], kp["Subject"]) == ("thb.unit@kp.example", "KP return Q3")
    pdf = subs["KP return.eml!cover letter.pdf"]  # accounted for: the gate refused it
    assert pdf["Status"] == "refused" and pdf["First problem"].startswith("[not-a-workbook]")
    assert code == 1  # a refused attachment
    rate = next(r for r in data["reporting"]["institutions"] if r["institution"] == "kp")
    assert (rate["on_time"], rate["arrival_source"]) == (1, "mail-received")
    assert "KP return.eml!KP_2026-Q3.xlsx" in text and "e-mail Received: header" in text
    assert not [f for f in data["flags"] if f["code"] == "sender-not-institution"]


def test_a_folder_of_mixed_mail_gives_the_same_matrix_as_the_attachments(
    returns: dict[str, bytes], tmp_path: Path
) -> None:
    mails, plain = tmp_path / "mails", tmp_path / "plain"
    mails.mkdir()
    plain.mkdir()
    senders = {
        "onatc": "monitoring@onatc.example",
        "kp": "idht@kp.example",
        "mlsw": "social.services@mlsw.example",
    }
    msgs = {
        i: message(senders[i], f"{i} return", {f"{i}.xlsx": returns[i]}, ARRIVED) for i in senders
    }
    write_eml(msgs["onatc"], mails / "onatc.eml")
    write_msg(msgs["kp"], mails / "kp.msg")
    mbox = mails / "Returns.mbox"  # an Apple Mail style export: a folder holding 'mbox'
    mbox.mkdir()
    note = message(senders["mlsw"], "From our side: the return follows", {}, RELAYED)
    write_mbox([note, msgs["mlsw"]], mbox / "mbox")
    for inst, data in returns.items():
        (plain / f"{inst}.xlsx").write_bytes(data)
        set_arrived_at(plain / f"{inst}.xlsx", ARRIVED)
    out_m, out_p = tmp_path / "om", tmp_path / "op"
    out_m.mkdir()
    out_p.mkdir()
    code_m, by_mail, text = _consolidate_json(mails, out_m)
    code_p, by_file, _ = _consolidate_json(plain, out_p)
    assert (code_m, code_p) == (0, 0), text

    def unnamed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:  # file names differ
        return [{k: v for k, v in r.items() if k != "file"} for r in rows]

    assert unnamed(by_mail["matrix"]) == unnamed(by_file["matrix"])
    assert unnamed(by_mail["flags"]) == unnamed(by_file["flags"])
    rates = {r["institution"]: r for r in by_mail["reporting"]["institutions"]}
    assert {i: (r["on_time"], r["arrival_source"]) for i, r in rates.items()} == {
        "onatc": (1, "mail-received"),
        "kp": (1, "mail-received"),
        "mlsw": (1, "mail-received"),
        "mest": (0, ""),
    }
    files = sorted(s["File"] for s in by_mail["submissions"])
    assert files == ["Returns.mbox#2!mlsw.xlsx", "kp.msg!kp.xlsx", "onatc.eml!onatc.xlsx"]
    assert "not read Returns.mbox#1 (From our side: the return follows): no attachment" in text


def test_an_outlook_msg_keeps_arrival_and_sender(
    demo: Plan, returns: dict[str, bytes], tmp_path: Path
) -> None:
    mail = message("Idht <IDHT@kp.example>", "KP", {"KP.xlsx": returns["kp"]}, LATE)
    got = expand_mail(write_msg(mail, tmp_path / "kp.msg"), tmp_path)
    [att] = got.attachments
    assert att.name == "kp.msg!KP.xlsx" and att.path.read_bytes() == returns["kp"]
    assert att.envelope.arrival is not None
    assert att.envelope.arrival.at == LATE and att.envelope.arrival.source == "mail-received"
    assert att.envelope.sender == "idht@kp.example"
    assert expand_mail(_write(tmp_path / "bad.msg", b"not an outlook file"), tmp_path).refusals[
        0
    ].code == ("mail-unreadable")


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


def test_without_received_the_date_header_is_used_and_said(
    demo: Plan, returns: dict[str, bytes], tmp_path: Path
) -> None:
    mail = message("thb.unit@kp.example", "KP", {"KP.xlsx": returns["kp"]}, None, sent=ARRIVED)
    write_eml(mail, tmp_path / "draft.eml")
    with read_inputs([tmp_path / "draft.eml"], demo, PERIOD) as got:
        [sub] = got.submissions
    assert sub.arrival_source == "mail-date" and sub.arrived_at == ARRIVED
    [p] = [p for p in sub.problems if p.code == "arrival-from-date-header"]
    assert "draft.eml has no Received: header" in p.message


def test_forwarded_mail_from_another_address_is_flagged_and_alternates_are_allowed(
    returns: dict[str, bytes], tmp_path: Path
) -> None:
    original = message("social.services@mlsw.example", "MLSW", {"m.xlsx": returns["mlsw"]}, None)
    fwd = forward("assistant@gmail.example", original, ARRIVED)
    inline = message("focal.point@mlsw.example", "MLSW again", {"m2.xlsx": returns["mlsw"]}, LATE)
    data: dict[str, Any] = __import__("yaml").safe_load(PLAN.read_text("utf-8"))
    del data["institutions"][2]["sender_emails"]  # the demo plan lists the focal point
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(__import__("yaml").safe_dump(data), "utf-8")
    plan = load_plan(plan_path)
    write_eml(fwd, tmp_path / "fwd.eml")
    write_eml(inline, tmp_path / "inline.eml")
    files = [tmp_path / "fwd.eml", tmp_path / "inline.eml"]
    with read_inputs(files, plan, PERIOD) as got:
        subs = {s.name: s for s in got.submissions}
    fwd_sub = subs["fwd.eml!forwarded-1.eml!m.xlsx"]
    assert fwd_sub.accepted and fwd_sub.arrived_at == ARRIVED  # the outer e-mail's arrival
    [flag] = [p for p in fwd_sub.problems if p.code == "sender-not-institution"]
    assert "assistant@gmail.example" in flag.message
    assert "social.services@mlsw.example" in flag.message
    assert [p.code for p in subs["inline.eml!m2.xlsx"].problems] == ["sender-not-institution"]
    data["institutions"][2]["sender_emails"] = ["focal.point@mlsw.example"]
    plan_path.write_text(__import__("yaml").safe_dump(data), "utf-8")
    with read_inputs(files, load_plan(plan_path), PERIOD) as got:
        subs = {s.name: s for s in got.submissions}
    assert subs["inline.eml!m2.xlsx"].problems == []  # a plan-listed alternate
    con = consolidate(load_plan(plan_path), list(subs.values()), PERIOD, AS_OF)
    assert con.used["mlsw"].name == "inline.eml!m2.xlsx"  # arrived later
    assert [f.file for f in con.flags if f.code == "duplicate-return"] == [
        "fwd.eml!forwarded-1.eml!m.xlsx"
    ]


def test_what_is_not_a_return_is_refused_or_listed(tmp_path: Path) -> None:
    write_eml(message("a@b.example", "hello", {}, ARRIVED), tmp_path / "empty.eml")
    got = expand_mail(tmp_path / "empty.eml", tmp_path)
    assert [(r.name, r.code) for r in got.refusals] == [("empty.eml", "mail-without-attachment")]
    big = write_eml(
        message("a@b.example", "x", {"a.xlsx": b"x" * 5000}, ARRIVED), tmp_path / "b.eml"
    )
    got = expand_mail(big, tmp_path, MailLimits(max_mail_bytes=1000))
    assert [r.code for r in got.refusals] == ["mail-too-large"] and not got.attachments
    deep = message("a@b.example", "x", {"a.xlsx": b"PK"}, ARRIVED)
    for _ in range(4):
        deep = forward("a@b.example", deep, ARRIVED)
    got = expand_mail(write_eml(deep, tmp_path / "deep.eml"), tmp_path, MailLimits(max_depth=3))
    assert [r.code for r in got.refusals] == ["mail-too-many-parts"]
    got = expand_mail(_write(tmp_path / "x.mbox", b"not a mailbox"), tmp_path)
    assert [r.code for r in got.refusals] == ["mail-unreadable"]


def test_attachment_names_never_reach_the_disk_and_are_shown_clean(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    evil = "../../evil\x1b[31m\u202e.xlsx"
    mail = message("a@b.example", "x\x07", {evil: b"PK data"}, ARRIVED)
    got = expand_mail(write_eml(mail, tmp_path / "evil.eml"), work)
    [att] = got.attachments
    assert att.path.parent == work and att.path.name.startswith("att-")
    assert list(tmp_path.parent.glob("evil*")) == [] and "\x1b" not in att.name
    assert "\u202e" not in att.name and "/" not in att.name.split("!", 1)[1]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=2000),
    head=st.sampled_from([b"", b"From x\n", b"Content-Type: multipart/mixed; boundary=b\n\n--b\n"]),
)
def test_any_bytes_as_an_eml_or_mbox_never_raise(tmp_path: Path, data: bytes, head: bytes) -> None:
    work = tmp_path / "w"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    for suffix in (".eml", ".mbox"):
        got = expand_mail(_write(tmp_path / f"m{suffix}", head + data), work)
        assert all(a.path.parent == work for a in got.attachments)
        assert got.attachments or got.refusals or got.skipped


@given(st.text(max_size=300))
def test_clean_names_carry_no_control_or_path_characters(text: str) -> None:
    out = clean(text)
    assert len(out) <= 120 and "/" not in out and "\\" not in out
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in out)


def test_an_email_that_stalls_the_parser_is_refused_in_time(
    demo: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from mne_workbook import intake
    from mne_workbook.bounded import Bounds

    def stall(path: Path, workdir: Path, limits: Any = None) -> Any:
        time.sleep(30)

    monkeypatch.setattr(intake, "expand_mail", stall)  # the forked child inherits it
    write_eml(message("a@b.example", "x", {"a.xlsx": b"PK"}, ARRIVED), tmp_path / "slow.eml")
    started = time.monotonic()
    with read_inputs([tmp_path / "slow.eml"], demo, PERIOD, bounds=Bounds(timeout=0.5)) as got:
        [sub] = got.submissions
    assert time.monotonic() - started < 10
    assert sub.refused and sub.name == "slow.eml"
    assert [p.code for p in sub.problems] == ["parse-timeout"]


def test_an_outlook_msg_forwarded_as_an_attachment_is_opened(tmp_path: Path) -> None:
    inner = message("thb.unit@kp.example", "KP", {"kp.xlsx": b"PK\x03\x04data"}, None)
    fwd = write_msg(forward("assistant@gmail.example", inner, ARRIVED), tmp_path / "fwd.msg")
    got = expand_mail(fwd, tmp_path)
    [att] = got.attachments
    assert att.name.startswith("fwd.msg!") and att.name.endswith("!kp.xlsx")
    assert att.path.read_bytes() == b"PK\x03\x04data"
    assert att.envelope.sender == "assistant@gmail.example"  # the forwarder: flagged later
    assert att.envelope.arrival is not None and att.envelope.arrival.at == ARRIVED


def test_remind_reads_saved_emails_too(returns: dict[str, bytes], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for inst, sender in (("onatc", "monitoring@onatc.example"), ("kp", "idht@kp.example")):
        mail = message(sender, inst, {f"{inst}.xlsx": returns[inst]}, ARRIVED)
        write_eml(mail, inbox / f"{inst}.eml")
    code, out = run(
        "remind", str(PLAN), str(inbox), "--period", PERIOD.label, "--as-of",
        AS_OF.isoformat(), "--mail", str(tmp_path / "r"), "--json",
    )  # fmt: skip
    assert code == 0, out
    reminded = {r["institution"] for r in json.loads(out)["reminded"]}
    assert "kp" not in reminded and "onatc" not in reminded  # their e-mailed returns count
    assert {"mlsw", "mest"} <= reminded
