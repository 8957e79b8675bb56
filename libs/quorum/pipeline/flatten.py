"""Flatten: one reduce-only market exit per open position, sent now (risk-reducing).

Each item of the report names the position's symbol, the exit's client order id, its
state, whether it filled, and ``error`` when it could not be done (refused, rejected,
not sent); an exit already working for the position is reported as ``intent: working``.
"""

from __future__ import annotations

from quorum.domain import OrderLeg, OrderState, RiskDecision, RuleCheck, Side, Verdict
from quorum.errors import QuorumError
from quorum.pipeline.accounting import positions_now
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.exits import exit_intent, position_subject
from quorum.pipeline.persistence import trades
from quorum.store import session_scope

FLATTEN_RULE = "kill_switch.flatten"
"""The rule of a flatten's exit (its risk check, and part of the exit's cause)."""
_UNDER_WAY = frozenset({OrderState.FILLED, OrderState.ACKNOWLEDGED, OrderState.PARTIALLY_FILLED})
"""An exit in any other state after its send was not done: refused, cancelled, expired,
or in doubt (``unknown``/``submitting``: the venue did not answer)."""


def failures(items: list[JSON]) -> list[str]:
    """What a flatten could not do, one line per position."""
    return [f"{i['symbol']}: {i['error']}" for i in items if "error" in i]


def flatten(deps: PipelineDeps, by: str, reason: str) -> list[JSON]:
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
        item: JSON = {
            "symbol": position.symbol,
            "quantity": str(quantity),
            "intent": stored.status,
            "client_order_id": intent.client_order_id,
            "filled": False,
        }
        if stored.accepted:
            try:
                order = deps.execution.execute(intent.client_order_id)
                item.update(
                    state=order.state.value,
                    filled_quantity=str(order.filled_quantity),
                    filled=order.state is OrderState.FILLED,
                )
                if order.state not in _UNDER_WAY:
                    item["error"] = f"exit order {order.state.value}: not done"
            except QuorumError as exc:
                item["error"] = str(exc)
        else:
            item["error"] = f"exit refused: {stored.reason}"
        out.append(item)
    return out
