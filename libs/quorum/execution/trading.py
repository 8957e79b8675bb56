"""The one trading-state record (``trading_state``, a single row): read and
compare-and-set. Reading is one primary-key lookup, cheap enough for every gate check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, select, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from quorum.domain import TradingState, TradingStatus, format_time, parse_time
from quorum.store import insert_ignore
from quorum.store.tables.execution import TRADING_STATE_TABLE

ROW = "global"


def _table() -> Table:
    return SQLModel.metadata.tables[TRADING_STATE_TABLE]


def read_trading_status(db: Session | Connection) -> TradingStatus:
    """The stored state; ``active`` (version 0) when it was never changed."""
    t = _table()
    row = db.execute(select(t).where(t.c.name == ROW)).first()
    if row is None:
        return TradingStatus()
    return TradingStatus(
        state=TradingState(row.state),
        by=row.actor,
        reason=row.reason,
        since=parse_time(row.changed_at),
        version=int(row.version),
    )


def write_trading_status(
    session: Session, expected: int, state: TradingState, by: str, reason: str, now: datetime
) -> bool:
    """Store ``state`` as version ``expected + 1`` when the stored version is ``expected``."""
    t = _table()
    values = {
        "state": state.value,
        "version": expected + 1,
        "actor": by[:120],
        "reason": reason[:400],
        "changed_at": format_time(now),
    }
    if expected == 0:
        return insert_ignore(session, TRADING_STATE_TABLE, {"name": ROW, **values})
    stmt = update(t).where(and_(t.c.name == ROW, t.c.version == expected)).values(**values)
    result: Any = session.execute(stmt)
    return int(result.rowcount) == 1
