"""The submit path: one order from the outbox to the venue, exactly once.

``execute(client_order_id)`` is safe to call any number of times, concurrently:

1. ``new``: the gate (kill switch, disabled strategy) may cancel it locally; otherwise a
   compare-and-set ``new → submitting`` (journaled, committed: *journal before acting*)
   elects exactly one sender, which sends under the derived client id.
2. The venue's answer is recorded (venue order id, status, fills). A definitive refusal is
   ``rejected``; every other failure — timeout, 5xx, reset, duplicate id, anything
   unexpected — is ``unknown``, never ``rejected``.
3. ``submitting`` / ``unknown`` found by anyone (a redelivered task, a restart) is
   *resolved*, not sent: look the client id up at the venue. Found: adopt its state. Not
   found: resend — with the same client id — only once the earlier request's deadline
   (its signed time on the venue's clock + the venue's receive window + clock skew, after
   which the venue refuses it) plus the venue's lookup lag has passed and
   ``resolve_lookups`` spaced lookups all said "not found" (:mod:`quorum.execution.doubt`).
   At a venue where "not found" is never conclusive (no receive window, or no lookup by
   client id: :mod:`quorum.execution.venues`) it is never resent: it stays ``unknown``,
   alerted, and entries on its symbol are refused until reconciliation finds it.
4. Every send (first or resend) of a reduce-only order first passes the reduce-only check
   (:mod:`quorum.execution.reduce_only`) in the transaction that claims it: clipped to
   what our position less the other working exits leaves, or cancelled unsent.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlmodel import Session

from quorum.domain import JournalKind, OrderState, check_order_transition
from quorum.errors import BrokerError, OrderStatusUnknown, QuorumError
from quorum.execution import repo
from quorum.execution.context import ExecContext, observe_submit, read_scope
from quorum.execution.doubt import (
    absence_conclusive,
    alert_unknown,
    deadline_span_s,
    entry_block_reason,
    send_deadline,
)
from quorum.execution.errors import OrderNotFound, OrderRejected, TradingBlocked
from quorum.execution.records import WORKING_STATES, ExecOrder
from quorum.execution.reduce_only import ReduceOnlyCheck, check_reduce_only
from quorum.execution.resilience import BreakerState, GuardedBroker
from quorum.ports import BrokerOrder, BrokerTrade
from quorum.store import session_scope
from quorum.telemetry.metrics import metrics
from quorum.telemetry.tracing import span

_log = logging.getLogger(__name__)


_S = OrderState
_ROUNDS = 8


class _LostRace(Exception):
    """A compare-and-set lost: roll back and re-read."""


class Executor:
    def __init__(self, ctx: ExecContext) -> None:
        self.ctx = ctx

    # -- store helpers -------------------------------------------------------------------

    def load(self, client_order_id: str) -> ExecOrder:
        with read_scope(self.ctx.sessions) as session:
            order = repo.get_order(session, client_order_id)
        if order is None:
            raise KeyError(f"client_order_id: no stored order {client_order_id!r}")
        return order

    def transition(
        self, order: ExecOrder, target: OrderState, reason: str, **changes: object
    ) -> ExecOrder | None:
        """CAS ``order`` to ``target`` and journal it; None when another writer won."""
        with session_scope(self.ctx.sessions) as session:
            return self._cas(session, order, target, reason, None, **changes)

    def _cas(
        self,
        session: Session,
        order: ExecOrder,
        target: OrderState,
        reason: str,
        check: ReduceOnlyCheck | None,
        **changes: object,
    ) -> ExecOrder | None:
        check_order_transition(order.state, target)
        now = max(self.ctx.clock.now(), order.updated_at)
        updated = order.evolve(state=target, updated_at=now, **changes)
        if not repo.cas_order(session, order, updated):
            return None
        updated = updated.evolve(version=order.version + 1)
        payload = updated.summary()
        payload.update(event="transition", previous_state=order.state.value, reason=reason)
        if updated.submit_deadline is not None and target is _S.SUBMITTING:
            payload["submit_deadline"] = updated.submit_deadline
        if check is not None:
            payload["reduce_only_check"] = check.detail
        self.ctx.sync.journal(session, JournalKind.ORDER_UPDATE, payload)
        return updated

    def _claim(self, order: ExecOrder, reason: str, deadline: datetime) -> ExecOrder | None:
        """Elect this caller the sender: ``→ submitting``, after the reduce-only check (in
        the same transaction, the position row locked where the database can): a
        reduce-only order is clipped to what our position less the other working exits
        leaves, or cancelled unsent when nothing is left. None when another writer won."""
        changes: dict[str, object] = {
            "attempts": order.attempts + 1,
            "submit_deadline": deadline,
            "last_error": None,
        }
        with session_scope(self.ctx.sessions) as session:
            check = None
            if order.reduce_only:
                position = repo.get_position(session, order.venue, order.symbol, lock=True)
                others = repo.reduce_only_orders(
                    session, order.venue, order.symbol, order.side, WORKING_STATES
                )
                check = check_reduce_only(order, position, others)
                if check.outcome == "refused":
                    return self._cas(
                        session,
                        order,
                        _S.CANCELLED,
                        f"not sent: {check.reason}",
                        check,
                        last_error=check.reason[:400],
                    )
                if check.outcome == "clipped":
                    changes["quantity"] = order.filled_quantity + check.allowed
                    reason = f"{reason}; {check.reason}"
            return self._cas(session, order, _S.SUBMITTING, reason, check, **changes)

    def apply(
        self,
        order: ExecOrder,
        seen: BrokerOrder | None,
        trades: list[BrokerTrade],
        reason: str,
        inserted: list[str] | None = None,
    ) -> ExecOrder:
        """Record the venue's view of ``order``, re-reading and re-applying on a lost CAS;
        ``inserted`` collects the trade ids this call recorded."""
        for _ in range(_ROUNDS):
            if inserted is not None:
                inserted.clear()  # a lost round rolled its inserts back
            try:
                with session_scope(self.ctx.sessions) as session:
                    updated = self.ctx.sync.record(session, order, seen, trades, reason, inserted)
                    if updated is None:
                        raise _LostRace
                    if trades:
                        self.ctx.controls.check_throttle(session, order.strategy)
                return updated
            except _LostRace:
                order = self.load(order.client_order_id)
        return self.load(order.client_order_id)

    def sent_since(self, order: ExecOrder) -> datetime:
        """No trade of ``order`` can be older than this: its last send (or its creation)."""
        if order.submit_deadline is None:
            return order.created_at - timedelta(seconds=1)
        span = deadline_span_s(self.ctx.settings, self.ctx.broker(order.venue))
        return order.submit_deadline - timedelta(seconds=span + 1)

    def absence_conclusive(self, order: ExecOrder) -> bool:
        """Would "not found" now prove that ``order`` is not at its venue?"""
        broker = self.ctx.broker(order.venue)
        return absence_conclusive(self.ctx.settings, broker, order, self.ctx.clock.now())

    def trades_for(self, order: ExecOrder, seen: BrokerOrder) -> list[BrokerTrade]:
        if seen.filled <= 0:
            return []
        try:
            trades = self.ctx.broker(order.venue).fetch_my_trades(
                order.symbol, since=self.sent_since(order)
            )
        except BrokerError as exc:  # the fills arrive with the next refresh / reconciliation
            _log.warning("trades of %s not fetched: %s", order.client_order_id, exc)
            return []
        return [
            t
            for t in trades
            if t.client_order_id == order.client_order_id or t.venue_order_id == seen.venue_order_id
        ]

    def gate(self, order: ExecOrder) -> str | None:
        with read_scope(self.ctx.sessions) as session:
            reason = self.ctx.controls.blocked_reason(
                session,
                strategy=order.strategy,
                venue=order.venue,
                symbol=order.symbol,
                side=order.side,
                quantity=order.quantity,
                leg=order.leg,
            )
            if reason is None:
                reason = entry_block_reason(session, self.ctx.broker(order.venue), order)
            return reason

    # -- the submit path -------------------------------------------------------------------

    def execute(self, client_order_id: str) -> ExecOrder:
        for _ in range(_ROUNDS):
            order = self.load(client_order_id)
            if order.state is _S.NEW:
                started = self._start(order)
                if started is not None:
                    return started
                continue
            if order.state in (_S.SUBMITTING, _S.UNKNOWN):
                return self.resolve(order)
            if order.state in (_S.ACKNOWLEDGED, _S.PARTIALLY_FILLED):
                return self.refresh(order)
            return order
        return self.load(client_order_id)

    def _in_doubt(self, order: ExecOrder) -> list[ExecOrder]:
        with read_scope(self.ctx.sessions) as session:
            unknown = repo.list_orders(session, [_S.UNKNOWN], venue=order.venue, limit=20)
        return [o for o in unknown if o.client_order_id != order.client_order_id]

    def _start(self, order: ExecOrder) -> ExecOrder | None:
        reason = self.gate(order)
        if reason is not None:
            return self.transition(order, _S.CANCELLED, f"not sent: {reason}", last_error=reason)
        broker = self.ctx.broker(order.venue)
        if broker.breaker.state is BreakerState.OPEN:
            metrics().breaker_open.labels(order.venue).set(1)
            raise TradingBlocked(
                f"order {order.client_order_id}: venue {order.venue} circuit breaker is open; "
                "the order stays new"
            )
        # where "not found" is never conclusive an unknown order may stay for long: only
        # entries on its symbol wait (the gate above), exits and other symbols go on
        hold = self.ctx.settings.hold_new_while_unknown and broker.capabilities.not_found_conclusive
        doubtful = self._in_doubt(order) if hold else []
        for other in doubtful:
            self.resolve(other)
        if doubtful and self._in_doubt(order):
            raise TradingBlocked(
                f"order {order.client_order_id}: venue {order.venue} has orders in state "
                "unknown; no new sends until they are resolved"
            )
        return self._send_new(order, "submit")

    def _send_new(self, order: ExecOrder, reason: str) -> ExecOrder | None:
        broker = self.ctx.broker(order.venue)
        sent_at = self.ctx.clock.now()
        deadline = send_deadline(self.ctx.settings, broker, sent_at)
        submitting = self._claim(order, reason, deadline)
        if submitting is None or submitting.state is not _S.SUBMITTING:
            return submitting  # lost the race, or refused by the reduce-only check
        return self._send(submitting, broker, sent_at)

    def _send(self, order: ExecOrder, broker: GuardedBroker, sent_at: datetime) -> ExecOrder:
        assert order.submit_deadline is not None
        started, outcome = time.perf_counter(), "error"
        try:
            with span("quorum.execution.submit", **{"quorum.venue": order.venue}):
                seen = broker.submit(order.request(sent_at))
            outcome = "ack"
        except OrderRejected as exc:
            outcome = "rejected"
            done = self.transition(order, _S.REJECTED, "venue rejected", last_error=str(exc)[:400])
            return done or self.load(order.client_order_id)
        except Exception as exc:
            unknown = self._outcome_unknown(order, broker, sent_at, exc)
            if not isinstance(exc, QuorumError):
                raise
            if unknown is None:
                return self.load(order.client_order_id)
            if isinstance(exc, OrderStatusUnknown):
                return self.resolve(unknown)
            return unknown
        finally:
            observe_submit(order.venue, outcome, time.perf_counter() - started, broker)
        return self.apply(order, seen, self.trades_for(order, seen), "submit acknowledged")

    def _outcome_unknown(
        self, order: ExecOrder, broker: GuardedBroker, sent_at: datetime, exc: Exception
    ) -> ExecOrder | None:
        """``submitting → unknown`` after a failed submit; where the adapter stamps the
        request itself it was signed before now, which bounds the deadline."""
        changes: dict[str, object] = {"last_error": f"{type(exc).__name__}: {exc}"[:400]}
        caps = broker.capabilities
        if not caps.stamps_our_time:
            changes["submit_deadline"] = send_deadline(
                self.ctx.settings, broker, sent_at, returned_at=self.ctx.clock.now()
            )
        reason = "outcome unknown"
        if not caps.not_found_conclusive:
            reason = f"outcome unknown; {caps.why_inconclusive()}: never resent"
        with session_scope(self.ctx.sessions) as session:
            unknown = self._cas(session, order, _S.UNKNOWN, reason, None, **changes)
            if unknown is not None and not caps.not_found_conclusive:
                alert_unknown(session, self.ctx.sync, unknown, caps)
        return unknown

    def _hold_unknown(self, order: ExecOrder, broker: GuardedBroker) -> ExecOrder:
        """Where "not found" is never conclusive: a ``submitting`` order past its deadline
        becomes ``unknown`` (alerted); an unknown one stays so. Never resent."""
        deadline = order.submit_deadline
        if order.state is not _S.SUBMITTING or (
            deadline is not None and self.ctx.clock.now() < deadline
        ):
            return order
        caps = broker.capabilities
        reason = f"still submitting after its deadline; {caps.why_inconclusive()}"
        with session_scope(self.ctx.sessions) as session:
            moved = self._cas(session, order, _S.UNKNOWN, reason, None)
            if moved is not None:
                alert_unknown(session, self.ctx.sync, moved, caps)
        return moved or self.load(order.client_order_id)

    def resolve(self, order: ExecOrder, allow_resend: bool = True) -> ExecOrder:
        """Settle a ``submitting`` / ``unknown`` order by asking the venue (see module doc)."""
        broker = self.ctx.broker(order.venue)
        settings = self.ctx.settings
        conclusive = absence_conclusive(settings, broker, order, self.ctx.clock.now())
        lookups = settings.resolve_lookups if conclusive else 1
        for attempt in range(lookups):
            if attempt:
                self.ctx.sleep(settings.resolve_spacing_s)
            try:
                seen = broker.fetch_order_by_client_id(order.symbol, order.client_order_id)
            except OrderNotFound:
                continue
            except BrokerError as exc:
                _log.info("order %s still unresolved: %s", order.client_order_id, exc)
                return order
            return self.apply(order, seen, self.trades_for(order, seen), "resolved by lookup")
        if not broker.capabilities.not_found_conclusive and allow_resend:
            return self._hold_unknown(order, broker)
        if not conclusive or not allow_resend:
            return order
        current = self.load(order.client_order_id)
        if current.version != order.version:
            return current
        if current.state is _S.SUBMITTING:
            moved = self.transition(
                current, _S.UNKNOWN, "still submitting after its deadline and not at the venue"
            )
            if moved is None:
                return self.load(order.client_order_id)
            current = moved
        if current.state is not _S.UNKNOWN:
            return current
        blocked = self.gate(current)
        if blocked is not None:
            done = self.transition(
                current, _S.CANCELLED, f"not at the venue; not resent: {blocked}"
            )
            return done or self.load(order.client_order_id)
        if broker.breaker.state is BreakerState.OPEN:
            return current
        resent = self._send_new(
            current, "resend with the same client id: not at the venue after its deadline"
        )
        return resent or self.load(order.client_order_id)

    def refresh(self, order: ExecOrder) -> ExecOrder:
        """Bring an acknowledged / partially filled order up to date from the venue."""
        broker = self.ctx.broker(order.venue)
        try:
            seen = broker.fetch_order_by_client_id(order.symbol, order.client_order_id)
        except OrderNotFound:
            return order
        except BrokerError as exc:
            _log.info("order %s not refreshed: %s", order.client_order_id, exc)
            return order
        return self.apply(order, seen, self.trades_for(order, seen), "refresh")

    def cancel(self, order: ExecOrder, reason: str) -> ExecOrder:
        """Cancel at the venue (bypasses the gate, as cancels may) or locally when new."""
        if order.state is _S.NEW:
            done = self.transition(order, _S.CANCELLED, reason)
            return done or self.load(order.client_order_id)
        if order.state.terminal:
            return order
        broker = self.ctx.broker(order.venue)
        try:
            seen = broker.cancel(order.symbol, order.client_order_id)
        except OrderNotFound:
            return self.refresh(order) if order.state is not _S.UNKNOWN else order
        return self.apply(order, seen, self.trades_for(order, seen), reason)
