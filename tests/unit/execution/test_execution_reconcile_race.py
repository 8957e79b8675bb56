"""Reconciliation never mistakes fills landing while it reads for a position drift.

Found by the lookup-lag chaos suite: a reconciler read the venue's position (1.0), a worker
then recorded an entry fill (+0.5, ours 1.5), another worker's exit filled at the venue
(−0.5) before it was recorded, and the reconciler's second read (1.0) matched its first.
The two reads agreed by coincidence (A→B→A), so "ours 1.5, venue 1.0" was taken as drift
and ours moved to 1.0; when the exit's fill was recorded, ours fell to 0.5 and the next
pass flagged 0.5 of real position as unexplained exposure and flattened it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tests.unit.execution.execution_kit import Env, intent_at, make_env

from quorum.domain import JournalKind, OrderLeg, OrderState, Side
from quorum.execution import (
    ExecutionService,
    ExecutionSettings,
    InProcessPaperBroker,
    PaperSettings,
)
from quorum.ports import BrokerOrder, BrokerPosition, BrokerTrade, OrderRequest
from quorum.store import session_factory


class _Crash(BaseException):
    """The worker dies after the venue accepted its order, before it records anything."""


class _CrashAfterSend(InProcessPaperBroker):
    def submit(self, request: OrderRequest) -> BrokerOrder:
        super().submit(request)
        raise _Crash


class _Racing(InProcessPaperBroker):
    """Runs the next scripted event right after one of the reconciler's reads returns."""

    def __init__(self, env: Env) -> None:
        super().__init__(env.venue)
        self.after: dict[str, list[Callable[[], object]]] = {
            "positions": [],
            "trades": [],
            "lookup": [],
        }

    def _fire(self, read: str) -> None:
        if self.after[read]:
            self.after[read].pop(0)()

    def fetch_positions(self) -> list[BrokerPosition]:
        seen = super().fetch_positions()
        self._fire("positions")
        return seen

    def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> BrokerOrder:
        try:
            return super().fetch_order_by_client_id(symbol, client_order_id)
        finally:
            self._fire("lookup")

    def fetch_my_trades(self, symbol: str, since: datetime | None = None) -> list[BrokerTrade]:
        seen = super().fetch_my_trades(symbol, since)
        self._fire("trades")
        return seen


def _service(env: Env, broker: InProcessPaperBroker) -> ExecutionService:
    service = ExecutionService(
        session_factory(env.engine),
        env.journal,
        env.clock,
        {"paper": broker},
        settings=ExecutionSettings(resolve_spacing_s=0.1),
    )
    service.reconcile(startup=True)
    return service


def _flagged(env: Env) -> list[dict[str, object]]:
    entries = env.journal.read(kinds=[JournalKind.RECONCILIATION])
    return [e.payload for e in entries if e.payload.get("event") == "duplicate_exposure"]


def test_an_entry_and_an_exit_filling_between_the_two_reads_are_not_drift(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    opened = env.stored(**intent_at(1), quantity=Decimal(1))
    assert env.service.execute(opened.client_order_id).state is OrderState.FILLED
    entry = env.stored(**intent_at(2), quantity=Decimal("0.5"))
    exit_ = env.stored(
        **intent_at(3), quantity=Decimal("0.5"), side=Side.SELL, leg=OrderLeg.EXIT,
        reduce_only=True,
    )  # fmt: skip
    dying = _service(env, _CrashAfterSend(env.venue))
    racing = _Racing(env)
    reconciler = _service(env, racing)

    def exit_fills_unrecorded() -> None:
        with contextlib.suppress(_Crash):
            dying.execute(exit_.client_order_id)

    racing.after["positions"].append(lambda: env.service.execute(entry.client_order_id))
    # the reconciler's reads of the venue's trades: the first after the entry, then the
    # exit fills unrecorded (the A→B→A the two reads of the position cannot see)
    racing.after["trades"].extend([lambda: None, exit_fills_unrecorded])
    reconciler.reconcile()
    assert not racing.after["trades"], "the race was not played out"
    env.clock.advance(timedelta(seconds=5))
    reconciler.reconcile()
    reconciler.reconcile()

    ours = {p.symbol: p.quantity for p in env.service.positions() if p.quantity}
    venue = {p.symbol: p.quantity for p in env.venue.positions()}
    assert _flagged(env) == []
    assert ours == venue == {"BTC/USDT": Decimal(1)}
    assert env.service.order(exit_.client_order_id).state is OrderState.FILLED


def test_a_fill_two_reconcilers_find_missing_is_recorded_and_journaled_once(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path, paper=PaperSettings(recv_window_s=1.0, query_lag_s=5.0))
    racing = _Racing(env)
    late = _service(env, racing)
    other = _service(env, InProcessPaperBroker(env.venue))
    order = env.stored(**intent_at(1), quantity=Decimal(1))
    with contextlib.suppress(_Crash):  # its lookups lag: only the venue's trades show it
        _service(env, _CrashAfterSend(env.venue)).execute(order.client_order_id)
    # the other reconciler records the fill after this one found it missing, while it
    # looks the order up (its lookups lag: not found) before recording it
    racing.after["lookup"].extend([lambda: None, other.reconcile])
    late.reconcile()

    recorded = [
        e.payload
        for e in env.journal.read(kinds=[JournalKind.RECONCILIATION])
        if e.payload.get("event") == "fills_recorded"
    ]
    fills = env.journal.read(kinds=[JournalKind.FILL])
    assert not racing.after["lookup"], "the race was not played out"
    assert [r["client_order_id"] for r in recorded] == [order.client_order_id]
    assert len(fills) == 1
    assert {p.symbol: p.quantity for p in env.service.positions()} == {"BTC/USDT": Decimal(1)}
