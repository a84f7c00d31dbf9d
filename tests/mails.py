"""Build saved e-mails for tests: .eml with the standard library, .mbox, and Outlook .msg."""

from __future__ import annotations

import datetime as dt
import email.utils
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def message(
    sender: str,
    subject: str,
    attachments: dict[str, bytes],
    received: dt.datetime | None,
    sent: dt.datetime | None = None,
) -> EmailMessage:
    """An e-mail as ONATC's server delivers it: Received: on top (when ``received``)."""
    msg = EmailMessage()
    if received is not None:
        stamp = email.utils.format_datetime(received)
        msg["Received"] = f"from relay.example.net by mail.onatc.example; {stamp}"
        msg["Received"] = (
            f"from pc by relay.example.net; {email.utils.format_datetime(sent or received)}"
        )
    msg["From"] = sender
    msg["To"] = "onatc@example.org"
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(sent or received or dt.datetime.now(dt.UTC))
    msg.set_content("Please find our return attached.")
    for name, data in attachments.items():
        maintype, subtype = (
            XLSX.split("/") if name.endswith(".xlsx") else ("application", "octet-stream")
        )
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def forward(by: str, inner: EmailMessage, received: dt.datetime) -> EmailMessage:
    """``inner`` forwarded as an attachment by ``by``."""
    msg = message(by, f"Fwd: {inner['Subject']}", {}, received)
    msg.add_attachment(inner)
    return msg


def write_eml(msg: EmailMessage, path: Path) -> Path:
    path.write_bytes(msg.as_bytes(policy=SMTP))
    return path


def write_mbox(messages: list[EmailMessage], path: Path) -> Path:
    """A Thunderbird-style mbox: a 'From ' line before each message, body 'From ' escaped."""
    chunks = []
    for m in messages:
        body = m.as_bytes(policy=SMTP).replace(b"\r\n", b"\n")
        body = b"\n".join(b">" + ln if ln.startswith(b"From ") else ln for ln in body.split(b"\n"))
        chunks.append(b"From - Sat Oct 10 09:00:00 2026\n" + body + b"\n")
    path.write_bytes(b"".join(chunks))
    return path


def write_msg(msg: EmailMessage, path: Path) -> Path:
    """An Outlook .msg of ``msg``, written by aspose-email-foss (MIT; a dev dependency)."""
    from aspose.email_foss import msg as mapi

    mapi.MapiMessage.from_email_message(msg).save(str(path))
    return path
