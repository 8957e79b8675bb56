"""Operator controls: the ONE kill switch, and the daily reset.

The kill switch has three records that must agree — the ``kill_switch`` feature flag, the
execution service's persisted switch (``execution_switches``) and ``RulesState.kill_switch``
— and :func:`set_kill_switch` moves all three. Engaging blocks new entries at once, cancels
every working order and flattens every position with risk-reducing market exits (a
flatten bypasses the entry gate; its decision is stated and journaled with the intent).
Engaged wins: when the three disagree (someone flipped only the flag, or only the
execution switch), :func:`sync_kill_switch`, run before each analyze and monitor,
engages the rest; releasing takes an explicit ``set_kill_switch(False, by, reason)``.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from quorum.domain import (
    JournalKind,
    OrderLeg,
    RiskDecision,
    RuleCheck,
    Side,
    Verdict,
)
from quorum.errors import ConfigError, QuorumError
from quorum.pipeline.accounting import commit_rules, positions_now, rules_state, with_rules
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.exits import exit_intent, position_subject
from quorum.pipeline.persistence import trades
from quorum.risk import RulesState
from quorum.risk import daily_reset as risk_daily_reset
from quorum.risk import set_kill_switch as risk_switch
from quorum.store import session_scope
from quorum.telemetry.metrics import metrics

FLAG = "kill_switch"
FLATTEN_RULE = "kill_switch.flatten"
"""The rule of a flatten's exit (its risk check, and part of the exit's cause)."""
_log = logging.getLogger(__name__)


def sync_kill_switch(deps: PipelineDeps) -> JSON | None:
    """Engage everywhere when any of the three records is engaged and another is not; when
    all are engaged, flatten any position this process can still reach."""
    flag = bool(deps.flags.get(FLAG))
    execution = deps.execution.kill_switch_engaged()
    with deps.engine.connect() as conn:
        state, _ = rules_state(deps, conn)
    rules = state.kill_switch is not None
    if not (flag or execution or rules):
        return None
    if flag and execution and rules:
        # engaged everywhere (e.g. by `quorum kill-switch on` in another process, which
        # cannot reach this process's venue): flatten what this process still holds
        switch = state.kill_switch
        if switch is not None and deps.execution.ready and positions_now(deps):
            return {"flattened": _flatten(deps, switch.by, "kill switch engaged")}
        return None
    source = "flag" if flag else "execution switch" if execution else "rules state"
    by = state.kill_switch.by if state.kill_switch is not None else f"{deps.settings.actor}:sync"
    return set_kill_switch(deps, True, by, f"kill switch engaged by the {source}")


def _set_flag(deps: PipelineDeps, engaged: bool, by: str, reason: str) -> None:
    if bool(deps.flags.get(FLAG)) == engaged:
        return
    try:
        deps.flags.set(FLAG, engaged, by, reason)
    except ConfigError as exc:  # e.g. pinned by env: the other two records still move
        _log.warning("kill switch: flag not flipped: %s", exc)


def set_kill_switch(deps: PipelineDeps, engaged: bool, by: str, reason: str) -> JSON:
    if not by.strip():
        raise ValueError("by: the kill switch must name who changed it")
    if not reason.strip():
        raise ValueError("reason: say why the kill switch is changed")
    now = deps.clock.now()

    def rules(session: Session, state: RulesState, version: int) -> bool:
        update = risk_switch(state, engaged, now, deps.risk, by=by, reason=reason)
        changed = update.state != state
        if changed or update.events:
            commit_rules(deps, session, update, version, deps.run_id)
        return changed

    if engaged:
        _set_flag(deps, True, by, reason)
        rules_changed = with_rules(deps, rules)
        report = deps.execution.engage_kill_switch(by, reason)
        flattened = _flatten(deps, by, reason)
        result: JSON = {
            "engaged": True,
            "changed": report.changed or rules_changed,
            "cancels_sent": report.cancels_sent,
            "cancelled_locally": report.cancelled_locally,
            "cancel_failures": list(report.cancel_failures),
            "flattened": flattened,
        }
    else:
        execution_changed = deps.execution.release_kill_switch(by, reason)
        rules_changed = with_rules(deps, rules)
        _set_flag(deps, False, by, reason)
        result = {"engaged": False, "changed": execution_changed or rules_changed}
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


def flatten_all(deps: PipelineDeps, by: str, reason: str) -> list[JSON]:
    """Close every open position now with reduce-only market exits (e.g. end of a replay)."""
    return _flatten(deps, by, reason)


def _flatten(deps: PipelineDeps, by: str, reason: str) -> list[JSON]:
    """A reduce-only market exit per open position, sent now (risk-reducing: allowed).

    Its client id derives from the position's trade (or the position episode) and the
    cause ``kill_switch.flatten`` (:mod:`quorum.pipeline.exits`): flattening again while
    that exit is not finished sends nothing new; it is sized to what the exits already
    working at the venue leave (one still queued is refused at its send)."""
    now = deps.clock.now()
    out: list[JSON] = []
    with deps.engine.connect() as conn:
        live = {
            (t.venue, t.symbol): t for t in trades(conn, ["pending", "open"], run_id=deps.run_id)
        }
    for position in positions_now(deps):
        side = Side.SELL if position.quantity > 0 else Side.BUY
        held = abs(position.quantity)
        trade = live.get((position.venue, position.symbol))
        intent = exit_intent(
            deps,
            subject=position_subject(position) if trade is None else trade.trade_id,
            venue=position.venue,
            symbol=position.symbol,
            side=side,
            leg=OrderLeg.EXIT,
            rule=FLATTEN_RULE,
            quantity=held,
            held=held,
            now=now,
            count_unsent=False,
        )
        if isinstance(intent, str):
            out.append(
                {"symbol": position.symbol, "quantity": "0", "intent": "working", "reason": intent}
            )
            continue
        quantity = intent.quantity
        check = RuleCheck(
            rule=FLATTEN_RULE,
            passed=True,
            measured=f"{side} {quantity}",
            limit=f"exit of at most {abs(position.quantity)}",
            message=f"flatten by {by}: {reason}",
        )
        decision = RiskDecision(
            symbol=position.symbol,
            as_of=now,
            verdict=Verdict.APPROVED,
            quantity=quantity,
            checks=(check,),
            reason=f"kill switch flatten by {by}",
        )
        if deps.quotes is not None:
            deps.quotes.sync(position.symbol, now)
        with session_scope(deps.engine) as session:
            stored = deps.execution.store_intent(session, intent, decision)
        item: JSON = {"symbol": position.symbol, "quantity": str(quantity), "intent": stored.status}
        if stored.accepted:
            try:
                order = deps.execution.execute(intent.client_order_id)
                item.update(client_order_id=order.client_order_id, state=order.state.value)
            except QuorumError as exc:
                item.update(client_order_id=intent.client_order_id, error=str(exc))
        else:
            item["reason"] = stored.reason
        out.append(item)
    return out


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
