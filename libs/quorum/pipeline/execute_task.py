"""The ``execute`` and ``reconcile`` task bodies: the execution stage of the pipeline.

``execute`` advances one stored order's state machine (the intent was stored by the
analyze or monitor stage); when that fills an order, the position's protective orders
follow at once (:mod:`quorum.pipeline.protection`: an entry fill places the stop and
take-profit, an exit fill resizes or cancels them). ``reconcile`` checks the account (the
risk state's ``account_can_trade``) and holds the venues against the store, at start-up
until it succeeds and periodically after.
"""

from __future__ import annotations

from quorum.domain import OrderState
from quorum.pipeline.account_guard import check_account
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.expiry import expire_if_stale
from quorum.pipeline.protection import after_execute, journal_protection
from quorum.telemetry.metrics import metrics
from quorum.telemetry.tracing import span


def execute(deps: PipelineDeps, client_order_id: str) -> JSON:
    """Advance one stored order's state machine (idempotent: compare-and-set states). An
    entry past ``execution.max_intent_age`` is expired instead (:mod:`quorum.pipeline.expiry`),
    however late this task runs."""
    with span("quorum.execute", **{"quorum.client_order_id": client_order_id}) as current:
        order = deps.execution.order(client_order_id)
        current.set_attribute("quorum.symbol", order.symbol)
        if deps.quotes is not None:
            deps.quotes.sync(order.symbol, deps.clock.now())
        stale = expire_if_stale(deps, order)
        after = deps.execution.execute(client_order_id) if stale is None else stale
        current.set_attribute("quorum.order_state", after.state.value)
    if after.filled_quantity > order.filled_quantity:
        metrics().fills.labels(after.venue, after.leg.value).inc()
    protected = after_execute(deps, order, after)
    if protected:
        journal_protection(deps, protected)
    if after.state is OrderState.REJECTED and order.state is not OrderState.REJECTED:
        check_account(deps)  # a venue refusing our credentials rejects orders: ask it
    return {
        "status": after.state.value,
        "client_order_id": client_order_id,
        "symbol": after.symbol,
        "side": after.side.value,
        "leg": after.leg.value,
        "quantity": str(after.quantity),
        "filled_quantity": str(after.filled_quantity),
        "average_price": None if after.average_price is None else str(after.average_price),
    }


def reconcile(deps: PipelineDeps) -> JSON:
    """Check the account (:mod:`quorum.pipeline.account_guard`), then hold the venues
    against the store."""
    account = check_account(deps)
    if account["account_can_trade"] is False:  # every request would be refused too
        return {"status": "blocked", "account_can_trade": False, "reason": account["reason"]}
    startup = not deps.execution.ready
    reports = deps.execution.reconcile(startup=startup)
    return {
        "status": "done",
        "startup": startup,
        "account_can_trade": account["account_can_trade"],
        "venues": [
            {"venue": r.venue, "drifts": len(r.drifts), "unresolved": list(r.unresolved)}
            for r in reports
        ],
    }
