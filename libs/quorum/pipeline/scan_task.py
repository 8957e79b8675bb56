"""The ``plan`` and ``scan`` task bodies.

Both honour the ``analysis.enabled`` feature flag: while it is false ``plan`` submits no
scans and ``scan`` hands no candidate to ``analyze`` (:mod:`quorum.pipeline.analysis_gate`).

``scan`` claims its key (``scan:<symbol>:<timeframe>:<bar close>``) in the transaction
that journals the scan and advances the scan mark; a redelivery returns the stored result
and sends the same follow-ups again (their keys make them no-ops), so a crash between
commit and send loses nothing.
"""

from __future__ import annotations

import time
from datetime import datetime
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
from quorum.pipeline.analysis_gate import DISABLED, REASON, analysis_enabled, note_paused
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.journaling import scan_payload
from quorum.pipeline.persistence import put_scan_mark, scan_marks
from quorum.pipeline.planning import base_volatility, due_scans
from quorum.pipeline.runs import TaskRuns
from quorum.pipeline.scan import ScanStage
from quorum.telemetry.metrics import metrics
from quorum.telemetry.tracing import decision_span


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
    """One scan, in its own trace (the decision's root span) and timed per timeframe."""
    tf = Timeframe.parse(timeframe)
    attributes = {"quorum.symbol": symbol, "quorum.timeframe": tf.value, "quorum.bar": bar_close}
    with decision_span("quorum.scan", **attributes):
        started = time.perf_counter()
        try:
            outcome = _scan(deps, runs, symbol, tf, bar_close)
        except DataQualityError:
            metrics().data_rejections.labels(tf.value).inc()
            raise
        metrics().scan_latency.labels(tf.value).observe(time.perf_counter() - started)
        return outcome


def _scan(deps: PipelineDeps, runs: TaskRuns, symbol: str, tf: Timeframe, bar_close: str) -> JSON:
    close = parse_time(bar_close)
    if not tf.is_on_grid(close):
        raise ValueError(f"bar_close: {bar_close} is not a {tf} bar close")
    key = f"scan:{deps.run_id}:{symbol}:{tf.value}:{key_time(close)}"
    stored = runs.get(key)
    if stored is not None:
        metrics().scans.labels(tf.value, "repeat").inc()
        send(deps, stored["followups"])
        return stored
    settings = deps.settings
    stage = ScanStage(
        deps.market, settings.base_timeframe, ScanParams(history_bars=settings.history_bars)
    )
    result = stage.scan(symbol, [tf], close)
    reason = candidate_reason(result, settings.candidate_min_regime_strength)
    # the flag is read only for a candidate: a scan that finds nothing costs no flag read
    analysis = "none" if reason is None else "submitted" if analysis_enabled(deps) else DISABLED
    payload = scan_payload(result)
    if analysis == DISABLED:
        payload["analysis_skipped"] = REASON

    def work(session: Session) -> JSON:
        deps.journal.append(
            session,
            JournalKind.SCAN,
            payload,
            actor=settings.actor,
            run_id=deps.run_id,
        )
        put_scan_mark(
            session,
            deps.run_id,
            symbol,
            tf.value,
            close,
            scan_volatility(result, settings.base_timeframe),
            deps.clock.now(),
        )
        followups = []
        if analysis == "submitted":
            as_of = key_time(close)
            followups.append(
                {
                    "task": "analyze",
                    "kwargs": {"symbol": symbol, "as_of": as_of, "timeframe": tf.value},
                    "key": f"analyze:{deps.run_id}:{symbol}:{tf.value}:{as_of}",
                }
            )
        item = result.timeframes[0]
        return {
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

    outcome, fresh = runs.once("scan", key, work, unseen=True)
    result_label = "repeat" if not fresh else "candidate" if outcome["candidate"] else "none"
    metrics().scans.labels(tf.value, result_label).inc()
    send(deps, outcome["followups"])
    return outcome
