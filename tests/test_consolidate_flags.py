"""Consolidation flags, rates and combined status, cell by cell, on returns built in memory.

Each expected value follows from the rule as the README states it (Flags; Completeness and
timeliness; the combined status); the returns are those of :mod:`memreturns` (no workbook
is written, so these tests, and the mutation runs over them, take milliseconds)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from memreturns import AUG, JUL, Q3, SEP, at, problem, refused, ret, small_plan

from mne_workbook.arrival import show
from mne_workbook.consolidate import (
    Consolidation,
    Flag,
    ReportingRate,
    combined_status,
    consolidate,
    pick_returns,
    sender_of,
)
from mne_workbook.errors import CATALOG, Severity
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, plan_from_dict

DUE = dt.date(2026, 10, 15)  # 2026-Q3 ends 2026-09-30; 15 grace days
DAY_AFTER = dt.date(2026, 10, 16)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return small_plan()


def flags(con: Any, *codes: str) -> list[Flag]:
    return [f for f in con.flags if f.code in codes]


def rate(con: Consolidation, inst: str) -> ReportingRate:
    return next(r for r in con.rates if r.institution == inst)


def row(con: Any, act: str, ind: str, inst: str) -> dict[str, Any]:
    return next(
        r for r in con.rows if (r["activity"], r["indicator"], r["institution"]) == (act, ind, inst)
    )


def full_kp(plan: Plan, **kw: Any) -> Any:
    """KP answers everything due in 2026-Q3 (statuses 3; A1.1.2 completed)."""
    values = {("A1.1.1", "I1", d): 1 for d in (JUL, AUG, SEP)}
    values |= {("A1.1.1", "I2", SEP): 2, ("A1.1.2", "I3", SEP): 3}
    values |= {("A2.1.3", "I6", d): 6 for d in (JUL, AUG, SEP)}
    acts = {"A1.1.1": {"status": 3}, "A1.1.2": {"status": 4}, "A2.1.3": {"status": 2}}
    return ret(plan, "kp", values=values, acts=acts, arrived=at("2026-10-10"), **kw)


# ------------------------------------------------------------------ no return: due date


def test_the_due_date_is_the_period_end_plus_the_grace_days(plan: Plan) -> None:
    assert consolidate(plan, [], Q3, DUE).due_date == DUE
    assert consolidate(small_plan(grace_days=5), [], Q3, DUE).due_date == dt.date(2026, 10, 5)
    assert consolidate(small_plan(grace_days=0), [], Q3, DUE).due_date == dt.date(2026, 9, 30)


def test_no_return_is_pending_up_to_the_due_date_and_overdue_the_day_after(plan: Plan) -> None:
    """Expected: the carriers of activities active in the period (MOJ's ended in 2025),
    in the plan's order of institutions."""
    on_due = consolidate(plan, [], Q3, DUE)
    assert flags(on_due, "return-pending", "return-overdue") == [
        Flag("return-pending", f"no return yet from {name}; due 2026-10-15", inst)
        for inst, name in (
            ("kp", "Kosovo Police"),
            ("mlsw", "Ministry of Labour"),
            ("mest", "Ministry of Education"),
        )
    ]
    after = consolidate(plan, [], Q3, DAY_AFTER)
    assert flags(after, "return-pending", "return-overdue") == [
        Flag("return-overdue", f"no return from {name}; due 2026-10-15, 1 day(s) overdue", inst)
        for inst, name in (
            ("kp", "Kosovo Police"),
            ("mlsw", "Ministry of Labour"),
            ("mest", "Ministry of Education"),
        )
    ]
    later = consolidate(plan, [], Q3, dt.date(2026, 11, 14))
    assert {f.message for f in flags(later, "return-overdue")} == {
        f"no return from {n}; due 2026-10-15, 30 day(s) overdue"
        for n in ("Kosovo Police", "Ministry of Labour", "Ministry of Education")
    }
    assert all(f.severity == CATALOG["return-overdue"].severity for f in flags(later))


def test_as_of_defaults_to_today(plan: Plan) -> None:
    assert consolidate(plan, [], Q3).as_of == dt.date.today()


def test_only_an_empty_return_is_pending_or_overdue_and_says_so(plan: Plan) -> None:
    blank = ret(plan, "mest", "mest.xlsx", arrived=at("2026-10-01"))
    con = consolidate(plan, [blank], Q3, DUE)
    [pending] = [f for f in flags(con, "return-pending") if f.institution == "mest"]
    assert pending.message == (
        "no return yet from Ministry of Education; due 2026-10-15; only an empty return: mest.xlsx"
    )
    con = consolidate(plan, [blank], Q3, DAY_AFTER)
    [overdue] = [f for f in flags(con, "return-overdue") if f.institution == "mest"]
    assert overdue.message == (
        "no return from Ministry of Education; due 2026-10-15, 1 day(s) overdue;"
        " only an empty return: mest.xlsx"
    )
    assert (rate(con, "mest").received, rate(con, "mest").on_time) == (0, 0)
    assert [f.file for f in flags(con, "empty-return")] == ["mest.xlsx"]


# ------------------------------------------------------------------ refused returns


def test_a_refused_return_is_named_instead_of_pending_or_overdue(plan: Plan) -> None:
    bad = refused("kp.xlsx", "signature-invalid", "the identity was altered", inst="kp")
    title = CATALOG["signature-invalid"].title
    con = consolidate(plan, [bad], Q3, DUE)
    kp = [f for f in con.flags if f.institution == "kp" and f.code.startswith("return-")]
    assert kp == [
        Flag(
            "return-refused",
            f"refused: Kosovo Police sent kp.xlsx ({title}: the identity was altered);"
            " due 2026-10-15",
            "kp",
            file="kp.xlsx",
        )
    ]
    con = consolidate(plan, [bad], Q3, dt.date(2026, 10, 18))
    [flag] = flags(con, "return-refused")
    assert flag.message.endswith("; due 2026-10-15, 3 day(s) ago")
    assert not [f for f in flags(con, "return-overdue") if f.institution == "kp"]
    # the problem that refused it is a flag of its own, attributed to KP
    [why] = flags(con, "signature-invalid")
    assert (why.institution, why.file, why.message) == ("kp", "kp.xlsx", "the identity was altered")
    assert (why.cell, why.activity, why.field) == ("", "", "")  # about the whole file
    assert (rate(con, "kp").received, rate(con, "kp").on_time) == (0, 0)


def test_several_refused_files_are_all_named(plan: Plan) -> None:
    one = refused("kp.xlsx", "signature-invalid", "altered", inst="kp")
    two = refused("KP_2026-Q3 (2).xlsx", "not-a-workbook", "a CSV file")
    con = consolidate(plan, [one, two], Q3, DUE)
    [flag] = flags(con, "return-refused")
    assert flag.file == "kp.xlsx, KP_2026-Q3 (2).xlsx"
    assert flag.message == (
        "refused: Kosovo Police sent kp.xlsx (the identity or plan content was altered:"
        " altered); KP_2026-Q3 (2).xlsx (not an Excel workbook: a CSV file); due 2026-10-15"
    )
    assert [f.institution for f in flags(con, "not-a-workbook")] == ["kp"]


def test_a_refused_file_does_not_hide_an_accepted_return(plan: Plan) -> None:
    bad = refused("kp-old.xlsx", "signature-invalid", "altered", inst="kp")
    con = consolidate(plan, [bad, full_kp(plan)], Q3, DAY_AFTER)
    assert not flags(con, "return-refused")
    assert (rate(con, "kp").received, rate(con, "kp").on_time) == (1, 1)


def test_a_refused_file_is_attributed_by_its_sender_or_its_generated_name(plan: Plan) -> None:
    by_mail = refused("scan.xlsx", "not-a-workbook", "x", sender="  Focal.Point@MLSW.example ")
    by_name = refused("mest_2026-q3-final.xlsx", "not-a-workbook", "x")
    unknown = refused("notes.xlsx", "not-a-workbook", "x")
    con = consolidate(plan, [by_mail, by_name, unknown], Q3, DAY_AFTER)
    assert [(f.institution, f.file) for f in flags(con, "return-refused")] == [
        ("mlsw", "scan.xlsx"),
        ("mest", "mest_2026-q3-final.xlsx"),
    ]
    assert [f.institution for f in flags(con, "return-overdue")] == ["kp"]
    assert [f.institution for f in flags(con, "not-a-workbook")] == ["mlsw", "mest", ""]
    assert (by_mail.refused_for, by_name.refused_for, unknown.refused_for) == ("mlsw", "mest", "")


@pytest.mark.parametrize(
    ("sender", "name", "expected"),
    [
        ("thb@kp.example", "x.xlsx", "kp"),
        (" THB@KP.EXAMPLE ", "x.xlsx", "kp"),  # addresses are case-insensitive
        ("focal.point@mlsw.example", "x.xlsx", "mlsw"),  # a sender address of MLSW
        ("someone@else.example", "x.xlsx", ""),
        ("", "KP_2026-Q3.xlsx", "kp"),
        ("", "kp_2026-q3.XLSX", "kp"),
        ("", "MLSW_2026-Q3 (1).xlsx", "mlsw"),
        ("", "mlsw_2026-Q3-v2.xlsx", "mlsw"),  # the id as well as the short name
        ("", "KP_2026-Q3x.xlsx", ""),  # another name that only starts alike
        ("", "KP_2026-Q2.xlsx", ""),  # another period
        ("", "KP_2026-Q3", "kp"),  # no extension
        ("", "notes.xlsx", ""),
        ("nobody@x.example", "MEST_2026-Q3.xlsx", "mest"),  # the name when the sender is unknown
        ("thb@kp.example", "MEST_2026-Q3.xlsx", "kp"),  # the sender first
    ],
)
def test_sender_of(plan: Plan, sender: str, name: str, expected: str) -> None:
    sub = refused(name, "not-a-workbook", "x", sender=sender)
    assert sender_of(sub, plan, Q3) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("K.P._2026-Q3.xlsx", "kp"),
        ("K.P._2026-Q3", "kp"),  # no extension
        ("k.p._2026-q3 (2).xlsx", "kp"),
        ("K.P._2026-Q3.v2.xlsx", "kp"),
        ("K.P_2026-Q3.xlsx", ""),
        ("K.P._2026-Q30.xlsx", ""),
    ],
)
def test_sender_of_a_short_name_with_dots(name: str, expected: str) -> None:
    dotted = small_plan(short_names={"kp": "K.P."})
    assert sender_of(refused(name, "not-a-workbook", "x"), dotted, Q3) == expected


# ------------------------------------------------------------------ gaps in a return


def test_values_due_and_missing_are_gaps_before_the_due_date_and_overdue_after(
    plan: Plan,
) -> None:
    kp = ret(
        plan,
        "kp",
        values={("A1.1.1", "I1", JUL): 4, ("A1.1.1", "I2", JUL): 9, ("A2.1.3", "I6", AUG): 0},
        acts={"A1.1.1": {"status": 3}, "A1.1.2": {"status": 3}, "A2.1.3": {"status": 3}},
        arrived=at("2026-10-01"),
    )
    expected = [  # I2 and I3 are quarterly: only September is due; I4 is MEST's
        ("A1.1.1", "I1", "2026-08", "SO1!I5", "SO1"),
        ("A1.1.1", "I1", "2026-09", "SO1!J5", "SO1"),
        ("A1.1.1", "I2", "2026-09", "SO1!J6", "SO1"),
        ("A1.1.2", "I3", "2026-09", "SO1!J7", "SO1"),
        ("A2.1.3", "I6", "2026-07", "SO2!H5", "SO2"),
        ("A2.1.3", "I6", "2026-09", "SO2!J5", "SO2"),
    ]
    before = consolidate(plan, [kp], Q3, DUE)
    assert flags(before, "value-missing", "indicator-overdue") == [
        Flag(
            "value-missing",
            f"{a}/{i}: no value for {p}",
            "kp",
            so,
            a,
            i,
            "kp.xlsx",
            cell,
            f"value {p}",
        )
        for a, i, p, cell, so in expected
    ]
    after = consolidate(plan, [kp], Q3, dt.date(2026, 10, 20), last_reported={})
    assert flags(after, "value-missing", "indicator-overdue") == [
        Flag(
            "indicator-overdue",
            f"{a}/{i}: no value for {p}; 5 day(s) overdue; last reported never",
            "kp",
            so,
            a,
            i,
            "kp.xlsx",
            cell,
            f"value {p}",
        )
        for a, i, p, cell, so in expected
    ]
    history = {("A1.1.2", "I3"): dt.date(2026, 6, 30)}
    con = consolidate(plan, [kp], Q3, DAY_AFTER, last_reported=history)
    [i3] = [f for f in flags(con, "indicator-overdue") if f.indicator == "I3"]
    assert (
        i3.message == "A1.1.2/I3: no value for 2026-09; 1 day(s) overdue; last reported 2026-06-30"
    )


def test_a_zero_is_a_value_not_a_gap(plan: Plan) -> None:
    values: dict[tuple[str, str, dt.date], object] = {
        ("A1.1.1", "I1", d): 0 for d in (JUL, AUG, SEP)
    }
    kp = ret(plan, "kp", values=values, acts={"A1.1.1": {"status": 3}}, arrived=at("2026-10-01"))
    con = consolidate(plan, [kp], Q3, DAY_AFTER)
    assert not [f for f in flags(con, "indicator-overdue") if f.indicator == "I1"]
    assert row(con, "A1.1.1", "I1", "kp")["value 2026-09"] == 0


def test_status_missing_once_per_activity_at_its_cell(plan: Plan) -> None:
    kp = ret(plan, "kp", acts={"A1.1.2": {"status": 4}}, arrived=at("2026-10-01"))
    con = consolidate(plan, [kp], Q3, DUE)
    assert flags(con, "status-missing") == [
        Flag(
            "status-missing",
            "A1.1.1: no status",
            "kp",
            "SO1",
            "A1.1.1",
            "",
            "kp.xlsx",
            "SO1!L5",
            "status",
        ),
        Flag(
            "status-missing",
            "A2.1.3: no status",
            "kp",
            "SO2",
            "A2.1.3",
            "",
            "kp.xlsx",
            "SO2!L5",
            "status",
        ),
    ]


def test_no_rating_is_due_in_the_third_quarter(plan: Plan) -> None:
    con = consolidate(plan, [full_kp(plan)], Q3, DUE)
    assert not flags(con, "rating-missing")
    assert not flags(con, "status-missing", "value-missing", "rating-without-comment")


@pytest.mark.parametrize(
    ("period", "due"),
    [("2026-Q2", ["rating_hy"]), ("2026-Q4", ["rating_hy", "rating_y"]), ("2026-Q1", [])],
)
def test_a_rating_due_and_missing_is_flagged_at_its_cell(
    plan: Plan, period: str, due: list[str]
) -> None:
    p = Period.parse(period)
    kp = ret(
        plan,
        "kp",
        acts={"A1.1.1": {"status": 3, "rating_hy": 1, "rating_y": 1}, "A2.1.3": {"status": 3}},
        period=p,
        arrived=at("2026-10-01"),
    )
    con = consolidate(plan, [kp], p, p.end)
    label = {"rating_hy": "half-year", "rating_y": "yearly"}
    column = {"rating_hy": "M", "rating_y": "N"}
    expected = [
        Flag(
            "rating-missing",
            f"{act}: no {label[fld]} rating",
            "kp",
            so,
            act,
            "",
            "kp.xlsx",
            f"{so}!{column[fld]}{r}",
            fld,
        )
        for act, so, r in (("A1.1.2", "SO1", 7), ("A2.1.3", "SO2", 5))
        for fld in due
    ]
    # A1.1.2 ended 2026-08-31: not active in 2026-Q4 (nothing asked of it there)
    if period == "2026-Q4":
        expected = [f for f in expected if f.activity != "A1.1.2"]
    got = flags(con, "rating-missing")
    assert sorted(got, key=lambda f: (f.activity, f.field)) == expected


@pytest.mark.parametrize(
    ("ratings", "comment", "flagged"),
    [
        ({"rating_hy": 3}, None, ["half-year rating 3"]),
        ({"rating_hy": 2}, None, ["half-year rating 2"]),
        ({"rating_hy": 1}, None, []),
        ({"rating_y": 3}, None, ["yearly rating 3"]),
        ({"rating_y": 2, "rating_hy": 3}, None, ["half-year rating 3", "yearly rating 2"]),
        ({"rating_hy": 3}, "Budget arrived late", []),
        ({"rating_hy": 3}, "", ["half-year rating 3"]),  # an empty comment explains nothing
    ],
)
def test_a_rating_of_2_or_3_without_a_comment_is_flagged_at_the_comment_cell(
    plan: Plan, ratings: dict[str, int], comment: str | None, flagged: list[str]
) -> None:
    kp = ret(
        plan,
        "kp",
        acts={"A1.1.1": {"status": 3, "comment": comment, **ratings}},
        arrived=at("2026-10-01"),
    )
    con = consolidate(plan, [kp], Q3, DUE)  # no rating due in Q3: a given one still counts
    assert flags(con, "rating-without-comment") == [
        Flag(
            "rating-without-comment",
            f"A1.1.1: {what} has no comment",
            "kp",
            "SO1",
            "A1.1.1",
            "",
            "kp.xlsx",
            "SO1!O5",
            "comments",
        )
        for what in flagged
    ]


def test_an_activity_outside_the_period_asks_nothing(plan: Plan) -> None:
    """MOJ's only activity ended in 2025: MOJ is not expected, and a return from it raises
    no gap (but the activity, never completed, is overdue)."""
    moj = ret(plan, "moj", acts={"A2.1.2": {"status": 3}}, arrived=at("2026-10-01"))
    con = consolidate(plan, [moj], Q3, DAY_AFTER)
    assert [r.institution for r in con.rates] == ["kp", "mlsw", "mest"]
    assert {f.code for f in con.flags if f.institution == "moj"} == {"activity-overdue"}


# ------------------------------------------------------------------ problems found while reading


def test_each_problem_of_a_return_becomes_a_flag_on_its_matrix_cell(plan: Plan) -> None:
    probs = [
        problem("fraction-on-count", "7,5 persons", "SO1", 5, "H"),
        problem("invalid-code", "status 9", "SO1", 5, "L"),
        problem("invalid-code", "rating 7", "SO2", 5, "M"),
        problem("sheet-unexpected", "an added sheet", "My notes", None, None),
    ]
    kp = full_kp(plan, problems=probs)
    con = consolidate(plan, [kp], Q3, DUE)
    got = [
        f for f in con.flags if f.code in {"fraction-on-count", "invalid-code", "sheet-unexpected"}
    ]
    assert got == [
        Flag(
            "fraction-on-count",
            "7,5 persons",
            "kp",
            "",
            "A1.1.1",
            "I1",
            "kp.xlsx",
            "SO1!H5",
            "value 2026-07",
        ),
        Flag("invalid-code", "status 9", "kp", "", "A1.1.1", "", "kp.xlsx", "SO1!L5", "status"),
        Flag("invalid-code", "rating 7", "kp", "", "A2.1.3", "", "kp.xlsx", "SO2!M5", "rating_hy"),
        Flag("sheet-unexpected", "an added sheet", "kp", "", "", "", "kp.xlsx", "My notes", ""),
    ]


# ------------------------------------------------------------------ combined status


@pytest.mark.parametrize(
    ("kp", "mlsw", "combined"),
    [
        (4, 4, 4),
        (4, None, None),  # MLSW sent no return: never "completed"
        (4, "blank", None),  # MLSW left the status blank
        (3, None, 3),
        (4, 2, 2),
        (3, 2, 3),  # "has started" is less advanced than "in continuum"
        (2, 3, 3),
        (1, 4, 1),
        (2, 4, 2),
    ],
)
def test_the_combined_status_is_the_least_advanced_and_never_completed_while_one_is_missing(
    plan: Plan, kp: int, mlsw: int | str | None, combined: int | None
) -> None:
    subs = [ret(plan, "kp", acts={"A1.1.1": {"status": kp}}, arrived=at("2026-10-01"))]
    if mlsw is not None:
        status = None if mlsw == "blank" else mlsw
        subs.append(
            ret(plan, "mlsw", acts={"A1.1.1": {"status": status}}, arrived=at("2026-10-01"))
        )
    con = consolidate(plan, subs, Q3, DUE)
    rows = [r for r in con.rows if r["activity"] == "A1.1.1"]
    assert len(rows) == 4  # two indicators, two carriers
    assert [r["combined_status"] for r in rows] == [combined] * 4
    assert row(con, "A1.1.1", "I1", "kp")["status"] == kp
    if mlsw is None:
        assert not row(con, "A1.1.1", "I1", "mlsw")["received"]
        assert row(con, "A1.1.1", "I1", "mlsw")["status"] is None


def test_combined_status_counts_each_carrier_once() -> None:
    assert combined_status([]) is None
    assert combined_status([], carriers=2) is None
    assert combined_status([4]) == 4
    assert combined_status([4], carriers=1) == 4
    assert combined_status([4, 4], carriers=3) is None
    assert combined_status([4, 4, 4], carriers=3) == 4
    assert combined_status([None, None], carriers=2) is None
    assert combined_status([1, None], carriers=2) == 1
    assert combined_status([3, 2, None], carriers=3) == 3


def test_an_activity_whose_timeline_ended_is_overdue_unless_completed(plan: Plan) -> None:
    """A1.1.2 (KP) ends 2026-08-31."""

    def kp(status: int | None) -> Any:
        return ret(plan, "kp", acts={"A1.1.2": {"status": status}}, arrived=at("2026-08-20"))

    on_the_day = consolidate(plan, [kp(3)], Q3, dt.date(2026, 8, 31))
    assert [f.activity for f in flags(on_the_day, "activity-overdue")] == ["A2.1.2"]
    con = consolidate(plan, [kp(3)], Q3, dt.date(2026, 9, 1))
    assert flags(con, "activity-overdue") == [
        Flag(
            "activity-overdue",
            "A1.1.2 ended 2026-08-31 and is at status 3",
            "kp",
            "SO1",
            "A1.1.2",
        ),
        Flag(  # MOJ's activity ended in 2025, never reported completed
            "activity-overdue",
            "A2.1.2 ended 2025-12-31 and is not reported by every carrier",
            "moj",
            "SO2",
            "A2.1.2",
        ),
    ]
    done = consolidate(plan, [kp(4)], Q3, dt.date(2026, 9, 1))
    assert [f.activity for f in flags(done, "activity-overdue")] == ["A2.1.2"]
    none = consolidate(plan, [kp(None)], Q3, dt.date(2026, 9, 1))
    assert flags(none, "activity-overdue")[0].message == (
        "A1.1.2 ended 2026-08-31 and is not reported by every carrier"
    )


def test_an_activity_of_several_carriers_names_them_all_when_overdue(plan: Plan) -> None:
    kp = ret(plan, "kp", acts={"A1.1.1": {"status": 4}}, arrived=at("2026-10-01"))
    con = consolidate(plan, [kp], Q3, dt.date(2028, 1, 1))
    [a111] = [f for f in flags(con, "activity-overdue") if f.activity == "A1.1.1"]
    assert a111 == Flag(
        "activity-overdue",
        "A1.1.1 has no timeline of its own; the strategy period ended 2027-12-31"
        " and is not reported by every carrier",
        "kp, mlsw",
        "SO1",
        "A1.1.1",
    )
    assert not [
        f
        for f in flags(consolidate(plan, [kp], Q3, dt.date(2027, 12, 31)), "activity-overdue")
        if f.activity == "A1.1.1"
    ]


# ------------------------------------------------------------------ plan gaps


def test_plan_gaps_of_active_activities_only(plan: Plan) -> None:
    con = consolidate(plan, [], Q3, DUE)
    assert [f for f in con.flags if f.code.startswith("plan-gap")] == [
        Flag(
            "plan-gap-target", f"I6: {CATALOG['plan-gap-target'].title}", "", "SO2", "A2.1.3", "I6"
        )
    ]  # I5 has no baseline, but its activity ended in 2025


# ------------------------------------------------------------------ the matrix


def test_matrix_rows_hold_the_plan_and_the_answers(plan: Plan) -> None:
    kp = full_kp(plan)
    kp.activities["A1.1.1"].rating_hy = 1
    kp.activities["A1.1.1"].rating_y = 2
    kp.activities["A1.1.1"].comment = "on track"
    con = consolidate(plan, [kp], Q3, DUE)
    assert con.value_points == ["2026-07", "2026-08", "2026-09"]
    assert row(con, "A1.1.1", "I2", "kp") == {
        "so": "SO1",
        "specific_objective": "1.1",
        "activity": "A1.1.1",
        "activity_title": "Activity A1.1.1",
        "expected_result": "Result",
        "indicator": "I2",
        "indicator_text": "# of things (I2)",
        "measure": "number",
        "baseline": 1,
        "target": 5,
        "frequency": "quarterly",
        "institution": "kp",
        "received": True,
        "value 2026-07": None,
        "due 2026-07": False,
        "value 2026-08": None,
        "due 2026-08": False,
        "value 2026-09": 2,
        "due 2026-09": True,
        "status": 3,
        "combined_status": 3,  # the least advanced reported; MLSW has not reported
        "rating_hy": 1,
        "rating_y": 2,
        "comment": "on track",
        "file": "kp.xlsx",
    }
    mlsw = row(con, "A1.1.1", "I1", "mlsw")
    assert (mlsw["received"], mlsw["file"], mlsw["status"], mlsw["value 2026-07"]) == (
        False,
        "",
        None,
        None,
    )
    assert (mlsw["due 2026-07"], mlsw["rating_hy"], mlsw["comment"]) == (True, None, None)
    i5 = row(con, "A2.1.2", "I5", "moj")
    assert (i5["baseline"], i5["target"], i5["so"]) == (None, 5, "SO2")
    assert row(con, "A2.1.3", "I6", "kp")["target"] is None
    assert len(con.matrix) == len(con.rows) == 8  # I1, I2 x 2 carriers; I3..I6 x 1
    assert list(con.matrix.columns) == list(row(con, "A1.1.1", "I2", "kp"))


def test_a_merged_return_names_the_files_its_row_comes_from(plan: Plan) -> None:
    early = ret(
        plan,
        "kp",
        "kp-1.xlsx",
        values={("A1.1.1", "I1", JUL): 5, ("A1.1.2", "I3", SEP): 1},
        acts={"A1.1.1": {"status": 3}},
        arrived=at("2026-10-01"),
    )
    later = ret(
        plan,
        "kp",
        "kp-2.xlsx",
        values={("A1.1.1", "I1", AUG): 6, ("A2.1.3", "I6", JUL): 2},
        acts={"A2.1.3": {"comment": "late start"}},
        arrived=at("2026-10-05"),
    )
    con = consolidate(plan, [later, early], Q3, DUE)
    assert row(con, "A1.1.1", "I1", "kp")["file"] == "kp-1.xlsx, kp-2.xlsx"
    assert row(con, "A1.1.1", "I2", "kp")["file"] == "kp-1.xlsx"  # the status
    assert row(con, "A1.1.2", "I3", "kp")["file"] == "kp-1.xlsx"
    assert row(con, "A2.1.3", "I6", "kp")["file"] == "kp-2.xlsx"
    i1 = row(con, "A1.1.1", "I1", "kp")
    assert (i1["value 2026-07"], i1["value 2026-08"], i1["status"]) == (5, 6, 3)
    assert row(con, "A2.1.3", "I6", "kp")["comment"] == "late start"
    # value gaps and the status gap are those of the merged answers, in the newest file
    assert {(f.activity, f.indicator, f.field) for f in flags(con, "value-missing")} == {
        ("A1.1.1", "I1", "value 2026-09"),
        ("A1.1.1", "I2", "value 2026-09"),
        ("A2.1.3", "I6", "value 2026-08"),
        ("A2.1.3", "I6", "value 2026-09"),
    }
    assert {f.file for f in flags(con, "value-missing")} == {"kp-2.xlsx"}
    assert [(f.activity, f.file) for f in flags(con, "status-missing")] == [
        ("A1.1.2", "kp-2.xlsx"),
        ("A2.1.3", "kp-2.xlsx"),
    ]
    assert con.notes == {
        "/inbox/kp-2.xlsx": "used (merged with kp-1.xlsx)",
        "/inbox/kp-1.xlsx": "used (merged with kp-2.xlsx)",
    }


# ------------------------------------------------------------------ rates


@pytest.mark.parametrize(
    ("arrived", "on_time"),
    [
        (at("2026-10-15"), 1),  # on the due date
        (at("2026-10-16"), 0),  # the day after
        (at("2026-09-01"), 1),
        (None, 0),  # arrival unknown: not known to be on time
    ],
)
def test_on_time_means_arrived_by_the_end_of_the_due_date(
    plan: Plan, arrived: dt.datetime | None, on_time: int
) -> None:
    kp = full_kp(plan)
    kp.arrived_at = arrived
    kp.arrival_source = "mail-received" if arrived else ""
    kp.saved_at = dt.datetime(2026, 8, 1, 10, 0)
    con = consolidate(plan, [kp], Q3, dt.date(2026, 11, 1))
    assert rate(con, "kp") == ReportingRate(
        "kp",
        "Kosovo Police",
        1,
        1,
        on_time,
        "kp.xlsx",
        show(dt.datetime(2026, 8, 1, 10, 0)),
        show(arrived),
        "mail-received" if arrived else "",
    )


def test_rates_and_the_overall_rate(plan: Plan) -> None:
    late = ret(plan, "mlsw", values={("A1.1.1", "I1", JUL): 1}, arrived=at("2026-10-20"))
    con = consolidate(plan, [full_kp(plan), late], Q3, dt.date(2026, 11, 1))
    assert [(r.institution, r.name, r.expected, r.received, r.on_time) for r in con.rates] == [
        ("kp", "Kosovo Police", 1, 1, 1),
        ("mlsw", "Ministry of Labour", 1, 1, 0),
        ("mest", "Ministry of Education", 1, 0, 0),
    ]
    assert rate(con, "mest") == ReportingRate("mest", "Ministry of Education", 1, 0, 0)
    overall = con.overall
    assert (overall.expected, overall.received, overall.on_time) == (3, 2, 1)
    assert overall.reporting_rate == pytest.approx(200 / 3)
    assert overall.on_time_rate == pytest.approx(100 / 3)
    assert rate(con, "kp").reporting_rate == 100.0 and rate(con, "mlsw").on_time_rate == 0.0
    none = ReportingRate("x", "X", 0, 0, 0)
    assert (none.reporting_rate, none.on_time_rate) == (None, None)


def test_a_merge_is_on_time_when_a_file_whose_answers_count_arrived_on_time(plan: Plan) -> None:
    early = ret(
        plan, "kp", "kp-1.xlsx", values={("A1.1.1", "I1", JUL): 5}, arrived=at("2026-10-14")
    )
    late = ret(plan, "kp", "kp-2.xlsx", values={("A1.1.1", "I1", AUG): 6}, arrived=at("2026-10-20"))
    con = consolidate(plan, [late, early], Q3, dt.date(2026, 11, 1))
    assert (rate(con, "kp").received, rate(con, "kp").on_time) == (1, 1)
    assert rate(con, "kp").arrived_at == show(at("2026-10-20"))  # the newest file's arrival
    # an empty return on time does not make a late return on time
    blank = ret(plan, "kp", "kp-0.xlsx", arrived=at("2026-10-01"))
    con = consolidate(plan, [late, blank], Q3, dt.date(2026, 11, 1))
    assert (rate(con, "kp").received, rate(con, "kp").on_time) == (1, 0)
    # nor does an on-time return none of whose answers is used
    old = ret(
        plan, "kp", "kp-old.xlsx", values={("A1.1.1", "I1", AUG): 1}, arrived=at("2026-10-01")
    )
    con = consolidate(plan, [late, old], Q3, dt.date(2026, 11, 1))
    assert (rate(con, "kp").received, rate(con, "kp").on_time) == (1, 0)
    # an on-time return of another institution does not count for KP
    mlsw = ret(
        plan, "mlsw", "kp-old.xlsx", values={("A1.1.1", "I1", AUG): 1}, arrived=at("2026-10-01")
    )
    con = consolidate(plan, [late, mlsw], Q3, dt.date(2026, 11, 1))
    assert [r.on_time for r in con.rates] == [0, 1, 0]


def test_an_identical_copy_sent_late_keeps_the_return_on_time(plan: Plan) -> None:
    answers = {("A1.1.1", "I1", JUL): 5}
    first = ret(plan, "kp", "kp.xlsx", values=answers, arrived=at("2026-10-14"))
    again = ret(plan, "kp", "kp-again.xlsx", values=answers, arrived=at("2026-10-25"))
    con = consolidate(plan, [again, first], Q3, dt.date(2026, 11, 1))
    assert con.used["kp"].name == "kp-again.xlsx"  # the newest of the identical returns
    assert (rate(con, "kp").received, rate(con, "kp").on_time) == (1, 1)


# ------------------------------------------------------------------ flags as data


def test_flags_as_data_and_counted_by_code(plan: Plan) -> None:
    con = consolidate(plan, [], Q3, DAY_AFTER)
    assert con.flags_by_code() == {
        "return-overdue": 3,
        "activity-overdue": 2,  # A1.1.2 ended 2026-08-31, A2.1.2 in 2025
        "plan-gap-target": 1,
    }  # most frequent first, then by code
    assert list(con.flags_by_code()) == ["return-overdue", "activity-overdue", "plan-gap-target"]
    before = consolidate(plan, [], Q3, dt.date(2026, 8, 1))
    assert list(before.flags_by_code().items()) == [
        ("return-pending", 3),
        ("activity-overdue", 1),
        ("plan-gap-target", 1),
    ]
    f = Flag(
        "status-missing",
        "A1.1.1: no status",
        "kp",
        "SO1",
        "A1.1.1",
        "",
        "k.xlsx",
        "SO1!L5",
        "status",
    )
    assert f.severity == Severity.WARNING == CATALOG["status-missing"].severity
    assert f.to_dict() == {
        "code": "status-missing",
        "severity": "warning",
        "institution": "kp",
        "so": "SO1",
        "activity": "A1.1.1",
        "indicator": "",
        "message": "A1.1.1: no status",
        "file": "k.xlsx",
        "cell": "SO1!L5",
    }


def test_pick_returns_gives_the_rule_as_flags(plan: Plan) -> None:
    a = ret(plan, "kp", "a.xlsx", values={("A1.1.1", "I1", JUL): 5}, arrived=at("2026-10-01"))
    b = ret(plan, "kp", "b.xlsx", values={("A1.1.1", "I1", JUL): 8}, arrived=at("2026-10-01"))
    used, fl, notes = pick_returns([a, b])
    assert list(used) == ["kp"]
    conflict = next(f for f in fl if f.code == "return-conflict")
    assert (conflict.institution, conflict.activity, conflict.indicator) == ("kp", "A1.1.1", "I1")
    assert (conflict.file, conflict.cell, conflict.so) == ("a.xlsx, b.xlsx", "SO1!H5", "")
    assert conflict.field == "value 2026-07-31"  # without the period's columns: the end date
    # tied, and their one answer in conflict: neither replaces the other
    assert [f.code for f in fl] == ["return-order-tie", "return-conflict"]
    con = consolidate(plan, [a, b], Q3, DUE)
    [conflict] = flags(con, "return-conflict")
    assert conflict.field == "value 2026-07"  # on the matrix: the column's label
    assert notes == {
        "/inbox/a.xlsx": "not used: its answers agree with or conflict with b.xlsx",
        "/inbox/b.xlsx": "not used: its answers agree with or conflict with a.xlsx",
    }


def test_flags_of_equal_count_are_counted_in_code_order(plan: Plan) -> None:
    added = problem("sheet-unexpected", "an added sheet", "My notes", None, None)
    con = consolidate(plan, [full_kp(plan, problems=[added])], Q3, dt.date(2026, 8, 1))
    # sheet-unexpected is flagged before the plan gap, but sorts after it
    assert list(con.flags_by_code().items()) == [
        ("return-pending", 2),
        ("activity-overdue", 1),
        ("plan-gap-target", 1),
        ("sheet-unexpected", 1),
    ]


def test_a_gap_in_a_return_that_does_not_know_its_cells_is_flagged_without_a_cell(
    plan: Plan,
) -> None:
    kp = ret(plan, "kp", values={("A1.1.1", "I1", JUL): 1}, arrived=at("2026-10-01"))
    kp.cells = {}
    con = consolidate(plan, [kp], Q3, DUE)
    missing = flags(con, "status-missing", "value-missing")
    assert missing and {f.cell for f in missing} == {""}
    assert {f.file for f in missing} == {"kp.xlsx"}


def test_several_empty_returns_are_all_named(plan: Plan) -> None:
    one = ret(plan, "mest", "mest-1.xlsx", arrived=at("2026-10-01"))
    two = ret(plan, "mest", "mest-2.xlsx", arrived=at("2026-10-02"))
    con = consolidate(plan, [one, two], Q3, DUE)
    [pending] = [f for f in flags(con, "return-pending") if f.institution == "mest"]
    assert pending.message.endswith("; only an empty return: mest-1.xlsx, mest-2.xlsx")


def test_a_refused_file_without_a_stated_reason_is_still_named(plan: Plan) -> None:
    bad = refused("kp.xlsx", "signature-invalid", "x", inst="kp")
    bad.problems.clear()  # e.g. a stored refusal whose problem rows were lost
    con = consolidate(plan, [bad], Q3, DUE)
    [flag] = flags(con, "return-refused")
    assert flag.message == "refused: Kosovo Police sent kp.xlsx (refused: ); due 2026-10-15"


def test_an_activity_without_carriers_has_one_row_of_no_institution() -> None:
    from helpers import activity, plan

    p = plan_from_dict(plan([activity("A1.1.1", carriers=[])]))
    con = consolidate(p, [], Q3, DUE)
    [only] = con.rows
    assert (only["activity"], only["institution"], only["received"]) == ("A1.1.1", "", False)
    assert con.rates == [] and only["combined_status"] is None


def test_rows_of_an_activity_without_results_or_indicators_hold_blanks() -> None:
    from helpers import activity, plan

    acts = [activity("A1.1.1", expected_results=[]), activity("A1.1.2", indicators=[])]
    p = plan_from_dict(plan(acts))
    kp = ret(
        p, "kp", acts={"A1.1.1": {"status": 4}, "A1.1.2": {"status": 1}}, arrived=at("2026-10-01")
    )
    con = consolidate(p, [kp], Q3, DAY_AFTER)
    blank = {
        "indicator": "",
        "indicator_text": "",
        "measure": "",
        "baseline": None,
        "target": None,
        "frequency": "",
    }
    no_result, no_indicator = con.rows
    assert no_result["expected_result"] == "" and no_indicator["expected_result"] == "Result"
    for r in (no_result, no_indicator):
        assert {k: r[k] for k in blank} == blank
        assert all(r[f"value {p}"] is None and r[f"due {p}"] is False for p in con.value_points)
    assert (no_result["status"], no_indicator["status"]) == (4, 1)
    assert not flags(con, "indicator-overdue", "value-missing", "status-missing")
    # merged with a later return: the row names the files its answers come from
    later = ret(p, "kp", "kp-2.xlsx", acts={"A1.1.2": {"comment": "c"}}, arrived=at("2026-10-02"))
    con = consolidate(p, [kp, later], Q3, DAY_AFTER)
    no_result, no_indicator = con.rows
    assert (no_result["file"], no_indicator["file"]) == ("kp.xlsx", "kp-2.xlsx, kp.xlsx")
    assert (no_indicator["status"], no_indicator["comment"]) == (1, "c")


@pytest.mark.parametrize("field", ["rating_hy", "rating_y", "comment"])
def test_a_merged_row_names_the_file_of_each_activity_answer(plan: Plan, field: str) -> None:
    value: object = "why" if field == "comment" else 2
    first = ret(plan, "kp", "kp-1.xlsx", acts={"A1.1.2": {"status": 3}}, arrived=at("2026-10-01"))
    second = ret(plan, "kp", "kp-2.xlsx", acts={"A1.1.2": {field: value}}, arrived=at("2026-10-02"))
    con = consolidate(plan, [first, second], Q3, DUE)
    i3 = row(con, "A1.1.2", "I3", "kp")
    assert (i3["file"], i3["status"], i3[field]) == ("kp-1.xlsx, kp-2.xlsx", 3, value)


@pytest.mark.parametrize(
    ("zone", "arrived", "on_time"),
    [
        # 2026-10-15 12:00 UTC is already 2026-10-16 02:00 at UTC+14: the day after the due date
        ("Pacific/Kiritimati", at("2026-10-15"), 0),
        # 2026-10-16 05:00 UTC is still 2026-10-15 18:00 at UTC-11: on the due date
        ("Pacific/Pago_Pago", at("2026-10-16", hour=5), 1),
    ],
)
def test_on_time_is_decided_in_the_plans_time_zone(
    zone: str, arrived: dt.datetime, on_time: int
) -> None:
    p = small_plan(timezone=zone)
    kp = full_kp(p)
    kp.arrived_at = arrived
    kp.saved_at = dt.datetime(2026, 10, 15, 11, 0)  # UTC, as xlsx keeps it
    con = consolidate(p, [kp], Q3, dt.date(2026, 11, 1))
    assert rate(con, "kp").on_time == on_time
    saved = dt.datetime(2026, 10, 15, 11, 0, tzinfo=dt.UTC).astimezone(ZoneInfo(zone))
    assert rate(con, "kp").saved_at == saved.isoformat(timespec="minutes")
    assert rate(con, "kp").arrived_at == arrived.astimezone(ZoneInfo(zone)).isoformat(
        timespec="minutes"
    )


def test_as_of_defaults_to_today_in_the_plans_time_zone() -> None:
    # at any hour, one of these two zones is on another date than UTC (and most computers)
    for zone in ("Etc/GMT+12", "Etc/GMT-14"):
        con = consolidate(small_plan(timezone=zone), [], Q3)
        assert con.as_of == dt.datetime.now(ZoneInfo(zone)).date()
