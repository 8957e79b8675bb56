"""Order intents, orders with their state machine, and fills."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Self

from pydantic import Field, model_validator

from quorum.domain.base import DomainModel, NonNegativeDecimal, Price, Quantity, UtcDatetime
from quorum.domain.market import Side, Symbol
from quorum.errors import IllegalTransition

CLIENT_ID_PREFIX = "q"
CLIENT_ID_LENGTH = 32
"""Fits every major venue: Binance allows 36, OKX 32, Bybit 36, Kraken 18+ (userref aside)."""
_SEPARATOR = "\x1f"
"""Joins the identity fields; refused inside them so two identities never share an id."""


class OrderLeg(StrEnum):
    ENTRY = "entry"
    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"
    EXIT = "exit"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


def derive_client_order_id(
    run_id: str,
    strategy: str,
    symbol: str,
    signal_time: datetime,
    side: Side,
    leg: OrderLeg,
    length: int = CLIENT_ID_LENGTH,
) -> str:
    """Deterministic client order id: the same decision always yields the same id.

    ``q`` followed by lower-case hex of SHA-256 over the decision's identity,
    so it fits the alphanumeric alphabet every venue accepts. ``signal_time`` is
    normalised to UTC first, so the same instant gives the same id in any zone.
    """
    if not 8 <= length <= 64:
        raise ValueError(f"length: must be in [8, 64] (got {length})")
    if signal_time.tzinfo is None or signal_time.utcoffset() is None:
        raise ValueError(f"signal_time: must be timezone-aware (got {signal_time.isoformat()})")
    for name, part in (("run_id", run_id), ("strategy", strategy), ("symbol", symbol)):
        if _SEPARATOR in part:
            raise ValueError(f"{name}: must not contain the control character U+001F")
    material = _SEPARATOR.join(
        (run_id, strategy, symbol, signal_time.astimezone(UTC).isoformat(), side.value, leg.value)
    )
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()
    return CLIENT_ID_PREFIX + digest[: length - len(CLIENT_ID_PREFIX)]


class ExitCause(DomainModel):
    """Why a reduce-only exit exists: the position it closes, the rule that asked for it and
    the generation of that rule's exit (see :func:`derive_exit_client_order_id`)."""

    subject: str = Field(min_length=1, max_length=128)
    """The trade (its id) or, without one, the position episode the exit closes."""
    rule: str = Field(min_length=1, max_length=64)
    generation: int = Field(default=0, ge=0, le=10_000)


def derive_exit_client_order_id(
    run_id: str,
    strategy: str,
    symbol: str,
    side: Side,
    leg: OrderLeg,
    cause: ExitCause,
    length: int = CLIENT_ID_LENGTH,
) -> str:
    """Deterministic client id of an exit: the same (position, leg, rule, generation) always
    yields the same id, whenever it is decided — no clock in the hash, so a monitor pass that
    finds the same exit condition again stores nothing new (the unique client id).

    The generation advances only when the previous exit of that cause is finished (dead, or
    filled while the position stayed open): the caller looks it up
    (``quorum.pipeline.exits``). ``exit`` leads the hashed material, so an exit never shares
    an id with an entry.
    """
    if not 8 <= length <= 64:
        raise ValueError(f"length: must be in [8, 64] (got {length})")
    parts = (
        ("run_id", run_id),
        ("strategy", strategy),
        ("symbol", symbol),
        ("cause.subject", cause.subject),
        ("cause.rule", cause.rule),
    )
    for name, part in parts:
        if _SEPARATOR in part:
            raise ValueError(f"{name}: must not contain the control character U+001F")
    material = _SEPARATOR.join(
        (
            "exit",
            run_id,
            strategy,
            symbol,
            side.value,
            leg.value,
            cause.subject,
            cause.rule,
            str(cause.generation),
        )
    )
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()
    return CLIENT_ID_PREFIX + digest[: length - len(CLIENT_ID_PREFIX)]


class OrderIntent(DomainModel):
    """An approved order, before it is sent. ``client_order_id`` is derived, never chosen:
    from the decision (run, strategy, symbol, signal time, side, leg) for an entry, from its
    ``cause`` (never the clock) for a reduce-only exit that has one."""

    run_id: str = Field(min_length=1, max_length=64)
    strategy: str = Field(min_length=1, max_length=64)
    symbol: Symbol
    signal_time: UtcDatetime
    side: Side
    leg: OrderLeg
    order_type: OrderType
    quantity: Quantity
    price: Price | None = None
    stop_price: Price | None = None
    reduce_only: bool = False
    cause: ExitCause | None = None
    client_order_id: str = Field(default="", max_length=64)

    @model_validator(mode="before")
    @classmethod
    def _fill_client_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("client_order_id"):
            data = dict(data)
            data["client_order_id"] = "<derive>"
        return data

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.order_type is OrderType.LIMIT and self.price is None:
            raise ValueError("price: required for a limit order")
        if self.order_type is OrderType.STOP and self.stop_price is None:
            raise ValueError("stop_price: required for a stop order")
        if self.order_type is OrderType.MARKET and self.price is not None:
            raise ValueError("price: must be empty for a market order")
        if self.cause is not None and (not self.reduce_only or self.leg is OrderLeg.ENTRY):
            raise ValueError("cause: only a reduce-only exit (leg other than entry) has a cause")
        if self.cause is None:
            expected = derive_client_order_id(
                self.run_id, self.strategy, self.symbol, self.signal_time, self.side, self.leg
            )
        else:
            expected = derive_exit_client_order_id(
                self.run_id, self.strategy, self.symbol, self.side, self.leg, self.cause
            )
        if self.client_order_id == "<derive>":
            object.__setattr__(self, "client_order_id", expected)
        elif self.client_order_id != expected:
            raise ValueError(
                f"client_order_id: must be derived from the decision (expected {expected}, "
                f"got {self.client_order_id})"
            )
        return self


class OrderState(StrEnum):
    NEW = "new"
    SUBMITTING = "submitting"
    ACKNOWLEDGED = "acknowledged"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED, OrderState.EXPIRED}
)
_S = OrderState
ORDER_TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    # Expired: an entry intent that grew too old before it could be sent (the sweep).
    _S.NEW: frozenset({_S.SUBMITTING, _S.CANCELLED, _S.EXPIRED}),
    # A submit's outcome: the venue answered (ack / reject / immediate fill) or we do not know.
    _S.SUBMITTING: frozenset(
        {_S.ACKNOWLEDGED, _S.REJECTED, _S.PARTIALLY_FILLED, _S.FILLED, _S.UNKNOWN}
    ),
    _S.ACKNOWLEDGED: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELLED, _S.EXPIRED}),
    _S.PARTIALLY_FILLED: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELLED, _S.EXPIRED}),
    # Unknown is resolved only by asking the venue; "not found there" allows a resend
    # with the same client id (back to submitting), never a silent "rejected".
    _S.UNKNOWN: frozenset(
        {
            _S.SUBMITTING,
            _S.ACKNOWLEDGED,
            _S.PARTIALLY_FILLED,
            _S.FILLED,
            _S.CANCELLED,
            _S.EXPIRED,
            _S.REJECTED,
        }
    ),
    _S.FILLED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.REJECTED: frozenset(),
    _S.EXPIRED: frozenset(),
}


def check_order_transition(current: OrderState, target: OrderState) -> None:
    if target not in ORDER_TRANSITIONS[current]:
        raise IllegalTransition("order", current.value, target.value)


class Order(DomainModel):
    """An order as we know it: intent fields, venue id, state and fill progress."""

    client_order_id: str = Field(min_length=8, max_length=64)
    venue_order_id: str | None = None
    symbol: Symbol
    side: Side
    order_type: OrderType
    quantity: Quantity
    price: Price | None = None
    state: OrderState = OrderState.NEW
    filled_quantity: NonNegativeDecimal = Decimal(0)
    average_price: Price | None = None
    updated_at: UtcDatetime

    @model_validator(mode="after")
    def _fills_within_order(self) -> Self:
        if self.filled_quantity > self.quantity:
            raise ValueError(
                f"filled_quantity: must be <= quantity ({self.filled_quantity} > {self.quantity})"
            )
        if self.filled_quantity > 0 and self.average_price is None:
            raise ValueError("average_price: required once anything is filled")
        if self.state is OrderState.PARTIALLY_FILLED and not (
            0 < self.filled_quantity < self.quantity
        ):
            raise ValueError(
                f"filled_quantity: a partially filled order needs 0 < filled < quantity "
                f"({self.filled_quantity} of {self.quantity})"
            )
        if self.state is OrderState.FILLED and self.filled_quantity != self.quantity:
            raise ValueError(
                f"filled_quantity: a filled order must be fully filled "
                f"({self.filled_quantity} of {self.quantity})"
            )
        return self

    def transition(self, target: OrderState, when: datetime, **changes: object) -> Order:
        """Return the order moved to ``target``; raises IllegalTransition on a missing edge."""
        check_order_transition(self.state, target)
        if when < self.updated_at:
            raise ValueError(
                f"updated_at: {when.isoformat()} is before the order's last update "
                f"{self.updated_at.isoformat()}"
            )
        updated = self.evolve(state=target, updated_at=when, **changes)
        assert isinstance(updated, Order)
        return updated


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class Fill(DomainModel):
    """One execution reported by the venue, identified by its venue trade id."""

    client_order_id: str = Field(min_length=8, max_length=64)
    venue_trade_id: str = Field(min_length=1, max_length=128)
    symbol: Symbol
    side: Side
    quantity: Quantity
    price: Price
    fee: NonNegativeDecimal = Decimal(0)
    fee_currency: str = Field(default="", max_length=16)
    liquidity: Liquidity = Liquidity.TAKER
    ts: UtcDatetime

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price
