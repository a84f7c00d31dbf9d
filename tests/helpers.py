"""Helpers that let each test state its case in a few lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def indicator(id: str = "I1", **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": id,
        "text": f"# of things ({id})",
        "measure": "number",
        "baseline": {"value": 1, "year": 2024},
        "target": {"value": 5, "year": 2026},
        "frequency": "quarterly",
        "responsible_person": "Officer",
    }
    d.update(kw)
    return d


def activity(
    code: str = "A1.1.1",
    indicators: list[dict[str, Any]] | None = None,
    level: str = "outcome",
    **kw: Any,
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "code": code,
        "title": f"Activity {code}",
        "carriers": ["kp"],
        "inputs": "Staff time",
        "expected_results": [
            {
                "text": "Result",
                "level": level,
                "indicators": indicators if indicators is not None else [indicator(f"{code}-1")],
            }
        ],
    }
    d.update(kw)
    return d


def plan(activities: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    """A valid one-SO plan; the activities go under specific objective 1.1."""
    d: dict[str, Any] = {
        "id": "t-plan",
        "title": "Test plan",
        "version": "1",
        "strategy_period": {"start": 2025, "end": 2027},
        "reporting": {"timezone": "UTC"},
        "institutions": [
            {"id": "kp", "name": "Kosovo Police", "short_name": "KP"},
            {"id": "mlsw", "name": "Ministry of Labour and Social Welfare", "short_name": "MLSW"},
        ],
        "strategic_objectives": [
            {
                "code": "SO1",
                "title": "Objective one",
                "specific_objectives": [
                    {
                        "code": "1.1",
                        "title": "Specific one",
                        "activities": activities if activities is not None else [activity()],
                    }
                ],
            }
        ],
    }
    d.update(kw)
    return d


def write(tmp_path: Path, data: Any, name: str = "plan.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return p


def clear_value_caches() -> None:
    """Forget what :mod:`mne_workbook.values` cached (formats interpreted, labels folded)."""
    from mne_workbook import values

    for cached in (values.number_format, values._labels, values._agrees, values._yes_no):
        cached.cache_clear()
