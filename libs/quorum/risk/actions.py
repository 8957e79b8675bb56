"""What the monitor asks for, and what state changes report: typed values, never prose.

``Action`` values come out of :func:`quorum.risk.monitor`; the caller executes the order
ones (move stop, close, reduce — all risk-reducing) and applies the state ones (trip
SAFE_MODE, lock out) with :func:`quorum.risk.apply_actions`. ``RiskEvent`` values come
out of every state update so the caller can journal and count them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from quorum.domain import DomainModel, JournalKind, Price, Quantity, Symbol, UtcDatetime
from quorum.risk.state import RulesState, SafeModeCause


class _Action(DomainModel):
    rule: str = Field(min_length=1, max_length=80)
    reason: str = Field(default="", max_length=400)


class MoveStop(_Action):
    """Tighten a position's protective stop (never loosens)."""

    kind: Literal["move_stop"] = "move_stop"
    position_id: str
    symbol: Symbol
    old_stop: Price
    new_stop: Price


class ClosePosition(_Action):
    """Flatten a position (risk-reducing; bypasses the entry gate)."""

    kind: Literal["close_position"] = "close_position"
    position_id: str
    symbol: Symbol
    quantity: Quantity
    trigger_price: Price | None = None


class ReducePosition(_Action):
    """Reduce a position by ``quantity`` (liquidation prevention)."""

    kind: Literal["reduce_position"] = "reduce_position"
    position_id: str
    symbol: Symbol
    quantity: Quantity


class Alert(_Action):
    """Something an operator should see; changes nothing by itself."""

    kind: Literal["alert"] = "alert"
    position_id: str | None = None
    symbol: Symbol | None = None
    measured: str = ""
    limit: str = ""


class TripSafeMode(_Action):
    """Enter SAFE_MODE (applied to the state with ``apply_actions``)."""

    kind: Literal["trip_safe_mode"] = "trip_safe_mode"
    cause: SafeModeCause
    measured: str = ""
    limit: str = ""


class LockOut(_Action):
    """Refuse new entries until ``until`` (applied to the state with ``apply_actions``)."""

    kind: Literal["lock_out"] = "lock_out"
    until: UtcDatetime | None
    close_positions: bool = True


Action = Annotated[
    MoveStop | ClosePosition | ReducePosition | Alert | TripSafeMode | LockOut,
    Field(discriminator="kind"),
]


class _Event(DomainModel):
    at: UtcDatetime

    @property
    def journal_kind(self) -> JournalKind:
        return JournalKind.RISK_DECISION


class SafeModeTripped(_Event):
    kind: Literal["safe_mode_tripped"] = "safe_mode_tripped"
    cause: SafeModeCause
    reason: str
    measured: str = ""
    limit: str = ""
    resets_at: UtcDatetime | None = None

    @property
    def journal_kind(self) -> JournalKind:
        return JournalKind.SAFE_MODE


class SafeModeReset(_Event):
    kind: Literal["safe_mode_reset"] = "safe_mode_reset"
    by: str
    """``"schedule"`` or the operator who issued the manual command."""
    cause: SafeModeCause

    @property
    def journal_kind(self) -> JournalKind:
        return JournalKind.SAFE_MODE


class LockoutStarted(_Event):
    kind: Literal["lockout_started"] = "lockout_started"
    rule: str
    reason: str
    until: UtcDatetime | None
    close_positions: bool


class LockoutEnded(_Event):
    kind: Literal["lockout_ended"] = "lockout_ended"
    rule: str


class CooldownStarted(_Event):
    kind: Literal["cooldown_started"] = "cooldown_started"
    loss: Decimal
    loss_fraction: Decimal
    until: UtcDatetime


class KillSwitchChanged(_Event):
    kind: Literal["kill_switch_changed"] = "kill_switch_changed"
    engaged: bool
    by: str
    reason: str = ""

    @property
    def journal_kind(self) -> JournalKind:
        return JournalKind.KILL_SWITCH


class AccountTradingChanged(_Event):
    kind: Literal["account_trading_changed"] = "account_trading_changed"
    can_trade: bool
    reason: str = ""


class DailyReset(_Event):
    kind: Literal["daily_reset"] = "daily_reset"
    next_reset_at: UtcDatetime
    equity: Decimal
    new_month: bool = False


RiskEvent = Annotated[
    SafeModeTripped
    | SafeModeReset
    | LockoutStarted
    | LockoutEnded
    | CooldownStarted
    | KillSwitchChanged
    | AccountTradingChanged
    | DailyReset,
    Field(discriminator="kind"),
]


class StateUpdate(DomainModel):
    """A new rules state and the events that produced it, in order."""

    state: RulesState
    events: tuple[RiskEvent, ...] = ()
