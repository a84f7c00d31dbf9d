"""One exception hierarchy and the catalog of coded, located messages.

Problems found in *data* (a plan file, a returned workbook) are collected into a
:class:`Report` so that every problem is shown at once. Exceptions are raised only
when work cannot go on; they carry the report that explains why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from .names import shown


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Code:
    """A stable message code: its severity, a one-line title and what to do."""

    code: str
    severity: Severity
    title: str
    hint: str


def _c(code: str, severity: Severity, title: str, hint: str) -> Code:
    return Code(code, severity, title, hint)


E, W = Severity.ERROR, Severity.WARNING

#: Every code a user can see. Tests check that no other code is ever emitted.
CATALOG: dict[str, Code] = {
    c.code: c
    for c in [
        # -- reading a plan file -------------------------------------------------
        _c("file-not-found", E, "file not found", "Check the path and try again."),
        _c("file-unreadable", E, "file cannot be read", "Check the file's permissions."),
        _c("file-empty", E, "file is empty", "Give a plan file with content."),
        _c(
            "file-not-utf8",
            E,
            "file is not UTF-8 text",
            "Save the plan as UTF-8 text (YAML or JSON).",
        ),
        _c(
            "syntax-error",
            E,
            "not valid YAML/JSON",
            "Fix the syntax at the line shown (indentation, quotes, colons).",
        ),
        _c(
            "wrong-top-level",
            E,
            "top level is not a mapping",
            "A plan file is a mapping with keys such as id, title, strategic_objectives.",
        ),
        _c(
            "schema-violation",
            E,
            "does not match the plan schema",
            "Correct the value at the path shown; see schema/plan.schema.json.",
        ),
        # -- semantic errors -----------------------------------------------------
        _c(
            "duplicate-code",
            E,
            "code used twice",
            "Give every objective, activity and indicator its own code or id.",
        ),
        _c(
            "code-not-under-parent",
            E,
            "code does not belong to its parent",
            "An activity's code starts with its specific objective's code (A1.2.x under 1.2);"
            " a specific objective's with its strategic objective's number.",
        ),
        _c(
            "unknown-institution",
            E,
            "unknown carrier institution",
            "Use an id from the plan's institutions list, or add the institution there.",
        ),
        # -- the plan's time zone (lead, session 3) ----------------------------------
        _c(
            "unknown-time-zone",
            E,
            "unknown time zone",
            "Give an IANA time zone name such as Europe/Belgrade (the list is at"
            " https://en.wikipedia.org/wiki/List_of_tz_database_time_zones).",
        ),
        _c(
            "plan-time-zone-missing",
            W,
            "the plan names no time zone",
            "Add reporting.timezone (e.g. Europe/Belgrade) so that a due date ends at"
            " ONATC's midnight whichever computer or server runs the command.",
        ),
        _c(
            "timeline-outside-strategy",
            E,
            "timeline outside the strategy period",
            "Keep activity timelines within strategy_period.",
        ),
        _c(
            "timeline-reversed",
            E,
            "timeline ends before it starts",
            "Swap or correct the timeline's start and end.",
        ),
        _c(
            "strategy-period-reversed",
            E,
            "strategy period ends before it starts",
            "Correct strategy_period.start and strategy_period.end.",
        ),
        _c(
            "invalid-date",
            E,
            "not a valid date",
            "Write dates as YYYY, YYYY-MM or YYYY-MM-DD.",
        ),
        # -- the framework's quality checks (section V.1) --------------------------
        _c(
            "indicator-no-target",
            W,
            "indicator without target",
            "Set a target (value and year) so that progress can be judged.",
        ),
        _c(
            "indicator-no-baseline",
            W,
            "indicator without baseline",
            "Record a baseline value and its year; without it progress cannot be measured.",
        ),
        _c(
            "objective-no-outcome",
            W,
            "no expected result reaches outcome level",
            "Add an outcome- or impact-level result: the framework asks for more than outputs.",
        ),
        _c(
            "indicator-not-measurable",
            W,
            "indicator names no measurable quantity",
            "Phrase the indicator as a number or share ('# of ...', '% of ...').",
        ),
        _c(
            "activity-no-carrier",
            W,
            "activity without carrier institution",
            "Name the institution(s) that carry the activity.",
        ),
        _c(
            "objective-no-activities",
            W,
            "specific objective without activities",
            "Add the activities that serve this objective, or note why there are none.",
        ),
        _c(
            "activity-no-indicators",
            W,
            "activity without indicators",
            "Give the activity at least one expected result with an indicator.",
        ),
        _c(
            "one-time-activity-multi-year",
            W,
            "one-time activity on a multi-year timeline",
            "A publication, launch or signing is an event: give it the year it happens in.",
        ),
        # -- issue 16: the framework's critique, 'resources are also vaguely defined'
        _c(
            "activity-no-inputs",
            W,
            "activity without stated inputs",
            "State the human, material and financial resources the activity uses (field 'inputs').",
        ),
        _c(
            "frequency-unassigned",
            W,
            "frequency of data collection not defined",
            "Define how often the indicator is collected (to be defined by ONATC).",
        ),
        _c(
            "responsible-unassigned",
            W,
            "no responsible person in ONATC",
            "Assign one person in ONATC to collect the indicator (to be assigned by ONATC).",
        ),
        # -- a returned file: refused before it is read ----------------------------
        _c(
            "file-too-large",
            E,
            "file is larger than the limit",
            "Returns are small; check that this is the right file, or raise the limit.",
        ),
        _c(
            "legacy-xls",
            E,
            "an old Excel 97-2003 (.xls) file",
            "Open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx).",
        ),
        _c(
            "encrypted-workbook",
            E,
            "this file is password-protected",
            "Save it without a password and send it again.",
        ),
        _c(
            "not-a-workbook",
            E,
            "not an Excel workbook",
            "Send back the .xlsx workbook you received, not another file renamed to .xlsx.",
        ),
        _c(
            "corrupt-archive",
            E,
            "the file is damaged or incomplete",
            "Save the workbook again and re-send it; the attachment may have been cut off.",
        ),
        _c(
            "macro-enabled",
            E,
            "the file contains macros",
            "Save it as Excel Workbook (.xlsx), not as a macro-enabled workbook.",
        ),
        _c(
            "archive-too-large",
            E,
            "the workbook unpacks to more than the limit",
            "This is not a normal return; do not open it, ask the sender for the original.",
        ),
        _c(
            "unsafe-content",
            E,
            "the workbook holds content that is not allowed",
            "Remove external links and embedded objects, save as .xlsx and send it again.",
        ),
        _c(
            "parse-timeout",
            E,
            "reading the workbook took too long",
            "This is not a normal return; do not open it, ask the sender for the original.",
        ),
        _c(
            "parse-memory",
            E,
            "reading the workbook needed too much memory",
            "This is not a normal return; do not open it, ask the sender for the original.",
        ),
        _c(
            "parse-failed",
            E,
            "the workbook could not be read",
            "Open it in Excel or LibreOffice, save it again as .xlsx and re-send it.",
        ),
        # -- a returned file: identity ------------------------------------------------
        _c(
            "identity-missing",
            E,
            "the file carries no identity",
            "Fill in the workbook that was sent to you; data pasted into a new file cannot"
            " be matched to the plan.",
        ),
        _c(
            "identity-conflict",
            E,
            "the file's identity records disagree",
            "Use the workbook as it was sent; do not copy sheets between workbooks.",
        ),
        _c(
            "wrong-plan",
            E,
            "the file belongs to another plan",
            "Check that it was generated from this plan; consolidate it with its own plan.",
        ),
        _c(
            "wrong-period",
            E,
            "the file is for another reporting period",
            "Consolidate it with its own period, or ask for this period's workbook.",
        ),
        _c(
            "unknown-institution-file",
            E,
            "the file names an institution the plan lacks",
            "Check the plan's institutions; the file may come from another plan version.",
        ),
        _c(
            "master-not-a-return",
            E,
            "this is ONATC's master workbook",
            "Consolidate the institutions' returns; the master is for ONATC's own fields.",
        ),
        _c(
            "not-a-master",
            E,
            "this is an institution's return, not the master workbook",
            "Give update-plan the MASTER_... workbook ONATC completed.",
        ),
        _c(
            "plan-version-mismatch",
            E,
            "the file was made from another plan version",
            "Send the institution a workbook generated from the current plan.",
        ),
        _c(
            "older-plan-version",
            W,
            "the file was made from an older plan version",
            "Nothing it reports changed; it was read. Send the current workbook next time.",
        ),
        # -- a returned file: signature (tamper evidence) -------------------------------
        _c(
            "unsigned-workbook",
            E,
            "the workbook is not signed",
            "Use the workbook ONATC sent; to read unsigned files anyway, pass --allow-unsigned.",
        ),
        _c(
            "unsigned-accepted",
            W,
            "an unsigned workbook was read (--allow-unsigned)",
            "Its identity and plan cells could not be verified; check it by hand.",
        ),
        _c(
            "unknown-signing-key",
            E,
            "signed with a key this office does not have",
            "Check MNE_WORKBOOK_KEY or the key file; keep old keys after a rotation.",
        ),
        _c(
            "signature-invalid",
            E,
            "the identity or plan content was altered",
            "Do not trust this file; ask the institution for the workbook as it was sent.",
        ),
        _c(
            "forged-identity",
            E,
            "the identity was changed to another institution",
            "The workbook was generated for another institution; ask for the right file.",
        ),
        _c(
            "identity-copied",
            E,
            "the identity was copied from another workbook",
            "The sheets belong to another workbook; ask for the workbook as it was sent.",
        ),
        _c(
            "plan-cells-tampered",
            E,
            "plan cells were edited after protection was removed",
            "Ask the institution to report in the yellow cells of the workbook as sent.",
        ),
        # -- a returned file: structure ---------------------------------------------------
        _c(
            "sheet-missing",
            E,
            "a sheet is missing or renamed",
            "Send the workbook with its sheets as they were; do not rename or delete sheets.",
        ),
        _c(
            "sheet-unexpected",
            W,
            "an extra sheet was added",
            "Extra sheets are ignored; keep the data in the sheets that were sent.",
        ),
        _c(
            "columns-changed",
            E,
            "columns were inserted, deleted or moved",
            "Use the workbook as it was sent; do not insert, delete or move columns.",
        ),
        _c(
            "rows-changed",
            E,
            "rows were inserted, deleted or moved",
            "Use the workbook as it was sent; do not insert, delete or move rows.",
        ),
        _c(
            "plan-cell-changed",
            E,
            "a locked plan cell was changed",
            "Plan cells are ONATC's; report in the yellow cells and explain in the comments.",
        ),
        # -- a returned file: values --------------------------------------------------------
        _c(
            "invalid-code",
            E,
            "not a valid code",
            "Choose a value from the list; typed or pasted values must be one of its codes.",
        ),
        _c(
            "invalid-number",
            E,
            "not a number",
            "Enter a number (a decimal comma is fine); leave blank when there is no data.",
        ),
        _c(
            "out-of-range",
            E,
            "number outside the allowed range",
            "Numbers are 0 or more; percentages are from 0 to 100.",
        ),
        _c("invalid-yes-no", E, "not a yes/no answer", "Choose Yes or No from the list."),
        _c("text-too-long", E, "text longer than the limit", "Shorten the text."),
        _c(
            "formula-in-cell",
            E,
            "a formula where a value is expected",
            "Type the value itself; formulas are never evaluated.",
        ),
        _c(
            "value-in-locked-cell",
            E,
            "a value in a cell that is not open for input",
            "That cell is not due this period; the value was ignored.",
        ),
        # -- consolidation flags -----------------------------------------------------
        _c(
            "return-overdue",
            E,
            "return not received by its due date",
            "Remind the institution; its workbook is overdue.",
        ),
        _c(
            "return-pending",
            Severity.INFO,
            "return not yet received (not yet due)",
            "No action yet; the return is not overdue.",
        ),
        _c(
            "status-missing",
            W,
            "status of the activity missing",
            "Ask the institution for the activity's status (1-4).",
        ),
        _c(
            "value-missing",
            W,
            "value missing for an indicator due this period",
            "Ask the institution for the value; blank is not zero.",
        ),
        _c(
            "indicator-overdue",
            E,
            "indicator due this period has no value past the due date",
            "Ask the institution for the value; it is overdue.",
        ),
        _c(
            "rating-missing",
            W,
            "rating missing where due",
            "Ask for the half-year / yearly rating (1-3).",
        ),
        _c(
            "rating-without-comment",
            W,
            "rating 2 or 3 without a comment",
            "The framework asks for the reason and corrective actions when rating 2 or 3.",
        ),
        _c("plan-gap-baseline", W, "plan gap: no baseline", "Complete the baseline in the plan."),
        _c("plan-gap-target", W, "plan gap: no target", "Set a target in the plan."),
        _c("plan-gap-frequency", W, "plan gap: no frequency", "Define the frequency in the plan."),
        _c(
            "plan-gap-responsible",
            W,
            "plan gap: no responsible person",
            "Assign a responsible person in ONATC.",
        ),
        _c(
            "activity-overdue",
            W,
            "activity past its timeline end and not completed",
            "Check whether the activity is late or its timeline must be revised.",
        ),
        _c(
            "superseded-return",
            Severity.INFO,
            "a newer return replaced this one",
            "Only the most recently saved return of an institution counts.",
        ),
        _c(
            "duplicate-return",
            Severity.INFO,
            "the same return was received twice",
            "Identical files count once.",
        ),
        _c(
            "libreoffice-missing",
            E,
            "LibreOffice is not installed",
            "Install LibreOffice (soffice) to make PDFs, e.g. apt-get install libreoffice-calc.",
        ),
        _c(
            "pdf-failed",
            E,
            "LibreOffice could not make the PDF",
            "Open the workbook in LibreOffice and export it as PDF by hand.",
        ),
        # -- issue 11: returns that tell the truth --------------------------------------
        _c(
            "ambiguous-number",
            E,
            "a number that can be read two ways",
            "1.500 or 12,500 may be thousands or decimals: type 1500 (no separator) or 1,5;"
            " the value is not used until then.",
        ),
        _c(
            "number-format-mismatch",
            E,
            "the cell shows something other than the number it holds",
            "A number format (%, date, rounding, thousands) changed what is shown: clear the"
            " format (General) and type the number as meant; the value is not used until then.",
        ),
        _c(
            "code-label-conflict",
            E,
            "the code and the label disagree",
            "Pick the entry from the list; the code and its label must name the same choice.",
        ),
        _c(
            "fraction-on-count",
            W,
            "a fraction where whole things are counted",
            "Check the value: the indicator counts persons, cases or activities.",
        ),
        _c(
            "percentage-as-fraction",
            W,
            "a percentage of 1 or less",
            "Percentages are 0-100: 0.45 is read as 0.45 %; write 45 if 45 % was meant.",
        ),
        _c(
            "note-outside-table",
            W,
            "text written outside the table",
            "Read the note; the ministry wrote it for ONATC. Comments belong in the comments"
            " column.",
        ),
        _c(
            "unmerged-range",
            W,
            "an activity's merged cells were split",
            "Read from the split cells; keep one status, rating and comment per activity.",
        ),
        _c(
            "activity-cells-differ",
            E,
            "an activity's split cells hold different answers",
            "Give one status / rating per activity (the merged cell); the value is not used.",
        ),
        _c(
            "empty-return",
            W,
            "a return with no answer in it",
            "Not counted as received: ask the institution to fill in the workbook.",
        ),
        _c(
            "answer-blanked",
            W,
            "a newer return leaves blank what an older one answered",
            "The older answers are used; ask the institution whether they still stand.",
        ),
        _c(
            "return-conflict",
            E,
            "two returns disagree and which is newer cannot be told",
            "Ask the institution which value is right; neither is used until then.",
        ),
        _c(
            "return-refused",
            E,
            "the institution's only file was refused",
            "Ask the institution to send the workbook again as .xlsx (see the refusal).",
        ),
        _c(
            "opendocument-spreadsheet",
            E,
            "an OpenDocument spreadsheet (.ods)",
            "Open it and save as Excel 2007-365 (.xlsx), then send the .xlsx.",
        ),
        _c(
            "zip-archive",
            E,
            "a zip archive, not a workbook",
            "Unzip it and put the .xlsx workbook it holds in the inbox.",
        ),
        _c(
            "email-file",
            E,
            "a saved e-mail, not a workbook",
            "Save the e-mail's .xlsx attachment into the inbox.",
        ),
        _c(
            "image-file",
            E,
            "a picture, not a workbook",
            "A photo or scan cannot be read: ask for the .xlsx workbook itself.",
        ),
        # -- issue 13: arrival times, e-mail input, sender check -------------------
        _c(
            "implausible-saved-time",
            W,
            "the workbook's own saved time cannot be true",
            "The saved time is the sender's clock and was not used; arrival decides. Ask the"
            " institution whether the file was edited or copied, and check its values.",
        ),
        _c(
            "return-order-tie",
            W,
            "two different returns that nothing orders",
            "Ask the institution which of the two files is its return and remove the other"
            " from the inbox.",
        ),
        _c(
            "arrival-from-date-header",
            W,
            "arrival time taken from the e-mail's Date: header",
            "The e-mail has no Received: header (it was saved before it was sent, or by a"
            " tool that drops headers); save the received e-mail from the inbox again.",
        ),
        _c(
            "sender-not-institution",
            W,
            "the e-mail's sender is not the institution's address",
            "Check that the return is genuine (people forward); if the sender is right, add"
            " the address to the institution's sender_emails in the plan.",
        ),
        _c(
            "mail-unreadable",
            E,
            "the e-mail cannot be read",
            "Save the e-mail again from the mail program (.eml, .msg or .mbox) or save its"
            " attachments into the inbox.",
        ),
        _c(
            "mail-too-large",
            E,
            "the e-mail or mailbox is over the size limit",
            "Save the returns' e-mails one by one, or save their attachments into the inbox.",
        ),
        _c(
            "mail-without-attachment",
            E,
            "the e-mail carries no attachment",
            "Ask the sender to attach the workbook; a link or a pasted table is not a return.",
        ),
        _c(
            "mail-too-many-parts",
            E,
            "the e-mail has more attachments or nesting than allowed",
            "Save the returns' attachments into the inbox instead of the whole e-mail.",
        ),
        # -- command-line usage --------------------------------------------------
        _c("usage-error", E, "invalid command-line usage", "See --help for the options."),
        _c(
            "period-invalid",
            E,
            "not a reporting period",
            "Write a period as 2026-Q2, 2026-H1, 2026-B3 (bi-monthly), 2026-05 or 2026.",
        ),
        _c(
            "period-wrong-cycle",
            E,
            "period does not match the plan's reporting cycle",
            "Use a period of the plan's cycle (reporting.cycle in the plan).",
        ),
        _c(
            "period-outside-strategy",
            E,
            "period outside the strategy period",
            "Pick a period within the plan's strategy_period.",
        ),
        _c(
            "output-exists",
            E,
            "output file already exists",
            "Choose another output directory or pass --overwrite.",
        ),
        _c(
            "password-env-missing",
            E,
            "password environment variable not set",
            "Export the variable named by --password-env, or drop the option.",
        ),
        # -- issue 15: input discovery, the store, keys, secrets ----------------------
        _c(
            "input-not-regular",
            E,
            "not a regular file (a FIFO, device, or socket)",
            "Only files are read; remove it from the folder or give the file it stands for.",
        ),
        _c(
            "input-unreadable",
            E,
            "the file or folder cannot be opened",
            "Check its permissions (the user running mne-workbook must be able to read it).",
        ),
        _c(
            "input-link-outside",
            E,
            "a link that leads out of the given folder",
            "Copy the file into the folder, or give its real path on the command line.",
        ),
        _c(
            "input-link-broken",
            E,
            "a link that leads nowhere (dangling, or a loop)",
            "Remove the link, or point it at the file it stands for.",
        ),
        _c(
            "input-link-folder",
            Severity.INFO,
            "a link to a folder that is searched anyway",
            "Nothing to do; the files are read once, where the folder is.",
        ),
        _c(
            "input-folder-named-file",
            W,
            "a folder with a file's name",
            "Check that the return you expected is not missing; the folder's files were read.",
        ),
        _c(
            "input-own-file",
            Severity.INFO,
            "one of the tool's own files (the store, an output)",
            "Nothing to do; keep the store and outputs outside the inbox to silence this.",
        ),
        _c(
            "input-temp-file",
            Severity.INFO,
            "a temporary or lock file",
            "Nothing to do; close the workbook in Excel, or delete files left by an"
            " interrupted run.",
        ),
        _c(
            "input-system-file",
            Severity.INFO,
            "a file the operating system keeps in folders",
            "Nothing to do.",
        ),
        _c(
            "input-duplicate",
            Severity.INFO,
            "the same file reached twice (a link or a repeated argument)",
            "Nothing to do; it is read once.",
        ),
        _c(
            "store-read-only",
            E,
            "the store cannot be written (read-only file, folder or filesystem)",
            "Give write permission on the database file and its folder, or use --db"
            " with a writable location.",
        ),
        _c(
            "store-disk-full",
            E,
            "the disk holding the store is full",
            "Free space on that disk and run the command again; nothing was half-written.",
        ),
        _c(
            "store-corrupt",
            E,
            "the store's database is damaged or not a database",
            "Restore the database from a backup, or move it aside and run"
            " `mne-workbook ingest --rebuild` to rebuild it from the archive.",
        ),
        _c(
            "store-locked",
            E,
            "another process holds the store's lock",
            "Wait for the other mne-workbook command to finish and run this one again.",
        ),
        _c(
            "store-folder-missing",
            E,
            "the folder of the store does not exist",
            "Create the folder, or correct the --db path.",
        ),
        _c(
            "store-history-missing",
            E,
            "the database is empty or missing but its archive holds returns",
            "Restore the database from a backup, or run `mne-workbook ingest --rebuild"
            " --plan PLAN` to rebuild the history from the archive.",
        ),
        _c(
            "key-file-missing",
            E,
            "the key file does not exist",
            "Check the path; create a key with `mne-workbook key new --key-file PATH`.",
        ),
        _c(
            "key-not-found",
            E,
            "no signing key found",
            "Create one with `mne-workbook key new`, set MNE_WORKBOOK_KEY, or pass"
            " --key-file; to read unsigned returns anyway pass --allow-unsigned.",
        ),
        _c(
            "key-too-short",
            E,
            "the signing key is shorter than 32 bytes",
            "Create a proper key with `mne-workbook key new` (64 hex digits).",
        ),
        _c(
            "key-file-readable",
            W,
            "the key file can be read by other users",
            "Run chmod 600 on the key file.",
        ),
        _c(
            "key-file-exists",
            E,
            "a key file already exists there",
            "Keep it (it signs your workbooks); pass --rotate to add a new current key"
            " in front of the old ones.",
        ),
        _c(
            "key-file-unreadable",
            E,
            "the key file cannot be read",
            "Check the key file's permissions and that it is a text file of hex keys.",
        ),
        _c(
            "insecure-smtp",
            E,
            "credentials would be sent unencrypted",
            "Use STARTTLS (drop --no-starttls), or pass --insecure-plain-auth if the"
            " server is on a trusted network.",
        ),
        _c(
            "generation-limit",
            E,
            "spreadsheet format limit exceeded",
            "Shorten the text named (Excel limits titles and messages).",
        ),
        _c(
            "generation-worker-failed",
            E,
            "a process writing workbooks stopped",
            "Run the command again; if it stops again, run it with --workers 1 and check"
            " the memory free on this computer. Files already written are complete.",
        ),
        # -- the web desk (issue 18) ----------------------------------------------
        _c(
            "link-wrong-return",
            E,
            "the workbook is not the one this upload link is for",
            "Upload the workbook ONATC sent your institution for this period.",
        ),
        _c(
            "upload-limit",
            E,
            "too many files or too much data in one upload",
            "Upload fewer or smaller files at a time (see the limits on the page).",
        ),
        _c(
            "web-bind-refused",
            E,
            "the web desk would be reachable over the network without TLS",
            "Give --ssl-certfile and --ssl-keyfile, or --behind-proxy when a TLS reverse"
            " proxy forwards to it, or bind 127.0.0.1.",
        ),
        _c(
            "web-user-invalid",
            E,
            "user name or role not allowed",
            "Use letters, digits, dot, underscore, @ or hyphen, and role admin or viewer.",
        ),
        _c("web-user-exists", E, "the user already exists", "Pick another name."),
        _c(
            "web-user-unknown",
            E,
            "no such user",
            "List the users with `mne-workbook user list`.",
        ),
        _c(
            "web-password-weak",
            E,
            "the password is too short",
            "Use at least 10 characters, or leave it to `user add` to make one.",
        ),
        # -- a plan written in a workbook (issue 19) ----------------------------------
        _c(
            "not-a-plan-workbook",
            E,
            "not a plan workbook",
            "Start from `mne-workbook plan template` or `plan export`: a plan workbook has the"
            " sheets Plan, Institutions, Strategic objectives, Specific objectives, Activities,"
            " Expected results and Indicators.",
        ),
        _c(
            "plan-column-unknown",
            E,
            "a column header that is not a plan field",
            "Correct the header's spelling (the template's headers are the plan's fields), or"
            " delete the column.",
        ),
        _c(
            "plan-column-missing",
            E,
            "a required column is missing",
            "Put the column back with its header (copy it from `mne-workbook plan template`).",
        ),
        _c(
            "plan-parent-unknown",
            E,
            "the parent named is not in the sheet above",
            "Choose the parent's code from the dropdown, or add the parent to the sheet above.",
        ),
        _c(
            "plan-cell-invalid",
            E,
            "a cell holds a value of the wrong kind",
            "Format the cell as text and type the value again as the column asks.",
        ),
        _c(
            "plan-rows-ignored",
            E,
            "rows that are not read",
            "The Plan sheet holds one plan in row 2; move or delete the other rows.",
        ),
        _c(
            "plan-sheet-unexpected",
            W,
            "a sheet that is not part of the plan",
            "It was not read; move its content into the plan's sheets if it belongs to the plan.",
        ),
        _c(
            "plan-version-changes",
            W,
            "what changed since the plan version a return was made from",
            "Check the changed items in the return; the values were read against the current plan.",
        ),
        # -- issue 14: the command-line error boundary ----------------------------
        _c(
            "file-system-error",
            E,
            "a file or folder could not be read or written",
            "Check that the path named exists, that you may write to its folder,"
            " and that the disk is not full; then run the command again.",
        ),
        _c(
            "store-error",
            E,
            "the history store could not be opened or used",
            "Check --db: a SQLite file's folder must exist and be writable; a database URL"
            " needs its server running and its driver installed.",
        ),
        _c(
            "store-not-found",
            E,
            "no history store there",
            "Run `mne-workbook ingest` first to create the store, or pass --db with the"
            " path of the existing store.",
        ),
        _c(
            "mail-send-failed",
            E,
            "the drafts could not be sent",
            "Check --smtp HOST:PORT, STARTTLS and MNE_SMTP_USER / MNE_SMTP_PASSWORD; the"
            " drafts are written and can also be sent by hand.",
        ),
        _c(
            "internal-error",
            E,
            "unexpected internal error (a bug)",
            "Report it with the command you ran; MNE_WORKBOOK_DEBUG=1 shows the traceback.",
        ),
    ]
}


@dataclass(frozen=True)
class Location:
    """Where a problem is. Every field is optional; set the ones that apply."""

    file: str | None = None
    path: str | None = None  # JSON path in a plan, e.g. $.strategic_objectives[0].code
    line: int | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None  # a plan workbook's column header, e.g. "frequency"

    def __post_init__(self) -> None:
        # A file name is data (issue 15): whatever bytes it holds, it is shown safely.
        if self.file is not None:
            object.__setattr__(self, "file", shown(self.file))

    def __str__(self) -> str:
        if self.field and self.sheet:  # pyxform style: [Indicators row 14, column "frequency"]
            where = f'[{self.sheet} row {self.row}, column "{self.field}"]'
            return f"{self.file}: {where}" if self.file else where
        parts: list[str] = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.column and self.row:
            parts.append(f"cell {self.column}{self.row}")
        elif self.row:
            parts.append(f"row {self.row}")
        if self.path:
            parts.append(self.path)
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One located, coded problem."""

    code: str
    message: str
    location: Location = field(default_factory=Location)
    severity: Severity | None = None  # defaults to the catalog's severity

    def __post_init__(self) -> None:
        if self.code not in CATALOG:
            raise KeyError(f"unknown problem code {self.code!r}")
        if self.severity is None:
            object.__setattr__(self, "severity", CATALOG[self.code].severity)

    @property
    def hint(self) -> str:
        return CATALOG[self.code].hint

    def to_dict(self) -> dict[str, Any]:
        loc = {k: v for k, v in asdict(self.location).items() if v is not None}
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "hint": self.hint,
            **loc,
        }

    def __str__(self) -> str:
        where = str(self.location)
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.severity} [{self.code}] {self.message}"


@dataclass
class Report:
    """Problems found in one input, as data."""

    source: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(self, code: str, message: str, location: Location | None = None) -> None:
        self.problems.append(Problem(code, message, location or Location(file=self.source)))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        """Number of problems per code, most frequent first."""
        return dict(Counter(p.code for p in self.problems).most_common())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "counts": self.counts(),
            "problems": [p.to_dict() for p in self.problems],
        }


class MneError(Exception):
    """Base of every error this package raises on purpose.

    ``exit_status`` is the command-line exit code it ends in: 2 when the command could
    not run (arguments, environment), 1 when the data given had problems.
    """

    exit_status = 2

    def __init__(self, report: Report) -> None:
        self.report = report
        first = report.errors[0] if report.errors else None
        super().__init__(str(first) if first else "error")


class PlanError(MneError):
    """A plan file could not be loaded (see ``report``)."""

    exit_status = 1


class UsageError(MneError):
    """An argument given by the user is invalid (period, output path, ...)."""


class StoreError(MneError):
    """The history store cannot be used (read-only, full, damaged, locked, missing)."""


class GenerationError(MneError):
    """A workbook could not be generated (a format limit was hit)."""

    exit_status = 1


class SigningKeyError(UsageError):
    """A signing key is missing, unreadable or too weak."""


def fail(
    exc: type[MneError], code: str, message: str, location: Location | None = None
) -> MneError:
    """Build an exception of type ``exc`` holding one problem."""
    report = Report(source=location.file if location else None)
    report.add(code, message, location)
    return exc(report)
