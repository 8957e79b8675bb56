"""`quorum bench backtest`: base bars per second through the whole backtest pipeline.

Scenario (issue 10): 4 symbols (BTC, ETH, SOL, XRP against USDT) × 4 timeframes (15m, 1h,
4h, 1d) × ``days`` days (365 by default) of seeded synthetic 15-minute bars from
2025-01-01, portfolio capital mode, the agents strategy — ``run_backtest`` on a fresh
SQLite database per pass (a temporary directory), exactly as ``quorum backtest`` runs it.
"Base bars" are symbol × 15m bars replayed (4 × 96 per day). Passes:

- ``no_candidates``: the base loop (venue feed, execute / monitor / trade sync, plan,
  daily reset, refresh, equity marks) and every due scan in full (bars, quality gates,
  analysis, SCAN journal entry, scan mark, task-run row), with ``--llm offline``; the
  candidate rule cannot lead anywhere because the run's dispatcher discards every
  ``analyze`` follow-up a scan submits (they are counted as ``candidates``, never run), so
  no analysis, signal, order or trade happens. This is what a bar costs when nothing is
  worth analysing.
- ``offline``: the full pipeline with the offline LLM analyst (analyses, risk, execution).
- ``cached_cold`` / ``cached_warm``: ``--llm cached`` with one mock model (litellm's
  ``mock_response``, no network) behind the SQL answer cache: the cold pass fills the
  cache, the warm pass runs the same window on a fresh database whose ``llm_cache`` table
  was copied from the cold one (nothing else carried over, so nothing is learned from the
  cold run's trades).

- ``floors``: no backtest; the two costs a replay through the live code path cannot
  avoid, measured over the same window (:mod:`benchmarks.backtest_floor`): every scan the
  plan submits, timed alone through the live scan stage, and LangGraph's own cost of one
  analysis graph run. ``reachable`` says whether a target is reachable at all on this
  machine without replacing the live scan or the analysis graph.

Per run_backtest pass: wall and CPU seconds of ``run_backtest`` (process CPU time; the
engine's loading of the window included), base bars per second, scans, candidates,
analyses, trades, LLM calls and cache hits, and the result hash (equal for equal data,
config and code).
Targets: ≥ 20,000 base bars/s with no candidates; a whole-year 4-symbol run with the
analysis pipeline on in under 2 minutes (a shorter window is scaled linearly to a year,
reported as ``year_estimate_s``).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.harness import machine, max_rss_mib
from quorum.pipeline import EmbeddedDispatcher
from quorum.pipeline.deps import JSON

SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT")
TIMEFRAMES = ("15m", "1h", "4h", "1d")
START = datetime(2025, 1, 1, tzinfo=UTC)
PASSES = ("no_candidates", "offline", "cached_cold", "cached_warm", "floors")
TARGETS = {"no_candidates_bars_per_s": 20_000.0, "analysis_year_s": 120.0}
MOCK_ANSWER = (
    '{"direction": "long", "confidence": 0.62, "key_evidence": ["bench"], '
    '"rationale": "A fixed benchmark answer."}'
)


class NoAnalyses(EmbeddedDispatcher):
    """The embedded dispatcher, except that ``analyze`` follow-ups are counted and dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def submit(self, task: str, kwargs: JSON, *, key: str) -> None:
        if task == "analyze":
            self.dropped += 1
            return
        super().submit(task, kwargs, key=key)


def _spec(days: float, llm: str, seed: int) -> Any:
    from quorum.backtest import BacktestSpec

    return BacktestSpec(
        symbols=SYMBOLS,
        timeframes=TIMEFRAMES,
        start=START,
        end=START + timedelta(days=days),
        llm=llm,
        seed=seed,
    )


def _runtime(db: Path, mock_model: bool, synchronous: str | None = None) -> Any:
    runtime = _built(db, mock_model)
    if synchronous is not None:
        from sqlalchemy import event

        def pragma(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
            cursor.close()

        event.listen(runtime.engine, "connect", pragma)
        runtime.engine.dispose()  # pooled connections reconnect with the pragma
    return runtime


def _built(db: Path, mock_model: bool) -> Any:
    from apps.cli.commands.backtest import backtest_runtime
    from quorum.llm import LLMSettings

    runtime = backtest_runtime(db)
    if not mock_model:
        return runtime
    runtime.close()
    from apps.bootstrap import build_runtime

    llm = LLMSettings.model_validate(
        {
            **runtime.settings.llm.model_dump(mode="json", exclude={"models"}),
            "models": [
                {
                    "name": "bench",
                    "role": "fast",
                    "model": "openai/gpt-4o-mini",
                    "context_window": 128_000,
                    "max_output_tokens": 400,
                    "accuracy": 0.7,
                    "training_cutoff": "2023-10-01",
                    "mock_response": MOCK_ANSWER,
                }
            ],
        }
    )
    return build_runtime(runtime.settings.model_copy(update={"llm": llm}))


def _copy_cache(source: Path, target: Path) -> int:
    """Copy the LLM answer cache rows (only those) from ``source`` into ``target``."""
    from quorum.store.tables.llm import LLM_CACHE_TABLE

    copy = f"INSERT OR REPLACE INTO {LLM_CACHE_TABLE} SELECT * FROM cold.{LLM_CACHE_TABLE}"  # noqa: S608
    count = f"SELECT count(*) FROM {LLM_CACHE_TABLE}"  # noqa: S608
    with sqlite3.connect(target) as conn:
        conn.execute("ATTACH DATABASE ? AS cold", (str(source),))
        conn.execute(copy)
        (rows,) = conn.execute(count).fetchone()
        conn.commit()
    return int(rows)


def run_pass(
    name: str, days: float, seed: int, root: Path, synchronous: str | None = None
) -> dict[str, Any]:
    """One timed ``run_backtest`` of pass ``name`` (see the module doc); ``synchronous``
    overrides the SQLite ``PRAGMA synchronous`` of the run's database (FULL by default)."""
    from quorum.backtest import run_backtest

    llm = "cached" if name.startswith("cached") else "offline"
    db = root / f"{name}.sqlite"
    runtime = _runtime(db, llm == "cached", synchronous)
    if name == "cached_warm":
        runtime.close()
        copied = _copy_cache(root / "cached_cold.sqlite", db)
        runtime = _runtime(db, True, synchronous)
    else:
        copied = None
    spec = _spec(days, llm, seed)
    dropper = NoAnalyses() if name == "no_candidates" else None
    factory = (lambda: dropper) if dropper is not None else None
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        outcome = run_backtest(spec, runtime, dispatcher_factory=factory)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        runtime.close()
    bars = spec.steps * len(SYMBOLS)
    tally = next(iter(outcome.tally.values()))
    analyses = sum(tally["analyses"].values())
    out: dict[str, Any] = {
        "llm": llm,
        "days": days,
        "base_bars": bars,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "base_bars_per_s": round(bars / wall, 1),
        "scans": tally["bars_scanned"],
        "candidates": tally["candidates"] if dropper is None else dropper.dropped,
        "analyses": analyses,
        "analysis_outcomes": tally["analyses"],
        "trades": len(outcome.result.trades),
        "llm_calls": outcome.result.llm.calls,
        "llm_cache_hits": outcome.result.llm.cache_hits,
        "result_hash": outcome.result_hash,
        "year_estimate_s": round(wall * 365 / days, 1),
    }
    if copied is not None:
        out["cache_rows_copied"] = copied
    return out


def reachable(floor: dict[str, Any] | None) -> dict[str, bool | None]:
    """Whether each target can be met at all here by a replay that runs the live scan and
    the analysis graph (None: no ``floors`` pass). Judged on strict lower bounds only: the
    scans alone, plus the graph runs of the ``offline`` pass when it ran."""
    if floor is None:
        return {"no_candidates_bars_per_s": None, "analysis_year_s": None}
    ceiling = floor["scan"]["ceiling_base_bars_per_s"]
    year = floor["year"]
    least = year.get("scan_and_graph_runs_s", year["scan_s"])
    return {
        "no_candidates_bars_per_s": ceiling is not None
        and ceiling >= TARGETS["no_candidates_bars_per_s"],
        "analysis_year_s": least < TARGETS["analysis_year_s"],
    }


def run(
    days: float = 365,
    seed: int = 7,
    passes: tuple[str, ...] = PASSES,
    keep: str | None = None,
    synchronous: str | None = None,
) -> dict[str, Any]:
    unknown = [p for p in passes if p not in PASSES]
    if unknown:
        raise ValueError(f"passes: unknown {unknown}; expected some of {list(PASSES)}")
    if "cached_warm" in passes and "cached_cold" not in passes:
        passes = (*[p for p in passes if p != "cached_warm"], "cached_cold", "cached_warm")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    with tempfile.TemporaryDirectory(prefix="quorum-bench-backtest-") as tmp:
        root = Path(keep) if keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        results = {
            name: run_pass(name, days, seed, root, synchronous)
            for name in passes
            if name != "floors"
        }
    if "floors" in passes:
        from benchmarks.backtest_floor import floors

        results["floors"] = floors(_spec(days, "offline", seed), offline=results.get("offline"))
    load = os.getloadavg()
    met: dict[str, bool | None] = {
        "no_candidates_bars_per_s": None,
        "analysis_year_s": None,
    }
    if "no_candidates" in results:
        met["no_candidates_bars_per_s"] = (
            results["no_candidates"]["base_bars_per_s"] >= TARGETS["no_candidates_bars_per_s"]
        )
    if "offline" in results:
        met["analysis_year_s"] = results["offline"]["year_estimate_s"] < TARGETS["analysis_year_s"]
    return {
        "scenario": {
            "symbols": list(SYMBOLS),
            "timeframes": list(TIMEFRAMES),
            "base": "15m",
            "start": START.isoformat(),
            "days": days,
            "seed": seed,
            "strategy": "agents",
            "capital_mode": "portfolio",
            "sqlite_synchronous": synchronous or "FULL",
        },
        "machine": {**machine(), "load_average": [round(x, 2) for x in load]},
        "passes": results,
        "targets": TARGETS,
        "met": met,
        "reachable": reachable(results.get("floors")),
        "max_rss_mib": round(max_rss_mib(), 1),
    }
