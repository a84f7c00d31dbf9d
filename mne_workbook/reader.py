"""Read one returned workbook into a :class:`Submission`: identity, structure, values.

The file is checked by :mod:`safety` before a parser sees it, parsed by
:mod:`xlsx_parse` (the standard library's expat and ElementTree, streamed from the zip;
no cell is ever evaluated: a formula is an error), and compared with what the generator
would have written for the same plan, institution and period, using the one column
model of :mod:`layout`. Every problem is located by sheet, row and column.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import hashlib
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from .errors import Location, Problem, Severity
from .identity import KIND_MASTER, PREFIX, Identity
from .layout import (
    FIELD_ROW,
    FIRST_DATA_ROW,
    SHEET_IDENTITY,
    SHEET_LISTS,
    Column,
    Kind,
    MatrixRow,
    Owner,
    Span,
    columns_for,
    content_records,
    editable,
    grid_records,
    norm_cell,
    plan_cell,
    rows_for,
    sheet_name,
    signed_owners,
    spans,
    value_due,
)
from .locales import SUPPORTED, catalog
from .periods import Period, collection_points
from .plan import Plan
from .safety import Limits, inspect_file, read_passed
from .signing import KeyRing, content_digest, verify
from .values import (
    TEXT_LIMIT,
    counts_things,
    decode_text,
    is_blank,
    parse_code,
    parse_text,
    read_value,
)
from .xlsx_parse import Workbook


def col_letter(index: int) -> str:
    """Excel column letters of a 0-based index."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass(frozen=True)
class CellRef:
    sheet: str
    row: int  # 1-based, as shown in Excel
    column: str  # letters

    def __str__(self) -> str:
        return f"{self.sheet}!{self.column}{self.row}"


@dataclass(frozen=True)
class ReportedValue:
    activity: str
    indicator: str
    point_end: dt.date
    point: str  # label of the collection period
    value: object  # float | int | bool | str
    cell: CellRef
    file: str = ""  # the file it came from, when a merged return holds several


@dataclass
class ActivityReport:
    activity: str
    status: int | None = None
    rating_hy: int | None = None
    rating_y: int | None = None
    comment: str | None = None
    cells: dict[str, CellRef] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # field -> file, when merged


@dataclass
class Submission:
    """One returned file, as read: provenance, identity, values and problems."""

    path: str
    size: int = 0
    sha256: str = ""
    identity: Identity | None = None
    saved_at: dt.datetime | None = None
    problems: list[Problem] = field(default_factory=list)
    values: list[ReportedValue] = field(default_factory=list)
    activities: dict[str, ActivityReport] = field(default_factory=dict)
    #: where each expected input is in the file: (activity, indicator or "", field) -> cell
    cells: dict[tuple[str, str, str], CellRef] = field(default_factory=dict)
    refused: bool = False
    file_name: str = ""  # the name it was received under, when ``path`` is an archive copy
    #: a master workbook's ONATC fields: (activity, indicator, column id) -> (raw value, cell)
    plan_fields: dict[tuple[str, str, str], tuple[object, CellRef]] = field(default_factory=dict)
    #: when it arrived (aware) and where that time comes from (see :mod:`arrival`)
    arrived_at: dt.datetime | None = None
    arrival_source: str = ""
    sender: str = ""  # the e-mail's From: address, when it came as an attachment
    subject: str = ""  # the e-mail's Subject:
    merged_from: list[str] = field(default_factory=list)  # files whose answers it holds
    #: the institution a refused file is attributed to (e-mail sender or its generated
    #: file name); only to say whose file was refused, never to read it
    refused_for: str = ""

    @property
    def accepted(self) -> bool:
        return not self.refused

    @property
    def institution(self) -> str | None:
        return self.identity.institution if self.identity else None

    @property
    def name(self) -> str:
        return self.file_name or Path(self.path).name

    def refusal(self) -> Problem | None:
        """Why the file was refused: the error that stopped the reading (the last one)."""
        if not self.refused:
            return None
        return next((p for p in reversed(self.problems) if p.severity == Severity.ERROR), None)

    def content_key(self) -> tuple[object, ...]:
        """What the return says, for telling identical returns from different ones."""
        vals = tuple(sorted((v.activity, v.indicator, v.point, repr(v.value)) for v in self.values))
        acts = tuple(
            sorted(
                (a.activity, a.status, a.rating_hy, a.rating_y, a.comment)
                for a in self.activities.values()
            )
        )
        return (self.institution, vals, acts)


class _Refuse(Exception):
    """Internal: stop reading a file; the problem is already recorded."""


def read_return(
    path: str | Path,
    plan: Plan,
    period: Period | None = None,
    limits: Limits | None = None,
    keys: KeyRing | None = None,
    require_signature: bool = False,
    master: bool = False,
) -> Submission:
    """Read a returned workbook; never raises for bad data (see ``problems``).

    With ``keys`` the signature is verified; ``require_signature`` refuses unsigned or
    unverifiable files (without it they are read with an ``unsigned-accepted`` warning).
    ``master`` reads ONATC's master workbook instead of an institution's return (its
    ONATC fields are then inputs; see :mod:`planning`).
    """
    p = Path(path)
    sub = Submission(path=str(p))
    _own_memo()
    limits = limits or Limits()
    passed = read_passed(p, limits)  # the gate and the reader share one read and parse
    if passed is None:  # refused, or unusual: the gate from the disk, as it always was
        refusal = inspect_file(p, limits)
        if refusal is not None:
            sub.problems.append(refusal)
            sub.refused = True
            return sub
        data, zf = p.read_bytes(), None  # bounded by Limits.max_file_bytes
    else:
        data, zf = passed
    sub.size, sub.sha256 = len(data), hashlib.sha256(data).hexdigest()
    try:
        _read(sub, p, data, plan, period, _Signing(keys, require_signature, master), zf)
    except _Refuse:
        sub.refused = True
    return sub


def _problem(
    sub: Submission, code: str, message: str, cell: CellRef | None = None, sheet: str | None = None
) -> None:
    loc = Location(
        file=sub.path,
        sheet=cell.sheet if cell else sheet,
        row=cell.row if cell else None,
        column=cell.column if cell else None,
    )
    sub.problems.append(Problem(code, message, loc))


def _refuse(sub: Submission, code: str, message: str, **kw: Any) -> _Refuse:
    _problem(sub, code, message, **kw)
    return _Refuse()


def _why(exc: Exception) -> tuple[str, str]:
    """The code and words for a parser failure; entity tricks and memory get their own."""
    name = type(exc).__name__
    if "memory" in str(exc).lower():  # expat reports its own allocation failures
        return "parse-memory", f"the parser ran out of memory ({name}: {str(exc)[:100]})"
    if name in (
        "EntitiesForbidden",
        "DTDForbidden",
        "ExternalReferenceForbidden",
        "NotSupportedError",
    ):
        return (
            "parse-failed",
            f"the workbook's XML declares entities or a DTD (an XML bomb or XXE): {name}",
        )
    return "parse-failed", f"{name}: {str(exc)[:200]}"


def _open(sub: Submission, path: Path, data: bytes, zf: zipfile.ZipFile | None = None) -> Any:
    """The workbook's parts, parsed by :mod:`xlsx_parse` (expat-guarded, streamed) from
    the bytes already read (the file is not opened again; ``zf``: those bytes' zip, as
    the gate opened it)."""
    try:
        return Workbook(path, data, zf)
    except MemoryError:
        raise
    except Exception as exc:  # any parser failure refuses the file, and only it
        raise _refuse(sub, *_why(exc)) from None


@dataclass(frozen=True)
class _Signing:
    keys: KeyRing | None
    required: bool
    master: bool = False


def _read(
    sub: Submission,
    path: Path,
    data: bytes,
    plan: Plan,
    period: Period | None,
    signing: _Signing,
    zf: zipfile.ZipFile | None = None,
) -> None:
    wb = _open(sub, path, data, zf)
    try:
        try:
            sub.saved_at = wb.modified or wb.created
            identity = _identity(sub, wb)
            sub.identity = identity
            expected_period = _check_identity(sub, identity, plan, period, signing.master)
            _read_sheets(sub, wb, plan, identity, expected_period, signing)
        except (_Refuse, MemoryError):
            raise
        except Exception as exc:  # a malformed part must not crash the run
            raise _refuse(sub, *_why(exc)) from None
    finally:
        wb.close()


# --------------------------------------------------------------------------- identity


def _identity(sub: Submission, wb: Any) -> Identity:
    sources: dict[str, dict[str, str]] = {}
    if SHEET_IDENTITY in wb.sheetnames:
        rows = wb.rows(SHEET_IDENTITY, max_row=40, max_col=2)
        pairs = [(_val(r[0]), _val(r[1])) for r in rows if len(r) == 2]
        sheet = {str(k): "" if v is None else str(v) for k, v in pairs if k}
        if sheet:
            sources["the _identity sheet"] = sheet
    custom = {
        name[len(PREFIX) :]: "" if value is None else str(value)
        for name, value in wb.custom
        if name.startswith(PREFIX)
    }
    if custom:
        sources["the document properties"] = custom
    if not sources:
        raise _refuse(
            sub, "identity-missing", "no _identity sheet and no identity in the document properties"
        )
    parsed: dict[str, Identity] = {}
    for where, data in sources.items():
        try:
            parsed[where] = Identity.from_mapping(data)
        except KeyError as exc:
            raise _refuse(sub, "identity-missing", f"{where} lacks {exc}") from None
    first = next(iter(parsed.values()))
    for where, ident in parsed.items():
        if ident != first:
            diff = [k for k, v in ident.pairs() if dict(first.pairs())[k] != v]
            raise _refuse(
                sub,
                "identity-conflict",
                f"{where} disagrees with {next(iter(parsed))} on {', '.join(diff)}",
            )
    text = wb.defined_names.get(PREFIX + "identity")
    if text:
        compact = Identity.parse_compact(str(text).strip('"'))
        if compact != Identity.parse_compact(first.compact()):
            raise _refuse(
                sub,
                "identity-conflict",
                "the defined name mne_identity disagrees with the identity sheet",
            )
    return first


def _check_identity(
    sub: Submission, ident: Identity, plan: Plan, period: Period | None, master: bool = False
) -> Period:
    if (ident.kind == KIND_MASTER) != master:
        if master:
            raise _refuse(sub, "not-a-master", f"{sub.name} is the return of {ident.institution}")
        raise _refuse(
            sub, "master-not-a-return", f"{sub.name} is the master workbook of {ident.period}"
        )
    if ident.plan_id != plan.id:
        raise _refuse(sub, "wrong-plan", f"the file is for plan {ident.plan_id!r}, not {plan.id!r}")
    try:
        file_period = Period.parse(ident.period)
    except ValueError:
        raise _refuse(
            sub, "identity-conflict", f"period {ident.period!r} is not a period"
        ) from None
    if period is not None and file_period != period:
        raise _refuse(
            sub, "wrong-period", f"the file is for {file_period.label}, not {period.label}"
        )
    if not master and ident.institution not in {i.id for i in plan.institutions}:
        raise _refuse(
            sub,
            "unknown-institution-file",
            f"institution {ident.institution!r} is not in plan {plan.id}",
        )
    return file_period


# --------------------------------------------------------------------------- signature


def _values(grid: list[list[Any]]) -> list[list[object]]:
    """Each cell's value (:func:`_val`, inlined: this runs for every cell of a return)."""
    return [[None if c is None else getattr(c, "value", None) for c in row] for row in grid]


#: :func:`_found_digest`'s answers: (columns' id, master, each sheet's name and the cells
#: it reads) -> (columns, digest); bounded by the cells the keys hold in all.
_DIGESTS: dict[tuple[Any, ...], tuple[tuple[Column, ...], str]] = {}
_UNSEEN = object()  # (no cell is this one)
#: the signed columns of a field row: (columns' id, master, its cells) -> (columns, indexes)
_SIGNED: dict[tuple[Any, ...], tuple[tuple[Column, ...], list[int]]] = {}
_DIGEST_CELLS = [0]
_MAX_DIGEST_CELLS = 100_000


def _found_digest(
    grids: dict[str, list[list[Any]]],
    owner_of: dict[str, Owner],
    master: bool,
    columns: tuple[Column, ...] | None,
) -> str:
    """``content_digest(grid_records(...))`` of the sheets' cell values. With ``columns``
    (whose owners ``owner_of`` lists) the grids hold :mod:`xlsx_parse` cells, each an
    object that is never changed and is shared by every return holding the same cell
    bytes in the same place (see ``xlsx_parse._fast_rows``); the digest is then
    remembered by the very cells it reads: the field row's, and in each data row kept
    (trailing blank rows are cut as :func:`layout.grid_records` cuts them) those of the
    signed columns. A cell compares by identity and the key holds it, so a key found
    again means the same values, hence the same records. Anything unusual (a row
    shorter than a signed column) is computed as before."""
    if columns is None:
        return _digest_of(grids, owner_of, master)
    owners = signed_owners(master)
    parts: list[Any] = [id(columns), master]
    size = 0
    for name, grid in grids.items():
        head = tuple(grid[FIELD_ROW]) if len(grid) > FIELD_ROW else ()
        known = _SIGNED.get((id(columns), master, head))
        if known is not None and known[0] is columns:
            signed = known[1]
        else:
            fields = [norm_cell(_val(c)) for c in head]
            while fields and not fields[-1]:
                fields.pop()
            signed = [ci for ci, f in enumerate(fields) if owner_of.get(f) in owners]
            if len(_SIGNED) >= 256:
                _SIGNED.clear()
            _SIGNED[id(columns), master, head] = (columns, signed)
        data = grid[FIRST_DATA_ROW:]
        while data and all(norm_cell(_val(c)) == "" for c in data[-1]):
            data = data[:-1]
        if signed and any(len(row) <= signed[-1] for row in data):
            return _digest_of(grids, owner_of, master)  # (a short row: not remembered)
        cells = tuple(map(itemgetter(*signed), data)) if signed else len(data)
        parts += (name, head, cells)
        size += len(head) + len(signed) * len(data)
    key = tuple(parts)
    hit = _DIGESTS.get(key)
    if hit is not None and hit[0] is columns:
        return hit[1]
    found = _digest_of(grids, owner_of, master)
    if _DIGEST_CELLS[0] + size > _MAX_DIGEST_CELLS:
        _DIGESTS.clear()
        _DIGEST_CELLS[0] = 0
    _DIGESTS[key] = (columns, found)
    _DIGEST_CELLS[0] += size
    return found


def _digest_of(grids: dict[str, list[list[Any]]], owner_of: dict[str, Owner], master: bool) -> str:
    records = grid_records([(n, _values(g)) for n, g in grids.items()], owner_of, master)
    return content_digest(records)


def _check_signature(
    sub: Submission,
    plan: Plan,
    period: Period,
    ident: Identity,
    cat: Any,
    columns: tuple[Column, ...],
    grids: dict[str, list[list[Any]]],
    signing: _Signing,
    remember: bool = False,
) -> None:
    """Verify the HMAC; name what was done to the file when it does not verify.
    ``remember``: the grids hold :mod:`xlsx_parse` cells (see :func:`_found_digest`)."""
    keys = signing.keys
    if keys is None and not signing.required:
        return  # not verifying at all (an empty KeyRing verifies and flags; see signing)
    if not ident.signature:
        if signing.required:
            raise _refuse(sub, "unsigned-workbook", "the workbook carries no signature")
        _problem(sub, "unsigned-accepted", "the workbook carries no signature")
        return
    key = keys.by_id(ident.key_id) if keys else None
    if key is None:
        why = (
            "no signing key was found to verify it"
            if keys is None or not keys.keys
            else f"signed with key {ident.key_id!r}, which is not in the key ring"
        )
        if signing.required:
            raise _refuse(sub, "unknown-signing-key", why)
        _problem(sub, "unsigned-accepted", f"{why}: not verified")
        return
    owner_of = {c.field: c.owner for c in columns}
    master = ident.kind == KIND_MASTER
    found = _found_digest(grids, owner_of, master, columns if remember else None)
    if verify(key, ident.signed_pairs(), found, ident.signature):
        return
    carriers = [i.id for i in plan.carriers()]

    def expected(inst: str) -> str:
        return content_digest(content_records(plan, period, inst or None, cat))

    for other in carriers:  # the identity was edited to name another institution
        if other != ident.institution:
            forged = replace(ident, institution=other)
            if verify(key, forged.signed_pairs(), found, ident.signature):
                raise _refuse(
                    sub,
                    "forged-identity",
                    f"the workbook was generated for {other!r} but its identity"
                    f" now says {ident.institution!r}",
                )
    if verify(key, ident.signed_pairs(), expected(ident.institution), ident.signature):
        for other in carriers:  # a genuine identity on another workbook's sheets
            if other != ident.institution and found == expected(other):
                raise _refuse(
                    sub,
                    "identity-copied",
                    f"the identity is {ident.institution!r}'s but the sheets are"
                    f" {other!r}'s workbook",
                )
        _problem(
            sub,
            "plan-cells-tampered",
            "the identity is genuine but plan cells, keys or columns were changed",
        )
        return  # the structure checks that follow name the cells
    raise _refuse(
        sub,
        "signature-invalid",
        "the signature does not match the identity and content of the file",
    )


# --------------------------------------------------------------------------- sheets


def split_notes(
    name: str, rows: list[list[Any]], ncols: int, activities: set[str]
) -> tuple[list[list[Any]], list[tuple[CellRef, Any]]]:
    """The table (rows down to the last row keyed by one of ``activities``, columns up
    to the last column id) and every non-blank cell around it: rows below the table and
    cells to the right of it. The text is kept, never dropped."""
    fields = rows[FIELD_ROW] if len(rows) > FIELD_ROW else []
    width = max([ncols] + [i + 1 for i, c in enumerate(fields) if not _blank(_val(c))])
    last = len(rows)
    while (
        last > FIRST_DATA_ROW
        and (_norm(_val(rows[last - 1][0])) if rows[last - 1] else "") not in activities
    ):  # rows below the table hold no activity key
        last -= 1
    notes: list[tuple[CellRef, Any]] = []
    for ri, row in enumerate(rows):
        start = 0 if ri >= last else width
        for ci in range(start, len(row)):
            if not _blank(_val(row[ci])):
                notes.append((CellRef(name, ri + 1, col_letter(ci)), row[ci]))
    return [row[:width] for row in rows[:last]], notes


def _note_problems(sub: Submission, notes: list[tuple[CellRef, Any]]) -> None:
    for ref, cell in notes:
        raw = _val(cell)
        if getattr(cell, "data_type", None) == "f":
            text = f"(a formula, not evaluated) {raw}"
        elif isinstance(raw, dt.datetime | dt.date):
            text = raw.isoformat()
        elif isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        else:
            text = decode_text(str(raw)).strip()
        if len(text) > TEXT_LIMIT:
            text = text[: TEXT_LIMIT - 3] + "..."
        _problem(sub, "note-outside-table", f"note written at {ref}: {text}", ref)


def _val(cell: Any) -> Any:
    return None if cell is None else getattr(cell, "value", None)


def _blank(raw: object) -> bool:
    """:func:`values.is_blank`, answered at once for a text that starts with a letter or
    a digit: decoding keeps that character and it is not a space, so it is never blank."""
    if type(raw) is str and raw[:1].isalnum():
        return False
    return is_blank(raw)


@dataclass(frozen=True)
class _Layout:
    """What every return of one plan, period and institution shares (its sheets)."""

    columns: tuple[Column, ...]
    fields: list[str]
    expected: list[tuple[Any, list[MatrixRow]]]  # (strategic objective, its rows)
    names: list[str]
    known: set[str]
    activity_codes: set[str]
    #: per sheet, language and master: each plan cell's (column index, column, row
    #: offset, expected value, its normalised text), computed on first use
    plan_cells: dict[tuple[str, str, bool], list[tuple[int, Column, int, Any, str]]] = field(
        default_factory=dict
    )
    #: per plan_cells entry: the cell object last found there showing the plan's text
    plan_known: dict[tuple[str, str, bool], list[Any]] = field(default_factory=dict)
    #: per sheet: the carrier input cells (see _iter_inputs)
    inputs: dict[str, list[tuple[int, Column, int, int, MatrixRow, bool]]] = field(
        default_factory=dict
    )
    #: per sheet: where each open input is, as a Submission's ``cells`` lists them
    cells: dict[str, list[tuple[tuple[str, str, str], CellRef]]] = field(default_factory=dict)


_LAYOUTS: dict[tuple[int, Period, str | None], tuple[Plan, _Layout]] = {}
#: per plan and period: its columns and activity codes, the same for every institution
#: (the key's plan is held, so its id is not reused)
_SHARED: dict[tuple[int, Period], tuple[Plan, tuple[Column, ...], set[str]]] = {}


def _shared(plan: Plan, period: Period) -> tuple[tuple[Column, ...], set[str]]:
    """``columns_for(plan, period)`` and the plan's activity codes, computed once per
    plan and period rather than once per institution (neither depends on it)."""
    hit = _SHARED.get((id(plan), period))
    if hit is not None and hit[0] is plan:
        return hit[1], hit[2]
    columns = columns_for(plan, period)
    codes = {ref.activity.code for ref in plan.iter_activities()}
    if len(_SHARED) >= 16:
        _SHARED.clear()
    _SHARED[id(plan), period] = (plan, columns, codes)
    return columns, codes


def _layout(plan: Plan, period: Period, inst: str | None) -> _Layout:
    """The layout of ``inst``'s returns, computed once per plan, period and
    institution (a plan is immutable; the cache holds it, so its id is not reused)."""
    key = (id(plan), period, inst)
    hit = _LAYOUTS.get(key)
    if hit is not None and hit[0] is plan:
        return hit[1]
    columns, activity_codes = _shared(plan, period)
    expected = [(so, rows_for(so, inst)) for so in plan.strategic_objectives]
    expected = [(so, rows) for so, rows in expected if rows]
    names = [sheet_name(so) for so, _ in expected]
    known = {
        *names,
        SHEET_LISTS,
        SHEET_IDENTITY,
        *(catalog(lg).text("cover_sheet") for lg in SUPPORTED),
    }
    lay = _Layout(
        columns,
        [c.field for c in columns],
        expected,
        names,
        known,
        activity_codes,
    )
    if len(_LAYOUTS) >= 64:
        _LAYOUTS.clear()
    _LAYOUTS[key] = (plan, lay)
    return lay


def _read_sheets(
    sub: Submission, wb: Any, plan: Plan, ident: Identity, period: Period, signing: _Signing
) -> None:
    cat = catalog(ident.language if ident.language in SUPPORTED else "en")
    inst = ident.institution or None  # None: the master, every activity
    lay = _layout(plan, period, inst)
    columns, fields, expected, names = lay.columns, lay.fields, lay.expected, lay.names
    older = ident.plan_fingerprint != plan.fingerprint
    known, activity_codes = lay.known, lay.activity_codes
    so_sheets = [n for n in wb.sheetnames if re.fullmatch(r"SO\d{1,2}", n)]
    grids: dict[str, list[list[Any]]] = {}
    notes: list[tuple[CellRef, Any]] = []
    for n in so_sheets:
        grids[n], around = split_notes(n, wb.rows(n), len(columns), activity_codes)
        notes += around
    remember = isinstance(wb, Workbook)  # (cells of xlsx_parse, never changed)
    _check_signature(sub, plan, period, ident, cat, columns, grids, signing, remember)
    for extra in [n for n in wb.sheetnames if n not in known]:
        _problem(
            sub, "sheet-unexpected", f"sheet {extra!r} is not part of the workbook", sheet=extra
        )
    _note_problems(sub, notes)
    missing = [n for n in names if n not in wb.sheetnames]
    structure_errors = 0
    changed_plan_cells: list[str] = []
    sheets = []
    if missing:
        _problem(
            sub,
            "sheet-missing",
            f"sheet(s) {', '.join(missing)} missing; the workbook has {', '.join(wb.sheetnames)}",
        )
        structure_errors = 1
    else:
        for so, rows in expected:
            name = sheet_name(so)
            grid = grids[name]
            structure_errors += _check_structure(sub, name, grid, fields, rows, older)
            sheets.append((name, grid, rows))
    if structure_errors:
        if older:  # the rows differ because the plan changed, not because someone edited
            _problem(
                sub,
                "plan-version-mismatch",
                f"made from plan version {ident.plan_version} ({ident.plan_fingerprint}), whose"
                f" rows differ from the current plan {plan.version} ({plan.fingerprint})",
            )
        raise _Refuse()
    for name, grid, rows in sheets:
        key = (name, cat.lang, inst is None)
        if key not in lay.plan_cells:
            lay.plan_cells[key] = _plan_cells(columns, rows, cat, inst is None)
            lay.plan_known[key] = [_UNSEEN] * len(lay.plan_cells[key])
        last_seen = lay.plan_known[key] if remember else None
        changed_plan_cells += _check_plan_cells(
            sub, name, grid, rows, lay.plan_cells[key], older, last_seen
        )
    if older:
        what = "; ".join(changed_plan_cells[:5]) or "no plan text it shows"
        more = f" (and {len(changed_plan_cells) - 5} more)" if len(changed_plan_cells) > 5 else ""
        _problem(
            sub,
            "older-plan-version",
            f"made from plan version {ident.plan_version} ({ident.plan_fingerprint}); the"
            f" plan is now {plan.version} ({plan.fingerprint}). Changed: {what}{more}",
        )
    elif any(p.code == "plan-cell-changed" for p in sub.problems):
        raise _Refuse()
    for name, grid, rows in sheets:
        if name not in lay.inputs:
            lay.inputs[name] = list(_iter_inputs(columns, rows, period))
            lay.cells[name] = _input_cells(name, lay.inputs[name])
        sub.cells.update(lay.cells[name])
        _read_values(sub, name, grid, lay.inputs[name], rows, period)
        if inst is None:
            _read_plan_fields(sub, name, grid, columns, rows)


def _check_structure(
    sub: Submission,
    name: str,
    grid: list[list[Any]],
    fields: list[str],
    rows: list[MatrixRow],
    older: bool,
) -> int:
    errors = 0
    found = [
        str(_val(c)) if not _blank(_val(c)) else ""
        for c in (grid[FIELD_ROW] if len(grid) > FIELD_ROW else [])
    ]
    while found and not found[-1]:
        found.pop()
    if found != fields:
        sm = difflib.SequenceMatcher(a=fields, b=found, autojunk=False)
        parts = []
        for tag, a1, a2, b1, b2 in sm.get_opcodes():
            if tag in ("delete", "replace"):
                parts.append(f"missing {', '.join(fields[a1:a2])} (column {col_letter(a1)})")
            if tag in ("insert", "replace"):
                parts.append(
                    f"unexpected {', '.join(found[b1:b2]) or 'blank'} at column {col_letter(b1)}"
                )
        _problem(sub, "columns-changed", "; ".join(parts) or "column ids changed", sheet=name)
        return 1
    want: list[tuple[str, ...]] = [r.key for r in rows]
    data_rows = list(grid[FIRST_DATA_ROW:])
    while data_rows and all(_blank(_val(c)) for c in data_rows[-1]):
        data_rows.pop()  # trailing empty or merely formatted rows
    got = [
        tuple(
            "" if _blank(v) else str(v)
            for v in (_val(row[0]) if row else None, _val(row[1]) if len(row) > 1 else None)
        )
        for row in data_rows
    ]
    if got == want:
        return 0
    rows_sm: difflib.SequenceMatcher[tuple[str, ...]] = difflib.SequenceMatcher(
        a=want, b=got, autojunk=False
    )
    for tag, a1, a2, b1, b2 in rows_sm.get_opcodes():
        if tag == "equal":
            continue
        for k in range(b1, b2):
            key = got[k]
            moved = key in want
            what = "moved" if moved else "inserted"
            label = "/".join(x for x in key if x) or "a blank row"
            _problem(
                sub,
                "rows-changed",
                f"row for {label} {what} here",
                CellRef(name, FIRST_DATA_ROW + 1 + k, "A"),
            )
            errors += 1
        for k in range(a1, a2):
            if want[k] not in got:
                label = "/".join(x for x in want[k] if x)
                _problem(
                    sub,
                    "rows-changed",
                    f"row for {label} deleted (expected at row {FIRST_DATA_ROW + 1 + k})",
                    sheet=name,
                )
                errors += 1
    return max(errors, 1)


def _norm(value: object) -> str:
    """A cell's text as the person sees it (Excel's escapes decoded)."""
    return decode_text(norm_cell(value)).strip()


def _plan_cells(
    columns: tuple[Column, ...], rows: list[MatrixRow], cat: Any, master: bool
) -> list[tuple[int, Column, int, Any, str]]:
    """Each plan cell of a sheet: (column index, column, row offset, expected value,
    its normalised text); a master opens ONATC's cells."""
    out = []
    owners = (Owner.PLAN,) if master else (Owner.PLAN, Owner.ONATC)
    runs: dict[Span, list[tuple[int, int]]] = {}  # spans(rows, span), once per span
    for ci, col in enumerate(columns):
        if col.owner not in owners:
            continue
        if col.span not in runs:
            runs[col.span] = spans(rows, col.span)
        for a, _b in runs[col.span]:
            want, _note = plan_cell(col, rows[a], cat)
            out.append((ci, col, a, want, norm_cell(want)))
    return out


def _check_plan_cells(
    sub: Submission,
    name: str,
    grid: list[list[Any]],
    rows: list[MatrixRow],
    cells: list[tuple[int, Column, int, Any, str]],
    older: bool,
    known: list[Any] | None = None,
) -> list[str]:
    """The plan cells whose text changed (with ``older``; else each is a problem).
    ``known``: per plan cell, the :mod:`xlsx_parse` cell object last found showing its
    text there (such an object is never changed, and is the same for every return that
    holds the same cell bytes; ``known`` holds it, so no other object can be it): the
    same object there shows the same text again."""
    changed: list[str] = []
    for i, (ci, col, a, want, normal) in enumerate(cells):
        row = grid[FIRST_DATA_ROW + a]
        cell = row[ci] if ci < len(row) else None
        if known is not None and cell is known[i]:
            continue
        got = _val(cell)
        if norm_cell(got) == normal:
            if known is not None:
                known[i] = cell
            continue
        ref = CellRef(name, FIRST_DATA_ROW + a + 1, col_letter(ci))
        if getattr(cell, "data_type", None) == "f":
            got = f"formula {got}"
        desc = f"{col.field} of {'/'.join(x for x in rows[a].key if x)}"
        if older:
            changed.append(f"{desc} at {ref}")
        else:
            _problem(
                sub,
                "plan-cell-changed",
                f"{desc}: {word_diff(_norm(want), _norm(got))}",
                ref,
            )
    return changed


def word_diff(want: str, got: str, context: int = 3, limit: int = 400) -> str:
    """What changed between two texts, word by word: ``[-removed-] {+added+}`` with a
    few unchanged words around each change."""
    a, b = want.split(), got.split()
    if a == b:
        return f"only spaces or line breaks changed in {_short(want)!r}"
    if len(want) <= 60 and len(got) <= 60 and a and b:
        return f"expected {want!r}, found {got!r}"
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    ops = sm.get_opcodes()
    parts: list[str] = []
    for n, (tag, a1, a2, b1, b2) in enumerate(ops):
        if tag == "equal":
            seg = a[a1:a2]
            head = seg[:context] if n > 0 else []
            tail = seg[-context:] if n < len(ops) - 1 else []
            if len(seg) > len(head) + len(tail):
                seg = [*head, "...", *tail]
            parts.append(" ".join(seg))
            continue
        if a2 > a1:
            parts.append("[-" + _short(" ".join(a[a1:a2]), 120) + "-]")
        if b2 > b1:
            parts.append("{+" + _short(" ".join(b[b1:b2]), 120) + "+}")
    text = " ".join(p for p in parts if p)
    return "changed: " + (text if len(text) <= limit else text[: limit - 3] + "...")


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _iter_inputs(
    columns: tuple[Column, ...], rows: list[MatrixRow], period: Period
) -> Iterator[tuple[int, Column, int, int, MatrixRow, bool]]:
    """(column index, column, first and last row offset, row, open) of each carrier
    input cell (a merged cell covers rows first..last)."""
    runs: dict[Span, list[tuple[int, int]]] = {}  # spans(rows, span), once per span
    for ci, col in enumerate(columns):
        if col.owner != Owner.CARRIER:
            continue
        if col.span not in runs:
            runs[col.span] = spans(rows, col.span)
        for a, b in runs[col.span]:
            r = rows[a]
            if col.kind == Kind.VALUE:
                is_open = value_due(r.indicator, col, period)
            else:
                is_open = editable(col, master=False, period=period)
            yield ci, col, a, b, r, is_open


def _read_plan_fields(
    sub: Submission,
    name: str,
    grid: list[list[Any]],
    columns: tuple[Column, ...],
    rows: list[MatrixRow],
) -> None:
    """A master's ONATC fields, raw, for :mod:`planning` to parse and compare."""
    for ci, col in enumerate(columns):
        if col.owner != Owner.ONATC:
            continue
        for a, r in enumerate(rows):
            if r.indicator is None:
                continue
            row = grid[FIRST_DATA_ROW + a]
            cell = row[ci] if ci < len(row) else None
            ref = CellRef(name, FIRST_DATA_ROW + a + 1, col_letter(ci))
            if getattr(cell, "data_type", None) == "f":
                _problem(
                    sub, "formula-in-cell", f"found the formula {_short(str(_val(cell)))!r}", ref
                )
                continue
            sub.plan_fields[(r.activity.code, r.indicator.id, col.field)] = (_val(cell), ref)


_REFS: dict[tuple[str, int, int], CellRef] = {}


def _ref(sheet: str, row: int, index: int) -> CellRef:
    """``CellRef(sheet, row, col_letter(index))``, made once: the returns of a round
    name the same cells (a CellRef is immutable, so one object can stand for all)."""
    got = _REFS.get((sheet, row, index))
    if got is None:
        if len(_REFS) >= 65_536:
            _REFS.clear()
        got = _REFS[sheet, row, index] = CellRef(sheet, row, col_letter(index))
    return got


@lru_cache(maxsize=1024)
def _own_point(frequency: Any, period: Period, point: Period) -> str:
    """The label of the indicator's own collection period that ends with ``point``."""
    for p in collection_points(frequency, period):
        if p.end == point.end:
            return p.label
    return point.label


_MEMO: dict[tuple[Any, ...], Any] = {}
_MEMO_PID = [0]


def _own_memo() -> None:
    """Forget what another process remembered (a forked mutation test's mutant)."""
    if _MEMO_PID[0] != os.getpid():
        _MEMO.clear()
        _MEMO_PID[0] = os.getpid()


def _memo(parse: Callable[..., Any], raw: object, *args: Any, **kw: Any) -> Any:
    """``parse(raw, *args, **kw)``, remembered: the parsers of :mod:`values` are pure and
    the same texts (``3 - Has started``) come back in every return. A float is keyed by
    its exact bits (``-0.0`` is not ``0.0``), every value by its type (``1`` is not
    ``True``). The memo is the process's own: a forked child (a mutation test's mutant)
    starts empty (see :func:`_own_memo`, called once a file)."""
    if isinstance(raw, str) and len(raw) > 200:  # a comment: rarely repeated, never kept
        return parse(raw, *args, **kw)
    exact = raw.hex() if isinstance(raw, float) else raw
    key = (parse, type(raw), exact, *args, *kw.items())  # (the same call sites' order)
    try:
        return _MEMO[key]
    except KeyError:
        pass
    except TypeError:  # not hashable: never cached
        return parse(raw, *args, **kw)
    got = parse(raw, *args, **kw)
    if len(_MEMO) >= 4096:
        _MEMO.clear()
    _MEMO[key] = got
    return got


@lru_cache(maxsize=1024)
def _counts(measure: Any, unit: str | None, text: str) -> bool:
    return counts_things(measure, unit, text)


def _input_cells(
    name: str, inputs: list[tuple[int, Column, int, int, MatrixRow, bool]]
) -> list[tuple[tuple[str, str, str], CellRef]]:
    """Where each open input of sheet ``name`` is: (activity, indicator or "", field)
    and its cell (the same for every return of a plan, period and institution)."""
    out = []
    for ci, col, a, _b, r, is_open in inputs:
        if is_open and (col.kind != Kind.VALUE or r.indicator is not None):
            ind = r.indicator.id if r.indicator else ""
            key = (r.activity.code, ind if col.span == Span.ROW else "", col.field)
            out.append((key, _ref(name, FIRST_DATA_ROW + a + 1, ci)))
    return out


#: per inputs list (a layout's, per sheet): what :func:`_read_values` needs of each input
#: that is the same in every return (its cells, texts, the value's own period label)
_PREPARED: dict[int, tuple[list[Any], list[tuple[Any, ...]]]] = {}
_LATER = object()  # (computed when needed, as before: computing it failed)


def _prepared(
    name: str, inputs: list[tuple[int, Column, int, int, MatrixRow, bool]], period: Period
) -> list[tuple[Any, ...]]:
    """Each input with what reading it needs that depends on the input alone: (column
    index, column, first and last row offset, row, open, activity, indicator or "",
    each row's cell reference, and for a value: the indicator, whether it counts
    things, its own period's label), computed once per inputs list (a layout's, which
    is per plan, period and institution; the list is held, so its id is not reused)."""
    hit = _PREPARED.get(id(inputs))
    if hit is not None and hit[0] is inputs:
        return hit[1]
    out: list[tuple[Any, ...]] = []
    for ci, col, a, b, r, is_open in inputs:
        ind_ = r.indicator
        refs = tuple(_ref(name, FIRST_DATA_ROW + k + 1, ci) for k in range(a, b + 1))
        value = col.kind == Kind.VALUE and ind_ is not None and col.point is not None
        counted = own = _LATER
        if value:
            with contextlib.suppress(Exception):  # (else as before: when a value is read)
                counted = _counts(ind_.measure, ind_.unit, ind_.text)  # type: ignore[union-attr]
                own = _own_point(ind_.frequency, period, col.point)  # type: ignore[union-attr]
        act = r.activity.code
        ind = ind_.id if ind_ else ""
        out.append((ci, col, a, b, r, is_open, act, ind, refs, value, counted, own))
    if len(_PREPARED) >= 256:
        _PREPARED.clear()
    _PREPARED[id(inputs)] = (inputs, out)
    return out


def _read_values(
    sub: Submission,
    name: str,
    grid: list[list[Any]],
    inputs: list[tuple[int, Column, int, int, MatrixRow, bool]],
    rows: list[MatrixRow],
    period: Period,
) -> None:
    activities = sub.activities
    first = FIRST_DATA_ROW
    for ci, col, a, b, r, is_open, act, ind, refs, value, counted, own in _prepared(
        name, inputs, period
    ):
        found: list[tuple[CellRef, Any]] = []  # the merged cell, or its split parts
        for k in range(a, b + 1):
            row = grid[first + k]
            cell = row[ci] if ci < len(row) else None
            raw = None if cell is None else getattr(cell, "value", None)  # _val(cell)
            if raw is None:
                continue
            if (type(raw) is not str or not raw[:1].isalnum()) and is_blank(raw):
                continue  # (_blank, inlined: this runs for every input cell)
            ref = refs[k - a]  # _ref(name, FIRST_DATA_ROW + k + 1, ci)
            if not is_open:
                where = f"{act}{'/' + ind if ind and col.span == Span.ROW else ''}"
                _problem(
                    sub,
                    "value-in-locked-cell",
                    f"{col.field} of {where} is not open this period; found {_short(_norm(raw))!r}",
                    ref,
                )
            elif getattr(cell, "data_type", None) == "f":
                _problem(sub, "formula-in-cell", f"found the formula {_short(str(raw))!r}", ref)
            else:
                found.append((ref, cell))
        if not found:
            continue
        if value:  # col.kind == Kind.VALUE, with an indicator and a point
            ref, cell = found[0]
            ind_ = r.indicator
            reading = _memo(
                read_value,
                _val(cell),
                ind_.measure,
                number_format_code=str(getattr(cell, "number_format", "") or ""),
                counted=(
                    _counts(ind_.measure, ind_.unit, ind_.text) if counted is _LATER else counted
                ),
            )
            if reading.error or reading.warnings:
                what = f"{act}/{ind} value {col.point.label}"
                if reading.error:
                    _problem(sub, reading.error[0], f"{what}: {reading.error[1]}", ref)
                    continue
                for code, msg in reading.warnings:
                    _problem(sub, code, f"{what}: {msg}", ref)
            if reading.value is not None:
                if own is _LATER:
                    own = _own_point(ind_.frequency, period, col.point)
                sub.values.append(ReportedValue(act, ind, col.point.end, own, reading.value, ref))
            continue
        rep = activities.get(act)
        if rep is None:
            rep = activities[act] = ActivityReport(act)
        rep.cells[col.field] = found[0][0]
        split = len(found) > 1 or found[0][0].row != FIRST_DATA_ROW + a + 1
        if col.kind == Kind.COMMENT:
            texts: list[str] = []
            for ref, cell in found:
                text, err = _memo(
                    parse_text,
                    _val(cell),
                    number_format_code=str(getattr(cell, "number_format", "") or ""),
                )
                if err:
                    _problem(sub, err[0], f"{act} comment: {err[1]}", ref)
                elif str(text) not in texts:
                    texts.append(str(text))
            if texts:
                rep.comment = "\n".join(texts)
            if split and texts:
                cells = ", ".join(str(ref) for ref, _ in found)
                _problem(
                    sub,
                    "unmerged-range",
                    f"{act} comments read from {cells} (the activity's merged cell was split)",
                    found[0][0],
                )
            continue
        vocab = "status" if col.kind == Kind.STATUS else "rating"
        codes: dict[int, list[CellRef]] = {}
        for ref, cell in found:
            parsed, err = _memo(
                parse_code,
                _val(cell),
                vocab,
                number_format_code=str(getattr(cell, "number_format", "") or ""),
            )
            if err:
                _problem(sub, err[0], f"{act} {col.field}: {err[1]}", ref)
            elif isinstance(parsed, int):
                codes.setdefault(parsed, []).append(ref)
        if len(codes) > 1:
            parts = "; ".join(
                f"{c} in {', '.join(str(x) for x in refs)}" for c, refs in codes.items()
            )
            _problem(
                sub,
                "activity-cells-differ",
                f"{act} {col.field}: the activity's merged cell was split and holds {parts}",
                found[0][0],
            )
            continue
        if not codes:
            continue
        value, refs = next(iter(codes.items()))
        if split:
            _problem(
                sub,
                "unmerged-range",
                f"{act} {col.field} {value} read from {', '.join(str(x) for x in refs)}"
                " (the activity's merged cell was split)",
                refs[0],
            )
            rep.cells[col.field] = refs[0]
        if col.kind == Kind.STATUS:
            rep.status = value
        elif col.kind == Kind.RATING_HY:
            rep.rating_hy = value
        else:
            rep.rating_y = value
    for r in rows:  # every activity of the return appears, reported on or not
        if r.activity.code not in activities:
            activities[r.activity.code] = ActivityReport(r.activity.code)
