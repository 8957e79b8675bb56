"""`quorum bench candidates`: how many scans become LLM candidates, and whether the ranked
budget (issue #23 item 4, :mod:`quorum.pipeline.budget`) spends analyses on the better ones.

Two walk-forward screens, each a *cycle* per bar close over several symbols (the scans the
budget ranks together):

- ``real_daily``: the bundled daily bars of AAPL, IBM, MSFT and GOOG 2000–2013
  (:mod:`quorum.backtest.refdata`), a cycle every ``every`` trading days;
- ``synthetic_1h``: four seeded synthetic symbols on 1h bars (resampled from 15m).

At each cycle every symbol is scanned exactly as the ``scan`` task does (the pipeline's
:class:`~quorum.pipeline.scan.ScanStage` with 400 closed bars, ``candidate_reason`` at the
default ``candidate_min_regime_strength``); candidates are ranked by
:func:`~quorum.pipeline.budget.rank_candidates` on their pre-LLM score
(:func:`~quorum.pipeline.scan_task.pre_llm_score`) and the best ``per_cycle`` are
*analysed*, the rest *capped*. There is no signal-outcome record for a candidate that was
never analysed, so the **hit** of a candidate is measured on the market: the sign of its
pre-LLM score against the sign of the close-to-close return over the next ``horizon``
bars (a zero score or return is not counted). The benchmark reports the candidate rate
(and the pattern-event share), and the hit rate of analysed vs capped candidates and of
non-candidates (with binomial standard errors). Third, ``pipeline``: a ``quorum run``
(synthetic, embedded driver) with ``max_analyses_per_cycle`` set, in a child process:
candidates, capped, analyses, wall and CPU seconds — the wired budget, not a
re-implementation — and ``pipeline_uncapped``, the same run with the default (no cap).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks.harness import machine
from benchmarks.startup import _quorum, child
from quorum.analysis.scan import ScanParams, analyze_timeframe
from quorum.backtest.refdata import ReferenceSource
from quorum.clock import ReplayClock
from quorum.config.settings.pipeline import PipelineSettings
from quorum.domain import BarFrame, ScanResult, Timeframe
from quorum.market import MarketDataLoader, QualityPolicy, align_timeframes, open_source
from quorum.pipeline.budget import rank_candidates
from quorum.pipeline.scan_task import candidate_reason
from quorum.scoring import ScoringSettings, score_confluence

HISTORY = 400
HISTORIC = QualityPolicy(stale="report")
"""A walk through history: the clock stands after the data, so "stale" is no fault."""
EQUITIES = ("AAPL/USD", "IBM/USD", "MSFT/USD", "GOOG/USD")
SYNTHETIC = ("SYMA/USDT", "SYMB/USDT", "SYMC/USDT", "SYMD/USDT")


def _screen(
    frames: dict[str, BarFrame],
    tf: Timeframe,
    closes: list[datetime],
    *,
    horizon: int,
    per_cycle: int,
) -> dict[str, Any]:
    """Walk ``closes`` (bar closes of ``tf``): scan, rank, cap and score every cycle."""
    params = ScanParams(history_bars=HISTORY)
    min_strength = PipelineSettings().candidate_min_regime_strength
    scoring = ScoringSettings()
    tally = {k: [0, 0] for k in ("analysed", "capped", "none")}  # [hits, counted]
    scans = candidates = patterns = 0
    for close in closes:
        rivals: list[tuple[str, Timeframe, float]] = []
        outcomes: list[float | None] = []
        for symbol, frame in frames.items():
            item = analyze_timeframe(symbol, tf, frame, close, params)
            found = ScanResult(symbol=symbol, as_of=close, timeframes=(item,))
            scans += 1
            reason = candidate_reason(found, min_strength)
            score = score_confluence(found, (), {}, scoring).score
            outcome = _forward(frame.df["close"], close, tf, horizon)
            if reason is None:
                _count(tally["none"], score, outcome)
                continue
            candidates += 1
            patterns += "pattern event" in reason
            rivals.append((symbol, tf, score))
            outcomes.append(outcome)
        for place in rank_candidates(rivals):
            kind = "analysed" if place.rank <= per_cycle else "capped"
            _count(tally[kind], place.score, outcomes[place.index])
    return {
        "timeframe": tf.value,
        "symbols": list(frames),
        "cycles": len(closes),
        "scans": scans,
        "candidates": candidates,
        "candidate_rate": _ratio(candidates, scans),
        "pattern_event_share": _ratio(patterns, candidates),
        "per_cycle": per_cycle,
        "horizon_bars": horizon,
        "hit_rate": {k: _ratio(v[0], v[1]) for k, v in tally.items()},
        "hit_rate_se": {k: _stderr(v[0], v[1]) for k, v in tally.items()},
        "counted": {k: v[1] for k, v in tally.items()},
    }


def _forward(closes: Any, close: datetime, tf: Timeframe, horizon: int) -> float | None:
    """The close-to-close return from the bar closing at ``close`` over ``horizon`` bars."""
    opens = closes.index
    now = opens.searchsorted(close - tf.delta)
    if now >= len(opens) or opens[now] != close - tf.delta or now + horizon >= len(opens):
        return None
    return float(closes.iloc[now + horizon] / closes.iloc[now] - 1.0)


def _count(cell: list[int], score: float, outcome: float | None) -> None:
    if outcome is None or score == 0 or outcome == 0:
        return
    cell[0] += (score > 0) == (outcome > 0)
    cell[1] += 1


def _stderr(part: int, whole: int) -> float | None:
    """The binomial standard error of ``part / whole``."""
    if whole == 0:
        return None
    rate = part / whole
    return round(math.sqrt(rate * (1 - rate) / whole), 4)


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _real_daily(every: int, horizon: int, per_cycle: int) -> dict[str, Any]:
    clock = ReplayClock(datetime(2014, 1, 1, tzinfo=UTC))
    market = MarketDataLoader(ReferenceSource(), clock=clock, policy=HISTORIC)
    d1 = Timeframe.D1
    start, end = datetime(2000, 1, 1, tzinfo=UTC), datetime(2014, 1, 1, tzinfo=UTC)
    frames = {s: market.fetch_bars(s, d1, start, end) for s in EQUITIES}
    opens = [set(frame.df.index) for frame in frames.values()]
    common = sorted(opens[0].intersection(*opens[1:]))
    usable = common[HISTORY : len(common) - horizon - 1]  # HISTORY closed bars before each
    closes = [ts.to_pydatetime() + d1.delta for ts in usable[::every]]
    return _screen(frames, d1, closes, horizon=horizon, per_cycle=per_cycle)


def _synthetic(cycles: int, horizon: int, per_cycle: int, seed: int) -> dict[str, Any]:
    end = datetime(2025, 1, 1, tzinfo=UTC)
    h1, m15 = Timeframe.H1, Timeframe.M15
    span_end = end + h1.delta * (horizon + 1)
    clock = ReplayClock(span_end)
    market = open_source(f"synthetic:{seed}", clock=clock, base_timeframe=m15, policy=HISTORIC)
    since = end - h1.delta * (cycles + HISTORY + 2)
    frames = {
        s: align_timeframes(market.fetch_bars(s, m15, since, span_end), [h1], span_end)[h1]
        for s in SYNTHETIC
    }
    closes = [end - h1.delta * (cycles - 1 - i) for i in range(cycles)]
    return _screen(frames, h1, closes, horizon=horizon, per_cycle=per_cycle)


def _pipeline(steps: int, per_cycle: int | None) -> dict[str, Any]:
    """A default-config ``quorum run`` (3 symbols × 4 timeframes) with the cycle cap set
    (None: the default, no cap)."""
    env_key = "QUORUM_PIPELINE__MAX_ANALYSES_PER_CYCLE"
    before = os.environ.pop(env_key, None)
    if per_cycle is not None:
        os.environ[env_key] = str(per_cycle)
    try:
        with tempfile.TemporaryDirectory(prefix="quorum-bench-candidates-") as scratch:
            sample = child([*_quorum(), "run", "--json", "--steps", str(steps)], scratch)
    finally:
        os.environ.pop(env_key, None)
        if before is not None:
            os.environ[env_key] = before
    summary = json.loads(sample["stdout"][sample["stdout"].index("{") :])
    return {
        "steps": steps,
        "per_cycle": per_cycle,
        "bars_scanned": summary["bars_scanned"],
        "candidates": summary["candidates"],
        "candidates_capped": summary["candidates_capped"],
        "candidate_rate": _ratio(summary["candidates"], summary["bars_scanned"]),
        "analysed_rate": _ratio(
            summary["candidates"] - summary["candidates_capped"], summary["bars_scanned"]
        ),
        "wall_s": sample["wall_s"],
        "cpu_s": sample["cpu_s"],
    }


def run(
    *, every: int, horizon: int, per_cycle: int, cycles: int, steps: int, seed: int
) -> dict[str, Any]:
    parts: dict[str, Callable[[], dict[str, Any]]] = {
        "real_daily": lambda: _real_daily(every, horizon, per_cycle),
        "synthetic_1h": lambda: _synthetic(cycles, horizon, per_cycle, seed),
        "pipeline": lambda: _pipeline(steps, per_cycle),
        "pipeline_uncapped": lambda: _pipeline(steps, None),
    }
    out: dict[str, Any] = {"machine": machine(), "load_before": os.getloadavg()[0]}
    for name, part in parts.items():
        cpu, began = os.times(), datetime.now(UTC)
        out[name] = part()
        done = os.times()
        out[name]["bench_wall_s"] = round((datetime.now(UTC) - began).total_seconds(), 1)
        spent = sum(done[:4]) - sum(cpu[:4])  # user + system, own and children's
        out[name]["bench_cpu_s"] = round(spent, 1)
    out["load_after"] = os.getloadavg()[0]
    return out
