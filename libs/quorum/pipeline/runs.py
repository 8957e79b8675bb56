"""Task runs keyed by idempotency key: a key is claimed in the work's own transaction.

``TaskRuns.once(task, key, work)`` returns the stored result when the key was already
claimed; otherwise it opens one transaction, lets ``work(session)`` make its state changes
(journal entries, rows, the stored intent) in it, and inserts the key with the result in
the same transaction (``INSERT … ON CONFLICT DO NOTHING``). When a concurrent delivery
claimed the key first, everything ``work`` wrote is rolled back and the winner's stored
result is returned: the effect happens once, whatever the number of deliveries.
``TaskRuns.once_many`` claims several keys in one transaction the same way (the bar
driver's scans of one base bar).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from quorum.clock import Clock
from quorum.domain import format_time
from quorum.store import insert_ignore, session_scope
from quorum.store.tables.pipeline import TASK_RUNS_TABLE

JSON = dict[str, Any]
RUNS = SQLModel.metadata.tables[TASK_RUNS_TABLE]
_GET = select(RUNS.c.result).where(RUNS.c.key == bindparam("key"))


def inserted(session: Session, table_name: str, row: dict[str, Any]) -> bool:
    """Insert ``row`` unless its primary key exists; True when this call inserted it."""
    return insert_ignore(session, table_name, row)


class _Claimed(Exception):
    """Raised inside the unit of work to roll it back when another delivery won the key."""


class TaskRuns:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def get(self, key: str) -> JSON | None:
        with self._engine.connect() as conn:
            row = conn.execute(_GET, {"key": key}).first()
        if row is None:
            return None
        stored: JSON = json.loads(row[0])
        return stored

    def claim(self, session: Session, task: str, key: str, result: JSON, started: str) -> bool:
        """Insert the key with its result in ``session``'s transaction; False when taken."""
        row = {
            "key": key,
            "task": task,
            "status": str(result.get("status", "done")),
            "result": json.dumps(result, sort_keys=True),
            "started_at": started,
            "finished_at": format_time(self._clock.now()),
        }
        return inserted(session, TASK_RUNS_TABLE, row)

    def once(
        self, task: str, key: str, work: Callable[[Session], JSON], *, unseen: bool = False
    ) -> tuple[JSON, bool]:
        """``(result, fresh)``: run ``work`` and claim ``key`` in one transaction, or return
        the result stored by the delivery that claimed it (``fresh`` False).

        ``unseen``: the caller has just looked ``key`` up (``get``) and found nothing, so
        the look-up before ``work`` is skipped; a delivery that claims the key in between
        is still caught by the claim, and its result returned."""
        stored = None if unseen else self.get(key)
        if stored is not None:
            return stored, False
        started = format_time(self._clock.now())
        try:
            with session_scope(self._engine) as session:
                result = work(session)
                if not self.claim(session, task, key, result, started):
                    raise _Claimed(key)
        except _Claimed:
            winner = self.get(key)
            assert winner is not None
            return winner, False
        return result, True

    def once_many(
        self,
        task: str,
        claims: list[tuple[str, JSON]],
        work: Callable[[Session, list[int]], list[int]],
    ) -> list[tuple[JSON, bool]]:
        """:meth:`once` for several keys in ONE transaction: each ``(key, result)`` is
        claimed, then ``work(session, won)`` writes what the claims at the indexes ``won``
        guard and returns the indexes whose result it completed in place (a scan's
        analysis budget is decided in the transaction), stored again in it.
        ``(result, fresh)`` per claim, in order; a key a delivery claimed first is
        answered with its stored result and is not in ``won``."""
        if not claims:
            return []
        started = format_time(self._clock.now())
        with session_scope(self._engine) as session:
            won = [
                index
                for index, (key, result) in enumerate(claims)
                if self.claim(session, task, key, result, started)
            ]
            for index in work(session, won) if won else []:
                key, result = claims[index]
                text = json.dumps(result, sort_keys=True)
                session.execute(update(RUNS).where(RUNS.c.key == key).values(result=text))
        taken = set(won)
        out: list[tuple[JSON, bool]] = []
        for index, (key, result) in enumerate(claims):
            winner = result if index in taken else self.get(key)
            assert winner is not None
            out.append((winner, index in taken))
        return out

    def count(self, task: str | None = None) -> int:
        from sqlalchemy import func

        stmt = select(func.count()).select_from(RUNS)
        if task is not None:
            stmt = stmt.where(RUNS.c.task == task)
        with self._engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())
