"""Saved e-mails as input: ``.eml``, Outlook ``.msg`` and ``.mbox`` -> their attachments.

ONATC's mail server stamps every e-mail it receives (the top-most ``Received:``
header), a clock the sender cannot set. :func:`expand_mail` turns one saved e-mail (or
mailbox) into its attachments, each named ``mail-file!attachment`` and carrying the
e-mail's arrival time, sender and subject; what cannot be read is refused with a
reason. E-mails are untrusted input: sizes, counts and nesting are bounded, parsing
uses the standard library's ``email`` package (``policy.default``) and, for ``.msg``,
``extract-msg``; attachment bytes are written under names this module chooses, never
under the names the e-mail gives.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from .arrival import Arrival, Source, utc

MAIL_SUFFIXES = (".eml", ".msg", ".mbox")


@dataclass(frozen=True)
class MailLimits:
    """Caps for one saved e-mail or mailbox; far above what a round of returns needs."""

    max_mail_bytes: int = 100 * 1024 * 1024  # one .eml or .msg
    max_mbox_bytes: int = 500 * 1024 * 1024  # one mailbox file
    max_messages: int = 5000  # in one mailbox
    max_attachments: int = 200  # in one e-mail, forwarded ones included
    max_depth: int = 3  # e-mails forwarded as attachments inside each other


@dataclass(frozen=True)
class Envelope:
    """What the e-mail tells about the files it carries."""

    mail: str  # how the e-mail is named: "KP return.eml", "Inbox.mbox#3"
    arrival: Arrival | None
    sender: str  # the From: address ("" when there is none)
    subject: str


@dataclass(frozen=True)
class Attachment:
    path: Path  # where its bytes were written, under a name chosen here
    name: str  # "mail-file!attachment", as shown to people
    envelope: Envelope


@dataclass(frozen=True)
class MailRefusal:
    name: str
    code: str
    message: str


@dataclass
class MailContents:
    attachments: list[Attachment] = field(default_factory=list)
    refusals: list[MailRefusal] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # body parts not read, with why


def is_mail(path: Path) -> bool:
    """A saved e-mail or mailbox (an ``X.mbox`` folder as Apple Mail exports it too)."""
    return path.suffix.lower() in MAIL_SUFFIXES


_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f/\\]")


def clean(text: str, limit: int = 120) -> str:
    """A received name or text made safe to show: no control, bidi or path characters."""
    out = "".join(
        "?" if _UNSAFE.match(ch) or unicodedata.category(ch) in ("Cf", "Cc") else ch for ch in text
    )
    out = " ".join(out.split())
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _suffix(name: str) -> str:
    ext = Path(name).suffix.lower()
    return ext if re.fullmatch(r"\.[a-z0-9]{1,10}", ext) else ".bin"


def arrival_from_headers(msg: Message) -> Arrival | None:
    """The top-most ``Received:`` header's time; ``Date:`` only when there is none."""
    for header in msg.get_all("Received") or ():
        when = _date(str(header).rpartition(";")[2])
        if when is not None:
            return Arrival(when, Source.MAIL_RECEIVED)
    when = _date(str(msg.get("Date") or ""))
    return Arrival(when, Source.MAIL_DATE) if when is not None else None


def _date(text: str) -> dt.datetime | None:
    try:
        return utc(email.utils.parsedate_to_datetime(text.strip()))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _sender(msg: Message) -> str:
    try:
        pairs = email.utils.getaddresses([str(h) for h in msg.get_all("From") or ()])
    except (TypeError, ValueError, IndexError):
        return ""
    return next((clean(addr, 200).lower() for _, addr in pairs if "@" in addr), "")


def expand_mail(path: Path, workdir: Path, limits: MailLimits | None = None) -> MailContents:
    """The attachments of a saved e-mail or mailbox, each written into ``workdir``.

    Never raises for bad data: what cannot be read is in ``refusals`` with a reason."""
    limits = limits or MailLimits()
    out = MailContents()
    suffix = path.suffix.lower()
    try:
        if suffix == ".mbox":
            _expand_mbox(path, workdir, limits, out)
        elif suffix == ".msg":
            _expand_msg(path, workdir, limits, out)
        else:
            data = _read_bounded(path, limits.max_mail_bytes)
            msg = BytesParser(policy=policy.default).parsebytes(data)
            _expand_message(msg, path.name, workdir, limits, out)
    except _TooLarge as exc:
        out.refusals.append(MailRefusal(path.name, "mail-too-large", str(exc)))
    except OSError as exc:
        out.refusals.append(
            MailRefusal(path.name, "mail-unreadable", f"cannot read it: {exc.strerror}")
        )
    except Exception as exc:  # the email package can raise on malformed structures
        out.refusals.append(
            MailRefusal(path.name, "mail-unreadable", f"{type(exc).__name__}: {exc}"[:300])
        )
    return out


class _TooLarge(Exception):
    pass


def _read_bounded(path: Path, limit: int) -> bytes:
    size = path.stat().st_size
    if size > limit:
        raise _TooLarge(f"{size:,} bytes; the limit is {limit:,}")
    with path.open("rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge(f"more than {limit:,} bytes")
    return data


# --------------------------------------------------------------------------- .eml and .mbox


def _mbox_file(path: Path) -> Path:
    """An ``X.mbox`` folder (Apple Mail, some exporters) holds its messages in ``mbox``."""
    return path / "mbox" if path.is_dir() else path


def mbox_messages(data: bytes) -> Iterator[bytes]:
    """The messages of an mbox file: each starts at a line beginning with ``From ``."""
    starts = [m.start() for m in re.finditer(rb"(?m)^From ", data)]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(data)
        raw = data[start:end]
        yield raw.split(b"\n", 1)[1] if b"\n" in raw else b""


def _expand_mbox(path: Path, workdir: Path, limits: MailLimits, out: MailContents) -> None:
    source = _mbox_file(path)
    if not source.is_file():
        out.refusals.append(
            MailRefusal(path.name, "mail-unreadable", "a .mbox folder without an 'mbox' file")
        )
        return
    data = _read_bounded(source, limits.max_mbox_bytes)
    if not data.startswith(b"From "):
        out.refusals.append(
            MailRefusal(
                path.name, "mail-unreadable", "not a mailbox: it does not begin with a 'From ' line"
            )
        )
        return
    parser = BytesParser(policy=policy.default)
    for n, raw in enumerate(mbox_messages(data), start=1):
        if n > limits.max_messages:
            out.refusals.append(
                MailRefusal(
                    path.name,
                    "mail-too-many-parts",
                    f"more than {limits.max_messages} messages; the rest were not read",
                )
            )
            return
        try:
            msg = parser.parsebytes(raw)
            _expand_message(msg, f"{path.name}#{n}", workdir, limits, out, in_mailbox=True)
        except Exception as exc:  # one malformed message must not hide the others
            out.refusals.append(
                MailRefusal(
                    f"{path.name}#{n}", "mail-unreadable", f"{type(exc).__name__}: {exc}"[:300]
                )
            )


def _expand_message(
    msg: EmailMessage | Message,
    name: str,
    workdir: Path,
    limits: MailLimits,
    out: MailContents,
    envelope: Envelope | None = None,
    depth: int = 0,
    in_mailbox: bool = False,
) -> None:
    """Write the attachments of one parsed e-mail; forwarded e-mails are opened too."""
    if envelope is None:  # the outer e-mail: its arrival, sender and subject hold for all
        envelope = Envelope(
            name, arrival_from_headers(msg), _sender(msg), clean(str(msg.get("Subject") or ""))
        )
    found = 0
    parts = msg.iter_attachments() if isinstance(msg, EmailMessage) else iter(())
    for n, part in enumerate(parts, start=1):
        if len(out.attachments) >= limits.max_attachments:
            out.refusals.append(
                MailRefusal(
                    name,
                    "mail-too-many-parts",
                    f"more than {limits.max_attachments} attachments; the rest were not read",
                )
            )
            return
        filename = clean(part.get_filename() or "") or f"attachment-{n}"
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            label = f"{name}!{filename if part.get_filename() else f'forwarded-{n}.eml'}"
            if depth + 1 > limits.max_depth:
                out.refusals.append(
                    MailRefusal(
                        label,
                        "mail-too-many-parts",
                        f"e-mails forwarded inside each other more than {limits.max_depth} deep",
                    )
                )
            elif isinstance(inner, Message):
                found += 1
                _expand_message(inner, label, workdir, limits, out, envelope, depth + 1)
            continue
        if (
            part.get_content_disposition() == "inline"
            and part.get("Content-ID")
            and part.get_content_maintype() == "image"
        ):
            out.skipped.append(f"{name}!{filename}: an image inside the message text")
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        found += 1
        if ctype == "application/ms-tnef" or filename.lower() == "winmail.dat":
            out.refusals.append(
                MailRefusal(
                    f"{name}!{filename}",
                    "mail-unreadable",
                    "Outlook wrapped the attachments in winmail.dat (TNEF): open the e-mail"
                    " in Outlook and save the attachment, or ask the sender to send in HTML",
                )
            )
            continue
        _write(data, f"{name}!{filename}", filename, workdir, envelope, out)
    if found == 0 and depth == 0:
        if in_mailbox:  # a mailbox holds replies and notes too
            subject = envelope.subject or "no subject"
            out.skipped.append(f"{name} ({subject}): no attachment")
        else:
            out.refusals.append(
                MailRefusal(name, "mail-without-attachment", "the e-mail has no attachment to read")
            )


def _write(
    data: bytes, label: str, filename: str, workdir: Path, envelope: Envelope, out: MailContents
) -> None:
    fd, tmp = tempfile.mkstemp(dir=workdir, prefix="att-", suffix=_suffix(filename))
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    out.attachments.append(Attachment(Path(tmp), label, envelope))


# --------------------------------------------------------------------------- Outlook .msg


def _expand_msg(path: Path, workdir: Path, limits: MailLimits, out: MailContents) -> None:
    """Outlook's own format (an OLE compound file), read with extract-msg."""
    _read_bounded(path, limits.max_mail_bytes)  # the size check; extract-msg reads the file
    try:
        import extract_msg
    except ImportError:
        out.refusals.append(
            MailRefusal(
                path.name,
                "mail-unreadable",
                "reading Outlook .msg files needs extract-msg: pip install 'mne-workbook[msg]'"
                " (or save the e-mail as .eml, or save its attachments into the inbox)",
            )
        )
        return
    logging.getLogger("extract_msg").setLevel(logging.CRITICAL)
    try:
        msg = extract_msg.openMsg(str(path))
    except Exception as exc:  # extract-msg raises many kinds on a damaged file
        out.refusals.append(
            MailRefusal(
                path.name, "mail-unreadable", f"not a readable Outlook e-mail ({exc})"[:300]
            )
        )
        return
    try:
        envelope = Envelope(path.name, _msg_arrival(msg), _msg_sender(msg), _msg_subject(msg))
        if _msg_parts(msg, path.name, workdir, limits, out, envelope, 0) == 0:
            out.refusals.append(
                MailRefusal(
                    path.name, "mail-without-attachment", "the e-mail has no attachment to read"
                )
            )
    except Exception as exc:  # a damaged stream inside an otherwise readable file
        out.refusals.append(
            MailRefusal(path.name, "mail-unreadable", f"a part cannot be read ({exc})"[:300])
        )
    finally:
        msg.close()


def _msg_arrival(msg: Any) -> Arrival | None:
    header = getattr(msg, "header", None)
    if header is not None and header.get_all("Received"):
        found = arrival_from_headers(header)
        if found is not None and found.source == Source.MAIL_RECEIVED:
            return found
    delivered = getattr(msg, "receivedTime", None)  # PR_MESSAGE_DELIVERY_TIME
    if isinstance(delivered, dt.datetime):
        return Arrival(utc(delivered), Source.MSG_DELIVERY)
    sent = getattr(msg, "date", None)
    return Arrival(utc(sent), Source.MAIL_DATE) if isinstance(sent, dt.datetime) else None


def _msg_sender(msg: Any) -> str:
    header = getattr(msg, "header", None)
    if header is not None and header.get("From"):
        found = _sender(header)
        if found:
            return found
    for stream in ("__substg1.0_5D01", "__substg1.0_0C1F", "__substg1.0_0065"):
        value = msg.getStringStream(stream)
        if isinstance(value, str) and "@" in value:
            return clean(value, 200).lower()
    return ""


def _msg_subject(msg: Any) -> str:
    return clean(str(getattr(msg, "subject", "") or ""))


def _msg_parts(
    msg: Any,
    name: str,
    workdir: Path,
    limits: MailLimits,
    out: MailContents,
    envelope: Envelope,
    depth: int,
) -> int:
    from extract_msg.enums import AttachmentType

    found = 0
    for n, att in enumerate(getattr(msg, "attachments", ()) or (), start=1):
        if len(out.attachments) >= limits.max_attachments:
            out.refusals.append(
                MailRefusal(
                    name,
                    "mail-too-many-parts",
                    f"more than {limits.max_attachments} attachments; the rest were not read",
                )
            )
            return found
        filename = clean(att.longFilename or att.shortFilename or "") or f"attachment-{n}"
        label = f"{name}!{filename}"
        if att.type == AttachmentType.MSG:
            found += 1
            if depth + 1 > limits.max_depth:
                out.refusals.append(
                    MailRefusal(
                        label,
                        "mail-too-many-parts",
                        f"e-mails forwarded inside each other more than {limits.max_depth} deep",
                    )
                )
            else:
                _msg_parts(att.data, label, workdir, limits, out, envelope, depth + 1)
            continue
        data = att.data
        if not isinstance(data, bytes):
            out.refusals.append(
                MailRefusal(label, "mail-unreadable", f"an attachment of kind {att.type.name}")
            )
            found += 1
            continue
        if att.hidden and (getattr(att, "contentId", None) or getattr(att, "cid", None)):
            out.skipped.append(f"{label}: an image inside the message text")
            continue
        found += 1
        _write(data, label, filename, workdir, envelope, out)
    return found
