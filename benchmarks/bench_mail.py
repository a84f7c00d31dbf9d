"""How much saved e-mails cost before reading: expanding a mailbox against a raw floor.

    .venv/bin/python benchmarks/bench_mail.py [--messages 1000] [--runs 3]

Builds an mbox of N e-mails, each carrying one 30 KB attachment, and times (median of
--runs) :func:`mail_input.expand_mail` on it against the floor of the same work done
bare: the standard library's ``email`` parser (``policy.default``) splitting the same
messages and writing each attachment to disk. Prints both and their ratio.
"""

from __future__ import annotations

import argparse
import email.utils
import os
import statistics
import sys
import tempfile
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from mne_workbook.mail_input import expand_mail, mbox_messages


def _mbox(path: Path, n: int) -> None:
    payload = os.urandom(30 * 1024)
    with path.open("wb") as fh:
        for i in range(n):
            msg = EmailMessage()
            msg["Received"] = f"by mail.onatc.example; {email.utils.formatdate(usegmt=True)}"
            msg["From"] = f"sender{i}@example.org"
            msg["Subject"] = f"return {i}"
            msg.set_content("attached")
            msg.add_attachment(
                payload, maintype="application", subtype="octet-stream", filename=f"r{i}.xlsx"
            )
            fh.write(b"From - Sat Oct 10 09:00:00 2026\n")
            fh.write(msg.as_bytes(policy=policy.SMTP).replace(b"\r\n", b"\n") + b"\n")


def _floor(path: Path, out: Path) -> int:
    parser = BytesParser(policy=policy.default)
    n = 0
    for raw in mbox_messages(path.read_bytes()):
        msg = parser.parsebytes(raw)
        for part in msg.iter_attachments():
            data = part.get_payload(decode=True)
            (out / f"{n}.bin").write_bytes(data)
            n += 1
    return n


def _median(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            fn(Path(out))  # type: ignore[operator]
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        box = Path(tmp) / "returns.mbox"
        _mbox(box, args.messages)
        ours = _median(lambda out: expand_mail(box, out), args.runs)
        floor = _median(lambda out: _floor(box, out), args.runs)
        size = box.stat().st_size
    print(f"mbox: {args.messages} messages, {size / 1e6:.1f} MB")
    print(f"expand_mail: {ours:.2f} s   stdlib floor: {floor:.2f} s   ratio {ours / floor:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
