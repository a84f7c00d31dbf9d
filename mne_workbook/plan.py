"""The plan: immutable dataclasses, loading from YAML/JSON, schema and semantic checks."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from .dates import parse_date
from .errors import Location, PlanError, Report
from .plan_source import LazyLines
from .plan_source import PlanSource as PlanSource  # re-exported
from .plan_source import json_path as json_path
from .plan_source import plan_schema as plan_schema
from .quality import quality_checks
from .semantics import check_semantics
from .vocab import Frequency, Level, Measure

Value = float | int | bool | str


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    short_name: str
    emails: tuple[str, ...] = ()
    note: str | None = None
    #: The source does not name this institution: its carrier role is assigned for illustration.
    illustrative: bool = False
    #: other addresses its returns may come from (a focal point's own address, ...)
    sender_emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Baseline:
    value: Value | None = None
    year: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class Target:
    value: Value | None = None
    year: int | None = None


@dataclass(frozen=True)
class Indicator:
    id: str
    text: str
    measure: Measure
    unit: str | None = None
    cumulative: bool = False
    baseline: Baseline | None = None
    target: Target | None = None
    frequency: Frequency | None = None
    means_of_verification: tuple[str, ...] = ()
    responsible_person: str | None = None
    assumptions: str | None = None
    risks: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ExpectedResult:
    text: str
    level: Level
    indicators: tuple[Indicator, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Activity:
    code: str
    title: str
    carriers: tuple[str, ...] = ()
    timeline_start: dt.date | None = None
    timeline_end: dt.date | None = None
    inputs: str | None = None
    note: str | None = None
    expected_results: tuple[ExpectedResult, ...] = ()

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for r in self.expected_results for i in r.indicators)


@dataclass(frozen=True)
class SpecificObjective:
    code: str
    title: str
    note: str | None = None
    activities: tuple[Activity, ...] = ()


@dataclass(frozen=True)
class StrategicObjective:
    code: str
    title: str
    note: str | None = None
    specific_objectives: tuple[SpecificObjective, ...] = ()

    @property
    def activities(self) -> tuple[Activity, ...]:
        return tuple(a for s in self.specific_objectives for a in s.activities)


@dataclass(frozen=True)
class ReportingCalendar:
    cycle: Frequency = Frequency.QUARTERLY
    grace_days: int = 15
    send_to: str | None = None
    contact: str | None = None  # who to ask, shown on the cover
    coordinator: str | None = None  # id of the coordinating office (an institution)
    timezone: str | None = None  # IANA name; None: the computer's own zone


@dataclass(frozen=True)
class ActivityRef:
    """An activity with its parents, as yielded by :meth:`Plan.iter_activities`."""

    strategic: StrategicObjective
    specific: SpecificObjective
    activity: Activity


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    version: str
    start_year: int
    end_year: int
    institutions: tuple[Institution, ...]
    strategic_objectives: tuple[StrategicObjective, ...]
    vision: str | None = None
    mission: str | None = None
    description: str | None = None
    languages: tuple[str, ...] = ("en",)
    reporting: ReportingCalendar = field(default_factory=ReportingCalendar)
    #: Plan-level review notes (for the sample plan: the framework's section V.1 critique).
    critique: tuple[str, ...] = ()

    def institution(self, institution_id: str) -> Institution:
        for inst in self.institutions:
            if inst.id == institution_id:
                return inst
        raise KeyError(institution_id)

    def iter_activities(self) -> Iterator[ActivityRef]:
        for so in self.strategic_objectives:
            for sp in so.specific_objectives:
                for act in sp.activities:
                    yield ActivityRef(so, sp, act)

    def indicators(self) -> list[Indicator]:
        return [i for ref in self.iter_activities() for i in ref.activity.indicators]

    def carriers(self) -> list[Institution]:
        """Institutions that carry at least one activity, in plan order."""
        used = {c for ref in self.iter_activities() for c in ref.activity.carriers}
        return [i for i in self.institutions if i.id in used]

    def activity_span(self, act: Activity) -> tuple[dt.date, dt.date]:
        """The activity's timeline, defaulting to the whole strategy period."""
        start = act.timeline_start or dt.date(self.start_year, 1, 1)
        end = act.timeline_end or dt.date(self.end_year, 12, 31)
        return start, end

    @cached_property
    def fingerprint(self) -> str:
        """Hash of the plan's content: changes whenever anything in the plan changes,
        except the addresses returns may be sent from (``sender_emails``), which ONATC
        may add during a round without making its workbooks an older version."""
        with paused_gc():  # thousands of small dicts, no cycles
            data = plan_to_dict(self)
            for inst in data.get("institutions") or ():
                inst.pop("sender_emails", None)
            canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
            if "-0.0" in canonical:  # a float -0.0 is always written so; rarely there
                canonical = json.dumps(_no_negative_zero(data), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _no_negative_zero(value: Any) -> Any:
    """``value`` with every -0.0 as 0.0: the same number, which a spreadsheet stores as 0."""
    if isinstance(value, float) and value == 0:
        return 0.0
    if isinstance(value, dict):
        return {k: _no_negative_zero(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_negative_zero(v) for v in value]
    return value


# --------------------------------------------------------------------------- dict <-> model


def _opt(d: dict[str, Any], key: str) -> Any:
    return d.get(key)


def _indicator(d: dict[str, Any]) -> Indicator:
    b, t = d.get("baseline"), d.get("target")
    freq = d.get("frequency")
    return Indicator(
        id=d["id"],
        text=d["text"],
        measure=Measure(d["measure"]),
        unit=_opt(d, "unit"),
        cumulative=bool(d.get("cumulative", False)),
        baseline=Baseline(b.get("value"), b.get("year"), b.get("note")) if b else None,
        target=Target(t.get("value"), t.get("year")) if t else None,
        frequency=Frequency.from_name(freq) if freq else None,
        means_of_verification=tuple(d.get("means_of_verification") or ()),
        responsible_person=_opt(d, "responsible_person"),
        assumptions=_opt(d, "assumptions"),
        risks=_opt(d, "risks"),
        note=_opt(d, "note"),
    )


def _activity(d: dict[str, Any]) -> Activity:
    tl = d.get("timeline") or {}
    return Activity(
        code=d["code"],
        title=d["title"],
        carriers=tuple(d.get("carriers") or ()),
        timeline_start=parse_date(tl["start"]) if "start" in tl else None,
        timeline_end=parse_date(tl["end"], end=True) if "end" in tl else None,
        inputs=_opt(d, "inputs"),
        note=_opt(d, "note"),
        expected_results=tuple(
            ExpectedResult(
                text=r["text"],
                level=Level(r["level"]),
                note=_opt(r, "note"),
                indicators=tuple(_indicator(i) for i in r.get("indicators") or ()),
            )
            for r in d.get("expected_results") or ()
        ),
    )


def plan_from_dict(d: dict[str, Any]) -> Plan:
    """Build a :class:`Plan` from data that already passed :func:`check_plan_data`."""
    rep = d.get("reporting") or {}
    institutions = []
    for i in d.get("institutions") or ():
        email = i.get("email")
        emails = (email,) if isinstance(email, str) else tuple(email or ())
        institutions.append(
            Institution(
                i["id"],
                i["name"],
                i.get("short_name") or i["id"],
                emails,
                i.get("note"),
                bool(i.get("illustrative", False)),
                tuple(i.get("sender_emails") or ()),
            )
        )
    return Plan(
        id=d["id"],
        title=d["title"],
        version=str(d["version"]),
        start_year=d["strategy_period"]["start"],
        end_year=d["strategy_period"]["end"],
        vision=_opt(d, "vision"),
        mission=_opt(d, "mission"),
        description=_opt(d, "description"),
        critique=tuple(d.get("critique") or ()),
        languages=tuple(d.get("languages") or ("en",)),
        reporting=ReportingCalendar(
            cycle=Frequency.from_name(rep.get("cycle", "quarterly")),
            grace_days=int(rep.get("grace_days", 15)),
            send_to=rep.get("send_to"),
            contact=rep.get("contact"),
            coordinator=rep.get("coordinator"),
            timezone=rep.get("timezone"),
        ),
        institutions=tuple(institutions),
        strategic_objectives=tuple(
            StrategicObjective(
                code=so["code"],
                title=so["title"],
                note=_opt(so, "note"),
                specific_objectives=tuple(
                    SpecificObjective(
                        code=sp["code"],
                        title=sp["title"],
                        note=_opt(sp, "note"),
                        activities=tuple(_activity(a) for a in sp.get("activities") or ()),
                    )
                    for sp in so.get("specific_objectives") or ()
                ),
            )
            for so in d["strategic_objectives"]
        ),
    )


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, (), [], {})}


def _date_text(d: dt.date) -> str:
    return d.isoformat()


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as plain data, in the shape of ``plan.schema.json``."""

    def indicator(i: Indicator) -> dict[str, Any]:
        return _drop_none(
            {
                "id": i.id,
                "text": i.text,
                "measure": str(i.measure),
                "unit": i.unit,
                "cumulative": i.cumulative or None,
                "baseline": _drop_none(vars(i.baseline)) if i.baseline else None,
                "target": _drop_none(vars(i.target)) if i.target else None,
                "frequency": i.frequency.plan_name if i.frequency else None,
                "means_of_verification": list(i.means_of_verification),
                "responsible_person": i.responsible_person,
                "assumptions": i.assumptions,
                "risks": i.risks,
                "note": i.note,
            }
        )

    def activity(a: Activity) -> dict[str, Any]:
        timeline = _drop_none(
            {
                "start": _date_text(a.timeline_start) if a.timeline_start else None,
                "end": _date_text(a.timeline_end) if a.timeline_end else None,
            }
        )
        return _drop_none(
            {
                "code": a.code,
                "title": a.title,
                "carriers": list(a.carriers),
                "timeline": timeline,
                "inputs": a.inputs,
                "note": a.note,
                "expected_results": [
                    _drop_none(
                        {
                            "text": r.text,
                            "level": str(r.level),
                            "note": r.note,
                            "indicators": [indicator(i) for i in r.indicators],
                        }
                    )
                    for r in a.expected_results
                ],
            }
        )

    return _drop_none(
        {
            "id": plan.id,
            "title": plan.title,
            "version": plan.version,
            "strategy_period": {"start": plan.start_year, "end": plan.end_year},
            "vision": plan.vision,
            "mission": plan.mission,
            "description": plan.description,
            "critique": list(plan.critique),
            "languages": list(plan.languages),
            "reporting": _drop_none(
                {
                    "cycle": plan.reporting.cycle.plan_name,
                    "grace_days": plan.reporting.grace_days,
                    "send_to": plan.reporting.send_to,
                    "contact": plan.reporting.contact,
                    "coordinator": plan.reporting.coordinator,
                    "timezone": plan.reporting.timezone,
                }
            ),
            "institutions": [
                _drop_none(
                    {
                        "id": i.id,
                        "name": i.name,
                        "short_name": i.short_name,
                        "email": list(i.emails) if len(i.emails) > 1 else (i.emails or [None])[0],
                        "sender_emails": list(i.sender_emails),
                        "note": i.note,
                        "illustrative": i.illustrative or None,
                    }
                )
                for i in plan.institutions
            ],
            "strategic_objectives": [
                _drop_none(
                    {
                        "code": so.code,
                        "title": so.title,
                        "note": so.note,
                        "specific_objectives": [
                            _drop_none(
                                {
                                    "code": sp.code,
                                    "title": sp.title,
                                    "note": sp.note,
                                    "activities": [activity(a) for a in sp.activities],
                                }
                            )
                            for sp in so.specific_objectives
                        ],
                    }
                )
                for so in plan.strategic_objectives
            ],
        }
    )


# --------------------------------------------------------------------------- reading files


class _PlanLoader(yaml.SafeLoader):
    """Safe YAML loader that keeps dates as text (the schema checks their form)."""


_PLAN_RESOLVERS = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PlanLoader.yaml_implicit_resolvers = _PLAN_RESOLVERS

_Loader = type[yaml.SafeLoader] | type[yaml.CSafeLoader]
_STR_TAG = "tag:yaml.org,2002:str"
#: The same loader on libyaml (C), when PyYAML was built with it; else the pure one only.
_C_LOADER: _Loader | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CPlanLoader(yaml.CSafeLoader):
        """:class:`_PlanLoader` on libyaml: the same resolvers and constructors."""

        def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
            """A text is its node's value: what PyYAML's own steps for it (memo, recursion
            check, constructor look-up, ``construct_yaml_str``) return, without them. Four
            values in five of a plan are texts: a sixth of the parse."""
            if node.tag == _STR_TAG and type(node) is yaml.ScalarNode:
                return node.value
            return super().construct_object(node, deep)

    _CPlanLoader.yaml_implicit_resolvers = _PLAN_RESOLVERS
    _C_LOADER = _CPlanLoader

Lines = dict[tuple[str | int, ...], int]
#: What libyaml and PyYAML read differently: libyaml accepts 'key\t: v', a byte order mark
#: inside the text and a block scalar's indicator followed by '#' ('text: |# x'), which
#: PyYAML refuses. Texts with them go the pure way.
_PURE_ONLY = re.compile("[\t\ufeff\x85\u2028\u2029]|[|>][-+0-9]*#")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while work builds many objects without cycles.

    Every collection would walk all the objects built so far (a 10,000-indicator plan
    parsed 3x slower with it on); a YAML document holds no reference cycles to free, nor
    does a written workbook (:func:`writer.write_workbook` breaks xlsxwriter's one).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _parse(loader: _Loader, text: str, *, data: bool, lines: bool) -> tuple[Any, Lines]:
    """One parse: the data and the line map (each when asked), from the same node tree."""
    ld = loader(text)
    try:
        root = ld.get_single_node()
        where = _walk_lines(root) if lines else {}  # before constructing: merge keys
        return (ld.construct_document(root) if data and root is not None else None), where
    finally:
        ld.dispose()


def _parse_yaml(text: str, *, data: bool = True, lines: bool = True) -> tuple[Any, Lines]:
    """Parse once with libyaml when available, else (or when it objects) in pure Python.

    libyaml words some syntax errors differently and rejects a few texts that PyYAML
    accepts; whenever it raises, the pure-Python loader parses again, so results,
    messages and line numbers are exactly those of the pure-Python loader.
    """
    with paused_gc():
        if _C_LOADER is not None and not _PURE_ONLY.search(text):
            try:
                return _parse(_C_LOADER, text, data=data, lines=lines)
            except (yaml.YAMLError, ValueError):
                pass
        return _parse(_PlanLoader, text, data=data, lines=lines)


def _line_map(text: str) -> Lines:
    """Map each JSON path (as a tuple) to its 1-based line in the YAML/JSON text.

    Made only when a problem must be located (:class:`LazyLines`): the same text parsed
    by the same loader, so the lines are those of the nodes the data came from.
    """
    try:
        return _parse_yaml(text, data=False)[1]
    except (yaml.YAMLError, RecursionError):
        return {}


def _walk_lines(root: yaml.Node | None) -> Lines:
    lines: Lines = {}

    def walk(node: yaml.Node | None, path: tuple[str | int, ...]) -> None:
        if node is None:
            return
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue  # an unhashable key: the constructor refuses the file
                k = key.value
                lines[(*path, k)] = key.start_mark.line + 1
                walk(value, (*path, k))
                lines[(*path, k)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    walk(root, ())
    return lines


def read_plan_source(path: str | Path, report: Report) -> PlanSource | None:
    """Read and parse a plan file; problems go into ``report``."""
    p = Path(path)
    name = str(path)
    loc = Location(file=name)
    if p.suffix.lower() == ".xlsx":  # a plan written in a workbook (plan template/export)
        from .plan_import import read_plan_workbook

        return read_plan_workbook(p, report)
    if not p.exists():
        report.add("file-not-found", f"no such file: {name}", loc)
        return None
    if p.is_dir():
        report.add("file-unreadable", f"{name} is a directory, not a plan file", loc)
        return None
    try:
        raw = p.read_bytes()
    except OSError as exc:
        report.add("file-unreadable", f"cannot read {name}: {exc.strerror}", loc)
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.add("file-not-utf8", f"byte {exc.start} is not UTF-8", loc)
        return None
    if not text.strip():
        report.add("file-empty", "the file holds no plan", loc)
        return None
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data, _ = _parse_yaml(text, lines=False)
    except RecursionError:
        report.add("syntax-error", "the file nests too deeply to be a plan", loc)
        return None
    except json.JSONDecodeError as exc:
        report.add("syntax-error", exc.msg, Location(file=name, line=exc.lineno))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        report.add("syntax-error", str(problem), Location(file=name, line=line))
        return None
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        report.add(
            "wrong-top-level", f"the file's top level is a {kind}, not a mapping", Location(name)
        )
        return None
    return PlanSource(name, data, LazyLines(lambda: _line_map(text)))


_ANNOTATIONS = frozenset({"description", "default", "title"})


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with each ``{"$ref": "#/$defs/x"}`` (plus annotations) replaced by x itself.

    Validation then skips a reference lookup per value (twice as fast on a large plan)
    and finds the same errors, with the same messages and sub-schemas, in the same order:
    a reference only ever stood for the definition it names.
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        if (
            isinstance(ref, str)
            and ref.startswith("#/$defs/")
            and set(node) - {"$ref"} <= _ANNOTATIONS
        ):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


@cache
def _schema_validator() -> Any:
    """The plan schema's validator, built once per process."""
    import jsonschema

    schema = plan_schema()
    return jsonschema.Draft202012Validator(_inline_refs(schema, schema["$defs"]))


#: The JSON Schema keywords the plan schema may use: those that jsonschema (2020-12) and
#: fastjsonschema (draft 7) check alike. A keyword outside this set must not be added to
#: the schema without checking both (tests/test_plan_schema_fast.py enforces it).
FAST_KEYWORDS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "oneOf",
        "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "uniqueItems",
        "$ref", "$defs", "$schema", "$id", "title", "description", "default",
    }
)  # fmt: skip


@cache
def _fast_schema_check() -> Callable[[Any], Any] | None:
    """The plan schema compiled to Python by fastjsonschema, or None without it.

    It only answers "valid or not" (at the first problem it raises), about 15x faster
    than jsonschema on a large plan. fastjsonschema knows draft 7, not 2020-12; the plan
    schema uses only keywords both drafts define alike (:data:`FAST_KEYWORDS`), with
    its references inlined. Defaults are never filled in (``use_default=False``): the
    data is not changed.
    """
    try:
        import fastjsonschema
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    schema = plan_schema()
    body = {
        k: v
        for k, v in _inline_refs(schema, schema["$defs"]).items()
        if k not in ("$schema", "$id", "$defs")
    }
    body["$schema"] = "http://json-schema.org/draft-07/schema#"
    check: Callable[[Any], Any] = fastjsonschema.compile(body, use_default=False, use_formats=False)
    return check


def schema_errors(data: Any) -> list[Any]:
    """Every JSON Schema error in ``data`` (jsonschema's, ordered by path); [] when valid.

    A valid plan is recognised by the compiled check; whenever it objects (or fails in
    any way), jsonschema finds the errors, so every message, path and order is exactly
    jsonschema's. The compiled check is never stricter than needed to be trusted: a plan
    it passes is one jsonschema passes (tests/test_plan_schema_fast.py).
    """
    fast = _fast_schema_check()
    if fast is not None:
        try:
            fast(data)
        except Exception:  # any doubt: ask jsonschema
            pass
        else:
            return []
    validator = _schema_validator()
    return sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))


def check_plan_data(src: PlanSource, report: Report) -> None:
    """Schema and semantic checks on a parsed plan; problems go into ``report``."""
    for err in schema_errors(src.data):
        loc = src.where_error(err)
        if loc is not None:
            report.add("schema-violation", _schema_message(err), loc)
    check_semantics(src, report)


def _schema_message(err: Any) -> str:
    msg: str = err.message
    if (
        err.validator == "type"
        and isinstance(err.instance, int | float)
        and "string" in str(err.validator_value)
    ):
        msg += f" (write it in quotes: '{err.instance}')"
    elif err.validator == "additionalProperties":
        msg += "; check the spelling of the key"
    elif err.validator == "oneOf":
        msg = f"{err.instance!r} is not valid here: {err.schema.get('description', '')}".strip()
    return msg


def validate_plan(path: str | Path) -> Report:
    """Every problem with a plan file: syntax, schema, semantics and quality warnings."""
    report = Report(source=str(path))
    src = read_plan_source(path, report)
    if src is None:
        return report
    check_plan_data(src, report)
    if report.valid:
        report.extend(quality_checks(plan_from_dict(src.data), src))
    return report


def load_plan(path: str | Path) -> Plan:
    """Load a plan file; raise :class:`PlanError` with every error when it is invalid."""
    report = Report(source=str(path))
    src = read_plan_source(path, report)
    if src is not None:
        check_plan_data(src, report)
    if src is None or not report.valid:
        raise PlanError(report)
    return plan_from_dict(src.data)
