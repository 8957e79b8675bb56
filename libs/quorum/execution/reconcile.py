"""Reconciliation: open orders, fills, positions and balances fetched from the venue and
matched to our records. Drift is fixed toward the venue's truth, each fix journaled
(``reconciliation``) in the transaction that makes it; a second pass right after finds
nothing. Lookups only: reconciliation never sends an order.

Venue exposure that no recorded fill explains is never adopted silently
(:mod:`quorum.execution.exposure`): ``duplicate_exposure`` is journaled and counted, and a
reduce-only exit of the excess is *stored* (through the exit risk gate, in the transaction
that moves our position) for the service to send after the pass.

The comparisons are small pure functions (``orders_to_adopt``, ``missing_trades``,
``position_drift``, ``balance_drift``); :class:`Reconciler` fetches and applies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from quorum.domain import JournalKind, OrderIntent, OrderLeg, OrderState, RiskDecision
from quorum.errors import BrokerError
from quorum.execution import repo
from quorum.execution.context import read_scope
from quorum.execution.errors import OrderNotFound, PositionsNotReported
from quorum.execution.executor import Executor
from quorum.execution.exposure import UnexplainedExposure, flatten_order
from quorum.execution.positions import set_to_venue
from quorum.execution.records import ORIGIN_EXTERNAL, WORKING_STATES, ExecOrder
from quorum.execution.sync import venue_state
from quorum.ports import BrokerOrder, BrokerPosition, BrokerTrade
from quorum.store import session_scope
from quorum.telemetry.metrics import metrics

_log = logging.getLogger(__name__)
_S = OrderState


# -- pure comparisons ------------------------------------------------------------------------


def orders_to_adopt(known: Iterable[str], venue_open: Iterable[BrokerOrder]) -> list[BrokerOrder]:
    """Open orders at the venue that we have no record of (placed outside the system)."""
    ids = set(known)
    return [o for o in venue_open if external_id(o.client_order_id, o.venue_order_id) not in ids]


def missing_trades(known_ids: Iterable[str], trades: Iterable[BrokerTrade]) -> list[BrokerTrade]:
    ids = set(known_ids)
    return [t for t in trades if t.venue_trade_id not in ids]


def _trade_ids(trades: Iterable[BrokerTrade]) -> set[str]:
    return {t.venue_trade_id for t in trades}


def position_drift(local: Decimal, venue: Decimal) -> Decimal | None:
    """How far the venue's net quantity is from ours (None when they agree)."""
    return None if local == venue else venue - local


def balance_drift(
    local: Mapping[str, Decimal], venue: Mapping[str, Decimal]
) -> dict[str, tuple[Decimal, Decimal]]:
    """``asset -> (ours, venue's)`` for every asset where they differ (missing counts 0)."""
    zero = Decimal(0)
    return {
        asset: (local.get(asset, zero), venue.get(asset, zero))
        for asset in sorted(set(local) | set(venue))
        if local.get(asset, zero) != venue.get(asset, zero)
    }


def external_id(client_order_id: str | None, venue_order_id: str) -> str:
    return (client_order_id or f"ext-{venue_order_id}")[:64]


# -- applying --------------------------------------------------------------------------------


@dataclass
class ReconcileReport:
    venue: str
    drifts: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    flattens: list[str] = field(default_factory=list)
    """Client ids of the exits stored to flatten unexplained exposure (to send)."""

    @property
    def clean(self) -> bool:
        return not self.drifts


StoreExit = Callable[[Any, OrderIntent, RiskDecision, str], str | None]
"""Stores an exit intent at a venue in the caller's transaction: None, or why not."""


class Reconciler:
    def __init__(self, executor: Executor, store_exit: StoreExit | None = None) -> None:
        self.executor = executor
        self.ctx = executor.ctx
        self._store_exit = store_exit

    def _drift(self, report: ReconcileReport, session: Any, payload: dict[str, Any]) -> None:
        payload = {"venue": report.venue, **payload}
        report.drifts.append(payload)
        self.ctx.sync.journal(session, JournalKind.RECONCILIATION, payload)

    def run(self, venue: str) -> ReconcileReport:
        """One pass for ``venue``; raises BrokerError when the venue cannot be read."""
        report = ReconcileReport(venue)
        broker = self.ctx.broker(venue)
        venue_open = broker.fetch_open_orders()
        with read_scope(self.ctx.sessions) as session:
            working = repo.list_orders(session, WORKING_STATES, venue=venue)
            known = {
                cid
                for cid in (external_id(o.client_order_id, o.venue_order_id) for o in venue_open)
                if repo.get_order(session, cid) is not None
            }
        for seen in orders_to_adopt(known, venue_open):
            self._adopt(report, seen)
        by_id = {external_id(o.client_order_id, o.venue_order_id): o for o in venue_open}
        for seen in venue_open:
            order = self.executor.load(external_id(seen.client_order_id, seen.venue_order_id))
            self._update(report, order, seen)
        for order in working:
            if order.client_order_id in by_id:
                continue
            self._settle_missing(report, order)
        try:
            positions: list[BrokerPosition] | None = broker.fetch_positions()
        except PositionsNotReported:
            positions = None  # spot: our net positions cannot be checked, balances are
        symbols = self._symbols(venue, venue_open, positions or [])
        since = self._trades_since(venue, working)
        for symbol in sorted(symbols):
            self._fills(report, symbol, since)
        if positions is not None:
            self._positions(report, positions, since)
        self._balances(report)
        return report

    def _update(self, report: ReconcileReport, order: ExecOrder, seen: BrokerOrder) -> None:
        trades = self.executor.trades_for(order, seen)
        updated = self.executor.apply(order, seen, trades, "reconciliation")
        if updated.version != order.version:
            with session_scope(self.ctx.sessions) as session:
                self._drift(
                    report,
                    session,
                    {
                        "event": "order_updated",
                        "client_order_id": order.client_order_id,
                        "from_state": order.state.value,
                        "to_state": updated.state.value,
                        "filled_quantity": updated.filled_quantity,
                    },
                )

    def _adopt(self, report: ReconcileReport, seen: BrokerOrder) -> None:
        now = self.ctx.clock.now()
        cid = external_id(seen.client_order_id, seen.venue_order_id)
        state = venue_state(seen.status, Decimal(0), seen.quantity)
        order = ExecOrder(
            client_order_id=cid,
            venue=report.venue,
            origin=ORIGIN_EXTERNAL,
            run_id=ORIGIN_EXTERNAL,
            strategy=ORIGIN_EXTERNAL,
            symbol=seen.symbol,
            side=seen.side,
            leg=OrderLeg.ENTRY,
            order_type=seen.order_type,
            quantity=seen.quantity,
            price=seen.price,
            stop_price=None,
            reduce_only=False,
            signal_time=seen.updated_at,
            state=_S.ACKNOWLEDGED if state is not _S.REJECTED else _S.REJECTED,
            version=1,
            venue_order_id=seen.venue_order_id,
            filled_quantity=Decimal(0),
            average_price=None,
            fees=Decimal(0),
            attempts=0,
            submit_deadline=None,
            last_error=None,
            created_at=now,
            updated_at=now,
        )
        with session_scope(self.ctx.sessions) as session:
            if repo.insert_order(session, order):
                self._drift(
                    report,
                    session,
                    {
                        "event": "adopted_external_order",
                        "client_order_id": cid,
                        "venue_order_id": seen.venue_order_id,
                        "symbol": seen.symbol,
                        "side": seen.side.value,
                        "quantity": seen.quantity,
                        "status": seen.status,
                    },
                )

    def _settle_missing(self, report: ReconcileReport, order: ExecOrder) -> None:
        """A working order of ours that the venue does not list as open."""
        if order.state in (_S.SUBMITTING, _S.UNKNOWN):
            resolved = self.executor.resolve(order, allow_resend=False)
            if resolved.state in (_S.SUBMITTING, _S.UNKNOWN):
                report.unresolved.append(order.client_order_id)
            return
        try:
            seen = self.ctx.broker(order.venue).fetch_order_by_client_id(
                order.symbol, order.client_order_id
            )
        except OrderNotFound:
            if not self.executor.absence_conclusive(order):
                # sent too recently for the venue's read path (or a venue whose "not found"
                # proves nothing): it may well be there; the next pass looks again
                report.unresolved.append(order.client_order_id)
                return
            done = self.executor.transition(
                order, _S.CANCELLED, "reconciliation: the venue has no such order"
            )
            if done is not None:
                with session_scope(self.ctx.sessions) as session:
                    self._drift(
                        report,
                        session,
                        {
                            "event": "order_missing_at_venue",
                            "client_order_id": order.client_order_id,
                        },
                    )
            return
        self._update(report, order, seen)

    def _trades_since(self, venue: str, working: list[ExecOrder]) -> datetime | None:
        with read_scope(self.ctx.sessions) as session:
            latest = repo.latest_fill_time(session, venue)
        if latest is None:
            return None
        oldest = min([latest, *(self.executor.sent_since(o) for o in working)])
        return oldest - timedelta(seconds=self.ctx.settings.reconcile_lookback_s)

    def _symbols(
        self, venue: str, venue_open: list[BrokerOrder], positions: list[BrokerPosition]
    ) -> set[str]:
        symbols = {o.symbol for o in venue_open}
        symbols |= {p.symbol for p in positions}
        with read_scope(self.ctx.sessions) as session:
            symbols |= {p.symbol for p in repo.list_positions(session, venue)}
            symbols |= repo.order_symbols(session, venue)
        return symbols

    def _fills(
        self,
        report: ReconcileReport,
        symbol: str,
        since: datetime | None,
        trades: list[BrokerTrade] | None = None,
    ) -> set[str]:
        """Record the venue's trades in ``symbol`` (fetched, or ``trades`` as read) that we
        miss; returns the ids of those left for the next pass (their order not found yet)."""
        broker = self.ctx.broker(report.venue)
        if trades is None:
            trades = broker.fetch_my_trades(symbol, since)
        left: set[str] = set()
        with read_scope(self.ctx.sessions) as session:
            known = repo.known_trade_ids(session, report.venue)
        missing = missing_trades(known, trades)
        by_order: dict[str, list[BrokerTrade]] = {}
        with read_scope(self.ctx.sessions) as session:
            for trade in missing:
                cid = trade.client_order_id
                if not cid:  # venues that omit it on trades (Binance myTrades): by order id
                    cid = repo.client_id_of(session, report.venue, trade.venue_order_id)
                by_order.setdefault(external_id(cid, trade.venue_order_id), []).append(trade)
        for cid, group in sorted(by_order.items()):
            try:
                order = self.executor.load(cid)
            except KeyError:
                try:
                    seen = broker.fetch_order_by_client_id(symbol, group[0].client_order_id or cid)
                except (OrderNotFound, BrokerError):
                    _log.warning("trades of unknown order %s left for the next pass", cid)
                    left.update(t.venue_trade_id for t in group)
                    continue
                self._adopt(report, seen)
                order = self.executor.load(cid)
            try:
                seen_now: BrokerOrder | None = broker.fetch_order_by_client_id(symbol, cid)
            except OrderNotFound:
                seen_now = None
            inserted: list[str] = []
            updated = self.executor.apply(order, seen_now, group, "reconciliation fills", inserted)
            if not inserted:
                continue  # another writer recorded them first (or the order refused them)
            with session_scope(self.ctx.sessions) as session:
                self._drift(
                    report,
                    session,
                    {
                        "event": "fills_recorded",
                        "client_order_id": cid,
                        "venue_trade_ids": inserted,
                        "filled_quantity": updated.filled_quantity,
                    },
                )
        return left

    def _measure(
        self, venue: str, positions: list[BrokerPosition]
    ) -> dict[str, tuple[Decimal, Decimal]]:
        """``symbol -> (ours, venue's)`` where they differ."""
        truth = {p.symbol: p.quantity for p in positions}
        with read_scope(self.ctx.sessions) as session:
            ours = {p.symbol: p.quantity for p in repo.list_positions(session, venue)}
        zero = Decimal(0)
        return {
            symbol: (ours.get(symbol, zero), truth.get(symbol, zero))
            for symbol in sorted(set(truth) | set(ours))
            if ours.get(symbol, zero) != truth.get(symbol, zero)
        }

    def _positions(
        self, report: ReconcileReport, positions: list[BrokerPosition], since: datetime | None
    ) -> None:
        """Fix a drift only from a position read that the venue's trades bracket: the trades
        listed just before and just after it are the same (nothing filled while we read),
        each of them we can attribute is recorded, and we hold no fill they do not list.
        Comparing two position reads is not enough: an entry and an exit filling between
        them bring the venue back to its first number (A→B→A) while our records are
        mid-way, and the difference would be taken for drift — then, once the exit's fill
        is recorded, for unexplained exposure. A symbol still moving is left for the next
        pass."""
        venue = report.venue
        drifting = sorted(self._measure(venue, positions))
        if not drifting:
            return
        broker = self.ctx.broker(venue)
        before = {s: broker.fetch_my_trades(s, since) for s in drifting}
        left = {s: self._fills(report, s, since, before[s]) for s in drifting}
        truth = {p.symbol: p for p in broker.fetch_positions()}
        after = {s: _trade_ids(broker.fetch_my_trades(s, since)) for s in drifting}
        now = self.ctx.clock.now()
        with session_scope(self.ctx.sessions) as session:
            for symbol in drifting:
                local = repo.get_position(session, venue, symbol, lock=True)
                listed = _trade_ids(before[symbol])
                ours = repo.trade_ids_since(session, venue, symbol, since)
                if listed != after[symbol] or left[symbol] or not ours <= listed:
                    report.unresolved.append(
                        f"position {symbol}: fills landing while we read; left for the next pass"
                    )
                    continue
                seen = truth.get(symbol)
                quantity = seen.quantity if seen is not None else Decimal(0)
                drift = position_drift(local.quantity, quantity)
                if drift is None:
                    continue
                entry = seen.average_entry if seen is not None else None
                exposure = UnexplainedExposure(
                    venue, symbol, local.quantity, quantity, entry or local.average_entry, now
                )
                if exposure.excess > 0:
                    self._unexplained(report, session, exposure)
                fixed, closed = set_to_venue(local, quantity, entry, now)
                repo.put_position(session, fixed, now)
                self._drift(
                    report,
                    session,
                    {
                        "event": "position_fixed",
                        "symbol": symbol,
                        "ours": local.quantity,
                        "venue_quantity": quantity,
                        "drift": drift,
                    },
                )
                if closed is not None:
                    self.ctx.sync.journal(session, JournalKind.POSITION, closed.payload())

    def _unexplained(
        self, report: ReconcileReport, session: Any, exposure: UnexplainedExposure
    ) -> None:
        """Journal and count exposure no fill explains; store its flatten when enabled."""
        metrics().unexplained_exposure.labels(exposure.venue, exposure.symbol).inc()
        _log.error(
            "%s %s: venue holds %s, we hold %s: unexplained exposure",
            exposure.venue,
            exposure.symbol,
            exposure.venue_quantity,
            exposure.ours,
        )
        if not self.ctx.settings.flatten_unexplained or self._store_exit is None:
            why = "execution.flatten_unexplained is off" if self._store_exit else "no exit store"
            self._drift(report, session, exposure.payload(f"journaled only ({why})"))
            return
        planned = flatten_order(exposure)
        if isinstance(planned, str):
            self._drift(report, session, exposure.payload(f"not flattened: {planned}"))
            return
        intent, decision = planned
        refused = self._store_exit(session, intent, decision, exposure.venue)
        if refused is not None:
            self._drift(report, session, exposure.payload(f"not flattened: {refused}"))
            return
        payload = exposure.payload("flatten stored")
        payload["client_order_id"] = intent.client_order_id
        self._drift(report, session, payload)
        report.flattens.append(intent.client_order_id)

    def _balances(self, report: ReconcileReport) -> None:
        venue = report.venue
        truth = self.ctx.broker(venue).fetch_balance()
        now = self.ctx.clock.now()
        with session_scope(self.ctx.sessions) as session:
            changes = balance_drift(repo.get_balances(session, venue), truth)
            for asset, (ours, theirs) in changes.items():
                repo.put_balance(session, venue, asset, theirs, now)
                self._drift(
                    report,
                    session,
                    {"event": "balance_fixed", "asset": asset, "ours": ours, "venue_total": theirs},
                )
