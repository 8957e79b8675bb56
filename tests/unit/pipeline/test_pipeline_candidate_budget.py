"""The candidate screen is a ranked budget (issue #23 item 4), through ``quorum run`` and
the Celery-mode task bodies: candidates are ranked by their pre-LLM score, at most
``max_analyses_per_cycle`` per base-bar close and ``max_analyses_per_symbol_day`` per
symbol and day are analysed, and every candidate's rank, score and outcome is journaled.

Before: every candidate became an ``analyze`` task (60–65 % of scans on real daily bars).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from tests.unit.pipeline.kit import drain, make_kit
from typer.testing import CliRunner

from apps.cli.main import app
from quorum.domain import Timeframe
from quorum.pipeline.budget import rank_candidates

runner = CliRunner()
SYMBOLS = "BTC/USDT,ETH/USDT,SOL/USDT"


def _screens(url: str) -> list[dict[str, Any]]:
    """The journaled scans that were candidates sent to the budget, with their symbol."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload FROM journal_entries WHERE kind = 'scan' ORDER BY seq")
        ).all()
        analyses = conn.execute(
            text("SELECT count(*) FROM pipeline_task_runs WHERE task = 'analyze'")
        ).scalar_one()
    engine.dispose()
    payloads = [json.loads(row[0]) for row in rows]
    out = [{"symbol": p["symbol"], **p["screen"]} for p in payloads if "screen" in p]
    return [*out, {"analyze_runs": analyses}]


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, steps: int, **caps: int) -> Any:
    monkeypatch.chdir(tmp_path)
    for name, cap in caps.items():
        monkeypatch.setenv(f"QUORUM_PIPELINE__{name.upper()}", str(cap))
    url = f"sqlite:///{tmp_path / 'run.db'}"
    args = ["run", "--steps", str(steps), "--symbols", SYMBOLS, "--timeframes", "15m,1h,4h"]
    outcome = runner.invoke(app, [*args, "--db", url, "--json"])
    assert outcome.exit_code == 0, outcome.output
    *screens, runs = _screens(url)
    return json.loads(outcome.output), screens, runs["analyze_runs"]


def test_a_cycle_cap_of_one_analyses_only_the_best_ranked_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary, screens, analyze_runs = _run(tmp_path, monkeypatch, 12, max_analyses_per_cycle=1)
    cycles: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for screen in screens:
        cycles[screen["cycle"]].append(screen)
    assert any(len(items) >= 2 for items in cycles.values()), "a cycle with rivals"
    for items in cycles.values():
        assert sorted(s["rank"] for s in items) == list(range(1, len(items) + 1))
        assert {s["of"] for s in items} == {len(items)}
        assert all(s["caps"] == {"per_cycle": 1, "per_symbol_day": None} for s in items)
        best = max(items, key=lambda s: abs(s["score"]))
        analysed = [s for s in items if s["analysis"] == "submitted"]
        assert analysed == [next(s for s in items if s["rank"] == 1)]
        assert abs(analysed[0]["score"]) == abs(best["score"])
        capped = [s for s in items if s["analysis"] == "capped"]
        assert len(capped) == len(items) - 1
        assert {s["capped_by"] for s in capped} <= {"max_analyses_per_cycle"}
    assert analyze_runs == len(cycles), "one analysis per cycle with candidates"
    assert summary["candidates_capped"] == len(screens) - len(cycles) > 0


def test_a_symbol_day_cap_stops_a_symbols_analyses_for_the_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, screens, analyze_runs = _run(tmp_path, monkeypatch, 24, max_analyses_per_symbol_day=2)
    per_symbol: dict[str, list[str]] = defaultdict(list)
    for screen in screens:
        per_symbol[screen["symbol"]].append(screen["analysis"])
    assert any(len(outcomes) > 2 for outcomes in per_symbol.values()), "a symbol over budget"
    for outcomes in per_symbol.values():
        assert outcomes[: min(2, len(outcomes))] == ["submitted"] * min(2, len(outcomes))
        assert outcomes[2:] == ["capped"] * (len(outcomes) - 2)
    capped = [s for s in screens if s["analysis"] == "capped"]
    assert {s["capped_by"] for s in capped} == {"max_analyses_per_symbol_day"}
    assert analyze_runs == sum(min(2, len(o)) for o in per_symbol.values())


def test_celery_mode_scans_of_one_cycle_share_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each scan task its own transaction (as Celery workers run them): the cycle's budget
    row grants the first candidate and refuses the rest of that bar close."""
    monkeypatch.chdir(tmp_path)
    pipeline = {
        "symbols": tuple(SYMBOLS.split(",")),
        "timeframes": ("15m", "1h", "4h"),
        "max_analyses_per_cycle": 1,
    }
    kit = make_kit(pipeline=pipeline)
    try:
        granted: dict[str, int] = defaultdict(int)
        capped = 0
        for _ in range(12):
            kit.tasks.plan()
            while (item := kit.dispatcher.pop()) is not None:
                task, _, kwargs = item
                if task != "scan":
                    continue  # analyses are not what this test counts
                result = kit.tasks.scan(**kwargs)
                if "screen" in result:
                    assert result["screen"]["of"] == 1, "a lone scan ranks only itself"
                    granted[result["screen"]["cycle"]] += result["analysis"] == "submitted"
                    capped += result["analysis"] == "capped"
            kit.clock.advance(Timeframe("15m").delta)
        assert granted, "cycles with candidates"
        assert set(granted.values()) == {1}
        assert capped > 0
        assert drain(kit) == 0
    finally:
        kit.close()


def test_ranking_is_by_absolute_score_then_longer_timeframe_then_symbol() -> None:
    h1, m15 = Timeframe("1h"), Timeframe("15m")
    ranked = rank_candidates([("B", m15, 0.2), ("A", m15, -0.5), ("C", h1, 0.2), ("A", m15, 0.2)])
    assert [(r.index, r.rank) for r in ranked] == [(1, 1), (2, 2), (3, 3), (0, 4)]
