"""Protective orders at the venue: the stop (and the take-profit) of every filled entry.

After an entry fills (``execute`` of the entry, or any ``monitor`` pass), :func:`ensure`
brings the position's resting orders to what the trade asks for:

- a reduce-only **stop** order (``OrderLeg.STOP_LOSS``, ``OrderType.STOP``) at the trade's
  working stop (:func:`working_stop`), and, when the trade has a take-profit beyond the
  fill, a reduce-only **limit** take-profit (``OrderLeg.TAKE_PROFIT``) — each sized to the
  position held now (a partial entry fill places them for what filled; a further fill
  resizes them);
- each under a client id derived from the trade and its cause
  (``ExitCause(trade_id, "protect.stop" | "protect.target", generation)``): a redelivered
  fill, a second worker or the next monitor pass derives the same id and stores nothing new
  (the outbox refuses the duplicate);
- a change (price moved by breakeven / trailing, size changed by a fill) is a
  **cancel-replace**: the working order is cancelled at the venue first, then the next
  generation is stored and sent (so two stops of one position never work at once, and the
  position is without a stop for at most that one round trip); an order that cannot be
  cancelled now (venue unreachable, outcome unknown) stays and the next pass retries;
- **emulated OCO**: when the position is flat (a leg filled, or any exit closed it) what
  is left of the other legs is cancelled; the trade is closed from the venue's fill by
  :mod:`quorum.pipeline.lifecycle`.

Resting protective orders are *contingent* for the send-time reduce-only check: they do
not reserve the position (:func:`quorum.execution.reduce_only.contingent`).

:func:`protection_state` tells the risk monitor whether a stop works at the venue and
since when the position has had none (rule ``account.unprotected_position``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from quorum.domain import (
    MAX_STOP_FRACTION,
    MIN_STOP_FRACTION,
    Direction,
    ExitCause,
    JournalKind,
    OrderIntent,
    OrderLeg,
    OrderState,
    OrderType,
    Position,
    PositionState,
    Side,
    derive_exit_client_order_id,
)
from quorum.execution import ExecOrder, NetPosition
from quorum.pipeline.deps import PipelineDeps
from quorum.pipeline.exits import MAX_GENERATIONS
from quorum.pipeline.persistence import Trade, trades
from quorum.risk import evaluate_exit
from quorum.store import session_scope

log = logging.getLogger(__name__)

STOP_RULE = "protect.stop"
TARGET_RULE = "protect.target"
_ACTIVE = {
    OrderState.SUBMITTING,
    OrderState.ACKNOWLEDGED,
    OrderState.PARTIALLY_FILLED,
    OrderState.UNKNOWN,
}
"""A stop in these states is at the venue or on its way there (``new`` is only stored)."""


@dataclass(frozen=True, slots=True)
class _Leg:
    rule: str
    leg: OrderLeg
    order_type: OrderType


STOP = _Leg(STOP_RULE, OrderLeg.STOP_LOSS, OrderType.STOP)
TARGET = _Leg(TARGET_RULE, OrderLeg.TAKE_PROFIT, OrderType.LIMIT)


# -- the levels ----------------------------------------------------------------------------


def protective_stop(trade: Trade, entry: Decimal) -> Decimal:
    """The position's initial stop, inside the risk gate's stop band around the fill.

    The gate approved the planned stop against the signal's close; the fill may differ
    (a gap at the next open). The initial stop stands while its distance from the fill is
    within ``[MIN_STOP_FRACTION, MAX_STOP_FRACTION]``. A fill that gapped away from the stop
    so it is farther than the band allows gets the band's edge (a tighter stop: the risk
    budget was sized for the planned distance). A fill at or through the stop, or closer
    than the band's inner edge, gets the tightest valid stop."""
    long = trade.direction == Direction.LONG.value
    distance = (
        (entry - trade.initial_stop) / entry if long else (trade.initial_stop - entry) / entry
    )
    if distance > MAX_STOP_FRACTION:
        return entry * (1 - MAX_STOP_FRACTION) if long else entry * (1 + MAX_STOP_FRACTION)
    if distance < MIN_STOP_FRACTION:
        return entry * (1 - MIN_STOP_FRACTION) if long else entry * (1 + MIN_STOP_FRACTION)
    return trade.initial_stop


def working_stop(trade: Trade, entry: Decimal) -> Decimal:
    """The stop enforced for ``trade`` filled at ``entry``: its working stop, tightened to
    :func:`protective_stop` when the fill left it outside the band — never loosened."""
    stop = protective_stop(trade, entry)
    long = trade.direction == Direction.LONG.value
    return stop if (trade.stop < stop if long else trade.stop > stop) else trade.stop


def target_price(trade: Trade, entry: Decimal) -> Decimal | None:
    """The take-profit when it lies beyond the fill (one the fill passed is not placed)."""
    target = trade.take_profit
    long = trade.direction == Direction.LONG.value
    if target is None or ((target > entry) if long else (target < entry)):
        return target
    return None


# -- the orders ------------------------------------------------------------------------


def _cid(deps: PipelineDeps, trade: Trade, leg: _Leg, generation: int) -> str:
    cause = ExitCause(subject=trade.trade_id, rule=leg.rule, generation=generation)
    return derive_exit_client_order_id(
        deps.run_id, deps.settings.strategy, trade.symbol, _exit_side(trade), leg.leg, cause
    )


def _exit_side(trade: Trade) -> Side:
    return Direction(trade.direction).exit_side


def generations(deps: PipelineDeps, trade: Trade, leg: _Leg) -> list[ExecOrder]:
    """Every stored order of ``leg`` for ``trade``, oldest generation first."""
    found: list[ExecOrder] = []
    for generation in range(MAX_GENERATIONS):
        try:
            found.append(deps.execution.order(_cid(deps, trade, leg, generation)))
        except KeyError:
            break
    return found


def _held(deps: PipelineDeps, trade: Trade) -> NetPosition | None:
    """Our position in the trade's venue and symbol when it is on the trade's side."""
    long = trade.direction == Direction.LONG.value
    for position in deps.execution.positions(trade.venue):
        if position.symbol == trade.symbol and (
            position.quantity > 0 if long else position.quantity < 0
        ):
            return position
    return None


def ensure(deps: PipelineDeps, trade: Trade) -> list[dict[str, Any]]:
    """Bring ``trade``'s protective orders to its stop, target and position (module doc);
    returns what was done (journal events)."""
    if not deps.settings.protective_orders:
        return []
    held = _held(deps, trade)
    if held is None or held.average_entry is None:
        return [e for leg in (STOP, TARGET) for e in _cancel_working(deps, trade, leg, "flat")]
    size = abs(held.quantity)
    events: list[dict[str, Any]] = []
    for leg, price in (
        (STOP, working_stop(trade, held.average_entry)),
        (TARGET, target_price(trade, held.average_entry)),
    ):
        events.extend(_ensure_leg(deps, trade, leg, price, size, held))
    return events


def _matches(order: ExecOrder, price: Decimal | None, size: Decimal) -> bool:
    level = order.stop_price if order.order_type is OrderType.STOP else order.price
    return level == price and order.quantity - order.filled_quantity == size


def _ensure_leg(
    deps: PipelineDeps,
    trade: Trade,
    leg: _Leg,
    price: Decimal | None,
    size: Decimal,
    held: NetPosition,
) -> list[dict[str, Any]]:
    stored = generations(deps, trade, leg)
    last = stored[-1] if stored else None
    if last is not None and not last.state.terminal:
        if price is not None and _matches(last, price, size):
            return []
        cancelled = _cancel(deps, last, "replaced")
        if not cancelled.state.terminal:  # the old order still works: retried next pass
            return [_event(trade, leg, "cancel_pending", cancelled)]
        events = [_event(trade, leg, "cancelled (replaced)", cancelled)]
        if cancelled.filled_quantity > last.filled_quantity:  # it filled meanwhile
            now_held = _held(deps, trade)
            if now_held is None:
                return events
            held, size = now_held, abs(now_held.quantity)
    else:
        events = []
    if price is None:
        return events
    return [*events, _place(deps, trade, leg, price, size, held, len(stored))]


def _place(
    deps: PipelineDeps,
    trade: Trade,
    leg: _Leg,
    price: Decimal,
    size: Decimal,
    held: NetPosition,
    generation: int,
) -> dict[str, Any]:
    now = deps.clock.now()
    cause = ExitCause(subject=trade.trade_id, rule=leg.rule, generation=generation)
    stop = leg.order_type is OrderType.STOP
    intent = OrderIntent(
        run_id=deps.run_id,
        strategy=deps.settings.strategy,
        symbol=trade.symbol,
        signal_time=now,
        side=_exit_side(trade),
        leg=leg.leg,
        order_type=leg.order_type,
        quantity=size,
        price=None if stop else price,
        stop_price=price if stop else None,
        reduce_only=True,
        cause=cause,
    )
    entry = held.average_entry
    assert entry is not None
    position = Position(
        position_id=trade.trade_id,
        run_id=deps.run_id,
        symbol=trade.symbol,
        direction=Direction(trade.direction),
        state=PositionState.ACTIVE,
        quantity=size,
        average_entry=entry,
        stop_loss=protective_stop(trade, entry),
        opened_at=trade.opened_at,
    )
    decision = evaluate_exit(intent, position, now, current_stop=price if stop else None)
    cid = intent.client_order_id
    if not decision.approved:
        return {**_base(trade, leg), "event": "refused", "reason": decision.reason}
    with session_scope(deps.engine) as session:
        outcome = deps.execution.store_intent(session, intent, decision)
    if outcome.status != "refused":
        deps.dispatcher.submit("execute", {"client_order_id": cid}, key=cid)
    log.info("protection: %s %s %s at %s for %s", trade.trade_id, leg.rule, cid, price, size)
    return {
        **_base(trade, leg),
        "event": "placed",
        "intent": outcome.status,
        "client_order_id": cid,
        "price": str(price),
        "quantity": str(size),
        "generation": generation,
    }


def _cancel(deps: PipelineDeps, order: ExecOrder, why: str) -> ExecOrder:
    try:
        return deps.execution.executor.cancel(order, f"protection: {why}")
    except Exception:  # the venue is unreachable: the next pass retries
        log.warning("protection: cancel of %s failed", order.client_order_id, exc_info=True)
        return deps.execution.order(order.client_order_id)


def _cancel_working(deps: PipelineDeps, trade: Trade, leg: _Leg, why: str) -> list[dict[str, Any]]:
    events = []
    for order in generations(deps, trade, leg):
        if not order.state.terminal:
            events.append(_event(trade, leg, f"cancelled ({why})", _cancel(deps, order, why)))
    return events


def _base(trade: Trade, leg: _Leg) -> dict[str, Any]:
    return {
        "kind": "protection",
        "rule": leg.rule,
        "symbol": trade.symbol,
        "trade_id": trade.trade_id,
    }


def _event(trade: Trade, leg: _Leg, what: str, order: ExecOrder) -> dict[str, Any]:
    return {
        **_base(trade, leg),
        "event": what,
        "client_order_id": order.client_order_id,
        "state": order.state.value,
    }


# -- what the monitor and the execute task call ------------------------------------------


def after_execute(deps: PipelineDeps, before: ExecOrder, after: ExecOrder) -> list[dict[str, Any]]:
    """An order of ``after.symbol`` filled more: bring the live trades there up to date
    (an entry fill places or resizes the stop and target; an exit fill resizes them or,
    when the position is flat, cancels them)."""
    if not deps.settings.protective_orders or after.filled_quantity <= before.filled_quantity:
        return []
    with deps.engine.connect() as conn:
        live = trades(conn, states=["pending", "open"], run_id=deps.run_id)
    events: list[dict[str, Any]] = []
    for trade in live:
        if trade.symbol == after.symbol and trade.venue == after.venue:
            events.extend(ensure(deps, trade))
    return events


def release(deps: PipelineDeps, trade: Trade) -> list[dict[str, Any]]:
    """Cancel what is left of an ended trade's protective orders (emulated OCO)."""
    if not deps.settings.protective_orders:
        return []
    return [e for leg in (STOP, TARGET) for e in _cancel_working(deps, trade, leg, "closed")]


def refresh(deps: PipelineDeps, trade: Trade) -> None:
    """Learn the venue's fills of ``trade``'s working protective orders (a stop that
    triggered while no worker ran is recorded before the trade is looked at)."""
    if not deps.settings.protective_orders:
        return
    for leg in (STOP, TARGET):
        for order in generations(deps, trade, leg):
            if order.state in _ACTIVE:
                try:
                    deps.execution.execute(order.client_order_id)
                except Exception:
                    log.warning("protection: %s not refreshed", order.client_order_id)


@dataclass(frozen=True, slots=True)
class Protection:
    """Whether a stop works for the trade at the venue and, if not, since when."""

    active: bool
    unprotected_since: datetime | None


def protection_state(deps: PipelineDeps, trade: Trade, entered: datetime) -> Protection:
    """``active`` when the newest stop order is at the venue or on its way (submitting,
    acknowledged, partially filled, unknown). Otherwise the position has been unprotected
    since the newest stop the venue had accepted ended; stops the venue never took since
    then (rejected, cancelled unsent, stored and not yet sent) count from the first one's
    creation — so a stop just placed gets the grace, and a stop the venue keeps refusing
    does not renew it. No stop order at all: since the entry (``entered``)."""
    if not deps.settings.protective_orders:
        return Protection(True, None)
    stored = generations(deps, trade, STOP)
    if stored and stored[-1].state in _ACTIVE:
        return Protection(True, None)
    since = entered
    for order in reversed(stored):
        if order.venue_order_id is not None:
            return Protection(False, max(order.updated_at, entered))
        since = order.created_at
    return Protection(False, max(since, entered) if stored else entered)


def journal_protection(deps: PipelineDeps, events: list[dict[str, Any]]) -> None:
    """One journal entry for what :func:`ensure` did outside a monitor pass."""
    with session_scope(deps.engine) as session:
        deps.journal.append(
            session,
            JournalKind.RISK_DECISION,
            {"event": "protective_orders", "actions": events},
            actor=deps.settings.actor,
            run_id=deps.run_id,
        )
