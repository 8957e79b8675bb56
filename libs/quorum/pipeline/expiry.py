"""The intent-age rule: an ENTRY order that could not be sent in time is expired, never
sent late. Exits (exit / stop_loss / take_profit / flatten) never expire.

An entry is *stale* when ``clock.now() - created_at`` (the time its intent was stored, on
the injected clock: market time in a replay) exceeds ``execution.max_intent_age`` for the
timeframe of the signal that stored it (``pipeline_signals.client_order_id``; an intent
stored without a signal row gets the base timeframe's age). A stale entry is expired —

- ``new``: at once (compare-and-set ``new → expired``: it never reached the venue);
- ``submitting`` / ``unknown``: only once "not found" is conclusive (past the send
  deadline plus the venue's lookup lag, at a venue with a receive window and lookups by
  client id: :mod:`quorum.execution.doubt`) and ``resolve_lookups`` lookups by client id
  all said "not found"; found there, the venue's state is adopted instead; a lookup that
  failed leaves it for the next sweep. Nothing is resent.

- ``acknowledged`` / ``partially_filled`` (a marketable-limit entry resting at the venue
  because the price ran beyond its protection band): cancelled at the venue
  (:func:`cancel_if_stale`); what already filled stays a position.

Each expiry is one journaled ``order_update`` transition naming the order, its age and
the rule; the entry's pending trade is then cancelled (unless part of it filled). The
risk state's record of the order stays: ``seen_intents`` must keep refusing the same
intent, and ``order_times`` counts decisions taken for the rate throttle, which this one
was.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from quorum.domain import OrderLeg, OrderState
from quorum.errors import BrokerError
from quorum.execution import ExecOrder, OrderNotFound
from quorum.pipeline.deps import PipelineDeps
from quorum.pipeline.persistence import SIGNALS, put_trade, trades
from quorum.store import session_scope

_S = OrderState
PENDING = frozenset({_S.NEW, _S.SUBMITTING, _S.UNKNOWN})
"""Orders not (known to be) at the venue: what the sweep looks after."""
RESTING = frozenset({_S.ACKNOWLEDGED, _S.PARTIALLY_FILLED})
"""Orders working at the venue: an entry among them is cancelled once stale."""


def age_limit(deps: PipelineDeps, order: ExecOrder) -> tuple[str, timedelta]:
    """The signal's timeframe and its ``execution.max_intent_age``."""
    with deps.engine.connect() as conn:
        found = conn.execute(
            select(SIGNALS.c.timeframe).where(SIGNALS.c.client_order_id == order.client_order_id)
        ).scalar()
    timeframe = str(found) if found is not None else deps.settings.base_timeframe.value
    return timeframe, deps.execution.settings.intent_age_limit(timeframe)


def stale_reason(deps: PipelineDeps, order: ExecOrder, now: datetime) -> str | None:
    """Why ``order`` must be expired instead of sent, or None when it may still be sent."""
    if order.leg is not OrderLeg.ENTRY or order.state not in PENDING:
        return None
    return _too_old(deps, order, now, "expired, not sent late")


def _too_old(deps: PipelineDeps, order: ExecOrder, now: datetime, outcome: str) -> str | None:
    """The reason naming the age rule when the entry ``order`` is older than its limit."""
    age = now - order.created_at
    if age <= min(deps.execution.settings.max_intent_age.values()):
        return None  # younger than every limit: no need to look its timeframe up
    timeframe, limit = age_limit(deps, order)
    if age <= limit:
        return None
    return (
        f"order {order.client_order_id}: entry intent is {age} old (stored "
        f"{order.created_at.isoformat()}), over execution.max_intent_age[{timeframe}] = "
        f"{limit}; {outcome}"
    )


def cancel_if_stale(deps: PipelineDeps, order: ExecOrder) -> ExecOrder | None:
    """None when ``order`` is not a stale entry resting at the venue; else the order after
    cancelling it there (journaled with the age rule; its pending trade is cancelled when
    nothing filled — a partial fill stays the position the monitor manages)."""
    if order.leg is not OrderLeg.ENTRY or order.state not in RESTING:
        return None
    reason = _too_old(deps, order, deps.clock.now(), "cancelled at the venue, unfilled")
    if reason is None:
        return None
    try:
        after = deps.execution.executor.cancel(order, reason)
    except BrokerError:
        return order  # the venue did not answer: the next sweep tries again
    if after.state.terminal and after.filled_quantity == 0:
        _cancel_pending_trade(deps, after)
    return after


def expire_if_stale(deps: PipelineDeps, order: ExecOrder) -> ExecOrder | None:
    """None when ``order`` is not a stale entry; else the order after trying to expire it
    (``expired``, the venue's state when found there, or unchanged when undecidable)."""
    now = deps.clock.now()
    reason = stale_reason(deps, order, now)
    if reason is None:
        return None
    executor = deps.execution.executor
    if order.state is not _S.NEW and not executor.absence_conclusive(order):
        # inside the venue's receive window or before its read path caught up — or at a
        # venue where "not found" is never conclusive: look, but never expire on absence
        return order if order.state is _S.SUBMITTING else _look_up(deps, order)[1]
    if order.state is not _S.NEW:
        absent, seen = _look_up(deps, order)
        if not absent:
            return seen
    current = order
    if current.state is _S.SUBMITTING:
        moved = executor.transition(current, _S.UNKNOWN, "not at the venue after its deadline")
        if moved is None:
            return executor.load(order.client_order_id)
        current = moved
    expired = executor.transition(current, _S.EXPIRED, reason, last_error=reason[:400])
    if expired is None:  # another worker moved it first (sent it, or expired it)
        return executor.load(order.client_order_id)
    _cancel_pending_trade(deps, expired)
    return expired


def _look_up(deps: PipelineDeps, order: ExecOrder) -> tuple[bool, ExecOrder]:
    """``(True, order)`` when every lookup said "not found"; else ``(False, …)`` with the
    venue's state applied, or ``order`` unchanged when a lookup failed (undecidable)."""
    executor = deps.execution.executor
    settings = deps.execution.settings
    broker = executor.ctx.broker(order.venue)
    for attempt in range(settings.resolve_lookups):
        if attempt:
            executor.ctx.sleep(settings.resolve_spacing_s)
        try:
            seen = broker.fetch_order_by_client_id(order.symbol, order.client_order_id)
        except OrderNotFound:
            continue
        except BrokerError:
            return False, order
        trades_seen = executor.trades_for(order, seen)
        return False, executor.apply(order, seen, trades_seen, "resolved by lookup")
    return True, order


def _cancel_pending_trade(deps: PipelineDeps, order: ExecOrder) -> None:
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        for trade in trades(session, states=["pending"], run_id=deps.run_id):
            if trade.trade_id == order.client_order_id:
                put_trade(session, trade, replace(trade, state="cancelled", closed_at=now))
