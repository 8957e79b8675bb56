"""Database access of the execution package: inserts that are no-ops on conflict, and
compare-and-set updates. Every function runs in the caller's session (its transaction).

Idempotency comes from the primary keys: ``INSERT … ON CONFLICT DO NOTHING`` (SQLite and
PostgreSQL) inserts an order once per client id and a fill once per venue trade id. State
changes are ``UPDATE … WHERE client_order_id = ? AND state = ? AND version = ?``: the
caller learns from the row count whether it won.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from quorum.domain import OrderState, Side, format_time, parse_time
from quorum.execution.positions import NetPosition
from quorum.execution.records import ExecOrder, dec, text
from quorum.store import insert_ignore
from quorum.store.tables.execution import (
    BALANCES_TABLE,
    FILLS_TABLE,
    ORDERS_TABLE,
    POSITIONS_TABLE,
    SWITCHES_TABLE,
)


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


ORDERS = _table(ORDERS_TABLE)
FILLS = _table(FILLS_TABLE)
POSITIONS = _table(POSITIONS_TABLE)
BALANCES = _table(BALANCES_TABLE)
SWITCHES = _table(SWITCHES_TABLE)


def _insert_ignore(session: Session, table: Table, row: Mapping[str, Any]) -> bool:
    """Insert ``row`` unless its primary key exists; True when a row was inserted."""
    return insert_ignore(session, table.name, row)


# -- orders ----------------------------------------------------------------------------


def insert_order(session: Session, order: ExecOrder) -> bool:
    return _insert_ignore(session, ORDERS, order.to_row())


_GET_ORDER = select(ORDERS).where(ORDERS.c.client_order_id == bindparam("cid"))
_CAS_ORDER = (
    update(ORDERS)
    .where(
        and_(
            ORDERS.c.client_order_id == bindparam("_cid"),
            ORDERS.c.state == bindparam("_state"),
            ORDERS.c.version == bindparam("_version"),
        )
    )
    .values({c.name: bindparam(c.name) for c in ORDERS.columns if c.name != "client_order_id"})
)


def get_order(session: Session, client_order_id: str) -> ExecOrder | None:
    row = session.execute(_GET_ORDER, {"cid": client_order_id}).first()
    return None if row is None else ExecOrder.from_row(row)


def client_id_of(session: Session, venue: str, venue_order_id: str) -> str | None:
    query = select(ORDERS.c.client_order_id).where(
        and_(ORDERS.c.venue == venue, ORDERS.c.venue_order_id == venue_order_id)
    )
    found = session.execute(query).scalar()
    return None if found is None else str(found)


def list_orders(
    session: Session,
    states: Iterable[OrderState] | None = None,
    venue: str | None = None,
    limit: int | None = None,
) -> list[ExecOrder]:
    query = select(ORDERS)
    if states is not None:
        query = query.where(ORDERS.c.state.in_([s.value for s in states]))
    if venue is not None:
        query = query.where(ORDERS.c.venue == venue)
    query = query.order_by(ORDERS.c.created_at, ORDERS.c.client_order_id)
    if limit is not None:
        query = query.limit(limit)
    return [ExecOrder.from_row(row) for row in session.execute(query)]


def reduce_only_orders(
    session: Session, venue: str, symbol: str, side: Side, states: Iterable[OrderState]
) -> list[ExecOrder]:
    """The reduce-only orders on ``side`` of ``symbol`` at ``venue`` in one of ``states``."""
    query = (
        select(ORDERS)
        .where(
            and_(
                ORDERS.c.venue == venue,
                ORDERS.c.symbol == symbol,
                ORDERS.c.side == side.value,
                ORDERS.c.reduce_only.is_(True),
                ORDERS.c.state.in_([s.value for s in states]),
            )
        )
        .order_by(ORDERS.c.created_at, ORDERS.c.client_order_id)
    )
    return [ExecOrder.from_row(row) for row in session.execute(query)]


def order_symbols(session: Session, venue: str) -> set[str]:
    query = select(ORDERS.c.symbol).where(ORDERS.c.venue == venue).distinct()
    return {str(r[0]) for r in session.execute(query)}


def cas_order(session: Session, current: ExecOrder, updated: ExecOrder) -> bool:
    """Write ``updated`` if the stored row still has ``current``'s state and version."""
    row = updated.to_row()
    del row["client_order_id"]
    row["version"] = current.version + 1
    row.update(_cid=current.client_order_id, _state=current.state.value, _version=current.version)
    return bool(session.execute(_CAS_ORDER, row).rowcount == 1)  # type: ignore[attr-defined]


# -- fills -----------------------------------------------------------------------------


def insert_fill(session: Session, row: Mapping[str, Any]) -> bool:
    return _insert_ignore(session, FILLS, row)


_FILLS_OF = select(FILLS).where(
    and_(FILLS.c.venue == bindparam("venue"), FILLS.c.client_order_id == bindparam("cid"))
)


def fills_of(session: Session, venue: str, client_order_id: str) -> list[dict[str, Any]]:
    params = {"venue": venue, "cid": client_order_id}
    return [dict(row._mapping) for row in session.execute(_FILLS_OF, params)]


def known_trade_ids(session: Session, venue: str) -> set[str]:
    query = select(FILLS.c.venue_trade_id).where(FILLS.c.venue == venue)
    return {str(r[0]) for r in session.execute(query)}


def trade_ids_since(session: Session, venue: str, symbol: str, since: datetime | None) -> set[str]:
    """The venue trade ids of our fills in ``symbol`` with a venue time at or after
    ``since`` (all of them when None)."""
    query = select(FILLS.c.venue_trade_id).where(
        and_(FILLS.c.venue == venue, FILLS.c.symbol == symbol)
    )
    if since is not None:
        query = query.where(FILLS.c.ts >= format_time(since))
    return {str(r[0]) for r in session.execute(query)}


def latest_fill_time(session: Session, venue: str) -> datetime | None:
    query = select(FILLS.c.ts).where(FILLS.c.venue == venue).order_by(FILLS.c.ts.desc()).limit(1)
    latest = session.execute(query).scalar()
    return None if latest is None else parse_time(str(latest))


def fill_times_for_strategy(session: Session, strategy: str, since: datetime) -> int:
    """Fills of ``strategy``'s orders with a venue time at or after ``since`` (canonical
    time text sorts like the time itself)."""
    query = (
        select(func.count())
        .select_from(FILLS.join(ORDERS, ORDERS.c.client_order_id == FILLS.c.client_order_id))
        .where(and_(ORDERS.c.strategy == strategy, FILLS.c.ts >= format_time(since)))
    )
    return int(session.execute(query).scalar_one())


# -- positions and balances ------------------------------------------------------------


def get_position(session: Session, venue: str, symbol: str, *, lock: bool = False) -> NetPosition:
    """Our net position; ``lock``: ``SELECT … FOR UPDATE`` (PostgreSQL; SQLite's writer
    already holds the database lock)."""
    query = select(POSITIONS).where(and_(POSITIONS.c.venue == venue, POSITIONS.c.symbol == symbol))
    if lock:
        query = query.with_for_update()
    row = session.execute(query).first()
    if row is None:
        return NetPosition.flat(venue, symbol)
    return _position(dict(row._mapping))


def lock_position(session: Session, venue: str, symbol: str, now: datetime) -> NetPosition:
    """Our net position, its row locked for this transaction (created flat first when
    there is none, so that even a symbol's first two fills queue on one row instead of both
    reading "flat" under PostgreSQL's read committed and one overwriting the other)."""
    flat = _row(NetPosition.flat(venue, symbol), now)
    _insert_ignore(session, POSITIONS, {"venue": venue, "symbol": symbol, **flat})
    return get_position(session, venue, symbol, lock=True)


def _position(m: Mapping[str, Any]) -> NetPosition:
    opened = m["opened_at"]
    return NetPosition(
        venue=m["venue"],
        symbol=m["symbol"],
        quantity=Decimal(m["quantity"]),
        average_entry=dec(m["average_entry"]),
        realized_pnl=Decimal(m["realized_pnl"]),
        fees=Decimal(m["fees"]),
        opened_at=None if opened is None else parse_time(opened),
    )


def list_positions(session: Session, venue: str | None = None) -> list[NetPosition]:
    query = select(POSITIONS)
    if venue is not None:
        query = query.where(POSITIONS.c.venue == venue)
    return [
        _position(dict(row._mapping)) for row in session.execute(query.order_by(POSITIONS.c.symbol))
    ]


def _row(position: NetPosition, now: datetime) -> dict[str, Any]:
    return {
        "quantity": str(position.quantity),
        "average_entry": text(position.average_entry),
        "realized_pnl": str(position.realized_pnl),
        "fees": str(position.fees),
        "opened_at": None if position.opened_at is None else format_time(position.opened_at),
        "updated_at": format_time(now),
    }


def put_position(session: Session, position: NetPosition, now: datetime) -> None:
    row = _row(position, now)
    key = {"venue": position.venue, "symbol": position.symbol}
    if not _insert_ignore(session, POSITIONS, {**key, **row}):
        session.execute(
            update(POSITIONS)
            .where(and_(POSITIONS.c.venue == key["venue"], POSITIONS.c.symbol == key["symbol"]))
            .values(**row)
        )


def get_balances(session: Session, venue: str) -> dict[str, Decimal]:
    query = select(BALANCES.c.asset, BALANCES.c.total).where(BALANCES.c.venue == venue)
    return {str(a): Decimal(t) for a, t in session.execute(query)}


def put_balance(session: Session, venue: str, asset: str, total: Decimal, now: datetime) -> None:
    row = {"total": str(total), "updated_at": format_time(now)}
    if not _insert_ignore(session, BALANCES, {"venue": venue, "asset": asset, **row}):
        session.execute(
            update(BALANCES)
            .where(and_(BALANCES.c.venue == venue, BALANCES.c.asset == asset))
            .values(**row)
        )


# -- switches --------------------------------------------------------------------------


def engaged_switches(session: Session) -> set[str]:
    query = select(SWITCHES.c.name).where(SWITCHES.c.engaged.is_(True))
    return {str(r[0]) for r in session.execute(query)}


def put_switch(
    session: Session, name: str, engaged: bool, actor: str, reason: str, now: datetime
) -> None:
    row = {
        "engaged": engaged,
        "actor": actor,
        "reason": reason[:400],
        "changed_at": format_time(now),
    }
    if not _insert_ignore(session, SWITCHES, {"name": name, **row}):
        session.execute(update(SWITCHES).where(SWITCHES.c.name == name).values(**row))
