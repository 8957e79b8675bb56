"""Any interleaving of duplicate deliveries, retries, ambiguous replies, lost requests,
timeouts, restarts and duplicate / out-of-order fills: each client id reaches the venue
at most once, filled <= ordered, the average price lies within the fills' range, and
every intent ends terminal or reconciled with the venue."""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from tests.unit.execution.execution_kit import PRICE, SYMBOL, T0, approve, intent_at

from quorum.clock import ReplayClock
from quorum.domain import OrderState
from quorum.errors import BrokerError, OrderStatusUnknown
from quorum.execution import (
    ExecutionService,
    ExecutionSettings,
    Faults,
    FaultSettings,
    InProcessPaperBroker,
    PaperSettings,
    PaperVenue,
    TradingBlocked,
)
from quorum.journal import Journal
from quorum.ports import BrokerOrder, OrderRequest
from quorum.store import create_engine_for, metadata, session_factory, session_scope
from quorum.testing import make_order_intent

D = Decimal


class Flaky(InProcessPaperBroker):
    """Drops the next submit before the venue sees it when ``drop`` is set."""

    drop = False

    def submit(self, request: OrderRequest) -> BrokerOrder:
        if self.drop:
            self.drop = False
            self._enter("submit")
            raise OrderStatusUnknown("request lost on the way")
        return super().submit(request)


class ExecutionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = create_engine_for("sqlite://")
        metadata.create_all(self.engine)
        self.clock = ReplayClock(T0)
        self.venue = PaperVenue(
            self.clock,
            PaperSettings(recv_window_s=1.0, query_lag_s=0.5, seed=3),
        )
        self.venue.set_quote(SYMBOL, PRICE - D("0.5"), PRICE + D("0.5"), PRICE)
        self.faults = Faults(FaultSettings(ambiguous_probability=0.3))
        self.broker = Flaky(self.venue, faults=self.faults, sleep=self._sleep)
        self.journal = Journal(self.engine, self.clock)
        self.service = self._new_service()
        self.stored: set[str] = set()
        self.snapshots: dict[str, BrokerOrder] = {}

    def _sleep(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    def _new_service(self) -> ExecutionService:
        service = ExecutionService(
            session_factory(self.engine),
            self.journal,
            self.clock,
            {"paper": self.broker},
            settings=ExecutionSettings(resolve_spacing_s=0.05),
            sleep=self._sleep,
        )
        service.reconcile(startup=True)
        return service

    def teardown(self) -> None:
        self.engine.dispose()

    @rule(i=st.integers(0, 5), limit=st.booleans())
    def store(self, i: int, limit: bool) -> None:
        extra: dict[str, Any] = {"order_type": "limit", "price": D(99)} if limit else {}
        intent = make_order_intent(**intent_at(i), quantity=D(1), **extra)
        with session_scope(self.engine) as session:
            outcome = self.service.store_intent(session, intent, approve(intent))
        assert outcome.accepted
        self.stored.add(intent.client_order_id)

    @precondition(lambda self: bool(self.stored))
    @rule(data=st.data(), times=st.integers(1, 3))
    def deliver(self, data: st.DataObject, times: int) -> None:
        cid = data.draw(st.sampled_from(sorted(self.stored)))
        for _ in range(times):  # duplicate deliveries of the same task
            with contextlib.suppress(TradingBlocked):
                self.service.execute(cid)

    @rule(p=st.sampled_from([0.0, 0.3, 1.0]))
    def ambiguity(self, p: float) -> None:
        self.faults.configure(FaultSettings(ambiguous_probability=p, seed=int(p * 10)))

    @rule()
    def lose_next_request(self) -> None:
        self.broker.drop = True

    @rule(down=st.booleans())
    def outage(self, down: bool) -> None:
        self.faults.set_down(down)

    @rule(seconds=st.sampled_from([0.1, 0.6, 1.5, 5.0]))
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    @rule(low=st.booleans())
    def market_moves(self, low: bool) -> None:
        mid = D(98) if low else D(101)
        self.venue.set_quote(SYMBOL, mid - D("0.5"), mid + D("0.5"), mid)

    @rule()
    def restart(self) -> None:
        self.faults.set_down(False)
        self.service = self._new_service()

    @rule()
    def reconcile(self) -> None:
        try:
            self.service.reconcile()
        except BrokerError as exc:  # an outage fails the pass; nothing is half-applied
            if "unavailable" not in str(exc) and "circuit" not in str(exc):
                raise

    @precondition(lambda self: bool(self.stored))
    @rule(data=st.data())
    def stale_and_duplicate_fills(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(sorted(self.stored)))
        trades = [t for t in self.venue.trades() if t.client_order_id == cid]
        if not trades:
            return
        try:
            seen = self.venue.fetch_by_client_id(cid)
        except Exception:
            return
        earlier = self.snapshots.get(cid, seen)
        self.snapshots[cid] = seen
        shuffled = trades * 2
        random.Random(len(trades)).shuffle(shuffled)
        order = self.service.order(cid)
        if order.state in (OrderState.NEW, OrderState.SUBMITTING, OrderState.UNKNOWN):
            return
        self.service.executor.apply(order, earlier, shuffled, "out-of-order replay")

    @invariant()
    def each_client_id_reaches_the_venue_at_most_once(self) -> None:
        assert all(n <= 1 for n in self.venue.stats.accepted.values()), self.venue.stats.accepted

    @invariant()
    def filled_within_ordered_and_average_within_fill_prices(self) -> None:
        by_cid: dict[str, list[Decimal]] = {}
        for t in self.venue.trades():
            by_cid.setdefault(t.client_order_id or "", []).append(t.price)
        for order in self.service.orders():
            assert 0 <= order.filled_quantity <= order.quantity
            if order.filled_quantity > 0:
                prices = by_cid[order.client_order_id]
                assert order.average_price is not None
                assert min(prices) <= order.average_price <= max(prices)
            if order.state is OrderState.REJECTED:
                assert self.venue.stats.accepted[order.client_order_id] == 0

    def check_settles(self) -> None:
        self.faults.set_down(False)
        self.faults.configure(FaultSettings())
        self.broker.drop = False
        for _ in range(4):
            self.clock.advance(timedelta(seconds=5))
            self.service.ctx.brokers["paper"].breaker.record_success()
            self.service.run_pending()
            self.service.reconcile()
        for order in self.service.orders():
            assert order.state not in (OrderState.NEW, OrderState.SUBMITTING, OrderState.UNKNOWN)
            if order.state.terminal:
                continue
            seen = self.venue.fetch_by_client_id(order.client_order_id)
            assert seen.status == "open"
            assert seen.filled == order.filled_quantity
        assert self.service.reconcile()[0].drifts == []


class SettlingMachine(ExecutionMachine):
    def teardown(self) -> None:
        try:
            self.check_settles()
        finally:
            super().teardown()


SettlingMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
test_execution_any_interleaving_keeps_exactly_once = SettlingMachine.TestCase
