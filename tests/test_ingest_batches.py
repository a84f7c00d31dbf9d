"""Ingest reads and stores its inputs a batch at a time (memory stays flat however many
files it is given); the store ends up exactly as when everything is read at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from returns import KEYS, PERIOD, generated

import mne_workbook.storing as storing
from mne_workbook.consolidate import consolidate
from mne_workbook.discovery import discover
from mne_workbook.fill import fill_return, random_entries
from mne_workbook.intake import read_inputs
from mne_workbook.plan import load_plan
from mne_workbook.report import to_json
from mne_workbook.store import Store

HERE = Path(__file__).resolve().parent


def _mail(path: Path, attachment: Path | None) -> Path:
    msg = EmailMessage()
    msg["From"] = "focal.point@example.org"
    msg["To"] = "onatc@example.org"
    msg["Subject"] = "Our return"
    msg["Date"] = "Mon, 06 Oct 2026 09:00:00 +0000"
    msg.set_content("Please find our return attached.")
    if attachment is not None:
        msg.add_attachment(
            attachment.read_bytes(),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=attachment.name,
        )
    path.write_bytes(bytes(msg))
    return path


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Returns (two per institution), a saved e-mail carrying one, an e-mail without an
    attachment (refused as a whole), a text file and the same bytes under two names."""
    plan = load_plan(HERE.parent / "sample_plans" / "demo.yaml")
    tmp = tmp_path_factory.mktemp("batches")
    made = generated(plan, tmp / "gen")
    box = tmp / "inbox"
    box.mkdir()
    rng = random.Random(3)
    for k in range(2):
        for inst, path in sorted(made.items()):
            if inst == "master":
                continue
            when = dt.datetime(2026, 10, 3 + k, 9, 0)
            entries = random_entries(plan, PERIOD, inst, rng, blank_share=0.3)
            fill_return(path, box / f"{k}-{inst}.xlsx", entries, saved_at=when, arrived_at=when)
    _mail(box / "a-mail.eml", box / "1-kp.xlsx")
    _mail(box / "b-no-attachment.eml", None)
    (box / "notes.xlsx").write_text("not a workbook")
    (box / "z-copy.xlsx").write_bytes((box / "0-kp.xlsx").read_bytes())
    return box


def _ingest(inbox: Path, db: Path, batch: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    plan = load_plan(HERE.parent / "sample_plans" / "demo.yaml")
    monkeypatch.setattr(storing, "BATCH", batch)
    store = Store(str(db))
    reader = partial(read_inputs, plan=plan, period=None, keys=KEYS, require_signature=True)
    now = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
    found = discover([inbox], exclude=store.own_files())
    skipped: list[str] = []
    rows = storing.ingest_inputs(
        store, found.inputs, lambda items: reader(items, now=now), skipped=skipped
    )
    stored = store.returns()
    con = consolidate(plan, store.submissions(plan.id, PERIOD.label), PERIOD, dt.date(2026, 11, 1))
    return (
        [r.to_dict() for r in rows],
        [r.problem for r in rows],
        skipped,
        [
            {k: v for k, v in dataclasses.asdict(r).items() if k not in ("id", "ingested_at")}
            for r in stored
        ],
        to_json(con),
    )


def test_batches_store_exactly_what_one_read_stores(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "whole").mkdir()
    (tmp_path / "batched").mkdir()
    whole = _ingest(inbox, tmp_path / "whole" / "h.sqlite", 10_000, monkeypatch)
    batched = _ingest(inbox, tmp_path / "batched" / "h.sqlite", 2, monkeypatch)
    assert batched == whole
    rows = whole[0]
    refusals = [r["refusal"] for r in rows]
    assert "mail-without-attachment" in refusals and "not-a-workbook" in refusals
    assert refusals[-1] == "mail-without-attachment"  # an unopened e-mail is stored last
    assert any(not r["new"] for r in rows)  # the copy: same bytes, stored once
    assert len(rows) > 2 * 2  # more inputs than a batch of 2: several batches ran


def test_ingest_keeps_no_submission_unless_asked(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = load_plan(HERE.parent / "sample_plans" / "demo.yaml")
    reader = partial(read_inputs, plan=plan, period=None, keys=KEYS, require_signature=True)
    found = discover([inbox])
    for keep in (False, True):
        (tmp_path / str(keep)).mkdir()
        store = Store(str(tmp_path / str(keep) / "h.sqlite"))
        rows = storing.ingest_inputs(
            store, found.inputs, lambda items: reader(items), keep_submissions=keep
        )
        assert any(r.new for r in rows)
        new = [r for r in rows if r.new]
        assert all((r.submission is not None) == keep for r in new)
        if not keep:
            assert all(r.submission is None for r in rows)
