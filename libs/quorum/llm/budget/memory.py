"""An in-process budget ledger (one lock): tests, benchmarks and single-process runs.

Holds and spend live in this process only; use the SQL or Redis ledger when several
processes share a budget at the same time. ``spent`` seeds the settled spend per scope:
the embedded default (``backend: auto`` on SQLite) seeds it from the cost ledger, so
successive processes on one database still share their caps.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime

from quorum.llm.budget.base import (
    BudgetScope,
    Reservation,
    ScopeState,
    check_caps,
    epoch_ms,
    new_reservation_id,
)


class MemoryBudgetLedger:
    def __init__(self, spent: Mapping[str, int] | None = None) -> None:
        self._lock = threading.Lock()
        self._spent: dict[str, int] = dict(spent or {})
        self._holds: dict[str, dict[str, tuple[int, int]]] = {}
        """scope key -> reservation id -> (amount, expires_ms)"""

    def _held(self, scope: str, now_ms: int) -> int:
        holds = self._holds.get(scope)
        if not holds:
            return 0
        for rid in [rid for rid, (_, exp) in holds.items() if exp <= now_ms]:
            del holds[rid]
        return sum(amount for amount, _ in holds.values())

    def reserve(
        self, scopes: Sequence[BudgetScope], amount_nano: int, now: datetime, ttl_s: int
    ) -> Reservation:
        now_ms = epoch_ms(now)
        expires = now_ms + ttl_s * 1000
        rid = new_reservation_id()
        with self._lock:
            states = [
                ScopeState(s, self._spent.get(s.key, 0), self._held(s.key, now_ms)) for s in scopes
            ]
            check_caps(states, amount_nano)
            for scope in scopes:
                self._holds.setdefault(scope.key, {})[rid] = (amount_nano, expires)
        headroom = tuple(s.headroom_nano - amount_nano for s in states)
        return Reservation(rid, tuple(scopes), amount_nano, expires, headroom)

    def settle(self, reservation: Reservation, actual_nano: int, now: datetime) -> None:
        with self._lock:
            for scope in reservation.scopes:
                self._holds.get(scope.key, {}).pop(reservation.id, None)
                self._spent[scope.key] = self._spent.get(scope.key, 0) + actual_nano

    def spent_nano(self, scope: str) -> int:
        with self._lock:
            return self._spent.get(scope, 0)

    def held_nano(self, scope: str, now: datetime) -> int:
        with self._lock:
            return self._held(scope, epoch_ms(now))
