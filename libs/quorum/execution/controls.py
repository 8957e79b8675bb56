"""Persisted trading controls: the trading state and the per-strategy fill throttle.

The trading state (active / reducing / halted, :class:`~quorum.domain.TradingState`) is
one row of ``trading_state`` (:mod:`quorum.execution.trading`); the throttle's disabled
strategies live in ``execution_switches``. Every change is journaled (``kill_switch``:
who, why, from, to) in the same transaction. The gate answers, for one order, whether it
may be sent now: a disabled strategy sends nothing; ``halted`` sends nothing (only
cancels go out); ``reducing`` sends only risk-reducing orders (a non-entry order against
the open position, for at most its size). Changing the state needs a named person (``by``).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from quorum.clock import Clock
from quorum.domain import JournalKind, OrderLeg, Side, TradingState, TradingStatus
from quorum.errors import QuorumError
from quorum.execution import repo
from quorum.execution.trading import read_trading_status, write_trading_status
from quorum.ports import JournalAppender

_STRATEGY = "strategy:"


def strategy_switch(strategy: str) -> str:
    return _STRATEGY + strategy


class TradingStateConflict(QuorumError):
    """Another process changed the trading state between this read and this write."""


class Controls:
    def __init__(
        self,
        journal: JournalAppender,
        clock: Clock,
        actor: str,
        max_fills: int,
        window_s: float,
    ) -> None:
        self._journal = journal
        self._clock = clock
        self._actor = actor
        self._max_fills = max_fills
        self._window = timedelta(seconds=window_s)

    def trading_status(self, session: Session) -> TradingStatus:
        return read_trading_status(session)

    def disabled_strategies(self, session: Session) -> set[str]:
        names = repo.engaged_switches(session)
        return {n[len(_STRATEGY) :] for n in names if n.startswith(_STRATEGY)}

    def blocked_reason(
        self,
        session: Session,
        *,
        strategy: str,
        venue: str,
        symbol: str,
        side: Side,
        quantity: object,
        leg: OrderLeg,
    ) -> str | None:
        """Why an order may not be sent now, or None when it may."""
        engaged = repo.engaged_switches(session)
        if strategy_switch(strategy) in engaged:
            return (
                f"strategy {strategy!r} is disabled by the fill throttle; a person must "
                "re-enable it"
            )
        trading = read_trading_status(session).state
        if trading is TradingState.HALTED:
            return "trading halted (kill switch): nothing is sent, only cancels"
        if trading is TradingState.REDUCING:
            position = repo.get_position(session, venue, symbol)
            qty = quantity if isinstance(quantity, Decimal) else Decimal(str(quantity))
            if leg is not OrderLeg.ENTRY and position.reduced_by(side, qty):
                return None
            return "trading reducing (kill switch): only risk-reducing orders may be sent"
        return None

    def set_trading_state(
        self, session: Session, state: TradingState, by: str, reason: str
    ) -> TradingStatus | None:
        """Move the trading state to ``state`` and journal it (who, why, from, to); the new
        status, or None when it already was ``state``. Raises when another writer won."""
        if not by.strip():
            raise ValueError("by: a trading-state change must name who made it")
        if not reason.strip():
            raise ValueError("reason: say why the trading state changes")
        current = read_trading_status(session)
        if current.state is state:
            return None
        now = self._clock.now()
        if not write_trading_status(session, current.version, state, by, reason, now):
            raise TradingStateConflict(
                f"trading_state: version {current.version} was replaced by another writer"
            )
        self._journal.append(
            session,
            JournalKind.KILL_SWITCH,
            {
                "event": "trading_state",
                "from": current.state.value,
                "to": state.value,
                "by": by,
                "reason": reason,
            },
            actor=by,
        )
        return TradingStatus(
            state=state, by=by, reason=reason, since=now, version=current.version + 1
        )

    def check_throttle(self, session: Session, strategy: str) -> bool:
        """Disable ``strategy`` when it had more than ``max_fills`` fills in the window;
        True when this call disabled it."""
        if strategy in self.disabled_strategies(session):
            return False
        since = self._clock.now() - self._window
        count = repo.fill_times_for_strategy(session, strategy, since)
        if count <= self._max_fills:
            return False
        reason = f"{count} fills in {self._window.total_seconds():g} s; at most {self._max_fills}"
        repo.put_switch(
            session, strategy_switch(strategy), True, self._actor, reason, self._clock.now()
        )
        self._journal.append(
            session,
            JournalKind.KILL_SWITCH,
            {"scope": "strategy", "strategy": strategy, "engaged": True, "reason": reason},
            actor=self._actor,
        )
        return True

    def enable_strategy(self, session: Session, strategy: str, by: str) -> bool:
        if not by.strip():
            raise ValueError("by: re-enabling a strategy must name the person")
        if strategy not in self.disabled_strategies(session):
            return False
        repo.put_switch(
            session, strategy_switch(strategy), False, by, "re-enabled", self._clock.now()
        )
        self._journal.append(
            session,
            JournalKind.KILL_SWITCH,
            {"scope": "strategy", "strategy": strategy, "engaged": False, "by": by},
            actor=self._actor,
        )
        return True
