"""Mail-ready rounds: .eml drafts that carry each institution's workbook, and reminders.

Drafts are built with the standard library's ``email`` package (RFC 5322 with the
default policy, so Albanian and Serbian names are encoded correctly) and marked
``X-Unsent: 1`` so that Outlook opens them as drafts ready to send; Thunderbird and
other clients open them as messages. Nothing is sent unless :func:`send` is called.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path

from .atomic import atomic_write
from .consolidate import Consolidation
from .errors import CATALOG, Location, UsageError, fail
from .locales import Catalog, catalog
from .periods import Period
from .plan import Institution, Plan

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
#: Flags an institution is asked to answer in a reminder.
NEEDS_ANSWER = (
    "indicator-overdue",
    "value-missing",
    "status-missing",
    "rating-missing",
    "rating-without-comment",
    "invalid-code",
    "invalid-number",
    "out-of-range",
    "invalid-yes-no",
    "text-too-long",
    "formula-in-cell",
    "value-in-locked-cell",
)


@dataclass(frozen=True)
class Draft:
    institution: str
    path: Path  # the .eml file
    to: tuple[str, ...]
    subject: str
    attachment: Path


@dataclass
class MailResult:
    drafts: list[Draft] = field(default_factory=list)
    without_contact: list[str] = field(default_factory=list)  # institution ids


def _sender(plan: Plan) -> str:
    """Where returns go: ``reporting.send_to``, else the coordinating office's address
    (``reporting.coordinator``), else a placeholder the user must replace."""
    if plan.reporting.send_to:
        return plan.reporting.send_to
    coordinator = plan.reporting.coordinator
    for inst in plan.institutions:
        if coordinator and inst.id == coordinator and inst.emails:
            return inst.emails[0]
    return "coordinator@localhost"


def _address(name: str, email: str) -> Address:
    return Address(display_name=name, addr_spec=email)


def _message(
    plan: Plan, inst: Institution, subject: str, body: str, attachment: Path
) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _address(plan.title[:60], _sender(plan))
    msg["To"] = [_address(inst.name, e) for e in inst.emails]
    msg["Reply-To"] = _sender(plan)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=_sender(plan).split("@")[-1])
    msg["X-Unsent"] = "1"
    msg.set_content(body)
    msg.add_attachment(
        attachment.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename=attachment.name
    )
    return msg


def _due_text(plan: Plan, period: Period) -> str:
    return period.due_date(plan.reporting.grace_days).isoformat()


def _ratings(cat: Catalog, period: Period) -> str:
    which = [
        cat.text(k)
        for k, due in (
            ("mail.rating_hy", period.half_year_rating_due),
            ("mail.rating_y", period.yearly_rating_due),
        )
        if due
    ]
    if not which:
        return ""
    return cat.text("mail.ratings", which=f" {cat.text('mail.and')} ".join(which))


def round_body(plan: Plan, period: Period, inst: Institution, cat: Catalog) -> str:
    body = cat.text(
        "mail.body",
        period=period.label,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        plan=plan.title,
        ratings=_ratings(cat, period),
        send_to=_sender(plan),
        due=_due_text(plan, period),
    )
    return (
        "\n\n".join(
            [cat.text("mail.greeting", institution=inst.name), body, cat.text("mail.closing")]
        )
        + "\n"
    )


def _write(msg: EmailMessage, target: Path, overwrite: bool) -> None:
    if target.exists() and not overwrite:
        raise fail(
            UsageError, "output-exists", f"{target} already exists", Location(file=str(target))
        )
    atomic_write(target, lambda tmp: tmp.write_bytes(msg.as_bytes()))


def write_round_drafts(
    plan: Plan,
    period: Period,
    workbooks: Iterable[tuple[str, Path]],
    out_dir: str | Path,
    lang: str,
    overwrite: bool = False,
) -> MailResult:
    """One draft per institution workbook ``(institution id, path)``."""
    cat = catalog(lang)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = MailResult()
    for inst_id, path in workbooks:
        inst = plan.institution(inst_id)
        if not inst.emails:
            result.without_contact.append(inst_id)
            continue
        subject = cat.text(
            "mail.subject", plan=plan.title, period=period.label, due=_due_text(plan, period)
        )
        msg = _message(plan, inst, subject, round_body(plan, period, inst, cat), path)
        target = out / f"{path.stem}.eml"
        _write(msg, target, overwrite)
        result.drafts.append(Draft(inst_id, target, inst.emails, subject, path))
    return result


def reminder_reasons(con: Consolidation) -> dict[str, list[str]]:
    """Why each institution is reminded, in English keys for the body (code: details)."""
    reasons: dict[str, list[str]] = {}
    refused = {  # by identity, or by the sender consolidate attributed the file to
        s.institution or s.sender: s
        for s in con.submissions
        if s.refused and (s.institution or s.sender)
    }
    for rate in con.rates:
        inst = rate.institution
        if rate.received:
            sub = con.used[inst]
            needs = [
                f
                for f in con.flags
                if f.institution == inst and f.code in NEEDS_ANSWER and f.file == sub.name
            ]
            if needs:
                reasons[inst] = ["flags", sub.name] + [
                    f"- {f.message}" + (f" ({f.cell})" if f.cell else "") for f in needs
                ]
        elif inst in refused:
            s = refused[inst]
            p = s.refusal()
            reasons[inst] = [
                "refused",
                s.name,
                p.message if p else "refused",
                CATALOG[p.code].hint if p else "",
            ]
        elif con.as_of > con.due_date:
            reasons[inst] = ["overdue", str((con.as_of - con.due_date).days)]
    return reasons


def write_reminders(
    con: Consolidation,
    fresh: dict[str, Path],
    out_dir: str | Path,
    lang: str,
    overwrite: bool = False,
) -> MailResult:
    """Reminder drafts for overdue, refused or flagged returns; ``fresh`` workbooks attached."""
    cat = catalog(lang)
    plan, period = con.plan, con.period
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = MailResult()
    due = _due_text(plan, period)
    for inst_id, why in reminder_reasons(con).items():
        inst = plan.institution(inst_id)
        if not inst.emails:
            result.without_contact.append(inst_id)
            continue
        kind = why[0]
        if kind == "overdue":
            text = cat.text("mail.overdue", period=period.label, due=due, days=why[1])
        elif kind == "refused":
            text = cat.text("mail.refused", file=why[1], reason=why[2], hint=why[3])
        else:
            text = "\n".join(
                [
                    cat.text("mail.flags", period=period.label, file=why[1]),
                    *why[2:],
                    "",
                    cat.text("mail.flags_end"),
                ]
            )
        body = (
            "\n\n".join(
                [cat.text("mail.greeting", institution=inst.name), text, cat.text("mail.closing")]
            )
            + "\n"
        )
        subject = cat.text("mail.reminder_subject", plan=plan.title, period=period.label, due=due)
        attachment = fresh[inst_id]
        msg = _message(plan, inst, subject, body, attachment)
        target = out / f"reminder_{attachment.stem}.eml"
        _write(msg, target, overwrite)
        result.drafts.append(Draft(inst_id, target, inst.emails, subject, attachment))
    return result


def read_draft(path: str | Path) -> EmailMessage:
    with open(path, "rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    assert isinstance(msg, EmailMessage)
    return msg


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool = True
    user: str | None = None
    password: str | None = None
    insecure_plain_auth: bool = False

    def check(self) -> None:
        """Refuse to send credentials in clear (``--no-starttls``) unless
        ``insecure_plain_auth`` says the network is trusted."""
        if not self.starttls and (self.user or self.password) and not self.insecure_plain_auth:
            raise fail(
                UsageError,
                "insecure-smtp",
                "--no-starttls with MNE_SMTP_USER / MNE_SMTP_PASSWORD set would send the"
                " password unencrypted",
                Location(path="--no-starttls"),
            )

    @classmethod
    def parse(cls, text: str, starttls: bool = True) -> SmtpSettings:
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit():
            raise fail(
                UsageError, "usage-error", f"{text!r} is not HOST:PORT", Location(path="--smtp")
            )
        return cls(
            host,
            int(port),
            starttls,
            os.environ.get("MNE_SMTP_USER"),
            os.environ.get("MNE_SMTP_PASSWORD"),
        )


def send(drafts: Sequence[Draft], smtp: SmtpSettings, dry_run: bool = False) -> list[str]:
    """Send the drafts (STARTTLS and login when configured); a dry run only describes."""
    lines = [
        f"{'would send' if dry_run else 'sent'} {d.path.name} to {', '.join(d.to)}: {d.subject}"
        for d in drafts
    ]
    smtp.check()
    if dry_run or not drafts:
        return lines
    with smtplib.SMTP(smtp.host, smtp.port, timeout=60) as server:
        server.ehlo()
        if smtp.starttls:
            server.starttls()
            server.ehlo()
        if smtp.user and smtp.password:
            server.login(smtp.user, smtp.password)
        for d in drafts:
            msg = read_draft(d.path)
            del msg["X-Unsent"]
            server.send_message(msg)
    return lines
