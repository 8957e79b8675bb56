"""The budget ledger in the store's database: one transaction per reserve and per settle.

On SQLite the store's engine opens every transaction with ``BEGIN IMMEDIATE``, so the
transaction holds the database write lock from its first statement and reservations of
all processes on that file are serialised. On PostgreSQL the scope rows are created if
missing and locked ``FOR UPDATE`` in key order (no deadlocks); a hold is only added while
its scope row is locked, so the sum of live holds read under the lock is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from quorum.llm.budget.base import (
    BudgetScope,
    BudgetUnavailable,
    Reservation,
    ScopeState,
    check_caps,
    epoch_ms,
    new_reservation_id,
)
from quorum.store.tables.llm import LLM_BUDGET_HOLDS_TABLE, LLM_BUDGET_SPEND_TABLE, llm_table


class SqlBudgetLedger:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._spend = llm_table(LLM_BUDGET_SPEND_TABLE)
        self._holds = llm_table(LLM_BUDGET_HOLDS_TABLE)
        self._dialect = engine.dialect.name

    def _insert(self) -> postgresql.Insert | sqlite.Insert:
        if self._dialect == "postgresql":
            return postgresql.insert(self._spend)
        return sqlite.insert(self._spend)

    def _lock_scopes(self, conn: Connection, keys: list[str]) -> dict[str, int]:
        conn.execute(
            self._insert().on_conflict_do_nothing(index_elements=["scope"]),
            [{"scope": key, "spent_nano": 0} for key in keys],
        )
        query = (
            select(self._spend.c.scope, self._spend.c.spent_nano)
            .where(self._spend.c.scope.in_(keys))
            .order_by(self._spend.c.scope)
        )
        if self._dialect == "postgresql":
            query = query.with_for_update()
        return {scope: int(spent) for scope, spent in conn.execute(query)}

    def reserve(
        self, scopes: Sequence[BudgetScope], amount_nano: int, now: datetime, ttl_s: int
    ) -> Reservation:
        now_ms = epoch_ms(now)
        rid = new_reservation_id()
        keys = sorted({s.key for s in scopes})
        try:
            with self._engine.begin() as conn:
                spent = self._lock_scopes(conn, keys)
                conn.execute(
                    delete(self._holds).where(
                        self._holds.c.scope.in_(keys), self._holds.c.expires_ms <= now_ms
                    )
                )
                held_rows = conn.execute(
                    select(self._holds.c.scope, func.sum(self._holds.c.amount_nano))
                    .where(self._holds.c.scope.in_(keys))
                    .group_by(self._holds.c.scope)
                )
                held = {scope: int(total or 0) for scope, total in held_rows}
                states = [ScopeState(s, spent.get(s.key, 0), held.get(s.key, 0)) for s in scopes]
                check_caps(states, amount_nano)
                expires = now_ms + ttl_s * 1000
                conn.execute(
                    self._holds.insert(),
                    [
                        {
                            "reservation_id": rid,
                            "scope": key,
                            "amount_nano": amount_nano,
                            "expires_ms": expires,
                        }
                        for key in keys
                    ],
                )
        except SQLAlchemyError as exc:
            raise BudgetUnavailable(
                f"llm budget: the database could not reserve ({type(exc).__name__}); failing closed"
            ) from exc
        headroom = tuple(s.headroom_nano - amount_nano for s in states)
        return Reservation(rid, tuple(scopes), amount_nano, expires, headroom)

    def settle(self, reservation: Reservation, actual_nano: int, now: datetime) -> None:
        keys = sorted({s.key for s in reservation.scopes})
        insert = self._insert()
        upsert = insert.on_conflict_do_update(
            index_elements=["scope"],
            set_={"spent_nano": self._spend.c.spent_nano + insert.excluded.spent_nano},
        )
        try:
            with self._engine.begin() as conn:
                if actual_nano:
                    conn.execute(upsert, [{"scope": k, "spent_nano": actual_nano} for k in keys])
                conn.execute(
                    delete(self._holds).where(self._holds.c.reservation_id == reservation.id)
                )
        except SQLAlchemyError as exc:
            raise BudgetUnavailable(
                f"llm budget: the database could not settle reservation {reservation.id} "
                f"({type(exc).__name__})"
            ) from exc

    def spent_nano(self, scope: str) -> int:
        with self._engine.connect() as conn:
            value = conn.execute(
                select(self._spend.c.spent_nano).where(self._spend.c.scope == scope)
            ).scalar()
        return int(value or 0)

    def held_nano(self, scope: str, now: datetime) -> int:
        with self._engine.connect() as conn:
            value = conn.execute(
                select(func.sum(self._holds.c.amount_nano)).where(
                    self._holds.c.scope == scope, self._holds.c.expires_ms > epoch_ms(now)
                )
            ).scalar()
        return int(value or 0)
