"""Database access of the pipeline: rules state, signals, trades, scan marks, scoring.

Every writer runs in the caller's session (its transaction). The rules state and the
scoring rows are written by compare-and-set on ``version`` (optimistic concurrency):
``save_rules`` returns False when another worker wrote first, and the caller re-reads,
re-decides and retries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from quorum.domain import format_time, parse_time
from quorum.pipeline.reports import ScoreItem, SignalRecord
from quorum.pipeline.runs import inserted
from quorum.risk import RulesState
from quorum.store import insert_or_advance
from quorum.store.tables.pipeline import (
    RULES_STATE_TABLE,
    SCAN_MARKS_TABLE,
    SCORING_TABLE,
    SIGNALS_TABLE,
    TRADES_TABLE,
)

RULES = SQLModel.metadata.tables[RULES_STATE_TABLE]
SIGNALS = SQLModel.metadata.tables[SIGNALS_TABLE]
TRADES = SQLModel.metadata.tables[TRADES_TABLE]
MARKS = SQLModel.metadata.tables[SCAN_MARKS_TABLE]
SCORING = SQLModel.metadata.tables[SCORING_TABLE]

Reader = Session | Connection


def _changed(result: Any) -> bool:
    """True when an UPDATE touched exactly one row (its compare-and-set won)."""
    return int(result.rowcount) == 1


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


# -- the risk rules state --------------------------------------------------------------


def load_rules(db: Reader, name: str) -> tuple[RulesState | None, int]:
    """The stored state and its version; ``(None, 0)`` when none is stored yet."""
    row = db.execute(select(RULES.c.state, RULES.c.version).where(RULES.c.name == name)).first()
    if row is None:
        return None, 0
    return RulesState.model_validate_json(row[0]), int(row[1])


def save_rules(
    session: Session, state: RulesState, expected: int, now: datetime, name: str
) -> bool:
    """Write ``state`` as version ``expected + 1`` when the stored version is ``expected``
    (without its kill-switch view: the trading state is its own record)."""
    text = state.model_dump_json(exclude={"kill_switch"})
    if expected == 0:
        row = {"name": name, "version": 1, "state": text, "updated_at": format_time(now)}
        return inserted(session, RULES_STATE_TABLE, row)
    stmt = (
        update(RULES)
        .where(and_(RULES.c.name == name, RULES.c.version == expected))
        .values(state=text, version=expected + 1, updated_at=format_time(now))
    )
    return _changed(session.execute(stmt))


# -- signals ---------------------------------------------------------------------------


def insert_signal(session: Session, row: dict[str, Any]) -> bool:
    return inserted(session, SIGNALS_TABLE, row)


def _signal(m: Any) -> SignalRecord:
    return SignalRecord(
        signal_id=m["signal_id"],
        run_id=m["run_id"],
        task_key=m["task_key"],
        symbol=m["symbol"],
        timeframe=m["timeframe"],
        as_of=parse_time(m["as_of"]),
        direction=m["direction"],
        entry=Decimal(m["entry"]),
        stop_loss=Decimal(m["stop_loss"]),
        take_profit=_dec(m["take_profit"]),
        confidence=m["confidence"],
        score=m["score"],
        probability=m["probability"],
        components=tuple(ScoreItem(**c) for c in json.loads(m["components"])),
        explanation=m["explanation"],
        verdict=m["verdict"],
        quantity=Decimal(m["quantity"]),
        reason=m["reason"],
        client_order_id=m["client_order_id"],
        created_at=parse_time(m["created_at"]),
    )


def list_signals(
    engine: Engine, limit: int = 100, since: datetime | None = None
) -> list[SignalRecord]:
    """Newest first; ``since`` filters on the time the signal was stored."""
    stmt = select(SIGNALS).order_by(SIGNALS.c.created_at.desc(), SIGNALS.c.signal_id)
    if since is not None:
        stmt = stmt.where(SIGNALS.c.created_at >= format_time(since))
    with engine.connect() as conn:
        rows = conn.execute(stmt.limit(max(1, limit))).mappings().all()
    return [_signal(m) for m in rows]


def get_signal(db: Reader, signal_id: str) -> SignalRecord | None:
    row = db.execute(select(SIGNALS).where(SIGNALS.c.signal_id == signal_id)).mappings().first()
    return None if row is None else _signal(row)


# -- trades ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trade:
    trade_id: str
    run_id: str
    venue: str
    symbol: str
    direction: str
    signal_id: str
    state: str
    stop: Decimal
    initial_stop: Decimal
    take_profit: Decimal | None
    best_price: Decimal | None
    exit_orders: tuple[str, ...]
    pnl: Decimal | None
    r_multiple: float | None
    learned: bool
    opened_at: datetime
    closed_at: datetime | None
    version: int

    def row(self) -> dict[str, Any]:
        return {
            "trade_id": self.trade_id,
            "run_id": self.run_id,
            "venue": self.venue,
            "symbol": self.symbol,
            "direction": self.direction,
            "signal_id": self.signal_id,
            "state": self.state,
            "stop": str(self.stop),
            "initial_stop": str(self.initial_stop),
            "take_profit": None if self.take_profit is None else str(self.take_profit),
            "best_price": None if self.best_price is None else str(self.best_price),
            "exit_orders": json.dumps(list(self.exit_orders)),
            "pnl": None if self.pnl is None else str(self.pnl),
            "r_multiple": self.r_multiple,
            "learned": self.learned,
            "opened_at": format_time(self.opened_at),
            "closed_at": None if self.closed_at is None else format_time(self.closed_at),
            "version": self.version,
        }


def _trade(m: Any) -> Trade:
    stop, initial = Decimal(m["stop"]), Decimal(m["initial_stop"])
    return Trade(
        trade_id=m["trade_id"],
        run_id=m["run_id"],
        venue=m["venue"],
        symbol=m["symbol"],
        direction=m["direction"],
        signal_id=m["signal_id"],
        state=m["state"],
        stop=stop,
        initial_stop=initial,
        take_profit=_dec(m["take_profit"]),
        best_price=_dec(m["best_price"]),
        exit_orders=tuple(json.loads(m["exit_orders"])),
        pnl=_dec(m["pnl"]),
        r_multiple=m["r_multiple"],
        learned=bool(m["learned"]),
        opened_at=parse_time(m["opened_at"]),
        closed_at=None if m["closed_at"] is None else parse_time(m["closed_at"]),
        version=int(m["version"]),
    )


def insert_trade(session: Session, trade: Trade) -> bool:
    return inserted(session, TRADES_TABLE, trade.row())


def trades(
    db: Reader,
    states: Iterable[str] | None = None,
    learned: bool | None = None,
    run_id: str | None = None,
) -> list[Trade]:
    stmt = select(TRADES).order_by(TRADES.c.opened_at, TRADES.c.trade_id)
    if run_id is not None:
        stmt = stmt.where(TRADES.c.run_id == run_id)
    if states is not None:
        stmt = stmt.where(TRADES.c.state.in_(list(states)))
    if learned is not None:
        stmt = stmt.where(TRADES.c.learned == learned)
    return [_trade(m) for m in db.execute(stmt).mappings().all()]


def put_trade(session: Session, before: Trade, after: Trade) -> bool:
    """Compare-and-set on ``version``; ``after`` is written as version + 1."""
    row = after.row()
    row["version"] = before.version + 1
    del row["trade_id"], row["run_id"]
    stmt = (
        update(TRADES)
        .where(and_(TRADES.c.trade_id == before.trade_id, TRADES.c.version == before.version))
        .values(**row)
    )
    return _changed(session.execute(stmt))


# -- scan marks ------------------------------------------------------------------------


def scan_marks(db: Reader, run_id: str) -> dict[tuple[str, str], tuple[datetime, float | None]]:
    rows = db.execute(select(MARKS).where(MARKS.c.run_id == run_id)).mappings().all()
    return {
        (m["symbol"], m["timeframe"]): (parse_time(m["bar_close"]), m["volatility"]) for m in rows
    }


def put_scan_mark(
    session: Session,
    run_id: str,
    symbol: str,
    timeframe: str,
    bar_close: datetime,
    volatility: float | None,
    now: datetime,
) -> None:
    """Advance the mark (never backwards: a late redelivery of an older bar keeps the newer)."""
    row = {
        "run_id": run_id,
        "symbol": symbol,
        "timeframe": timeframe,
        "bar_close": format_time(bar_close),
        "volatility": volatility,
        "updated_at": format_time(now),
    }
    insert_or_advance(session, SCAN_MARKS_TABLE, row, "bar_close")


# -- learned scoring state -------------------------------------------------------------


def load_scoring(db: Reader, name: str) -> tuple[dict[str, Any] | None, int]:
    row = db.execute(
        select(SCORING.c.payload, SCORING.c.version).where(SCORING.c.name == name)
    ).first()
    if row is None:
        return None, 0
    payload: dict[str, Any] = json.loads(row[0])
    return payload, int(row[1])


def save_scoring(
    session: Session, name: str, payload: dict[str, Any], expected: int, now: datetime
) -> bool:
    text = json.dumps(payload, sort_keys=True)
    if expected == 0:
        row = {"name": name, "version": 1, "payload": text, "updated_at": format_time(now)}
        return inserted(session, SCORING_TABLE, row)
    stmt = (
        update(SCORING)
        .where(and_(SCORING.c.name == name, SCORING.c.version == expected))
        .values(payload=text, version=expected + 1, updated_at=format_time(now))
    )
    return _changed(session.execute(stmt))
