"""Any interleaving of monitor passes, execute deliveries (some, none, all), partial fills,
venue outages and price moves that hit the stop, the target or the breakeven trigger,
through the real task bodies (``make_kit``: composition root, stored paper venue): no
position ever changes sign through exits, and the venue's position always equals ours
once the venue's fills we have not recorded yet are counted (exactly equal when they are
recorded, checked at the end of every run).

Runs ``QUORUM_EXIT_EXAMPLES`` examples (default 25) of up to ``QUORUM_EXIT_STEPS`` steps
(default 30).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from tests.unit.pipeline.kit import BASE, ScriptedMarket, make_kit, open_trade

from quorum.domain import OrderState, Side
from quorum.errors import QuorumError
from quorum.execution import repo
from quorum.pipeline.embedded import run_task
from quorum.pipeline.persistence import Trade, trades
from quorum.store import session_scope

D = Decimal
SYMBOL = "BTC/USDT"
_DBS = itertools.count()
REQUEUED = {
    OrderState.NEW,
    OrderState.ACKNOWLEDGED,
    OrderState.PARTIALLY_FILLED,
    OrderState.UNKNOWN,
}
"""What the bar driver and the worker deliver ``execute`` for again (working orders)."""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


class ExitMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.market = ScriptedMarket()
        self.kit = make_kit(
            database_url=f"sqlite:///exits-{next(_DBS)}.db",
            market=self.market,
            execution={"resolve_spacing_s": 0.0},
        )
        deps = self.kit.tasks.deps
        self.clock = self.kit.clock
        self.execution = deps.execution
        advance = self._sleep
        self.execution.ctx.sleep = advance  # waits pass replay time, not wall time
        for guarded in self.execution.ctx.brokers.values():
            guarded._sleep = advance
        self.faults = self.execution.ctx.brokers["paper"].inner.faults  # type: ignore[attr-defined]
        self.price = D(100)
        self.opened_at = self.clock.now() - timedelta(seconds=1)

    def _sleep(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    def teardown(self) -> None:
        try:
            self._settle()
        finally:
            self.kit.close()

    # -- helpers ---------------------------------------------------------------------------

    def _live(self) -> Trade | None:
        deps = self.kit.tasks.deps
        with deps.engine.connect() as conn:
            live = trades(conn, states=["pending", "open"], run_id=deps.run_id)
        return live[0] if live else None

    def _ours(self) -> D:
        return sum((p.quantity for p in self.execution.positions() if p.symbol == SYMBOL), D(0))

    def _venue(self) -> D:
        return sum((p.quantity for p in self.kit.venue.positions() if p.symbol == SYMBOL), D(0))

    def _unrecorded(self) -> D:
        """The signed quantity of venue fills our books have not recorded yet."""
        with session_scope(self.kit.tasks.deps.engine) as session:
            known = repo.known_trade_ids(session, "paper")
        return sum(
            (
                t.quantity if t.side is Side.BUY else -t.quantity
                for t in self.kit.venue.trades(SYMBOL)
                if t.venue_trade_id not in known
            ),
            D(0),
        )

    def _deliver(self, limit: int | None) -> None:
        """Run queued tasks; one that cannot run now (venue down, breaker open) is
        delivered again later, as a Celery retry would."""
        ran = 0
        retry = []
        while limit is None or ran < limit:
            item = self.kit.dispatcher.pop()
            if item is None:
                break
            task, key, kwargs = item
            ran += 1
            try:
                run_task(self.kit.tasks, task, kwargs)
            except QuorumError:
                retry.append((task, key, kwargs))
        for task, key, kwargs in retry:
            self.kit.dispatcher.submit(task, kwargs, key=key)

    def _bar(self, close: D, low: D | None = None, high: D | None = None) -> None:
        o = self.price
        lo = min(o, close) if low is None else min(low, o, close)
        hi = max(o, close) if high is None else max(high, o, close)
        ts = self.market.push(float(o), float(hi), float(lo), float(close))
        self.clock.set(ts + BASE.delta + timedelta(seconds=5))
        self.price = close

    # -- rules -----------------------------------------------------------------------------

    @initialize(quantity=st.sampled_from(["0.05", "0.3", "0.5"]))
    def a_long_is_open(self, quantity: str) -> None:
        self.open_long(quantity)
        self.kit.tasks.monitor()  # the entry filled: the trade opens

    @rule(quantity=st.sampled_from(["0.05", "0.3", "0.5"]))
    def open_long(self, quantity: str) -> None:
        if self._live() is not None or self._ours() != 0 or self._venue() != 0:
            return
        if self.clock.now() <= self.opened_at:
            return  # one entry per moment: its client id derives from the signal time
        self.opened_at = self.clock.now()
        stop = (self.price * D("0.95")).quantize(D("0.01"))
        target = (self.price * D("1.10")).quantize(D("0.01"))
        cid = open_trade(self.kit, quantity, stop=str(stop), target=str(target), execute=False)
        with contextlib.suppress(QuorumError):  # venue down: the queued delivery sends it
            run_task(self.kit.tasks, "execute", {"client_order_id": cid})

    @rule(
        kind=st.sampled_from(["stop", "target", "breakeven", "drift_up", "drift_down"]),
        then_monitor=st.booleans(),
    )
    def price_move(self, kind: str, then_monitor: bool) -> None:
        self._move(kind)
        if then_monitor:
            self.monitor()

    def _move(self, kind: str) -> None:
        trade = self._live()
        if trade is not None and trade.state == "pending":
            # prices wait for the entry: an entry filled far from its planned stop is
            # another story (the monitor refuses such a position)
            return
        p = self.price
        if trade is None or kind.startswith("drift"):
            self._bar(p * (D("1.004") if kind == "drift_up" else D("0.996")))
        elif kind == "stop":
            self._bar(trade.stop * D("0.99"), low=trade.stop * D("0.98"))
        elif kind == "target" and trade.take_profit is not None:
            self._bar(trade.take_profit * D("1.01"), high=trade.take_profit * D("1.02"))
        else:
            self._bar(p * D("1.06"))
        self.price = self.price.quantize(D("0.01"))

    @rule()
    def monitor(self) -> None:
        result = self.kit.tasks.monitor()
        for action in result["actions"]:
            event(f"monitor: {action['rule']} {action.get('intent', action.get('applied'))}")

    @rule(limit=st.sampled_from([0, 1, 2, None]))
    def deliver_execute(self, limit: int | None) -> None:
        self._deliver(limit)

    @rule()
    def redeliver_working(self) -> None:
        """The bar driver / worker delivers ``execute`` again for every working order."""
        for order in self.execution.orders(REQUEUED):
            cid = order.client_order_id
            self.kit.dispatcher.submit("execute", {"client_order_id": cid}, key=cid)

    @rule(down=st.booleans())
    def venue_outage(self, down: bool) -> None:
        self.faults.set_down(down)

    @rule(ratio=st.sampled_from(["1", "0.5", "0.3"]))
    def partial_fills(self, ratio: str) -> None:
        venue = self.kit.venue
        venue.settings = venue.settings.model_copy(update={"partial_fill_ratio": D(ratio)})

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def no_position_changes_sign_through_exits(self) -> None:
        # only longs are opened: below zero means an exit flipped the position
        assert self._ours() >= 0, f"our position went short: {self._ours()}"
        assert self._venue() >= 0, f"the venue's position went short: {self._venue()}"

    @invariant()
    def the_venue_holds_what_we_hold_plus_fills_we_have_not_recorded(self) -> None:
        assert self._venue() == self._ours() + self._unrecorded()

    def _settle(self) -> None:
        """Venue back, every queued and working order delivered: the books agree exactly."""
        self.faults.set_down(False)
        self.clock.advance(timedelta(minutes=5))  # past any open circuit breaker's cool-down
        for _ in range(3):
            self.redeliver_working()
            self._deliver(None)
        assert self._unrecorded() == 0
        assert self._venue() == self._ours()
        assert self._ours() >= 0


ExitMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("QUORUM_EXIT_EXAMPLES", "25")),
    stateful_step_count=int(os.environ.get("QUORUM_EXIT_STEPS", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_exits_never_flip_a_position_and_the_venue_agrees_with_our_books = ExitMachine.TestCase
