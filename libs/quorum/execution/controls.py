"""Persisted trading controls: the kill switch and the per-strategy fill throttle.

Both live in ``execution_switches`` (so they survive a restart) and every change is
journaled (``kill_switch``) in the same transaction. The gate answers, for one order,
whether it may be sent now: a disabled strategy sends nothing; under the kill switch
only risk-reducing orders (a non-entry order against the open position, for at most its
size) go out. Lifting either needs a named person (``by``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from quorum.clock import Clock
from quorum.domain import JournalKind, OrderLeg, Side
from quorum.execution import repo
from quorum.ports import JournalAppender

KILL_SWITCH = "kill_switch"
_STRATEGY = "strategy:"


def strategy_switch(strategy: str) -> str:
    return _STRATEGY + strategy


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

    def kill_switch_engaged(self, session: Session) -> bool:
        switch = repo.get_switch(session, KILL_SWITCH)
        return bool(switch and switch["engaged"])

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
        if KILL_SWITCH in engaged:
            position = repo.get_position(session, venue, symbol)
            from decimal import Decimal

            qty = quantity if isinstance(quantity, Decimal) else Decimal(str(quantity))
            if leg is not OrderLeg.ENTRY and position.reduced_by(side, qty):
                return None
            return "kill switch engaged: only risk-reducing orders may be sent"
        return None

    def set_kill_switch(self, session: Session, engaged: bool, by: str, reason: str) -> bool:
        """Engage or lift the kill switch; True when it changed. Lifting needs a person."""
        if not by.strip():
            raise ValueError("by: the kill switch must name who changed it")
        if self.kill_switch_engaged(session) == engaged:
            return False
        now = self._clock.now()
        repo.put_switch(session, KILL_SWITCH, engaged, by, reason, now)
        self._journal.append(
            session,
            JournalKind.KILL_SWITCH,
            {"scope": "global", "engaged": engaged, "by": by, "reason": reason},
            actor=self._actor,
        )
        return True

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
