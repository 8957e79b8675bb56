"""The ``sweep`` task body: no order is stranded because its ``execute`` task was lost,
failed (``TradingBlocked`` after a venue outage) or left it ``unknown``.

Beat runs ``quorum.sweep`` every ``worker.sweep_interval_s`` in a deployment; the bar
driver runs it at every bar (after *Execute*) in ``quorum run`` and replays. One pass:

0. The account check (:mod:`quorum.pipeline.account_guard`): the risk state's
   ``account_can_trade`` follows whether the venues accept our credentials.
1. Trading still blocked (start-up reconciliation never succeeded): reconcile first; on
   failure the pass ends (nothing may be sent).
2. The oldest ``execution.sweep_batch`` orders in ``new`` / ``submitting`` past its send
   deadline / ``unknown``. A stale ENTRY is expired (:mod:`quorum.pipeline.expiry`),
   never re-submitted; exits are never expired, only retried.
3. An ENTRY resting at the venue (``acknowledged`` / ``partially_filled``: a
   marketable-limit entry the price ran away from) older than ``execution.max_intent_age``
   is cancelled there (:func:`~quorum.pipeline.expiry.cancel_if_stale`), journaled.
4. Every other one whose backoff is due gets ``execute`` again through the dispatcher
   (task key ``<client id>:sweep:<n>``). Backoff per order, persisted in
   ``pipeline_sweeps`` (survives restarts, shared by every worker): re-submission ``n``
   is followed by a wait of ``d/2 + U(0, d/2)``, ``d = min(sweep_backoff_max_s,
   sweep_backoff_base_s · 2^(n-1))``, the jitter seeded by (client id, n). A ``new``
   order younger than ``sweep_grace_s`` (its own execute is still queued) is left alone.

Claiming attempt ``n`` is a compare-and-set on the row's ``attempts``, so two sweeps
running at once dispatch it once; ``execute`` itself stays idempotent by the order's
compare-and-set state machine, so even a duplicate dispatch sends nothing twice.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlmodel import SQLModel

from quorum.domain import OrderState, format_time, parse_time
from quorum.errors import BrokerError
from quorum.execution import ExecOrder, ExecutionSettings
from quorum.pipeline.account_guard import check_account
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.expiry import PENDING, RESTING, cancel_if_stale, expire_if_stale
from quorum.pipeline.runs import inserted
from quorum.store import session_scope
from quorum.store.tables.sweep import SWEEPS_TABLE

SWEEPS = SQLModel.metadata.tables[SWEEPS_TABLE]
_S = OrderState


def backoff_delay(settings: ExecutionSettings, client_order_id: str, attempt: int) -> float:
    """Seconds after re-submission ``attempt`` (1-based) before the next one is due."""
    if attempt < 1:
        raise ValueError(f"attempt: must be >= 1 (got {attempt}) for order {client_order_id}")
    exponent = min(attempt - 1, 62)
    ceiling = min(settings.sweep_backoff_max_s, settings.sweep_backoff_base_s * 2.0**exponent)
    jitter = random.Random(f"{client_order_id}:{attempt}").uniform(0, ceiling / 2)  # noqa: S311
    return ceiling / 2 + jitter


def sweep(deps: PipelineDeps) -> JSON:
    account = check_account(deps)
    service = deps.execution
    if not service.ready:
        try:
            service.reconcile(startup=True)
        except BrokerError as exc:
            return {"status": "blocked", "reason": f"start-up reconciliation failed: {exc}"}
    now = deps.clock.now()
    settings = service.settings
    pending = [o for o in service.orders(set(PENDING), settings.sweep_batch) if _due(o, now)]
    rows = _rows(deps, [o.client_order_id for o in pending])
    submitted: list[str] = []
    expired: list[str] = []
    waiting = 0
    for order in pending:
        after = expire_if_stale(deps, order)
        if after is not None:
            if after.state is _S.EXPIRED:
                expired.append(order.client_order_id)
            continue
        if order.state is _S.NEW and now - order.updated_at < timedelta(
            seconds=settings.sweep_grace_s
        ):
            continue
        attempts, next_at = rows.get(order.client_order_id, (0, None))
        if next_at is not None and now < next_at:
            waiting += 1
            continue
        if _claim(deps, order, attempts, now):
            cid = order.client_order_id
            deps.dispatcher.submit(
                "execute", {"client_order_id": cid}, key=f"{cid}:sweep:{attempts + 1}"
            )
            submitted.append(cid)
    for order in service.orders(set(RESTING), settings.sweep_batch):
        after = cancel_if_stale(deps, order)
        if after is not None and after.state.terminal:
            expired.append(order.client_order_id)
    return {
        "status": "done",
        "account_can_trade": account["account_can_trade"],
        "pending": len(pending),
        "submitted": submitted,
        "expired": expired,
        "waiting": waiting,
    }


def _due(order: ExecOrder, now: datetime) -> bool:
    """A ``submitting`` order is its sender's until its deadline has passed."""
    if order.state is not _S.SUBMITTING:
        return True
    return order.submit_deadline is not None and now >= order.submit_deadline


def _rows(deps: PipelineDeps, cids: list[str]) -> dict[str, tuple[int, datetime]]:
    if not cids:
        return {}
    query = select(SWEEPS.c.client_order_id, SWEEPS.c.attempts, SWEEPS.c.next_attempt_at)
    with deps.engine.connect() as conn:
        found = conn.execute(query.where(SWEEPS.c.client_order_id.in_(cids))).all()
    return {str(cid): (int(n), parse_time(str(at))) for cid, n, at in found}


def _claim(deps: PipelineDeps, order: ExecOrder, attempts: int, now: datetime) -> bool:
    """Record re-submission ``attempts + 1`` (compare-and-set on ``attempts``); False when
    another sweep claimed it first."""
    settings = deps.execution.settings
    attempt = attempts + 1
    next_at = now + timedelta(seconds=backoff_delay(settings, order.client_order_id, attempt))
    row = {
        "attempts": attempt,
        "next_attempt_at": format_time(next_at),
        "last_state": order.state.value,
        "last_error": order.last_error,
        "updated_at": format_time(now),
    }
    with session_scope(deps.engine) as session:
        if attempts == 0:
            first = {"client_order_id": order.client_order_id, **row}
            return inserted(session, SWEEPS_TABLE, first)
        stmt = (
            update(SWEEPS)
            .where(
                and_(
                    SWEEPS.c.client_order_id == order.client_order_id,
                    SWEEPS.c.attempts == attempts,
                )
            )
            .values(**row)
        )
        return bool(session.execute(stmt).rowcount == 1)  # type: ignore[attr-defined]
