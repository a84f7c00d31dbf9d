"""Read what was found in the inbox: workbooks as they are, saved e-mails as attachments.

:func:`read_inputs` expands each saved e-mail (:mod:`mail_input`) into its attachments,
reads everything with the bounded reader (:func:`parallel.read_many`), and gives each
return its arrival time (:mod:`arrival`), the e-mail's sender and subject, and the
warnings those call for (``arrival-from-date-header``, ``sender-not-institution``,
``implausible-saved-time``). Each e-mail is opened in a child process with the same time and memory
bounds as a workbook; extracted attachments live in a temporary folder that is removed
when the ``with`` block ends.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .arrival import Source, complete_arrival, file_arrival, set_arrival
from .bounded import Bounds, Refused, run_bounded
from .discovery import Input
from .errors import Location, Problem
from .mail_input import Attachment, MailContents, MailLimits, expand_mail, is_mail
from .names import shown
from .parallel import read_many
from .periods import Period
from .plan import Plan
from .reader import Submission


@dataclass
class Inputs:
    submissions: list[Submission]
    skipped: list[str] = field(default_factory=list)  # e-mail parts not read, and why
    #: how many of the submissions, at the end, are e-mails that could not be opened
    mail_refusals: int = 0


@contextmanager
def read_inputs(
    files: Sequence[Path | Input],
    plan: Plan,
    period: Period | None,
    *,
    mail_limits: MailLimits | None = None,
    now: dt.datetime | None = None,
    **read_options: Any,
) -> Iterator[Inputs]:
    """Read ``files`` (workbooks and saved e-mails, as paths or as :class:`Input` from
    :func:`discovery.discover`); one Submission per return or refusal.

    ``read_options`` go to :func:`parallel.read_many` (keys, limits, workers, ...)."""
    with tempfile.TemporaryDirectory(prefix="mne-mail-") as tmp:
        paths: list[Path | Input] = []
        carried: dict[int, tuple[Attachment, Path]] = {}
        refused: list[Submission] = []
        skipped: list[str] = []
        for item in files:
            f = item.path if isinstance(item, Input) else item
            if not is_mail(f):
                paths.append(item)
                continue
            got = run_bounded(
                functools.partial(_expand, Path(tmp), mail_limits),
                str(f),
                read_options.get("bounds") or Bounds(),
            )
            if isinstance(got, Refused):  # the e-mail stalled or ate the parser's memory
                refused.append(_refused(f, f.name, got.code, got.message))
                continue
            for att in got.attachments:
                carried[len(paths)] = (att, f)
                paths.append(att.path)
            refused += [_refused(f, r.name, r.code, r.message) for r in got.refusals]
            skipped += got.skipped
        subs = read_many(paths, plan, period, **read_options)
        for i, sub in enumerate(subs):
            if i in carried:
                att, mail = carried[i]
                _from_mail(sub, att, plan)
                if sub.arrived_at is None:  # no header tells: the e-mail file's own time
                    set_arrival(sub, file_arrival(mail, now))
            complete_arrival(sub, now)
        yield Inputs(subs + refused, skipped, len(refused))


def _expand(workdir: Path, limits: MailLimits | None, path: str) -> MailContents:
    return expand_mail(Path(path), workdir, limits)


def _refused(mail: Path, name: str, code: str, message: str) -> Submission:
    sub = Submission(path=str(mail), refused=True, file_name=shown(name))
    sub.problems.append(Problem(code, message, Location(file=name)))
    return sub


def _from_mail(sub: Submission, att: Attachment, plan: Plan) -> None:
    """Name the return after its e-mail and give it the e-mail's arrival and sender."""
    env = att.envelope
    sub.file_name = shown(att.name)  # the e-mail file's own name may not be UTF-8
    sub.problems = [
        replace(p, location=replace(p.location, file=att.name))
        if p.location.file == sub.path
        else p
        for p in sub.problems
    ]
    sub.sender, sub.subject = env.sender, env.subject
    if env.arrival is not None:
        set_arrival(sub, env.arrival)
        if env.arrival.source == Source.MAIL_DATE:
            sub.problems.append(
                Problem(
                    "arrival-from-date-header",
                    f"{env.mail} has no Received: header; its arrival time is the sender's"
                    " Date: header",
                    Location(file=att.name),
                )
            )
    check_sender(sub, plan, att.name)


def check_sender(sub: Submission, plan: Plan, name: str) -> None:
    """``sender-not-institution`` when the e-mail's sender is not one of the return's
    institution's addresses in the plan (``email`` or ``sender_emails``)."""
    if sub.refused or sub.institution is None:
        return
    inst = plan.institution(sub.institution)
    allowed = {a.lower() for a in (*inst.emails, *inst.sender_emails)}
    if allowed and sub.sender not in allowed:
        sender = sub.sender or "no sender address"
        sub.problems.append(
            Problem(
                "sender-not-institution",
                f"{name} is {inst.name}'s return but came from {sender}, not from"
                f" {', '.join(sorted(allowed))}",
                Location(file=name),
            )
        )
