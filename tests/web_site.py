"""A web desk for the tests: a plan, its current round, a store, two accounts."""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from returns import KEYS

from mne_workbook.fill import fill_return, random_entries
from mne_workbook.generate import generate
from mne_workbook.periods import Period
from mne_workbook.plan import Plan, load_plan
from mne_workbook.web.accounts import add_user
from mne_workbook.web.app import DeskConfig, create_app

ROOT = Path(__file__).resolve().parent.parent
ADMIN, VIEWER, PASSWORD = "ana", "vera", "correct horse battery"


@dataclass
class Site:
    app: Any
    plan: Plan
    period: Period
    workbooks: dict[str, Path]  # institution id -> generated workbook of the current round
    root: Path

    @property
    def desk(self) -> Any:
        return self.app.state.desk

    @property
    def engine(self) -> Any:
        return self.desk.engine


def site_plan(tmp: Path) -> Path:
    """The demo plan, its activities spanning a strategy that includes this year and next,
    so the current quarter (whose due date is always ahead) is a valid round."""
    data = yaml.safe_load((ROOT / "sample_plans" / "demo.yaml").read_text("utf-8"))
    data = copy.deepcopy(data)
    data["strategy_period"]["end"] = max(2027, dt.date.today().year + 1)
    for so in data["strategic_objectives"]:
        for spec in so["specific_objectives"]:
            for act in spec["activities"]:
                act.pop("timeline", None)
    path = tmp / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def make_site(tmp: Path, db_url: str | None = None) -> Site:
    plan_path = site_plan(tmp)
    plan = load_plan(plan_path)
    period = Period.containing(plan.reporting.cycle, dt.datetime.now(dt.UTC).date())
    written = generate(plan, period, tmp / "generated", keys=KEYS)
    config = DeskConfig(
        plan_path=plan_path,
        db_url=db_url or f"sqlite:///{tmp / 'store.sqlite'}",
        data_dir=tmp / "data",
        secure_cookies=False,
        workers=2,
        max_files=10,
    )
    app = create_app(config)
    add_user(app.state.desk.engine, ADMIN, PASSWORD, "admin")
    add_user(app.state.desk.engine, VIEWER, PASSWORD, "viewer")
    return Site(app, plan, period, {w.institution: w.path for w in written if w.institution}, tmp)


def filled(
    site: Site, inst: str, dst: Path, seed: int = 1, changes: dict[str, object] | None = None
) -> Path:
    """A complete return of ``inst`` for the site's round; ``changes`` maps
    'activity/indicator/field' to a value written over the valid one."""
    import random

    entries: dict[tuple[str, str, str], object] = random_entries(
        site.plan, site.period, inst, random.Random(seed)
    )
    for key, value in (changes or {}).items():
        act, ind, fld = key.split("/")
        entries[(act, ind, fld)] = value
    fill_return(site.workbooks[inst], dst, entries)
    return dst


def first_value_field(site: Site, inst: str) -> tuple[str, str, str]:
    """(activity, indicator, field) of the first number value the return asks for."""
    import random

    entries = random_entries(site.plan, site.period, inst, random.Random(0))
    for (act, ind, fld), v in entries.items():
        if ind and isinstance(v, int):
            return act, ind, fld
    raise LookupError("no number value due")


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)
