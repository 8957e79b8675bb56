"""Tables of ``quorum.execution``: the order outbox, fills, positions, balances, switches.

Decimals are stored as their exact text (``str(Decimal)``) and times as canonical
ISO-8601 UTC text, so no backend's numeric or timestamp type can round a value.
``execution_orders.client_order_id`` is the primary key: the database, not a cache or a
lock, guarantees one order per derived client id. ``version`` grows on every change;
state changes are compare-and-set updates on ``(state, version)``. Fills are unique per
``(venue, venue_trade_id)``, which is what deduplicates them.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String
from sqlmodel import Field, SQLModel

ORDERS_TABLE = "execution_orders"
FILLS_TABLE = "execution_fills"
POSITIONS_TABLE = "execution_positions"
BALANCES_TABLE = "execution_balances"
SWITCHES_TABLE = "execution_switches"
TRADING_STATE_TABLE = "trading_state"

_DEC = 48
_TIME = 40


class ExecutionOrderRecord(SQLModel, table=True):
    """One order: the stored intent (the outbox row) and its progress at the venue."""

    __tablename__ = ORDERS_TABLE

    client_order_id: str = Field(sa_column=Column("client_order_id", String(64), primary_key=True))
    venue: str = Field(sa_column=Column("venue", String(32), nullable=False, index=True))
    origin: str = Field(sa_column=Column("origin", String(16), nullable=False))
    run_id: str = Field(sa_column=Column("run_id", String(64), nullable=False))
    strategy: str = Field(sa_column=Column("strategy", String(64), nullable=False, index=True))
    symbol: str = Field(sa_column=Column("symbol", String(64), nullable=False))
    side: str = Field(sa_column=Column("side", String(8), nullable=False))
    leg: str = Field(sa_column=Column("leg", String(16), nullable=False))
    order_type: str = Field(sa_column=Column("order_type", String(16), nullable=False))
    quantity: str = Field(sa_column=Column("quantity", String(_DEC), nullable=False))
    price: str | None = Field(default=None, sa_column=Column("price", String(_DEC)))
    stop_price: str | None = Field(default=None, sa_column=Column("stop_price", String(_DEC)))
    reduce_only: bool = Field(sa_column=Column("reduce_only", Boolean(), nullable=False))
    signal_time: str = Field(sa_column=Column("signal_time", String(_TIME), nullable=False))
    state: str = Field(sa_column=Column("state", String(20), nullable=False, index=True))
    version: int = Field(sa_column=Column("version", Integer(), nullable=False))
    venue_order_id: str | None = Field(
        default=None, sa_column=Column("venue_order_id", String(128))
    )
    filled_quantity: str = Field(sa_column=Column("filled_quantity", String(_DEC), nullable=False))
    average_price: str | None = Field(default=None, sa_column=Column("average_price", String(_DEC)))
    fees: str = Field(sa_column=Column("fees", String(_DEC), nullable=False))
    attempts: int = Field(sa_column=Column("attempts", Integer(), nullable=False))
    submit_deadline: str | None = Field(
        default=None, sa_column=Column("submit_deadline", String(_TIME))
    )
    last_error: str | None = Field(default=None, sa_column=Column("last_error", String(400)))
    created_at: str = Field(sa_column=Column("created_at", String(_TIME), nullable=False))
    updated_at: str = Field(sa_column=Column("updated_at", String(_TIME), nullable=False))


class ExecutionFillRecord(SQLModel, table=True):
    """One venue execution; the primary key (venue, venue trade id) deduplicates it."""

    __tablename__ = FILLS_TABLE

    venue: str = Field(sa_column=Column("venue", String(32), primary_key=True))
    venue_trade_id: str = Field(sa_column=Column("venue_trade_id", String(128), primary_key=True))
    client_order_id: str = Field(
        sa_column=Column("client_order_id", String(64), nullable=False, index=True)
    )
    symbol: str = Field(sa_column=Column("symbol", String(64), nullable=False))
    side: str = Field(sa_column=Column("side", String(8), nullable=False))
    quantity: str = Field(sa_column=Column("quantity", String(_DEC), nullable=False))
    price: str = Field(sa_column=Column("price", String(_DEC), nullable=False))
    fee: str = Field(sa_column=Column("fee", String(_DEC), nullable=False))
    fee_currency: str = Field(sa_column=Column("fee_currency", String(16), nullable=False))
    liquidity: str = Field(sa_column=Column("liquidity", String(8), nullable=False))
    ts: str = Field(sa_column=Column("ts", String(_TIME), nullable=False))


class ExecutionPositionRecord(SQLModel, table=True):
    """The net position per (venue, symbol), kept from fills; quantity < 0 is short."""

    __tablename__ = POSITIONS_TABLE

    venue: str = Field(sa_column=Column("venue", String(32), primary_key=True))
    symbol: str = Field(sa_column=Column("symbol", String(64), primary_key=True))
    quantity: str = Field(sa_column=Column("quantity", String(_DEC), nullable=False))
    average_entry: str | None = Field(default=None, sa_column=Column("average_entry", String(_DEC)))
    realized_pnl: str = Field(sa_column=Column("realized_pnl", String(_DEC), nullable=False))
    fees: str = Field(sa_column=Column("fees", String(_DEC), nullable=False))
    opened_at: str | None = Field(default=None, sa_column=Column("opened_at", String(_TIME)))
    updated_at: str = Field(sa_column=Column("updated_at", String(_TIME), nullable=False))


class ExecutionBalanceRecord(SQLModel, table=True):
    """The venue's total balance per asset as last reconciled."""

    __tablename__ = BALANCES_TABLE

    venue: str = Field(sa_column=Column("venue", String(32), primary_key=True))
    asset: str = Field(sa_column=Column("asset", String(32), primary_key=True))
    total: str = Field(sa_column=Column("total", String(_DEC), nullable=False))
    updated_at: str = Field(sa_column=Column("updated_at", String(_TIME), nullable=False))


class ExecutionSwitchRecord(SQLModel, table=True):
    """A persisted switch: ``kill_switch`` or ``strategy:<name>`` (a throttled strategy)."""

    __tablename__ = SWITCHES_TABLE

    name: str = Field(sa_column=Column("name", String(120), primary_key=True))
    engaged: bool = Field(sa_column=Column("engaged", Boolean(), nullable=False))
    actor: str = Field(sa_column=Column("actor", String(120), nullable=False))
    reason: str = Field(sa_column=Column("reason", String(400), nullable=False))
    changed_at: str = Field(sa_column=Column("changed_at", String(_TIME), nullable=False))


class TradingStateRecord(SQLModel, table=True):
    """The account's one trading state (active / reducing / halted): a single row
    (``name = 'global'``) changed by compare-and-set on ``version``."""

    __tablename__ = TRADING_STATE_TABLE

    name: str = Field(sa_column=Column("name", String(32), primary_key=True))
    state: str = Field(sa_column=Column("state", String(16), nullable=False))
    version: int = Field(sa_column=Column("version", Integer(), nullable=False))
    actor: str = Field(sa_column=Column("actor", String(120), nullable=False))
    reason: str = Field(sa_column=Column("reason", String(400), nullable=False))
    changed_at: str = Field(sa_column=Column("changed_at", String(_TIME), nullable=False))
