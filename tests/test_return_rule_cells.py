"""Which return counts, cell by cell, on returns built in memory (:mod:`memreturns`).

The rule (README, "Which return counts"): a return without a single answer is not a
return (``empty-return``); identical content counts once (``duplicate-return``); several
returns merge per cell, the newest answer first, each value keeping its file; a newer
return that leaves blank what an older one answered is ``answer-blanked`` (the older
answers stand); an older return none of whose answers is used is ``superseded-return``;
returns nothing orders are ``return-order-tie``, and a cell where they differ is a
``return-conflict`` whose value is not used. Newer: later arrival, then a later plausible
saved time; never the file name or the order the files were given in."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from memreturns import AUG, JUL, SEP, at, problem, refused, ret, small_plan

from mne_workbook.arrival import show
from mne_workbook.errors import Problem
from mne_workbook.plan import Plan
from mne_workbook.reader import CellRef
from mne_workbook.return_rule import RuleFlag, answered, choose, order_key, when


@pytest.fixture(scope="module")
def plan() -> Plan:
    return small_plan()


def kp(plan: Plan, name: str, arrived: dt.datetime | None, **kw: Any) -> Any:
    return ret(plan, "kp", name, arrived=arrived, **kw)


def codes(choice: Any) -> list[tuple[str, str]]:
    return [(f.code, f.file) for f in choice.flags]


def values(sub: Any) -> dict[tuple[str, str, dt.date], tuple[object, str, str]]:
    return {
        (v.activity, v.indicator, v.point_end): (v.value, str(v.cell), v.file) for v in sub.values
    }


# ------------------------------------------------------------------ answered, empty


def test_what_counts_as_an_answer(plan: Plan) -> None:
    assert not answered(kp(plan, "blank.xlsx", None))
    assert answered(kp(plan, "v.xlsx", None, values={("A1.1.1", "I1", JUL): 0}))
    for fld, value in (("status", 1), ("rating_hy", 1), ("rating_y", 3), ("comment", "")):
        assert answered(kp(plan, "a.xlsx", None, acts={"A2.1.3": {fld: value}})), fld
    # an entry refused at its cell (an error there) is an answer; a warning or a
    # problem of the whole file is not
    at_cell = problem("formula-in-cell", "=1+1", "SO1", 5, "H")
    assert answered(kp(plan, "e.xlsx", None, problems=[at_cell]))
    warning = problem("fraction-on-count", "7,5", "SO1", 5, "H")
    assert not answered(kp(plan, "w.xlsx", None, problems=[warning]))
    sheet = problem("formula-in-cell", "x", "SO1", None, None)
    assert not answered(kp(plan, "s.xlsx", None, problems=[sheet]))


def test_an_empty_return_is_not_received(plan: Plan) -> None:
    blank = kp(plan, "kp.xlsx", at("2026-10-01"))
    choice = choose([blank])
    assert choice.used == {} and choice.empty == {"kp": [blank]}
    assert choice.flags == [
        RuleFlag(
            "empty-return",
            f"kp.xlsx (arrived {show(at('2026-10-01'))} (e-mail Received: header)) has no"
            " answer in it; not counted as received",
            "kp",
            "kp.xlsx",
        )
    ]
    assert choice.notes == {"/inbox/kp.xlsx": "empty: not counted"}


def test_an_empty_return_neither_counts_nor_blanks_a_full_one(plan: Plan) -> None:
    full = kp(plan, "full.xlsx", at("2026-10-01"), values={("A1.1.1", "I1", JUL): 4})
    blank = kp(plan, "blank.xlsx", at("2026-10-05"))
    choice = choose([blank, full])
    assert choice.used == {"kp": full} and choice.empty == {}
    assert codes(choice) == [("empty-return", "blank.xlsx")]
    assert choice.notes == {"/inbox/blank.xlsx": "empty: not counted"}


def test_refused_files_and_files_without_an_identity_are_not_chosen(plan: Plan) -> None:
    bad = refused("kp.xlsx", "signature-invalid", "altered", inst="kp")
    nameless = kp(plan, "x.xlsx", at("2026-10-01"), values={("A1.1.1", "I1", JUL): 4})
    nameless.identity = None
    choice = choose([bad, nameless])
    assert (choice.used, choice.flags, choice.notes, choice.empty) == ({}, [], {}, {})


# ------------------------------------------------------------------ one return, duplicates


def test_a_single_return_is_used_as_read_and_each_answer_keeps_its_file(plan: Plan) -> None:
    sub = kp(
        plan,
        "kp.xlsx",
        at("2026-10-01"),
        values={("A1.1.1", "I1", JUL): 4, ("A2.1.3", "I6", SEP): 0},
        acts={"A1.1.1": {"status": 3, "comment": "ok"}, "A2.1.3": {"rating_hy": 2, "rating_y": 1}},
    )
    choice = choose([sub])
    assert choice.used["kp"] is sub and choice.flags == [] and choice.notes == {}
    assert choice.sources == {
        ("kp", "A1.1.1", "I1", JUL): "kp.xlsx",
        ("kp", "A2.1.3", "I6", SEP): "kp.xlsx",
        ("kp", "A1.1.1", "", "status"): "kp.xlsx",
        ("kp", "A1.1.1", "", "comments"): "kp.xlsx",
        ("kp", "A2.1.3", "", "rating_hy"): "kp.xlsx",
        ("kp", "A2.1.3", "", "rating_y"): "kp.xlsx",
    }


def test_a_return_from_the_store_keeps_the_files_it_was_merged_from(plan: Plan) -> None:
    sub = kp(plan, "kp.xlsx", at("2026-10-01"), values={("A1.1.1", "I1", JUL): 4})
    sub.values[0] = replace(sub.values[0], file="older.xlsx")
    sub.activities["A1.1.1"].status = 3
    sub.activities["A1.1.1"].sources["status"] = "first.xlsx"
    choice = choose([sub])
    assert choice.sources == {
        ("kp", "A1.1.1", "I1", JUL): "older.xlsx",
        ("kp", "A1.1.1", "", "status"): "first.xlsx",
    }


def test_identical_returns_count_once_the_newest_kept(plan: Plan) -> None:
    answers = {("A1.1.1", "I1", JUL): 4}
    old = kp(plan, "old.xlsx", at("2026-10-01"), values=answers)
    new = kp(plan, "new.xlsx", at("2026-10-02"), values=answers)
    third = kp(plan, "third.xlsx", at("2026-09-30"), values=answers)
    choice = choose([old, new, third])
    assert choice.used["kp"] is new
    assert choice.flags == [
        RuleFlag("duplicate-return", f"{n} has the same content as new.xlsx; counted once", "kp", n)
        for n in ("old.xlsx", "third.xlsx")
    ]
    assert choice.copies == {"old.xlsx": "new.xlsx", "third.xlsx": "new.xlsx"}
    assert choice.notes == {
        "/inbox/old.xlsx": "duplicate of new.xlsx",
        "/inbox/third.xlsx": "duplicate of new.xlsx",
    }


# ------------------------------------------------------------------ newest answer first


def test_a_newer_return_answering_everything_replaces_the_older(plan: Plan) -> None:
    old = kp(plan, "old.xlsx", at("2026-10-01"), values={("A1.1.1", "I1", JUL): 5})
    new = kp(
        plan,
        "new.xlsx",
        at("2026-10-02"),
        values={("A1.1.1", "I1", JUL): 6},
        acts={"A1.1.1": {"status": 2}},
    )
    choice = choose([new, old])
    assert choice.used["kp"] is new
    assert choice.flags == [
        RuleFlag(
            "superseded-return",
            f"old.xlsx ({when(old)}) is replaced by new.xlsx ({when(new)}):"
            " none of its answers is used",
            "kp",
            "old.xlsx",
        )
    ]
    assert choice.notes == {"/inbox/old.xlsx": "superseded by new.xlsx"}
    assert choice.sources == {
        ("kp", "A1.1.1", "I1", JUL): "new.xlsx",
        ("kp", "A1.1.1", "", "status"): "new.xlsx",
    }


def test_arrival_orders_returns_not_the_saved_time_the_name_or_the_given_order(
    plan: Plan,
) -> None:
    first = kp(
        plan,
        "z-first.xlsx",
        at("2026-10-01"),
        values={("A1.1.1", "I1", JUL): 5},
        saved=dt.datetime(2026, 9, 30, 18, 0),
    )
    second = kp(
        plan,
        "a-second.xlsx",
        at("2026-10-02"),
        values={("A1.1.1", "I1", JUL): 6},
        saved=dt.datetime(2026, 9, 1, 8, 0),  # saved earlier, arrived later: it is newer
    )
    for subs in ([first, second], [second, first]):
        choice = choose(subs)
        assert choice.used["kp"] is second
        assert codes(choice) == [("superseded-return", "z-first.xlsx")]
    assert order_key(second) > order_key(first)


def test_same_arrival_is_ordered_by_a_plausible_saved_time(plan: Plan) -> None:
    same = at("2026-10-01")
    early = kp(
        plan, "b.xlsx", same, values={("A1.1.1", "I1", JUL): 5}, saved=dt.datetime(2026, 9, 30, 8)
    )
    late = kp(
        plan, "a.xlsx", same, values={("A1.1.1", "I1", JUL): 6}, saved=dt.datetime(2026, 9, 30, 9)
    )
    choice = choose([early, late])
    assert choice.used["kp"] is late
    assert codes(choice) == [("superseded-return", "b.xlsx")]


def test_returns_merge_per_cell_and_each_value_keeps_its_file(plan: Plan) -> None:
    old = kp(
        plan,
        "old.xlsx",
        at("2026-10-01"),
        values={("A1.1.1", "I1", JUL): 5, ("A1.1.1", "I1", AUG): 1},
        acts={"A1.1.1": {"status": 3, "comment": "first quarter"}, "A2.1.3": {"rating_y": 2}},
    )
    new = kp(
        plan,
        "new.xlsx",
        at("2026-10-02"),
        values={("A1.1.1", "I1", AUG): 7, ("A1.1.1", "I2", SEP): 2},
        acts={"A2.1.3": {"status": 1}},
    )
    choice = choose([old, new])
    merged = choice.used["kp"]
    assert merged is not new and merged is not old
    assert (merged.name, merged.merged_from) == ("new.xlsx", ["new.xlsx", "old.xlsx"])
    assert values(merged) == {
        ("A1.1.1", "I1", JUL): (5, "SO1!H5", "old.xlsx"),
        ("A1.1.1", "I1", AUG): (7, "SO1!I5", "new.xlsx"),  # the newer answer
        ("A1.1.1", "I2", SEP): (2, "SO1!J6", "new.xlsx"),
    }
    assert {v.point for v in merged.values} == {"2026-07", "2026-08", "2026-09"}
    a111, a213 = merged.activities["A1.1.1"], merged.activities["A2.1.3"]
    assert (a111.status, a111.comment, a111.rating_hy, a111.rating_y) == (
        3,
        "first quarter",
        None,
        None,
    )
    assert a111.sources == {"status": "old.xlsx", "comments": "old.xlsx"}
    assert a111.cells == {"status": CellRef("SO1", 5, "L"), "comments": CellRef("SO1", 5, "O")}
    assert (a213.status, a213.rating_y, a213.sources) == (
        1,
        2,
        {"status": "new.xlsx", "rating_y": "old.xlsx"},
    )
    assert set(merged.activities) == {"A1.1.1", "A1.1.2", "A2.1.3"}
    assert merged.activities["A1.1.2"].status is None and merged.problems == []
    assert choice.sources == {
        ("kp", "A1.1.1", "I1", AUG): "new.xlsx",
        ("kp", "A1.1.1", "I2", SEP): "new.xlsx",
        ("kp", "A2.1.3", "", "status"): "new.xlsx",
        ("kp", "A1.1.1", "I1", JUL): "old.xlsx",
        ("kp", "A1.1.1", "", "status"): "old.xlsx",
        ("kp", "A1.1.1", "", "comments"): "old.xlsx",
        ("kp", "A2.1.3", "", "rating_y"): "old.xlsx",
    }
    assert choice.flags == [
        RuleFlag(
            "answer-blanked",
            f"new.xlsx ({when(new)}) leaves blank 4 answer(s) given in an older return:"
            " A1.1.1/I1 2026-07-31 (SO1!H5), A1.1.1 status (SO1!L5),"
            " A1.1.1 comments (SO1!O5), A2.1.3 rating_y (SO2!N5); the older answers are used",
            "kp",
            "new.xlsx",
        )
    ]
    assert choice.notes == {
        "/inbox/new.xlsx": "used (merged with old.xlsx)",
        "/inbox/old.xlsx": "used (merged with new.xlsx)",
    }
    # the inputs are left as they were read
    assert values(old)[("A1.1.1", "I1", AUG)] == (1, "SO1!I5", "")
    assert new.merged_from == [] and new.activities["A1.1.1"].status is None


def test_three_returns_the_middle_one_superseded(plan: Plan) -> None:
    one = kp(
        plan,
        "1.xlsx",
        at("2026-10-01"),
        values={("A1.1.1", "I1", JUL): 1, ("A1.1.1", "I1", AUG): 1},
    )
    two = kp(plan, "2.xlsx", at("2026-10-02"), values={("A1.1.1", "I1", AUG): 2})
    three = kp(plan, "3.xlsx", at("2026-10-03"), values={("A1.1.1", "I1", AUG): 3})
    choice = choose([one, two, three])
    merged = choice.used["kp"]
    assert values(merged) == {
        ("A1.1.1", "I1", JUL): (1, "SO1!H5", "1.xlsx"),
        ("A1.1.1", "I1", AUG): (3, "SO1!I5", "3.xlsx"),
    }
    assert merged.merged_from == ["3.xlsx", "1.xlsx"]
    assert codes(choice) == [
        ("answer-blanked", "3.xlsx"),
        ("answer-blanked", "2.xlsx"),
        ("superseded-return", "2.xlsx"),
    ]
    assert choice.flags[2] == RuleFlag(
        "superseded-return",
        f"2.xlsx ({when(two)}) is replaced by 3.xlsx ({when(three)}): none of its answers is used",
        "kp",
        "2.xlsx",
    )
    assert choice.notes == {
        "/inbox/3.xlsx": "used (merged with 1.xlsx)",
        "/inbox/1.xlsx": "used (merged with 3.xlsx)",
        "/inbox/2.xlsx": "superseded by 3.xlsx",
    }


def test_a_long_list_of_blanked_answers_is_cut_after_eight(plan: Plan) -> None:
    answers: dict[tuple[str, str, dt.date], object] = {}
    answers |= {("A1.1.1", "I1", d): 1 for d in (JUL, AUG, SEP)} | {
        ("A2.1.3", "I6", d): 2 for d in (JUL, AUG, SEP)
    }
    answers |= {("A1.1.1", "I2", SEP): 3, ("A1.1.2", "I3", SEP): 4}
    old = kp(plan, "old.xlsx", at("2026-10-01"), values=answers, acts={"A1.1.1": {"status": 2}})
    new = kp(plan, "new.xlsx", at("2026-10-02"), acts={"A2.1.3": {"status": 3}})
    choice = choose([old, new])
    [blanked] = [f for f in choice.flags if f.code == "answer-blanked"]
    assert "leaves blank 9 answer(s) given in an older return: " in blanked.message
    assert blanked.message.count("(SO") == 8
    assert blanked.message.endswith(" and 1 more; the older answers are used")
    exactly = kp(plan, "old8.xlsx", at("2026-10-01"), values=dict(list(answers.items())[:8]))
    choice = choose([exactly, new])
    [blanked] = [f for f in choice.flags if f.code == "answer-blanked"]
    assert "leaves blank 8 answer(s)" in blanked.message and " more" not in blanked.message


def test_an_unusable_entry_in_a_newer_return_lets_no_older_answer_through(plan: Plan) -> None:
    """The newer return wrote something in the July cell that could not be used (an
    error at that cell): the older July value is not taken in its place."""
    old = kp(
        plan,
        "old.xlsx",
        at("2026-10-01"),
        values={("A1.1.1", "I1", JUL): 5, ("A1.1.1", "I1", AUG): 1},
    )
    bad = problem("formula-in-cell", "=A1", "SO1", 5, "H")
    new = kp(plan, "new.xlsx", at("2026-10-02"), values={("A1.1.1", "I1", AUG): 7}, problems=[bad])
    choice = choose([old, new])
    assert choice.used["kp"] is new
    assert codes(choice) == [("superseded-return", "old.xlsx")]
    # a warning at that cell does not spoil it: the older answer stands, and is merged
    warn = problem("fraction-on-count", "7,5", "SO1", 5, "H")
    new = kp(
        plan, "new2.xlsx", at("2026-10-02"), values={("A1.1.1", "I1", AUG): 7}, problems=[warn]
    )
    merged = choose([old, new]).used["kp"]
    assert values(merged)[("A1.1.1", "I1", JUL)] == (5, "SO1!H5", "old.xlsx")
    # an error in another cell spoils nothing here
    other = problem("formula-in-cell", "=A1", "SO1", 6, "H")
    new = kp(
        plan, "new3.xlsx", at("2026-10-02"), values={("A1.1.1", "I1", AUG): 7}, problems=[other]
    )
    merged = choose([old, new]).used["kp"]
    assert values(merged)[("A1.1.1", "I1", JUL)] == (5, "SO1!H5", "old.xlsx")
    # an older return's error does not spoil the newer answer
    old_bad = kp(
        plan, "old-bad.xlsx", at("2026-10-01"), values={("A1.1.1", "I1", AUG): 1}, problems=[bad]
    )
    new = kp(plan, "new4.xlsx", at("2026-10-02"), values={("A1.1.1", "I1", JUL): 9})
    merged = choose([old_bad, new]).used["kp"]
    assert values(merged)[("A1.1.1", "I1", JUL)] == (9, "SO1!H5", "new4.xlsx")


# ------------------------------------------------------------------ ties and conflicts


def test_returns_nothing_orders_conflict_where_they_differ(plan: Plan) -> None:
    same = at("2026-10-01")
    a = kp(
        plan,
        "a.xlsx",
        same,
        values={("A1.1.1", "I1", JUL): 5, ("A1.1.1", "I2", SEP): 2},
        acts={"A1.1.1": {"status": 3}},
    )
    b = kp(
        plan,
        "b.xlsx",
        same,
        values={("A1.1.1", "I1", JUL): 8, ("A1.1.1", "I2", SEP): 2, ("A1.1.1", "I1", AUG): 4},
        acts={"A1.1.1": {"status": 2}},
    )
    assert order_key(a) == order_key(b)
    choice = choose([a, b])
    merged = choice.used["kp"]
    # the same answer in both counts; a cell only one answered counts; a difference does not
    assert values(merged) == {
        ("A1.1.1", "I1", AUG): (4, "SO1!I5", "b.xlsx"),
        ("A1.1.1", "I2", SEP): (2, "SO1!J6", "a.xlsx"),
    }
    assert merged.activities["A1.1.1"].status is None
    assert merged.merged_from == ["a.xlsx", "b.xlsx"]
    told = f"which is newer cannot be told ({when(a)}); no value used"
    assert choice.flags == [
        RuleFlag(
            "return-order-tie",
            f"b.xlsx and a.xlsx differ, and neither their arrival ({when(b)}) nor a plausible"
            " saved time tells which is newer; where they give different answers, neither is"
            " used (return-conflict)",
            "kp",
            "b.xlsx",
        ),
        RuleFlag(
            "return-conflict",
            f"A1.1.1/I1 2026-07-31: a.xlsx says 5; b.xlsx says 8; {told}",
            "kp",
            "a.xlsx, b.xlsx",
            "SO1!H5",
            "A1.1.1",
            "I1",
            JUL,
            "",
        ),
        RuleFlag(
            "return-conflict",
            f"A1.1.1 status: a.xlsx says 3; b.xlsx says 2; {told}",
            "kp",
            "a.xlsx, b.xlsx",
            "SO1!L5",
            "A1.1.1",
            "",
            None,
            "status",
        ),
    ]
    assert choice.notes == {
        "/inbox/a.xlsx": "used (merged with b.xlsx)",
        "/inbox/b.xlsx": "used (merged with a.xlsx)",
    }
    # the given order does not decide either
    again = choose([b, a])
    assert {f.code for f in again.flags} == {"return-order-tie", "return-conflict"}
    assert values(again.used["kp"])[("A1.1.1", "I1", AUG)][0] == 4
    assert ("A1.1.1", "I1", JUL) not in values(again.used["kp"])


def test_a_value_and_its_text_are_not_the_same_answer(plan: Plan) -> None:
    same = at("2026-10-01")
    a = kp(plan, "a.xlsx", same, values={("A1.1.1", "I1", JUL): 5})
    b = kp(plan, "b.xlsx", same, values={("A1.1.1", "I1", JUL): "5"})
    choice = choose([a, b])
    assert [f.code for f in choice.flags] == ["return-order-tie", "return-conflict"]
    assert "a.xlsx says 5; b.xlsx says '5'" in choice.flags[1].message


def test_an_older_answer_does_not_fill_a_cell_in_conflict(plan: Plan) -> None:
    same = at("2026-10-02")
    old = kp(
        plan,
        "old.xlsx",
        at("2026-10-01"),
        values={("A1.1.1", "I1", JUL): 1, ("A1.1.1", "I1", SEP): 9},
    )
    a = kp(plan, "a.xlsx", same, values={("A1.1.1", "I1", JUL): 5})
    b = kp(plan, "b.xlsx", same, values={("A1.1.1", "I1", JUL): 8})
    choice = choose([old, a, b])
    merged = choice.used["kp"]
    assert values(merged) == {("A1.1.1", "I1", SEP): (9, "SO1!J5", "old.xlsx")}
    assert codes(choice) == [
        ("return-order-tie", "b.xlsx"),
        ("return-conflict", "a.xlsx, b.xlsx"),
        ("answer-blanked", "a.xlsx"),
        ("answer-blanked", "b.xlsx"),
    ]
    assert merged.merged_from == ["old.xlsx"]
    assert choice.notes == {
        "/inbox/a.xlsx": "not used: its answers agree with or conflict with b.xlsx",
        "/inbox/b.xlsx": "not used: its answers agree with or conflict with a.xlsx",
        "/inbox/old.xlsx": "used",
    }


def test_a_tie_needs_the_same_arrival_and_no_saved_time_to_tell_them_apart(plan: Plan) -> None:
    same = at("2026-10-01")
    saved = dt.datetime(2026, 9, 30, 8)
    a = kp(plan, "a.xlsx", same, values={("A1.1.1", "I1", JUL): 5}, saved=saved)
    b = kp(plan, "b.xlsx", same, values={("A1.1.1", "I1", JUL): 8})  # no saved time
    assert [f.code for f in choose([a, b]).flags] == ["return-order-tie", "return-conflict"]
    c = kp(plan, "c.xlsx", same, values={("A1.1.1", "I1", JUL): 8}, saved=saved)
    assert [f.code for f in choose([a, c]).flags] == ["return-order-tie", "return-conflict"]
    d = kp(
        plan,
        "d.xlsx",
        same,
        values={("A1.1.1", "I1", JUL): 8},
        saved=saved + dt.timedelta(minutes=1),
    )
    choice = choose([a, d])
    assert choice.used["kp"] is d and codes(choice) == [("superseded-return", "a.xlsx")]
    e = kp(plan, "e.xlsx", same + dt.timedelta(seconds=1), values={("A1.1.1", "I1", JUL): 8})
    choice = choose([a, e])
    assert choice.used["kp"] is e and codes(choice) == [("superseded-return", "a.xlsx")]


def test_when_a_return_arrived_as_said_in_messages(plan: Plan) -> None:
    sub = kp(plan, "a.xlsx", None)
    assert when(sub) == "arrival unknown"
    sub.saved_at = dt.datetime(2026, 9, 30, 8)
    assert when(sub) == f"arrival unknown, saved {show(dt.datetime(2026, 9, 30, 8))}"
    sub.arrived_at, sub.arrival_source = at("2026-10-01"), "file-mtime"
    assert when(sub) == (
        f"arrived {show(at('2026-10-01'))} (file time in the inbox),"
        f" saved {show(dt.datetime(2026, 9, 30, 8))}"
    )


def test_problems_are_what_the_rule_reads_errors_from(plan: Plan) -> None:
    """Sanity of the in-memory returns: a problem's severity is the catalog's."""
    p = problem("formula-in-cell", "=A1", "SO1", 5, "H")
    assert isinstance(p, Problem) and str(p.severity) == "error"


def test_answers_without_a_known_cell_merge_and_conflict_all_the_same(plan: Plan) -> None:
    """Returns from the store may not know where an activity's answer sat."""
    same = at("2026-10-01")
    old = kp(plan, "old.xlsx", at("2026-09-30"), acts={"A2.1.3": {"comment": "kept"}})
    a = kp(plan, "a.xlsx", same, acts={"A1.1.1": {"status": 3}})
    b = kp(plan, "b.xlsx", same, acts={"A1.1.1": {"status": 2}})
    for sub in (old, a, b):
        for rep in sub.activities.values():
            rep.cells.clear()
    choice = choose([old, a, b])
    conflict = next(f for f in choice.flags if f.code == "return-conflict")
    assert (conflict.cell, conflict.field, conflict.activity) == ("", "status", "A1.1.1")
    blanked = [f.message for f in choice.flags if f.code == "answer-blanked"]
    assert len(blanked) == 2 and all(
        " answer(s) given in an older return: A2.1.3 comments;" in m for m in blanked
    )
    merged = choice.used["kp"]
    assert merged.activities["A2.1.3"].comment == "kept"
    assert merged.activities["A2.1.3"].cells == {}


def test_a_merged_return_keeps_each_activity_and_leaves_the_problems_with_their_files(
    plan: Plan,
) -> None:
    warn = problem("fraction-on-count", "7,5", "SO1", 5, "I")
    old = kp(plan, "old.xlsx", at("2026-10-01"), values={("A1.1.1", "I1", JUL): 5})
    new = kp(
        plan, "new.xlsx", at("2026-10-02"), values={("A1.1.1", "I1", AUG): 7.5}, problems=[warn]
    )
    merged = choose([old, new]).used["kp"]
    assert merged.problems == [] and new.problems == [warn]
    assert {k: v.activity for k, v in merged.activities.items()} == {
        "A1.1.1": "A1.1.1",
        "A1.1.2": "A1.1.2",
        "A2.1.3": "A2.1.3",
    }


def test_cells_after_an_unusable_one_are_still_merged(plan: Plan) -> None:
    old = kp(
        plan,
        "old.xlsx",
        at("2026-10-01"),
        values={("A1.1.1", "I1", JUL): 5},
        acts={"A1.1.1": {"status": 3}},
    )
    bad = problem("formula-in-cell", "=A1", "SO1", 5, "H")
    new = kp(plan, "new.xlsx", at("2026-10-02"), values={("A1.1.1", "I1", AUG): 7}, problems=[bad])
    choice = choose([old, new])
    merged = choice.used["kp"]
    assert values(merged) == {("A1.1.1", "I1", AUG): (7, "SO1!I5", "new.xlsx")}
    assert merged.activities["A1.1.1"].status == 3  # the older status stands
    [blanked] = [f for f in choice.flags if f.code == "answer-blanked"]
    assert "leaves blank 1 answer(s) given in an older return: A1.1.1 status (SO1!L5);" in (
        blanked.message
    )


def test_an_activity_the_newest_return_does_not_hold_is_merged_from_an_older_one(
    plan: Plan,
) -> None:
    """A return from the store holds only the activities it answered."""
    old = kp(plan, "old.xlsx", at("2026-10-01"), acts={"A2.1.3": {"status": 2}})
    new = kp(plan, "new.xlsx", at("2026-10-02"), values={("A1.1.1", "I1", JUL): 1})
    del new.activities["A2.1.3"]
    merged = choose([old, new]).used["kp"]
    rep = merged.activities["A2.1.3"]
    assert (rep.activity, rep.status, rep.sources) == ("A2.1.3", 2, {"status": "old.xlsx"})


def test_three_returns_merged_and_three_tied(plan: Plan) -> None:
    one = kp(plan, "1.xlsx", at("2026-10-01"), values={("A1.1.1", "I1", JUL): 1})
    two = kp(plan, "2.xlsx", at("2026-10-02"), values={("A1.1.1", "I1", AUG): 2})
    three = kp(plan, "3.xlsx", at("2026-10-03"), values={("A1.1.1", "I1", SEP): 3})
    choice = choose([one, two, three])
    assert choice.notes == {
        "/inbox/3.xlsx": "used (merged with 2.xlsx, 1.xlsx)",
        "/inbox/2.xlsx": "used (merged with 3.xlsx, 1.xlsx)",
        "/inbox/1.xlsx": "used (merged with 3.xlsx, 2.xlsx)",
    }
    same = at("2026-10-05")
    tied = [kp(plan, f"t{n}.xlsx", same, values={("A1.1.1", "I1", JUL): n}) for n in (1, 2, 3)]
    older = kp(plan, "older.xlsx", at("2026-10-01"), values={("A1.1.1", "I1", JUL): 9})
    choice = choose([older, *tied])
    assert choice.notes["/inbox/t1.xlsx"] == (
        "not used: its answers agree with or conflict with t2.xlsx, t3.xlsx"
    )
    assert choice.notes["/inbox/older.xlsx"] == "superseded by t1.xlsx"


def test_a_value_against_an_unusable_entry_of_a_tied_return_is_a_conflict(plan: Plan) -> None:
    """Nothing tells which of the two is newer: one says 5, the other wrote a formula
    there. Using 5 would be a guess."""
    same = at("2026-10-01")
    bad = problem("formula-in-cell", "=A1", "SO1", 5, "H")
    a = kp(plan, "a.xlsx", same, values={("A1.1.1", "I1", JUL): 5, ("A1.1.1", "I1", AUG): 1})
    b = kp(plan, "b.xlsx", same, values={("A1.1.1", "I1", AUG): 1}, problems=[bad])
    choice = choose([b, a])
    conflict = next(f for f in choice.flags if f.code == "return-conflict")
    assert conflict.message.startswith(
        "A1.1.1/I1 2026-07-31: a.xlsx says 5; b.xlsx has an entry there that could not be used;"
    )
    assert (conflict.file, conflict.cell, conflict.point_end) == ("a.xlsx, b.xlsx", "SO1!H5", JUL)
    assert values(choice.used["kp"]) == {("A1.1.1", "I1", AUG): (1, "SO1!I5", "b.xlsx")}


def test_each_institution_is_chosen_on_its_own(plan: Plan) -> None:
    blank = ret(plan, "mest", "mest.xlsx", arrived=at("2026-10-01"))
    kp1 = kp(plan, "kp.xlsx", at("2026-10-01"), values={("A1.1.1", "I1", JUL): 5})
    mlsw = ret(
        plan, "mlsw", "mlsw.xlsx", values={("A1.1.1", "I1", JUL): 6}, arrived=at("2026-10-01")
    )
    choice = choose([blank, kp1, mlsw])
    assert choice.used == {"kp": kp1, "mlsw": mlsw} and list(choice.empty) == ["mest"]
    assert choice.sources == {
        ("kp", "A1.1.1", "I1", JUL): "kp.xlsx",
        ("mlsw", "A1.1.1", "I1", JUL): "mlsw.xlsx",
    }
