"""Exit identity: which client id an exit is stored under, and what is already on its way.

An exit's client id is derived from its cause — the position it closes (the trade id, or
the position episode when no trade of this run holds it), its leg, the rule that asked for
it and a generation — never from the time it was decided
(:func:`quorum.domain.derive_exit_client_order_id`). Every monitor pass, strategy exit or
flatten that finds the same exit condition therefore derives the same id, and storing it
again is a no-op (the unique client id). The generation is found, not kept: generation
``g`` is used unless the order stored under it is finished — dead (cancelled, rejected,
expired) or filled while the position is still open (its size changed) — then ``g + 1``
is tried. So at most one exit per (position, leg, rule) is working at any time.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from quorum.domain import (
    ExitCause,
    OrderIntent,
    OrderLeg,
    OrderType,
    Side,
    derive_exit_client_order_id,
)
from quorum.errors import QuorumError
from quorum.execution import NetPosition
from quorum.execution.reduce_only import contingent
from quorum.pipeline.deps import PipelineDeps

MAX_GENERATIONS = 1000
"""A position whose exit of one rule died this often is a fault to look at, not to retry."""


def position_subject(position: NetPosition) -> str:
    """The subject of an exit of a position no trade of this run holds: its venue, symbol
    and the time it left flat (one episode of the position, whatever the wall clock)."""
    opened = "unknown" if position.opened_at is None else position.opened_at.isoformat()
    return f"position:{position.venue}:{position.symbol}:{opened}"


def exit_cause(
    deps: PipelineDeps, subject: str, symbol: str, side: Side, leg: OrderLeg, rule: str
) -> ExitCause:
    """The cause (with its generation) a new exit of ``rule`` for ``subject`` is stored
    under: the first generation whose order is missing or still working."""
    for generation in range(MAX_GENERATIONS):
        cause = ExitCause(subject=subject, rule=rule, generation=generation)
        cid = derive_exit_client_order_id(
            deps.run_id, deps.settings.strategy, symbol, side, leg, cause
        )
        try:
            order = deps.execution.order(cid)
        except KeyError:
            return cause
        if not order.state.terminal:
            return cause
    raise QuorumError(
        f"exit of {subject} ({rule}): {MAX_GENERATIONS} generations finished without closing "
        "the position; expected far fewer"
    )


def working_exit_quantity(
    deps: PipelineDeps,
    venue: str,
    symbol: str,
    side: Side,
    exclude: str = "",
    *,
    include_new: bool = True,
) -> Decimal:
    """What reduce-only market orders on ``side`` (other than ``exclude``) may still fill:
    those working at the venue and, with ``include_new``, those stored and not yet sent.
    The resting protective stop and take-profit are contingent and not counted
    (:func:`quorum.execution.reduce_only.contingent`)."""
    return sum(
        (
            o.remaining
            for o in deps.execution.open_exits(venue, symbol, side, include_new=include_new)
            if o.client_order_id != exclude and not contingent(o)
        ),
        Decimal(0),
    )


def exit_intent(
    deps: PipelineDeps,
    *,
    subject: str,
    venue: str,
    symbol: str,
    side: Side,
    leg: OrderLeg,
    rule: str,
    quantity: Decimal,
    held: Decimal,
    now: datetime,
    count_unsent: bool = True,
) -> OrderIntent | str:
    """A reduce-only market exit of ``quantity`` (at most ``held`` less what the position's
    other exits may still fill) under its cause's client id, or why none is needed.

    ``count_unsent=False`` counts only the exits already sent (a flatten goes out now; an
    exit still waiting in the queue is refused by the send-time check once it is sent)."""
    cause = exit_cause(deps, subject, symbol, side, leg, rule)
    cid = derive_exit_client_order_id(deps.run_id, deps.settings.strategy, symbol, side, leg, cause)
    others = working_exit_quantity(deps, venue, symbol, side, exclude=cid, include_new=count_unsent)
    size = min(quantity, held - others)
    if size <= 0:
        return (
            f"exit of {subject} ({rule}) not stored: working exits already cover the "
            f"position ({others} of {held})"
        )
    return OrderIntent(
        run_id=deps.run_id,
        strategy=deps.settings.strategy,
        symbol=symbol,
        signal_time=now,
        side=side,
        leg=leg,
        order_type=OrderType.MARKET,
        quantity=size,
        reduce_only=True,
        cause=cause,
    )
