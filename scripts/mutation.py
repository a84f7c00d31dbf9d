"""Mutation testing (mutmut) over the modules that decide what ONATC sees.

Each target is run on its own, in a scratch copy of the repository, against the tests
that exercise it and under a time limit, so that a run stays within a shared machine:

    .venv/bin/python scripts/mutation.py                 # every target
    .venv/bin/python scripts/mutation.py signing values  # some targets
    MUTATION_CHILDREN=2 MUTATION_MINUTES=30 ...          # workers, minutes per target

It prints mutants / killed / survived / no tests / timeouts per target and writes
``mutation-report.json`` (with every survivor's name) into the output folder
(default ``demo-output/mutation``). Survivors accepted as equivalent are listed in
``EQUIVALENT`` with the reason; ``mutmut show NAME`` in the scratch folder shows a diff.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).parent / "mutmut"


@dataclass(frozen=True)
class Target:
    module: str  # file under mne_workbook/
    tests: tuple[str, ...]  # test files that exercise it
    names: str = ""  # mutant-name glob (a function), empty: the whole module


TARGETS: dict[str, Target] = {
    # signature verification: the HMAC format, keys and rotation; the reader's check
    "signing": Target(
        "signing.py",
        ("tests/test_signing.py", "tests/test_keys_and_secrets.py", "tests/test_rules.py"),
    ),
    "reader-signature": Target(
        "reader.py",
        ("tests/test_rules.py", "tests/test_signature_checks.py"),
        "mne_workbook.reader.x__check_signature*",
    ),
    # the signature's content digest, remembered by the cells it reads (xlsx_parse cells)
    "reader-digest": Target(
        "reader.py",
        (
            "tests/test_rules.py",
            "tests/test_signature_checks.py",
            "tests/test_read_shortcuts.py",
        ),
        "mne_workbook.reader.x__*digest*",
    ),
    # the gate before any parser
    "safety": Target("safety.py", ("tests/test_gate.py", "tests/test_gate_kinds.py")),
    # what a typed cell means
    "values": Target(
        "values.py",
        (
            "tests/test_reader.py",
            "tests/test_values.py",
            "tests/test_values_shown.py",
            "tests/test_truthful_returns.py",
        ),
    ),
    # consolidation flags, rates and combined status (in-memory returns first: fast)
    "consolidate": Target(
        "consolidate.py",
        ("tests/test_consolidate_flags.py", "tests/test_rules.py", "tests/test_consolidate.py"),
    ),
    # which return counts: per-cell merge, empty returns, order ties and conflicts
    "return-rule": Target(
        "return_rule.py",
        (
            "tests/test_return_rule_cells.py",
            "tests/test_return_rule.py",
            "tests/test_rules.py",
            "tests/test_arrival.py",
            # the rule from a return's facts; with its answers on disk (spill), against
            # the rule as it was
            "tests/test_rule_facts.py",
            "tests/test_rule_spilled.py",
        ),
    ),
}

#: Survivors accepted as equivalent (no behaviour can tell them apart), with the reason.
EQUIVALENT: dict[str, str] = {
    # signing.keys_for_reading: load_keys(key_file, create=None) and load_keys(key_file)
    "mne_workbook.signing.x_keys_for_reading__mutmut_3": "create=None is as falsy as"
    " create=False: reading never creates a key file (tested)",
    "mne_workbook.signing.x_keys_for_reading__mutmut_5": "create defaults to False: reading"
    " never creates a key file (tested)",
    # safety._looks_like_text
    "mne_workbook.safety.x__looks_like_text__mutmut_9": "unreachable branch (return True"
    " for return False): latin-1 decodes every byte",
    "mne_workbook.safety.x__looks_like_text__mutmut_14": '"XX\\r\\n\\tXX": X is printable'
    " anyway, so the same characters count as printable",
    # safety.classify_other: `low.startswith(b"<?xml") or low.startswith(b"<")`
    "mne_workbook.safety.x_classify_other__mutmut_48": 'b"XX<?xmlXX": redundant test, every'
    ' "<?xml" start also starts with "<", tested right after it',
    "mne_workbook.safety.x_classify_other__mutmut_49": 'b"<?XML": redundant test, every'
    ' "<?xml" start also starts with "<", tested right after it',
    # safety: the mimetype when there is none ("" -> "XXXX")
    "mne_workbook.safety.x__mimetype__mutmut_17": '"XXXX" for "": neither starts with'
    " application/vnd.oasis.opendocument, the only use of the value",
    "mne_workbook.safety.x__check_members__mutmut_1": 'default "XXXX" for "": its only'
    " caller always passes the mimetype",
    # return_rule._exact (the digest's form of a code or rating): only equal values must
    # get equal forms and unequal ones unequal forms; these keep that
    "mne_workbook.return_rule.x__exact__mutmut_1": "None and texts get (type name, value):"
    " still equal exactly when the values are",
    "mne_workbook.return_rule.x__exact__mutmut_3": "texts get (type name, value): still equal"
    " exactly when the values are",
    "mne_workbook.return_rule.x__exact__mutmut_8": "every non-number gets the same type name:"
    " codes and ratings are numbers or None, comments texts; no other type reaches it",
}
EQUIVALENT_PATTERNS: dict[str, str] = {
    # Python's codec names are case-insensitive: "UTF-8" is "utf-8".
    r'encode\("UTF-8"\)': "codec names are case-insensitive",
    r'read_text\("UTF-8"\)': "codec names are case-insensitive",
    r"token_hex\(None\)": "token_hex(None) is token_hex(32), the default entropy",
    r"read_text\(None\)": "the locale's encoding, UTF-8 on every supported platform"
    " (Linux locales, Python's UTF-8 mode); key files are ASCII hex in practice",
    # return_rule._merge: a cell's key is tagged "v" (a value) or "a" (an activity field),
    # and the tag is only ever compared with "v"
    r'\+\s+cells\[\("(XXaXX|A)", a\.activity, "", fld\)\]': "the activity-cell tag is only"
    ' compared with "v"; any other tag behaves alike',
    # return_rule._answers: the same tag in the facts-based rule (answers read back)
    r'(?m)^\+\s+yield \("(XXaXX|A)", a\.activity, "", fld\), value, a\.cells\.get\(fld\), ""$': (
        'the activity-cell tag is only compared with "v"; any other tag behaves alike'
    ),
    # return_rule.choose: the facts are made from the same returns, one each
    r"zip\(subs, facts, (strict=(None|False))?\)": "facts holds one entry per return"
    " (built from the same list): the lengths are always equal",
    r'encode\("ASCII"\)': "codec names are case-insensitive",
    r"cast\(None, which\)": "typing.cast does nothing at run time",
    # return_rule._merge: `conflicts` is only read as zero or not ("no merge when nothing
    # conflicts"); counting by 2, setting 1 or counting down never leaves it at zero
    r"(?m)^\+\s+conflicts (= 1|-= 1|\+= 2)$": "conflicts is only tested for zero; the first"
    " conflict makes it non-zero under each of these counts",
    # return_rule._merge: a value's cell is always a CellRef (the reader and the store both
    # build one; the type says so), and a CellRef is always true: the fallback is never used
    r"(?m)^\+\s+ReportedValue\(act, ind, which, point, value, cell or CellRef\([^)]*\), src\)$": (
        "a value always has its CellRef (never false): the fallback cell is never built"
    ),
    # consolidate(): an activity's statuses are its carriers' first-row statuses; taking
    # every row too only repeats a received carrier's own status and adds None for a carrier
    # without a return, which combined_status already counts as not reported (`carriers`)
    r"(?m)^\+\s+if first or sub is not None:$": "the extra statuses repeat a carrier's own or"
    " are None for a missing carrier, already counted as not reported",
    # consolidate._matrix_row: a row without an indicator has no value cells, so whatever
    # placeholder id its value keys get, no value's source matches it
    r'(?m)^\+\s+act, ind_id = r\.activity\.code, ind\.id if ind else "XXXX"$': "a row without"
    " an indicator has no value cells: no source is found under any placeholder id",
    # consolidate.combined_status: `carriers` only matters through max(len(statuses),
    # carriers), read once a status was reported, when len(statuses) >= 1 already
    r"(?m)^\+def combined_status\(statuses: Iterable\[int \| None\], carriers: int = 1\)": (
        "with a reported status there is at least one entry: max(n, 0) == max(n, 1)"
    ),
    # consolidate._row_flags is private; its one caller always passes days_late
    r"(?m)^\+\s+days_late: int = 1,$": "the default is never used: consolidate() always"
    " passes days_late",
    # new_key writes the key file: the same two reasons as for reading it
    r'write_text\(text, "UTF-8"\)': "codec names are case-insensitive",
    r"write_text\(text, (None)?\)": "the locale's encoding, UTF-8 on every supported"
    " platform (Linux locales, Python's UTF-8 mode); key files are ASCII hex in practice",
    r'decode\("(ASCII|LATIN-1|UTF-8)"': "codec names are case-insensitive",
    r'encode\("UTF-16-LE"\)': "codec names are case-insensitive",
    # true wherever they occur: the first piece of a split and the last of an rsplit do not
    # depend on how many further splits are made
    r'rsplit\("/", (2)?\)\[-1\]': "the last part of a path is the same whatever the"
    " number of splits",
    r'split\(b"\\n", (2)?\)\[0\]': "the first line is the same whatever the number of splits",
    # values.py (what a typed cell means)
    r'(en|de)code\("UTF-16-LE", ': "codec names are case-insensitive",
    r"\n\+[^\n]*math\.isclose\([^\n]*, shown, abs_tol=": "math.isclose's rel_tol defaults"
    " to 1e-09: writing rel_tol=1e-9 or leaving it out is the same call",
    r"\n\+[^\n]*Decimal\(2\)\.scaleb\(": "Decimal.quantize uses only the exponent of its"
    " argument, and 1E-n and 2E-n have the same exponent",
    r'\n\+\s*m = re\.fullmatch\(r"\(\[\+-\]\?\)\(\.\*\)", t, \)': "_SPACES has already"
    " made every whitespace character, newlines included, a space: without DOTALL `.`"
    " still matches everything the text can hold",
    r'\.replace\(group or "XX_XX", ""\)': "with no group separator the whole part matched"
    r" \d+ (ASCII digits, re.A): it holds neither '_' nor 'XX_XX', nothing is removed",
    r'casefold\(\)\.rstrip\("XX\.XX"\)': "the text is casefolded first, so it holds no"
    " capital X: stripping 'X' and '.' from its end strips only '.'",
    r"named = _labels\(vocab\)\.get\(label, (None)?\)": "`named` is only tested for truth"
    " and used when true: None and the empty set are both false",
    r'def counts_things\(measure: Measure, unit: str \| None, text: str = "XXXX"\)': "'XXXX'"
    " does not begin with a count word and names no unit, so a call without a text answers"
    " False under both defaults",
    r"\n\+\s*return Reading\(None, err\)": "parse_number returns no value with an error and"
    " None for a blank cell: `value` is None whenever this line runs",
    r"\n\+\s*percent = None": "`percent` is only tested for truth: None and False are both false",
    r"body\[:-1\]\.lstrip\(\), True": "number_readings strips the text before reading it, so"
    " which end is stripped here does not matter",
    r'if "_x" in text or ("XX_XXX" in text|"_x" in text|"_X" not in text):': "the escape"
    " pattern is _xHHHH_ with a lower-case x (ECMA-376; Excel and LibreOffice write it so),"
    " so the '_X' test only lets a no-op substitution run; its one other effect, dropping a"
    " lone surrogate, cannot arise: cell texts come from XML, which cannot hold one",
}


def _scratch(target: Target, out: Path) -> Path:
    d = out / f"scratch-{target.module.removesuffix('.py')}{'-fn' if target.names else ''}"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    for name in ("mne_workbook", "tests", "sample_plans", "schema"):
        shutil.copytree(ROOT / name, d / name, ignore=shutil.ignore_patterns("__pycache__"))
    tests = [t for t in target.tests if (ROOT / t).exists()]
    # each mutant runs with -x: the target's test files in the order listed (the fast
    # in-memory ones first), so a killed mutant rarely pays for generating workbooks
    with (d / "tests" / "conftest.py").open("a", encoding="utf-8") as f:
        f.write(
            "\n\ndef pytest_collection_modifyitems(items: list[pytest.Item]) -> None:\n"
            f"    order = {tests!r}\n"
            "    rank = {t.removeprefix('tests/'): n for n, t in enumerate(order)}\n"
            "    items.sort(key=lambda i: rank.get(i.nodeid.split('::')[0].split('/')[-1], 99))\n"
        )
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    text += (
        "\n[tool.mutmut]\n"
        'source_paths = ["mne_workbook"]\n'
        'also_copy = ["sample_plans", "schema"]\n'
        f'only_mutate = ["mne_workbook/{target.module}"]\n'
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]\n'
    )
    (d / "pyproject.toml").write_text(text, "utf-8")
    return d


def _results(d: Path) -> dict[str, str]:
    r = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"], cwd=d, capture_output=True, text=True
    )
    if r.returncode != 0:  # older mutmut: no --all
        r = subprocess.run([str(MUTMUT), "results"], cwd=d, capture_output=True, text=True)
    out = {}
    for line in r.stdout.splitlines():
        name, _, status = line.strip().partition(": ")
        if status:
            out[name] = status
    return out


def _diff(d: Path, name: str) -> str:
    r = subprocess.run([str(MUTMUT), "show", name], cwd=d, capture_output=True, text=True)
    return "\n".join(
        ln for ln in r.stdout.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")
    )


def run(name: str, target: Target, out: Path, children: int, minutes: float) -> dict[str, object]:
    if not any((ROOT / t).exists() for t in target.tests):  # never the whole suite by accident
        raise SystemExit(f"{name}: none of its test files exist: {target.tests}")
    d = _scratch(target, out)
    args = [str(MUTMUT), "run", "--max-children", str(children)]
    if target.names:
        args.append(target.names)
    started = time.monotonic()
    try:
        subprocess.run(
            args, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=minutes * 60
        )
        finished = True
    except subprocess.TimeoutExpired:
        finished = False
    results = _results(d)
    if target.names:
        pattern = re.compile(target.names.replace(".", r"\.").replace("*", ".*"))
        results = {k: v for k, v in results.items() if pattern.fullmatch(k)}
    counts: dict[str, int] = {}
    for status in results.values():
        counts[status] = counts.get(status, 0) + 1
    survivors = []
    for mutant, status in sorted(results.items()):
        if status != "survived":
            continue
        diff = _diff(d, mutant)
        reason = EQUIVALENT.get(mutant) or next(
            (why for pat, why in EQUIVALENT_PATTERNS.items() if re.search(pat, diff)), ""
        )
        survivors.append({"mutant": mutant, "diff": diff, "equivalent": reason})
    killed = counts.get("killed", 0)
    tested = killed + counts.get("survived", 0) + counts.get("timeout", 0)
    real = [s for s in survivors if not s["equivalent"]]
    return {
        "target": name,
        "module": target.module,
        "function": target.names or None,
        "finished": finished,
        "seconds": round(time.monotonic() - started),
        "mutants": len(results),
        "killed": killed,
        "survived": counts.get("survived", 0),
        "equivalent": len(survivors) - len(real),
        "timeout": counts.get("timeout", 0),
        "no_tests": counts.get("no tests", 0),
        "not_checked": counts.get("not checked", 0),
        "kill_rate": round(100 * (killed + counts.get("timeout", 0)) / tested, 1)
        if tested
        else None,
        "kill_rate_without_equivalent": round(
            100 * (killed + counts.get("timeout", 0)) / (tested - (len(survivors) - len(real))), 1
        )
        if tested - (len(survivors) - len(real))
        else None,
        "survivors": survivors,
        "scratch": str(d),
    }


def main(argv: list[str]) -> int:
    names = argv or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        print(f"unknown target(s) {unknown}; choose from {sorted(TARGETS)}", file=sys.stderr)
        return 2
    if not MUTMUT.exists():
        print("mutmut is not installed: run `make mutation` (installs the mutation extra)")
        return 2
    out = Path(os.environ.get("MUTATION_OUT", ROOT / "demo-output" / "mutation"))
    out.mkdir(parents=True, exist_ok=True)
    children = int(os.environ.get("MUTATION_CHILDREN", "1"))
    minutes = float(os.environ.get("MUTATION_MINUTES", "20"))
    rows = []
    head = (
        f"{'target':<18} {'mutants':>7} {'killed':>6} {'survived':>8} {'equiv':>5}"
        f" {'timeout':>7} {'no tests':>8} {'kill %':>6}"
    )
    print(head)
    for n in names:
        row = run(n, TARGETS[n], out, children, minutes)
        rows.append(row)
        rate = row["kill_rate_without_equivalent"]
        print(
            f"{n:<18} {row['mutants']:>7} {row['killed']:>6} {row['survived']:>8}"
            f" {row['equivalent']:>5} {row['timeout']:>7} {row['no_tests']:>8}"
            f" {rate if rate is not None else '-':>6}"
            + ("" if row["finished"] else "  (time limit hit)"),
            flush=True,
        )
        for s in row["survivors"]:  # type: ignore[attr-defined]
            tag = f"equivalent: {s['equivalent']}" if s["equivalent"] else "SURVIVED"
            print(f"    {s['mutant']}  [{tag}]")
            for line in str(s["diff"]).splitlines():
                print(f"        {line}")
    (out / "mutation-report.json").write_text(json.dumps(rows, indent=2), "utf-8")
    print(f"report: {out / 'mutation-report.json'}")
    signing = [r for r in rows if r["target"] in ("signing", "reader-signature")]
    real = sum(r["survived"] - r["equivalent"] for r in signing)  # type: ignore[operator]
    return 1 if real else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
