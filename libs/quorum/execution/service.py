"""``ExecutionService``: approved intents become orders exactly once.

- :meth:`store_intent` — the outbox: inside the caller's transaction (with the risk
  decision's journal entry), pre-trade checks, then one row per derived client id
  (``INSERT … ON CONFLICT DO NOTHING`` on the primary key) and its ``intent`` entry.
  Refusals and duplicates are values, journaled with their reason; nothing is sent here.
- :meth:`execute` — the submit path (see :mod:`quorum.execution.executor`); blocked until
  start-up reconciliation succeeded.
- :meth:`reconcile`, :meth:`run_pending` (what the worker loops on), the kill switch and
  the strategy throttle.

The venue of an order is fixed when its intent is stored, from ``trading.mode`` at that
moment (``mode`` callable, e.g. the flag store): flipping the flag affects new intents only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from quorum.clock import Clock
from quorum.domain import (
    JournalKind,
    OrderIntent,
    OrderState,
    RiskDecision,
    Side,
    TradingState,
    TradingStatus,
)
from quorum.errors import BrokerError
from quorum.execution import repo
from quorum.execution.context import ExecContext, read_scope
from quorum.execution.controls import Controls, TradingStateConflict
from quorum.execution.errors import TradingBlocked
from quorum.execution.executor import Executor
from quorum.execution.positions import NetPosition
from quorum.execution.pretrade import check_decision, check_market, describe_input, parse_intent
from quorum.execution.reconcile import Reconciler, ReconcileReport
from quorum.execution.records import WORKING_STATES, ExecOrder
from quorum.execution.resilience import GuardedBroker
from quorum.execution.settings import ExecutionSettings
from quorum.execution.sync import OrderSync
from quorum.ports import Broker, JournalAppender
from quorum.store import SessionFactory, session_scope

_log = logging.getLogger(__name__)
_S = OrderState

PAPER = "paper"
LIVE = "live"


@dataclass(frozen=True, slots=True)
class IntentOutcome:
    """What :meth:`ExecutionService.store_intent` did: stored, duplicate, or refused."""

    status: Literal["stored", "duplicate", "refused"]
    order: ExecOrder | None
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.status != "refused"


@dataclass(frozen=True, slots=True)
class KillSwitchReport:
    changed: bool
    cancels_sent: int
    cancel_failures: tuple[str, ...]
    cancelled_locally: int


class ExecutionService:
    def __init__(
        self,
        sessions: SessionFactory,
        journal: JournalAppender,
        clock: Clock,
        brokers: Mapping[str, Broker],
        *,
        settings: ExecutionSettings | None = None,
        mode: Callable[[], str] = lambda: PAPER,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or ExecutionSettings()
        s = self.settings
        guarded = {
            name: b if isinstance(b, GuardedBroker) else GuardedBroker(b, clock, sleep=sleep)
            for name, b in brokers.items()
        }
        controls = Controls(journal, clock, s.actor, s.throttle_max_fills, s.throttle_window_s)
        self.ctx = ExecContext(
            sessions=sessions,
            journal=journal,
            clock=clock,
            brokers=guarded,
            settings=s,
            controls=controls,
            sync=OrderSync(journal, clock, s.actor),
            sleep=sleep,
        )
        self.executor = Executor(self.ctx)
        self.reconciler = Reconciler(self.executor, store_exit=self._store_exit)
        self._mode = mode
        self._seen_mode = PAPER
        """The trading mode this process last acted in (see :meth:`_reconcile_on_flip`)."""
        self._ready = False
        self._last_reconcile = float("-inf")

    @property
    def ready(self) -> bool:
        """True once start-up reconciliation succeeded; until then nothing is sent."""
        return self._ready

    # -- the outbox ----------------------------------------------------------------------

    def store_intent(
        self,
        session: Session,
        intent: OrderIntent | Mapping[str, Any],
        decision: RiskDecision,
        venue: str | None = None,
    ) -> IntentOutcome:
        """Store an approved intent in the caller's transaction (see the module doc);
        ``venue``: the broker to send it to (default: :meth:`_venue_for`: an exit to the venue
        holding its position, anything else by ``trading.mode``)."""
        parsed = parse_intent(intent)
        if isinstance(parsed, str):
            return self._refuse(session, intent, parsed)
        reason = check_decision(parsed, decision) or check_market(parsed, self.settings.markets)
        if reason is not None:
            return self._refuse(session, parsed, reason)
        existing = repo.get_order(session, parsed.client_order_id)
        if existing is not None:
            return self._duplicate(session, parsed, existing)
        if venue is None:
            venue = self._venue_for(session, parsed)
        if venue not in self.ctx.brokers:
            return self._refuse(session, parsed, f"trading.mode {venue}: no {venue} broker")
        blocked = self.ctx.controls.blocked_reason(
            session,
            strategy=parsed.strategy,
            venue=venue,
            symbol=parsed.symbol,
            side=parsed.side,
            quantity=parsed.quantity,
            leg=parsed.leg,
        )
        if blocked is not None:
            return self._refuse(session, parsed, blocked)
        order = ExecOrder.from_intent(parsed, venue, self.ctx.clock.now())
        if not repo.insert_order(session, order):  # a concurrent writer stored it first
            stored = repo.get_order(session, parsed.client_order_id)
            assert stored is not None
            return self._duplicate(session, parsed, stored)
        self.ctx.sync.journal(
            session,
            JournalKind.INTENT,
            {
                "status": "stored",
                **order.summary(),
                "run_id": parsed.run_id,
                "strategy": parsed.strategy,
                "price": parsed.price,
                "stop_price": parsed.stop_price,
                "decision": {
                    "verdict": decision.verdict.value,
                    "quantity": decision.quantity,
                    "reason": decision.reason,
                },
            },
        )
        return IntentOutcome("stored", order)

    def _venue_for(self, session: Session, intent: OrderIntent) -> str:
        """Where an intent goes: a reduce-only exit to the venue holding the position it
        reduces (so live positions keep being managed on the live venue after a flip back
        to paper, and paper ones on paper after a flip to live); anything else to the venue
        of ``trading.mode`` now."""
        if intent.reduce_only:
            sign = -1 if intent.side is Side.BUY else 1  # a sell reduces a long
            held = [
                p.venue
                for p in repo.list_positions(session)
                if p.symbol == intent.symbol and p.quantity * sign > 0
            ]
            if len(held) == 1:
                return held[0]
        return LIVE if self._mode() == LIVE else PAPER

    def _refuse(
        self, session: Session, intent: OrderIntent | Mapping[str, Any], reason: str
    ) -> IntentOutcome:
        self.ctx.sync.journal(
            session,
            JournalKind.INTENT,
            {"status": "refused", "reason": reason[:2000], "input": describe_input(intent)},
        )
        return IntentOutcome("refused", None, reason)

    def _duplicate(self, session: Session, intent: OrderIntent, stored: ExecOrder) -> IntentOutcome:
        reason = f"duplicate intent: {intent.client_order_id} is already stored ({stored.state})"
        self.ctx.sync.journal(
            session,
            JournalKind.INTENT,
            {"status": "duplicate", "client_order_id": intent.client_order_id, "reason": reason},
        )
        return IntentOutcome("duplicate", stored, reason)

    # -- sending -------------------------------------------------------------------------

    def execute(self, client_order_id: str) -> ExecOrder:
        """The whole submit path for one stored intent; safe to call any number of times."""
        if not self._ready:
            raise TradingBlocked(
                f"order {client_order_id}: trading is blocked until start-up reconciliation "
                "succeeds"
            )
        self._reconcile_on_flip(client_order_id)
        return self.executor.execute(client_order_id)

    def order(self, client_order_id: str) -> ExecOrder:
        return self.executor.load(client_order_id)

    def orders(self, states: set[OrderState] | None = None, limit: int = 1000) -> list[ExecOrder]:
        with read_scope(self.ctx.sessions) as session:
            return repo.list_orders(session, states, limit=limit)

    def open_exits(
        self, venue: str, symbol: str, side: Side, *, include_new: bool = False
    ) -> list[ExecOrder]:
        """Reduce-only orders on ``side`` of ``symbol`` that may still fill: working at the
        venue (submitting, acknowledged, partially filled, unknown) and, with
        ``include_new``, stored but not yet sent."""
        states = set(WORKING_STATES) | ({_S.NEW} if include_new else set())
        with read_scope(self.ctx.sessions) as session:
            return repo.reduce_only_orders(session, venue, symbol, side, states)

    def positions(self, venue: str | None = None) -> list[NetPosition]:
        with read_scope(self.ctx.sessions) as session:
            return repo.list_positions(session, venue)

    def run_pending(self, limit: int = 100) -> int:
        """One worker pass: resolve unknown / stale submitting orders, then send new ones.
        Returns how many orders changed."""
        if not self._ready:
            raise TradingBlocked("trading is blocked until start-up reconciliation succeeds")
        changed = 0
        now = self.ctx.clock.now()
        for order in self.orders({_S.UNKNOWN, _S.SUBMITTING}, limit):
            if order.state is _S.SUBMITTING and (
                order.submit_deadline is None or now < order.submit_deadline
            ):
                continue
            changed += self._guarded(order)
        for order in self.orders({_S.NEW}, limit):
            changed += self._guarded(order)
        return changed

    def _guarded(self, order: ExecOrder) -> int:
        try:
            after = self.executor.execute(order.client_order_id)
        except (TradingBlocked, BrokerError) as exc:
            _log.info("order %s deferred: %s", order.client_order_id, exc)
            return 0
        return int(after.version != order.version)

    # -- reconciliation ------------------------------------------------------------------

    def reconcile(self, startup: bool = False) -> list[ReconcileReport]:
        """One pass over every venue; on success at start-up, trading is unblocked. The
        exits a pass stored to flatten unexplained exposure are sent after it (one that
        cannot go now stays ``new`` for the sweep)."""
        mode = self._mode()
        reports = [self.reconciler.run(venue) for venue in sorted(self.ctx.brokers)]
        self._last_reconcile = self.ctx.clock.monotonic()
        if startup:
            self._ready = True
            self._seen_mode = mode
        for report in reports:
            for cid in report.flattens:
                self._send_flatten(cid)
        return reports

    def _reconcile_on_flip(self, client_order_id: str) -> None:
        """Before this process sends its first live order after a paper → live flip, the
        live venue is reconciled (orders, fills, balances) and the flip is journaled; a venue
        that cannot be read blocks the send (the order stays ``new``; the sweep retries)."""
        mode = self._mode()
        if mode != LIVE:
            self._seen_mode = mode
            return
        if self._seen_mode == LIVE:
            return
        order = self.executor.load(client_order_id)
        if order.venue != LIVE:
            return
        try:
            report = self.reconciler.run(LIVE)
        except BrokerError as exc:
            raise TradingBlocked(
                f"order {order.client_order_id}: trading.mode flipped to live; the live venue "
                f"must be reconciled before the first live order and could not be read: {exc}"
            ) from exc
        with session_scope(self.ctx.sessions) as session:
            self.ctx.sync.journal(
                session,
                JournalKind.RECONCILIATION,
                {
                    "venue": LIVE,
                    "event": "mode_flip",
                    "from": self._seen_mode,
                    "to": LIVE,
                    "before": order.client_order_id,
                    "drifts": len(report.drifts),
                },
            )
        self._seen_mode = LIVE

    def _store_exit(
        self, session: Session, intent: OrderIntent, decision: RiskDecision, venue: str
    ) -> str | None:
        outcome = self.store_intent(session, intent, decision, venue=venue)
        return None if outcome.accepted else outcome.reason

    def _send_flatten(self, client_order_id: str) -> None:
        if not self._ready:
            return  # start-up reconciliation failed on another venue: the sweep sends it
        try:
            self.executor.execute(client_order_id)
        except (TradingBlocked, BrokerError) as exc:
            _log.warning("flatten %s deferred: %s", client_order_id, exc)

    def reconcile_due(self) -> bool:
        elapsed = self.ctx.clock.monotonic() - self._last_reconcile
        return elapsed >= self.settings.reconcile_interval_s

    # -- kill switch and throttle --------------------------------------------------------

    def trading_status(self) -> TradingStatus:
        """The one trading state (one primary-key read)."""
        with read_scope(self.ctx.sessions) as session:
            return self.ctx.controls.trading_status(session)

    def set_trading_state(self, state: TradingState, by: str, reason: str) -> bool:
        """Move the trading state (journaled: who, why, from, to); True when it changed."""
        with session_scope(self.ctx.sessions) as session:
            return self.ctx.controls.set_trading_state(session, state, by, reason) is not None

    def engage_kill_switch(self, by: str, reason: str) -> KillSwitchReport:
        """Block new entries at once (``active`` → ``reducing``; ``halted`` stays), then
        cancel every working order on every venue."""
        changed = False
        try:
            with session_scope(self.ctx.sessions) as session:
                controls = self.ctx.controls
                if controls.trading_status(session).state is TradingState.ACTIVE:
                    moved = controls.set_trading_state(session, TradingState.REDUCING, by, reason)
                    changed = moved is not None
        except TradingStateConflict:  # another process engaged it first
            changed = False
        local = 0
        for order in self.orders({_S.NEW}, limit=100_000):
            if self.executor.gate(order) is not None:
                self.executor.cancel(order, f"kill switch: {reason}")
                local += 1
        targets: dict[tuple[str, str], tuple[str, ExecOrder | None]] = {}
        for order in self.orders(set(WORKING_STATES), limit=100_000):
            targets[(order.venue, order.client_order_id)] = (order.symbol, order)
        for venue, broker in sorted(self.ctx.brokers.items()):
            try:
                for seen in broker.fetch_open_orders():
                    key = (venue, seen.client_order_id)
                    targets.setdefault(key, (seen.symbol, None))
            except BrokerError as exc:
                _log.warning("kill switch: open orders of %s not listed: %s", venue, exc)
        failures: list[str] = []

        def cancel(item: tuple[tuple[str, str], tuple[str, ExecOrder | None]]) -> None:
            (venue, cid), (symbol, order) = item
            try:
                if order is not None:
                    self.executor.cancel(order, f"kill switch: {reason}")
                else:
                    self.ctx.broker(venue).cancel(symbol, cid)
            except Exception as exc:
                failures.append(f"{venue}:{cid}: {exc}")

        workers = self.settings.cancel_concurrency
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cancel") as pool:
            list(pool.map(cancel, sorted(targets.items(), key=lambda kv: kv[0])))
        return KillSwitchReport(changed, len(targets), tuple(failures), local)

    def release_kill_switch(self, by: str, reason: str = "") -> bool:
        """Lift the kill switch (→ ``active``): an authorized command naming the person."""
        return self.set_trading_state(TradingState.ACTIVE, by, reason or "released")

    def enable_strategy(self, strategy: str, by: str) -> bool:
        with session_scope(self.ctx.sessions) as session:
            return self.ctx.controls.enable_strategy(session, strategy, by)

    def disabled_strategies(self) -> set[str]:
        with read_scope(self.ctx.sessions) as session:
            return self.ctx.controls.disabled_strategies(session)
