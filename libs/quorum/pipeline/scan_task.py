"""The ``plan`` and ``scan`` task bodies.

Both honour the ``analysis.enabled`` feature flag: while it is false ``plan`` submits no
scans and ``scan`` hands no candidate to ``analyze`` (:mod:`quorum.pipeline.analysis_gate`).

``scan`` claims its key (``scan:<symbol>:<timeframe>:<bar close>``) in the transaction
that journals the scan and advances the scan mark; a redelivery (or second send) computes
nothing, returns the stored result with ``status: duplicate`` (``first_status`` the stored
one), is counted in ``quorum_task_duplicate_deliveries_total{task="scan"}`` and logged
(not journaled), and re-sends only the follow-ups whose own key is not claimed yet (their
keys make them no-ops), so a crash between commit and send loses nothing. ``scan_many``
does the same for several scans in ONE transaction (the bar driver hands it every scan
queued at a base bar): each key is still claimed in the transaction that writes what it
guards, and a key another worker claimed writes nothing.

A candidate sent to analysis is ranked by its pre-LLM score and granted an analysis from
the cycle's and the symbol-day's budget in that same transaction
(:mod:`quorum.pipeline.budget`); a candidate over budget is journaled ``capped`` with its
rank and score, and no ``analyze`` is sent.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from quorum.analysis.scan import ScanParams
from quorum.domain import (
    JournalKind,
    PatternFamily,
    RegimeKind,
    ScanResult,
    Timeframe,
    format_time,
    parse_time,
)
from quorum.errors import DataQualityError
from quorum.journal import Draft
from quorum.pipeline.analysis_gate import DISABLED, REASON, analysis_enabled, note_paused
from quorum.pipeline.budget import ANALYSED, CAPPED, give_back, rank_candidates, take
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.journaling import scan_payload
from quorum.pipeline.learned import learned_scoring
from quorum.pipeline.persistence import put_scan_mark, scan_marks
from quorum.pipeline.planning import base_volatility, due_scans
from quorum.pipeline.runs import TaskRuns
from quorum.pipeline.scan import ScanStage
from quorum.scoring import EvidenceWeights, score_confluence
from quorum.telemetry.metrics import metrics
from quorum.telemetry.tracing import attached, capture_context, decision_span

_log = logging.getLogger(__name__)


def key_time(when: datetime) -> str:
    return format_time(when)


def send(deps: PipelineDeps, followups: list[dict[str, Any]]) -> None:
    for item in followups:
        deps.dispatcher.submit(item["task"], item["kwargs"], key=item["key"])


def plan(deps: PipelineDeps, runs: TaskRuns) -> JSON:
    """Submit a ``scan`` for every due (symbol, timeframe, bar close) — none while the
    ``analysis.enabled`` flag is false (see :mod:`quorum.pipeline.analysis_gate`)."""
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        marks = scan_marks(conn, deps.run_id)
    due = due_scans(now, deps.settings, marks)
    if not analysis_enabled(deps):
        journaled = note_paused(deps, runs, now, len(due))
        return {
            "status": DISABLED,
            "as_of": key_time(now),
            "due": len(due),
            "skipped": len(due),
            "reason": REASON,
            "journaled": journaled,
            "scans": [],
        }
    followups = []
    for item in due:
        close = key_time(item.bar_close)
        kwargs = {"symbol": item.symbol, "timeframe": item.timeframe.value, "bar_close": close}
        key = f"scan:{deps.run_id}:{item.symbol}:{item.timeframe.value}:{close}"
        followups.append({"task": "scan", "kwargs": kwargs, "key": key})
    send(deps, followups)
    return {
        "status": "done",
        "as_of": key_time(now),
        "due": len(followups),
        "skipped": 0,
        "scans": followups,
    }


def scan_volatility(scan: ScanResult, base: Timeframe) -> float | None:
    """The base-normalised ATR / close the scan mark stores (None without a measurement)."""
    item = scan.timeframes[0]
    atr, close = item.snapshot.values.get("atr"), item.snapshot.values.get("close")
    if not atr or not close or close <= 0:
        return None
    return base_volatility(atr / close, item.timeframe, base)


def candidate_reason(scan: ScanResult, min_strength: float) -> str | None:
    """Why the scan deserves an analysis — a pattern event (breakout, candlestick,
    divergence; standing support/resistance levels alone are not one) or a trending regime
    at least ``min_strength`` strong — else None."""
    item = scan.timeframes[0]
    events = [p for p in item.patterns if p.family is not PatternFamily.SUPPORT_RESISTANCE]
    if events:
        return f"{len(events)} pattern event(s): " + ", ".join(sorted({p.name for p in events}))
    if item.regime.kind is not RegimeKind.SIDEWAYS and item.regime.strength >= min_strength:
        return f"{item.regime.kind.value} regime, strength {item.regime.strength:.2f}"
    return None


def scan(deps: PipelineDeps, runs: TaskRuns, symbol: str, timeframe: str, bar_close: str) -> JSON:
    """One scan: claimed, journaled and its mark advanced in one transaction of its own."""
    return scan_many(
        deps, runs, [{"symbol": symbol, "timeframe": timeframe, "bar_close": bar_close}]
    )[0]


def scan_many(deps: PipelineDeps, runs: TaskRuns, items: list[JSON]) -> list[JSON]:
    """The scans ``items`` (``scan`` task kwargs), their results in order: each scanned in
    its own trace, then every fresh one claimed, journaled (``append_many``) and its mark
    advanced in ONE transaction; the follow-ups are sent after it commits. A key another
    delivery claimed first is answered with that delivery's result and writes nothing."""
    results: list[JSON | None] = []
    traces: list[dict[str, str]] = []
    fresh: list[tuple[int, Scanned]] = []
    for kwargs in items:
        tf = Timeframe.parse(str(kwargs["timeframe"]))
        close = parse_time(str(kwargs["bar_close"]))
        if not tf.is_on_grid(close):
            raise ValueError(f"bar_close: {kwargs['bar_close']} is not a {tf} bar close")
        symbol = str(kwargs["symbol"])
        key = f"scan:{deps.run_id}:{symbol}:{tf.value}:{key_time(close)}"
        bar = str(kwargs["bar_close"])
        attributes = {"quorum.symbol": symbol, "quorum.timeframe": tf.value, "quorum.bar": bar}
        with decision_span("quorum.scan", **attributes):  # the decision's root span
            traces.append(capture_context())
            stored = runs.get(key)
            if stored is not None:
                metrics().scans.labels(tf.value, "repeat").inc()
            else:
                fresh.append((len(results), _timed_scan(deps, symbol, tf, close, key)))
            results.append(stored)
    # the transaction is traced in the first fresh scan's trace (a lone scan's own)
    with attached(traces[fresh[0][0]] if fresh else None):
        claims = runs.once_many(
            "scan",
            [(item.key, item.result) for _, item in fresh],
            lambda session, won: [
                won[i] for i in _write(deps, session, [fresh[i][1] for i in won])
            ],
        )
    for (index, item), (outcome, first) in zip(fresh, claims, strict=True):
        results[index] = outcome
        label = "repeat" if not first else "candidate" if outcome["candidate"] else "none"
        metrics().scans.labels(item.timeframe.value, label).inc()
    done = [outcome for outcome in results if outcome is not None]
    fresh_at = {index for (index, _), (_, first) in zip(fresh, claims, strict=True) if first}
    answers = []
    for index, (outcome, trace) in enumerate(zip(done, traces, strict=True)):
        followups = outcome["followups"]
        if index not in fresh_at:
            outcome = duplicate(outcome)
            followups = [f for f in followups if runs.get(f["key"]) is None]
        with attached(trace):  # each analysis joins its scan's trace
            send(deps, followups)
        answers.append(outcome)
    return answers


def duplicate(stored: JSON) -> JSON:
    """A delivery of a scan whose key was claimed already: the stored result marked
    ``duplicate``, counted and logged (the first delivery journaled it)."""
    metrics().duplicate_deliveries.labels("scan").inc()
    _log.info(
        "duplicate scan delivery %s %s %s: answered from the stored result",
        stored.get("symbol"),
        stored.get("timeframe"),
        stored.get("bar_close"),
    )
    return {**stored, "status": "duplicate", "first_status": stored.get("status")}


@dataclass(frozen=True, slots=True)
class Scanned:
    """One scan computed and not yet written: what its transaction stores."""

    key: str
    symbol: str
    timeframe: Timeframe
    close: datetime
    payload: JSON
    volatility: float | None
    result: JSON
    found: ScanResult


def _timed_scan(
    deps: PipelineDeps, symbol: str, tf: Timeframe, close: datetime, key: str
) -> Scanned:
    """One scan, timed per timeframe."""
    started = time.perf_counter()
    try:
        scanned = _scan(deps, symbol, tf, close, key)
    except DataQualityError:
        metrics().data_rejections.labels(tf.value).inc()
        raise
    metrics().scan_latency.labels(tf.value).observe(time.perf_counter() - started)
    return scanned


def _write(deps: PipelineDeps, session: Session, scans: list[Scanned]) -> list[int]:
    """The scans' analysis budget, journal entries, in order, and their marks, in
    ``session``'s transaction; the positions of the scans whose result the budget set."""
    allotted = _allot(deps, session, scans)
    actor = deps.settings.actor
    drafts = [Draft(JournalKind.SCAN, item.payload, actor, deps.run_id) for item in scans]
    deps.journal.append_many(session, drafts)
    now = deps.clock.now()
    for item in scans:
        put_scan_mark(
            session,
            deps.run_id,
            item.symbol,
            item.timeframe.value,
            item.close,
            item.volatility,
            now,
        )
    return allotted


def _allot(deps: PipelineDeps, session: Session, scans: list[Scanned]) -> list[int]:
    """Rank the candidates sent to analysis by their pre-LLM score and grant each, best
    first, an analysis from the cycle's and the symbol-day's budget
    (:mod:`quorum.pipeline.budget`); the rest are capped (no ``analyze`` sent). Rank,
    score and outcome go into the scan's journal entry and result."""
    picked = [i for i, item in enumerate(scans) if item.result["analysis"] == ANALYSED]
    if not picked:
        return []
    _, weights = learned_scoring(session)
    scored = [
        (scans[i].symbol, scans[i].timeframe, pre_llm_score(deps, scans[i].found, weights))
        for i in picked
    ]
    settings = deps.settings
    settled = deps.clock.now() - timedelta(seconds=settings.finalization_delay_s)
    cycle = settings.base_timeframe.floor(settled)
    per_cycle, per_day = settings.max_analyses_per_cycle, settings.max_analyses_per_symbol_day
    for place in rank_candidates(scored):
        item = scans[picked[place.index]]
        day = f"day:{item.symbol}:{cycle.date().isoformat()}"
        capped_by = None
        if not take(session, deps.run_id, f"cycle:{key_time(cycle)}", per_cycle):
            capped_by = "max_analyses_per_cycle"
        elif not take(session, deps.run_id, day, per_day):
            give_back(session, deps.run_id, f"cycle:{key_time(cycle)}", per_cycle)
            capped_by = "max_analyses_per_symbol_day"
        screen = {
            "rank": place.rank,
            "of": len(picked),
            "score": round(place.score, 6),
            "cycle": key_time(cycle),
            "analysis": ANALYSED if capped_by is None else CAPPED,
            "capped_by": capped_by,
            "caps": {"per_cycle": per_cycle, "per_symbol_day": per_day},
        }
        item.payload["screen"] = screen
        item.result["screen"] = screen
        if capped_by is not None:
            item.result["analysis"] = CAPPED
            item.result["followups"] = []
    return picked


def pre_llm_score(deps: PipelineDeps, found: ScanResult, weights: EvidenceWeights | None) -> float:
    """The analysis graph's prefilter score (confluence without opinions) of ``found``."""
    return score_confluence(found, (), {}, deps.scoring, weights).score


def _scan(deps: PipelineDeps, symbol: str, tf: Timeframe, close: datetime, key: str) -> Scanned:
    settings = deps.settings
    stage = ScanStage(
        deps.market, settings.base_timeframe, ScanParams(history_bars=settings.history_bars)
    )
    result = stage.scan(symbol, [tf], close)
    reason = candidate_reason(result, settings.candidate_min_regime_strength)
    # the flag is read only for a candidate: a scan that finds nothing costs no flag read
    analysis = "none" if reason is None else ANALYSED if analysis_enabled(deps) else DISABLED
    payload = scan_payload(result)
    if analysis == DISABLED:
        payload["analysis_skipped"] = REASON
    followups = []
    if analysis == ANALYSED:
        as_of = key_time(close)
        followups.append(
            {
                "task": "analyze",
                "kwargs": {"symbol": symbol, "as_of": as_of, "timeframe": tf.value},
                "key": f"analyze:{deps.run_id}:{symbol}:{tf.value}:{as_of}",
            }
        )
    item = result.timeframes[0]
    outcome = {
        "status": "done",
        "symbol": symbol,
        "timeframe": tf.value,
        "bar_close": key_time(close),
        "patterns": len(item.patterns),
        "regime": item.regime.kind.value,
        "candidate": reason is not None,
        "reason": reason or "no pattern hit and no trending regime",
        "analysis": analysis,
        "followups": followups,
    }
    volatility = scan_volatility(result, settings.base_timeframe)
    return Scanned(key, symbol, tf, close, payload, volatility, outcome, result)
