"""Budget reservations: reserve the worst case before a call, settle the real cost after.

A call touches up to three *scopes* — the UTC day, the run and the symbol-day — each with
a cap. ``reserve`` checks every scope and records the hold in one atomic step (a Redis
script, a database transaction, or a lock), so concurrent workers cannot together pass a
cap: for each scope, ``spent + live holds + amount <= cap`` is checked and the hold added
under the same lock. ``settle`` replaces the hold with the real cost; a hold that is
never settled (the worker died) expires after its TTL and stops counting.

Amounts are integer nano-USD (see :mod:`quorum.llm.money`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Protocol, runtime_checkable

from quorum.domain.codecs import ensure_utc
from quorum.errors import BudgetExceeded
from quorum.llm.money import from_nano, to_nano
from quorum.llm.settings import BudgetSettings


@dataclass(frozen=True, slots=True)
class BudgetScope:
    """One capped scope: ``key`` such as ``day:2025-03-01``, its cap and storage TTL."""

    key: str
    cap_nano: int
    ttl_s: int

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class Reservation:
    """A live hold of ``amount_nano`` on every scope, until ``expires_ms``."""

    id: str
    scopes: tuple[BudgetScope, ...]
    amount_nano: int
    expires_ms: int
    headroom_nano: tuple[int, ...] = ()
    """Per scope, what is left after this hold (for the remaining-budget gauge)."""


class BudgetDenied(BudgetExceeded):
    """Reserving ``requested`` would pass the cap of ``scope``; ``headroom`` is what is left."""

    def __init__(self, scope: str, cap_nano: int, headroom_nano: int, requested_nano: int) -> None:
        self.scope = scope
        self.cap = from_nano(cap_nano)
        self.headroom_nano = max(headroom_nano, 0)
        self.headroom = from_nano(self.headroom_nano)
        self.requested = from_nano(requested_nano)
        super().__init__(
            f"llm budget: reserving {self.requested:.6f} USD would pass the cap of {scope} "
            f"({self.cap} USD; {self.headroom:.6f} USD left)"
        )


class BudgetUnavailable(BudgetExceeded):
    """The budget store could not be reached: fail closed, as if the cap were reached."""


@runtime_checkable
class BudgetLedger(Protocol):
    """Atomic reserve / settle over capped scopes (Redis, SQL or in-process)."""

    def reserve(
        self, scopes: Sequence[BudgetScope], amount_nano: int, now: datetime, ttl_s: int
    ) -> Reservation:
        """Hold ``amount_nano`` on every scope or raise :class:`BudgetDenied`."""
        ...

    def settle(self, reservation: Reservation, actual_nano: int, now: datetime) -> None:
        """Replace the hold with ``actual_nano`` of spend (0 releases it)."""
        ...

    def spent_nano(self, scope: str) -> int:
        """Settled spend of ``scope`` (holds excluded)."""
        ...


@dataclass(frozen=True, slots=True)
class ScopeState:
    scope: BudgetScope
    spent_nano: int
    held_nano: int

    @property
    def headroom_nano(self) -> int:
        return self.scope.cap_nano - self.spent_nano - self.held_nano


def check_caps(states: Sequence[ScopeState], amount_nano: int) -> None:
    """Raise :class:`BudgetDenied` for the tightest scope that ``amount_nano`` would pass."""
    denied = [s for s in states if amount_nano > s.headroom_nano]
    if denied:
        worst = min(denied, key=lambda s: s.headroom_nano)
        raise BudgetDenied(worst.scope.key, worst.scope.cap_nano, worst.headroom_nano, amount_nano)


def new_reservation_id() -> str:
    return uuid.uuid4().hex


def epoch_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


@lru_cache(maxsize=64)
def _caps(settings: BudgetSettings) -> tuple[int | None, int | None, int | None]:
    def nano(value: Decimal | None) -> int | None:
        return None if value is None else to_nano(value)

    return nano(settings.per_day_usd), nano(settings.per_run_usd), nano(settings.per_symbol_usd)


def scopes_for(
    settings: BudgetSettings, now: datetime, run_id: str | None, symbol: str | None
) -> tuple[BudgetScope, ...]:
    """The capped scopes of one call (a scope without a cap is not tracked)."""
    day = ensure_utc(now, "now").date().isoformat()
    day_ttl = 3 * 24 * 3600
    per_day, per_run, per_symbol = _caps(settings)
    scopes: list[BudgetScope] = []
    if per_day is not None:
        scopes.append(BudgetScope(f"day:{day}", per_day, day_ttl))
    if per_run is not None and run_id:
        scopes.append(BudgetScope(f"run:{run_id}", per_run, settings.run_scope_ttl_days * 86400))
    if per_symbol is not None and symbol:
        scopes.append(BudgetScope(f"symbol:{symbol}:{day}", per_symbol, day_ttl))
    return tuple(scopes)


def usd(nano: int) -> Decimal:
    return from_nano(nano)
