"""Fill the demo plan's generated workbooks as the ministries might, for `make demo`.

    python scripts/make_demo_returns.py GENERATED_DIR RETURNS_DIR [KEY_FILE]

The round is taken as generated on 1 October (the workbooks are generated again with
that time, signed with KEY_FILE), so that saved and arrival times tell a plausible story.
ONATC's return comes as a saved e-mail (.eml, built here with the standard library),
stamped by ONATC's mail server on time; the police returns on time (a file saved into
the inbox), with a value typed past the dropdown and a monthly value left blank; the
ministry of labour sends a draft and then, by e-mail from a personal address, a
corrected file that arrives after the due date although its own saved time says
otherwise (it counts, late, with the sender flagged); education sends nothing; and
someone sends a CSV renamed to .xlsx.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import shutil
import sys
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from mne_workbook.fill import fill_return, random_entries, set_arrived_at
from mne_workbook.generate import generate
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, load_plan
from mne_workbook.signing import load_keys, new_key

PLAN = Path(__file__).resolve().parent.parent / "sample_plans" / "demo.yaml"
PERIOD = "2026-Q3"


def _eml(path: Path, sender: str, subject: str, attachment: Path, received: dt.datetime) -> None:
    """A received e-mail as Thunderbird saves it: ONATC's server's Received: on top."""
    msg = EmailMessage()
    msg["Received"] = (
        "from mail.example.net by mail.onatc.example with ESMTPS;"
        f" {email.utils.format_datetime(received)}"
    )
    msg["From"] = sender
    msg["To"] = "monitoring@onatc.example"
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(received - dt.timedelta(minutes=2))
    msg.set_content("Dear colleagues, please find our report attached.")
    msg.add_attachment(
        attachment.read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=attachment.name,
    )
    path.write_bytes(msg.as_bytes(policy=SMTP))
    set_arrived_at(path, received + dt.timedelta(hours=2))  # saved from the inbox later


def main(generated: Path, returns: Path, key_file: Path | None = None) -> None:
    plan = load_plan(PLAN)
    period = Period.parse(PERIOD)
    rng = random.Random(2026)
    if returns.exists():
        shutil.rmtree(returns)
    returns.mkdir(parents=True)
    round_start = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        key = key_file or generated.parent / "demo.key"
        keys = load_keys(key) if key.exists() else new_key(key)
        generate(plan, period, tmp, keys=keys, generated_at=round_start, master=False)
        _fill(plan, period, Path(tmp), returns, rng)
    print(f"Wrote {len(list(returns.iterdir()))} example returns to {returns}")


def _fill(plan: Plan, period: Period, generated: Path, returns: Path, rng: random.Random) -> None:
    due = period.due_date(plan.reporting.grace_days)
    on_time = dt.datetime.combine(due, dt.time(10, 0)) - dt.timedelta(days=3)

    onatc = random_entries(plan, period, "onatc", rng)
    with tempfile.TemporaryDirectory() as tmp:
        attachment = Path(tmp) / f"ONATC_{PERIOD}.xlsx"
        fill_return(generated / f"ONATC_{PERIOD}.xlsx", attachment, onatc, on_time)
        _eml(
            returns / "ONATC return Q3.eml",
            "ONATC monitoring <monitoring@onatc.example>",
            f"Return {PERIOD}",
            attachment,
            (on_time + dt.timedelta(minutes=20)).replace(tzinfo=dt.UTC),
        )

    kp = random_entries(plan, period, "kp", rng)
    kp[("A2.1.1", "D8", "value@2026-08-31")] = "n/a"  # typed past the validation
    kp[("A2.1.1", "", "status")] = "3 - Has started"
    kp.pop(("A2.1.1", "D8", "value@2026-09-30"), None)  # left blank: overdue
    fill_return(
        generated / f"KP_{PERIOD}.xlsx",
        returns / "kp-2026q3.xlsx",
        kp,
        on_time - dt.timedelta(days=1),
    )

    draft = random_entries(plan, period, "mlsw", rng, blank_share=0.5)
    fill_return(
        generated / f"MLSW_{PERIOD}.xlsx",
        returns / "MLSW draft.xlsx",
        draft,
        on_time - dt.timedelta(days=10),
    )
    final = random_entries(plan, period, "mlsw", rng)
    with tempfile.TemporaryDirectory() as tmp:
        attachment = Path(tmp) / "MLSW final.xlsx"
        # saved "on time" by its own clock; ONATC's server received it five days late
        fill_return(generated / f"MLSW_{PERIOD}.xlsx", attachment, final, on_time)
        _eml(
            returns / "Fwd MLSW final.eml",
            "MLSW secretary <mlsw.secretary@mail.example>",
            "Fwd: MLSW report Q3 (final)",
            attachment,
            (on_time + dt.timedelta(days=5)).replace(tzinfo=dt.UTC),
        )

    (returns / "notes from MEST.xlsx").write_text("activity;value\nA1.2.1;done\n", "utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
