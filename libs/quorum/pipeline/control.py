"""Operator controls: the kill switch over the ONE trading state, and the daily reset.

The trading state (active / reducing / halted, :class:`~quorum.domain.TradingState`) is
one stored record (``trading_state``), read by the risk gate (entries), the executor's
gate (sends), ``quorum status`` and the API. Engaging the kill switch moves it to
``reducing`` (entries refused at once; only risk-reducing orders go out), cancels every
working order, flattens every position with reduce-only market exits, and moves it to
``halted`` (nothing is sent, only cancels) once every position is flat — "reducing until
flat, then halted". When this process cannot reach the venue (start-up reconciliation
fails) the state is still ``reducing``, the result says what was not done, and the
workers' :func:`sweep_trading_state` (before each analyze and monitor) flattens and halts.
Releasing (→ ``active``) takes an explicit ``set_kill_switch(False, by, reason)``.

The ``kill_switch`` feature flag is a compatibility command, not a record: the next sweep
that sees it set engages the kill switch and clears it (a flag pinned by the environment
cannot be cleared, so it keeps trading held).
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy.orm import Session

from quorum.domain import JournalKind, TradingState
from quorum.errors import ConfigError, QuorumError
from quorum.execution import TradingStateConflict
from quorum.pipeline.accounting import commit_rules, positions_now, with_rules
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.flatten import FLATTEN_RULE, failures, flatten
from quorum.risk import RulesState
from quorum.risk import daily_reset as risk_daily_reset
from quorum.store import session_scope
from quorum.telemetry.metrics import metrics

__all__ = [
    "FLAG",
    "FLATTEN_RULE",
    "daily_reset",
    "flatten_all",
    "set_kill_switch",
    "sweep_trading_state",
]

FLAG = "kill_switch"
_log = logging.getLogger(__name__)


def set_kill_switch(deps: PipelineDeps, engaged: bool, by: str, reason: str) -> JSON:
    """Engage (reducing → cancel → flatten → halted when flat) or release (→ active).

    The result says what happened: ``state`` (the trading state after), the cancels,
    one item per position flattened, ``positions_left`` and ``failures`` (empty when
    everything was done)."""
    if not by.strip():
        raise ValueError("by: the kill switch must name who changed it")
    if not reason.strip():
        raise ValueError("reason: say why the kill switch is changed")
    result = _engage(deps, by, reason) if engaged else _release(deps, by, reason)
    with session_scope(deps.engine) as session:
        deps.journal.append(
            session,
            JournalKind.KILL_SWITCH,
            {"event": "pipeline_kill_switch", "by": by, "reason": reason, **result},
            actor=by,
            run_id=deps.run_id,
        )
    metrics().kill_switch.set(1 if engaged else 0)
    return {"by": by, "reason": reason, **result}


def _engage(deps: PipelineDeps, by: str, reason: str) -> JSON:
    report = deps.execution.engage_kill_switch(by, reason)
    _reduce_if_held(deps, by)
    problems = list(report.cancel_failures)
    flattened: list[JSON] = []
    unreachable = _ensure_ready(deps)
    if unreachable is None:
        flattened = flatten(deps, by, reason)
        problems += failures(flattened)
    else:
        problems.append(f"venue not reconciled, nothing flattened here: {unreachable}")
    state = _halt_when_flat(deps)
    left = [f"{p.venue}:{p.symbol} {p.quantity}" for p in positions_now(deps)]
    if left:  # the workers' monitor flattens what this process could not, now
        problems += _nudge_monitor(deps)
    return {
        "engaged": True,
        "changed": report.changed,
        "state": state.value,
        "cancels_sent": report.cancels_sent,
        "cancelled_locally": report.cancelled_locally,
        "cancel_failures": list(report.cancel_failures),
        "flattened": flattened,
        "positions_left": left,
        "failures": problems,
    }


def _nudge_monitor(deps: PipelineDeps) -> list[str]:
    """Ask the workers' ``monitor`` to run now (its sweep flattens); what went wrong."""
    key = f"monitor:kill-switch:{deps.execution.trading_status().version}"
    try:
        deps.dispatcher.submit("monitor", {}, key=key)
    except Exception as exc:  # a broker outage: beat's monitor still comes, later
        _log.warning("kill switch: workers' monitor not nudged: %s", exc)
        return [f"workers' monitor not nudged (beat's next run will flatten): {exc}"]
    return []


def _release(deps: PipelineDeps, by: str, reason: str) -> JSON:
    changed = deps.execution.release_kill_switch(by, reason)
    _clear_flag(deps, by)
    return {"engaged": False, "changed": changed, "state": TradingState.ACTIVE.value}


def _ensure_ready(deps: PipelineDeps) -> str | None:
    """Start-up reconciliation when this process has not run it (a flatten needs it);
    why it failed, or None."""
    if deps.execution.ready:
        return None
    try:
        deps.execution.reconcile(startup=True)
    except QuorumError as exc:
        _log.warning("kill switch: start-up reconciliation failed: %s", exc)
        return str(exc)
    return None


def _halt_when_flat(deps: PipelineDeps) -> TradingState:
    """``reducing`` becomes ``halted`` once no position is left (keeping who engaged the
    kill switch and why; the journal entry says from and to); the state after."""
    status = deps.execution.trading_status()
    if status.state is TradingState.REDUCING and not positions_now(deps):
        reason = status.reason or "flat after kill switch"
        with contextlib.suppress(TradingStateConflict):  # another process moved it first
            deps.execution.set_trading_state(TradingState.HALTED, status.by, reason)
        return deps.execution.trading_status().state
    return status.state


def _clear_flag(deps: PipelineDeps, by: str) -> None:
    if not deps.flags.get(FLAG):
        return
    try:
        deps.flags.set(FLAG, False, by, "consumed: the trading state is the kill switch's record")
    except ConfigError as exc:  # pinned by the environment: it keeps trading held
        _log.warning("kill switch: flag not cleared: %s", exc)


def sweep_trading_state(deps: PipelineDeps) -> JSON | None:
    """Before each analyze and monitor: honour a set ``kill_switch`` flag; while the kill
    switch is engaged, flatten what this process can reach and halt once flat (a position
    found open under ``halted`` moves it back to ``reducing`` to be flattened)."""
    if deps.flags.get(FLAG):
        by = f"{deps.settings.actor}:flag"
        result = set_kill_switch(deps, True, by, "kill_switch flag set")
        _clear_flag(deps, by)
        return result
    status = deps.execution.trading_status()
    if not status.engaged:
        return None
    if not positions_now(deps):
        return None if status.state is TradingState.HALTED else _halted(deps)
    _reduce_if_held(deps, status.by)
    if not deps.execution.ready:
        return None
    flattened = flatten(deps, status.by, status.reason or "kill switch engaged")
    return {"flattened": flattened, "state": _halt_when_flat(deps).value}


def _reduce_if_held(deps: PipelineDeps, by: str) -> None:
    """A position open under ``halted`` (e.g. a fill that raced the cancels) moves the
    state back to ``reducing`` so its flatten may be sent."""
    if deps.execution.trading_status().state is TradingState.HALTED and positions_now(deps):
        with contextlib.suppress(TradingStateConflict):  # another process moved it first
            deps.execution.set_trading_state(
                TradingState.REDUCING, by, "positions open under halt: flatten"
            )


def _halted(deps: PipelineDeps) -> JSON:
    return {"flattened": [], "state": _halt_when_flat(deps).value}


def flatten_all(deps: PipelineDeps, by: str, reason: str) -> list[JSON]:
    """Close every open position now with reduce-only market exits (e.g. end of a replay)."""
    return flatten(deps, by, reason)


def daily_reset(deps: PipelineDeps) -> JSON:
    """Run the daily reset when due (idempotent: a second call finds nothing due)."""
    now = deps.clock.now()

    def work(session: Session, state: RulesState, version: int) -> list[str]:
        update = risk_daily_reset(state, now, deps.risk)
        if update.events or update.state != state:
            commit_rules(deps, session, update, version, deps.run_id)
        return [event.kind for event in update.events]

    events = with_rules(deps, work)
    return {"status": "done", "as_of": now.isoformat(), "events": events}
