"""What the pipeline reports to callers (CLI, API): JSON-ready pydantic values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class _Report(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScoreItem(_Report):
    name: str
    value: float
    weight: float
    contribution: float


class SignalRecord(_Report):
    """One proposed signal with its score breakdown, explanation and risk decision."""

    signal_id: str
    run_id: str
    task_key: str
    symbol: str
    timeframe: str
    as_of: datetime
    direction: str
    entry: Decimal
    stop_loss: Decimal
    take_profit: Decimal | None
    confidence: float
    score: float | None
    probability: float | None
    components: tuple[ScoreItem, ...]
    explanation: str
    verdict: str
    quantity: Decimal
    reason: str
    client_order_id: str | None
    created_at: datetime


class PositionView(_Report):
    venue: str
    symbol: str
    quantity: Decimal
    average_entry: Decimal | None
    stop: Decimal | None
    take_profit: Decimal | None
    mark: Decimal | None
    unrealized_pnl: Decimal | None
    opened_at: datetime | None


class OrderView(_Report):
    client_order_id: str
    venue: str
    symbol: str
    side: str
    leg: str
    order_type: str
    state: str
    quantity: Decimal
    filled_quantity: Decimal
    created_at: datetime


class LockoutView(_Report):
    rule: str
    reason: str
    since: datetime
    until: datetime | None


class SafeModeView(_Report):
    cause: str
    reason: str
    tripped_at: datetime
    resets_at: datetime | None


class KillSwitchView(_Report):
    """The one trading state: ``engaged`` unless ``state`` is active; who set it, why,
    since when (the last change, a release included)."""

    engaged: bool
    state: str = "active"
    by: str | None = None
    reason: str | None = None
    since: datetime | None = None


class PnlView(_Report):
    realized_today: Decimal
    unrealized: Decimal
    day_start_equity: Decimal
    equity: Decimal


class StatusReport(_Report):
    """The operator's view: positions, open orders, today's P&L, SAFE_MODE, lockouts,
    cooldown and the kill switch."""

    as_of: datetime
    trading_mode: str
    kill_switch: KillSwitchView
    safe_mode: SafeModeView | None
    lockouts: tuple[LockoutView, ...]
    cooldown_until: datetime | None
    positions: tuple[PositionView, ...]
    open_orders: tuple[OrderView, ...]
    pnl: PnlView
    rules_version: int
