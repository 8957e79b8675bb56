"""Tables of the paper venue (``quorum.execution.paper.stored``): its state, shared by every
process on the database.

``paper_venues`` holds one row per venue: balances, net positions, quotes, the last bar
applied per symbol, counters and fault settings (JSON with decimals as exact text), and a
``version`` bumped by every change. Every operation that changes the venue locks that row
first (SQLite: the ``BEGIN IMMEDIATE`` write lock; PostgreSQL: ``SELECT … FOR UPDATE``),
so concurrent processes queue instead of losing updates. ``paper_orders`` and
``paper_trades`` are numbered gaplessly per venue (``seq``); an order row carries the venue
``version`` that last wrote it, so a process reloads only what changed since it looked.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Text, false
from sqlmodel import Field, SQLModel

VENUES_TABLE = "paper_venues"
ORDERS_TABLE = "paper_orders"
TRADES_TABLE = "paper_trades"

_DEC = 48
_TIME = 40


class PaperVenueRecord(SQLModel, table=True):
    """One paper venue's account and market state."""

    __tablename__ = VENUES_TABLE

    name: str = Field(sa_column=Column("name", String(64), primary_key=True))
    version: int = Field(sa_column=Column("version", Integer(), nullable=False))
    next_order_id: int = Field(sa_column=Column("next_order_id", Integer(), nullable=False))
    balances: str = Field(sa_column=Column("balances", Text(), nullable=False))
    books: str = Field(sa_column=Column("books", Text(), nullable=False))
    quotes: str = Field(sa_column=Column("quotes", Text(), nullable=False))
    last_bars: str = Field(sa_column=Column("last_bars", Text(), nullable=False))
    counters: str = Field(sa_column=Column("counters", Text(), nullable=False))
    faults: str = Field(sa_column=Column("faults", Text(), nullable=False))
    clock_high: str | None = Field(default=None, sa_column=Column("clock_high", String(_TIME)))
    created_at: str = Field(sa_column=Column("created_at", String(_TIME), nullable=False))
    updated_at: str = Field(sa_column=Column("updated_at", String(_TIME), nullable=False))


class PaperOrderRecord(SQLModel, table=True):
    """An order at the paper venue (open or not); ``version``: the venue version of its
    last change."""

    __tablename__ = ORDERS_TABLE

    venue: str = Field(sa_column=Column("venue", String(64), primary_key=True))
    seq: int = Field(sa_column=Column("seq", Integer(), primary_key=True, autoincrement=False))
    venue_order_id: str = Field(sa_column=Column("venue_order_id", String(32), nullable=False))
    client_order_id: str = Field(
        sa_column=Column("client_order_id", String(64), nullable=False, index=True)
    )
    symbol: str = Field(sa_column=Column("symbol", String(64), nullable=False))
    side: str = Field(sa_column=Column("side", String(8), nullable=False))
    order_type: str = Field(sa_column=Column("order_type", String(16), nullable=False))
    quantity: str = Field(sa_column=Column("quantity", String(_DEC), nullable=False))
    price: str | None = Field(default=None, sa_column=Column("price", String(_DEC)))
    stop_price: str | None = Field(default=None, sa_column=Column("stop_price", String(_DEC)))
    status: str = Field(sa_column=Column("status", String(16), nullable=False))
    reduce_only: bool = Field(
        default=False,
        sa_column=Column("reduce_only", Boolean(), nullable=False, server_default=false()),
    )
    filled: str = Field(sa_column=Column("filled", String(_DEC), nullable=False))
    cost: str = Field(sa_column=Column("cost", String(_DEC), nullable=False))
    triggered: bool = Field(sa_column=Column("triggered", Boolean(), nullable=False))
    created_at: str = Field(sa_column=Column("created_at", String(_TIME), nullable=False))
    updated_at: str = Field(sa_column=Column("updated_at", String(_TIME), nullable=False))
    version: int = Field(sa_column=Column("version", Integer(), nullable=False, index=True))


class PaperTradeRecord(SQLModel, table=True):
    """One execution at the paper venue, numbered in the order it happened."""

    __tablename__ = TRADES_TABLE

    venue: str = Field(sa_column=Column("venue", String(64), primary_key=True))
    seq: int = Field(sa_column=Column("seq", Integer(), primary_key=True, autoincrement=False))
    venue_trade_id: str = Field(sa_column=Column("venue_trade_id", String(32), nullable=False))
    venue_order_id: str = Field(sa_column=Column("venue_order_id", String(32), nullable=False))
    client_order_id: str | None = Field(
        default=None, sa_column=Column("client_order_id", String(64))
    )
    symbol: str = Field(sa_column=Column("symbol", String(64), nullable=False))
    side: str = Field(sa_column=Column("side", String(8), nullable=False))
    quantity: str = Field(sa_column=Column("quantity", String(_DEC), nullable=False))
    price: str = Field(sa_column=Column("price", String(_DEC), nullable=False))
    fee: str = Field(sa_column=Column("fee", String(_DEC), nullable=False))
    fee_currency: str = Field(sa_column=Column("fee_currency", String(16), nullable=False))
    liquidity: str = Field(sa_column=Column("liquidity", String(8), nullable=False))
    ts: str = Field(sa_column=Column("ts", String(_TIME), nullable=False))
