"""`quorum bench router`: the LLM layer's overhead on top of a bare ``litellm.Router`` call.

overhead: the same mock deployment (``openai/gpt-4o-mini`` with litellm's
``mock_response``, no network) called ``calls`` times through a bare ``litellm.Router`` and
through :class:`QuorumRouter`, interleaved call by call in one run. Every request is one of
the real prompt templates (technical, patterns, regime; rotating) over a market context
that differs per call; the bare path gets the rendered messages, so ours adds rendering,
the policy choice, prompt-token bound, budget reservation and settlement (the *default*
budget backend, built by the factory over a migrated SQLite file as in embedded mode, with
day/run/symbol caps), cache lookup (a miss), parsing into the schema, metrics and the
per-call ledger rows (batched into that SQLite file). Reported: wall medians and p95 of
both paths, their differences, the per-call paired difference, and the CPU time per call
(``time.process_time``) of both. The same is repeated (``sql_calls``) with the SQL budget
(``backend: sql``) on SQLite to show what a durable budget transaction per call costs.

cache: a "backtest" of ``bars`` deterministic prompts run twice by two router instances
sharing a SQLite answer cache (a re-run is a new process); the second run's hit rate.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no price-map fetch at import

import gc
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from benchmarks.harness import machine, percentiles
from quorum.clock import SystemClock
from quorum.llm import (
    ANALYST_SCHEMA_VERSION,
    AnalystAnswer,
    LLMSettings,
    MarketContext,
    MemoryBudgetLedger,
    MemoryResponseCache,
    SqlResponseCache,
    build_llm_router,
)
from quorum.llm.prompts import RegimeContext, TimeframeContext, render_prompt
from quorum.llm.router import QuorumRouter
from quorum.llm.vendor import Router
from quorum.ports import LLMRequest
from quorum.store import create_engine_for, migrate

TARGETS = {"extra_median_ms": 1.0, "extra_p95_ms": 3.0, "second_run_hit_rate": 0.95}
MODEL = "openai/gpt-4o-mini"
ANSWER = json.dumps(
    {
        "stance": "bullish",
        "confidence": 0.66,
        "key_evidence": ["4h regime bull", "1h breakout"],
        "rationale": "Trend and breakout agree.",
    }
)
BAR0 = datetime(2024, 6, 3, tzinfo=UTC)


def _settings(budget_backend: str | None = None) -> LLMSettings:
    return LLMSettings.model_validate(
        {
            "models": [
                {
                    "name": "bench",
                    "role": "fast",
                    "model": MODEL,
                    "context_window": 128_000,
                    "max_output_tokens": 400,
                    "accuracy": 0.7,
                    "mock_response": ANSWER,
                }
            ],
            "num_retries": 0,
            "group_strategy": "simple-shuffle",
            "budget": {
                **({"backend": budget_backend} if budget_backend else {}),
                "per_day_usd": "1000",
                "per_run_usd": "1000",
                "per_symbol_usd": "1000",
            },
            "ledger_batch": 100,
        }
    )


def _ours(engine: Any, budget_backend: str | None, clock: SystemClock) -> QuorumRouter:
    return build_llm_router(
        _settings(budget_backend),
        clock=clock,
        secrets=None,
        flags=None,
        engine=engine,
        metrics_registry=CollectorRegistry(),
        cache=MemoryResponseCache(clock, 3600),
    )


def _bare() -> Any:
    deployment = {
        "model_name": "bench",
        "litellm_params": {"model": MODEL, "mock_response": ANSWER},
    }
    return Router(model_list=[deployment], num_retries=0, routing_strategy="simple-shuffle")


TEMPLATES = ("technical", "patterns", "regime")


def _request(i: int) -> LLMRequest[AnalystAnswer]:
    template = TEMPLATES[i % len(TEMPLATES)]
    return LLMRequest(
        node=template,
        role="fast",
        schema=AnalystAnswer,
        schema_version=ANALYST_SCHEMA_VERSION,
        template=template,
        context=_bar_context(i, 7).model_dump(),
        symbol="BTC/USDT",
        run_id="bench",
    )


def _messages(request: LLMRequest[AnalystAnswer]) -> list[dict[str, str]]:
    assert request.template is not None
    assert request.context is not None
    rendered = render_prompt(request.template, request.context, AnalystAnswer)
    return [{"role": role, "content": text} for role, text in rendered.messages]


def _overhead(
    calls: int, budget_backend: str | None, db: Path, clock: SystemClock
) -> dict[str, Any]:
    engine = create_engine_for(f"sqlite:///{db}")  # as a deployment opens it (FULL)
    migrate(engine)
    ours = _ours(engine, budget_backend, clock)
    bare = _bare()
    for i in range(50):  # warm both paths (clients, tokenizer, pydantic schemas)
        warm = _request(-i - 1)
        bare.completion(model="bench", messages=_messages(warm))
        ours.complete(warm)
    gc.collect()
    bare_ms: list[float] = []
    ours_ms: list[float] = []
    bare_cpu = ours_cpu = 0.0
    outcomes: dict[str, int] = {}
    for i in range(calls):
        request = _request(i)
        messages = _messages(request)
        cpu, start = time.process_time(), time.perf_counter()
        bare.completion(model="bench", messages=messages)
        bare_ms.append((time.perf_counter() - start) * 1000)
        bare_cpu += time.process_time() - cpu
        cpu, start = time.process_time(), time.perf_counter()
        result = ours.complete(request)
        ours_ms.append((time.perf_counter() - start) * 1000)
        ours_cpu += time.process_time() - cpu
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    budget = type(ours.budget.ledger).__name__
    ours.close()  # writes the last ledger rows
    engine.dispose()
    paired = [o - b for o, b in zip(ours_ms, bare_ms, strict=True)]
    bare_p, ours_p = percentiles(bare_ms), percentiles(ours_ms)
    return {
        "calls": calls,
        "budget_backend": budget_backend or "default (auto)",
        "budget_ledger": budget,
        "bare_router_ms": {k: round(v, 3) for k, v in bare_p.items()},
        "quorum_router_ms": {k: round(v, 3) for k, v in ours_p.items()},
        "extra_median_ms": round(ours_p["p50"] - bare_p["p50"], 3),
        "extra_p95_ms": round(ours_p["p95"] - bare_p["p95"], 3),
        "paired_extra_ms": {k: round(v, 3) for k, v in percentiles(paired).items()},
        "cpu_ms_per_call": {
            "bare": round(bare_cpu * 1000 / calls, 3),
            "quorum": round(ours_cpu * 1000 / calls, 3),
            "extra": round((ours_cpu - bare_cpu) * 1000 / calls, 3),
        },
        "outcomes": outcomes,
    }


def _bar_context(i: int, seed: int) -> MarketContext:
    rng = random.Random(seed * 100_003 + i)
    frames = []
    for tf in ("1h", "4h"):
        frames.append(
            TimeframeContext(
                timeframe=tf,
                indicators={
                    "rsi": round(rng.uniform(20, 80), 2),
                    "macd_hist": round(rng.uniform(-2, 2), 4),
                    "ema_fast": round(rng.uniform(99, 101), 3),
                    "ema_slow": round(rng.uniform(99, 101), 3),
                },
                regime=RegimeContext(
                    kind=rng.choice(["bull", "bear", "sideways"]),
                    strength=round(rng.random(), 3),
                    trend_score=round(rng.uniform(-1, 1), 3),
                    volatility_percentile=round(rng.random(), 3),
                ),
            )
        )
    as_of = BAR0 + timedelta(hours=i)
    return MarketContext(
        symbol="BTC/USDT", as_of=as_of.isoformat(), primary_timeframe="1h", timeframes=tuple(frames)
    )


def _backtest(router: QuorumRouter, bars: int, seed: int) -> float:
    hits = 0
    for i in range(bars):
        for template in ("technical", "regime"):
            result = router.complete(
                LLMRequest(
                    node=template,
                    role="fast",
                    schema=AnalystAnswer,
                    schema_version=ANALYST_SCHEMA_VERSION,
                    template=template,
                    context=_bar_context(i, seed).model_dump(),
                    symbol="BTC/USDT",
                    run_id=f"backtest-{seed}",
                )
            )
            hits += result.cache_hit
    return hits / (2 * bars)


def _cache(bars: int, seed: int, db: Path, clock: SystemClock) -> dict[str, Any]:
    engine = create_engine_for(f"sqlite:///{db}", sqlite_synchronous="NORMAL")
    migrate(engine)
    runs = []
    for _ in range(2):  # two router instances: a re-run is a new process
        router = build_llm_router(
            _settings(),
            clock=clock,
            secrets=None,
            flags=None,
            budget=MemoryBudgetLedger(),
            cache=SqlResponseCache(engine, clock, 7 * 24 * 3600),
        )
        runs.append(_backtest(router, bars, seed))
    engine.dispose()
    return {
        "bars": bars,
        "prompts_per_run": 2 * bars,
        "first_run_hit_rate": round(runs[0], 4),
        "second_run_hit_rate": round(runs[1], 4),
    }


def run(calls: int = 2000, seed: int = 1, sql_calls: int = 300, bars: int = 250) -> dict[str, Any]:
    """Both paths in the same run; see the module docstring."""
    if calls < 10 or sql_calls < 0 or bars < 1:
        raise ValueError("calls must be >= 10, sql_calls >= 0 and bars >= 1")
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="quorum-bench-router-") as scratch:
        root = Path(scratch)
        overhead = _overhead(calls, None, root / "ledger.db", clock)
        result: dict[str, Any] = {"machine": machine(), "targets": TARGETS, "overhead": overhead}
        if sql_calls:
            result["overhead_sql_budget"] = _overhead(
                sql_calls, "sql", root / "ledger-sql.db", clock
            )
        result["cache"] = _cache(bars, seed, root / "cache.db", clock)
    result["meets_targets"] = {
        "extra_median_ms": overhead["extra_median_ms"] <= TARGETS["extra_median_ms"],
        "extra_p95_ms": overhead["extra_p95_ms"] <= TARGETS["extra_p95_ms"],
        "second_run_hit_rate": result["cache"]["second_run_hit_rate"]
        >= TARGETS["second_run_hit_rate"],
    }
    result["notes"] = (
        "extra_* = our percentile minus the bare percentile; paired_extra_ms = percentiles of "
        "(ours_i - bare_i) over interleaved calls"
    )
    return result
