"""Request and response bodies (pydantic): Decimals travel as strings, times as ISO-8601 UTC."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, StringConstraints

from apps.api.probes import ProbeStatus
from quorum.config import FlagState
from quorum.execution import ExecOrder, NetPosition
from quorum.llm.ledger import SpendRow

Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    Field(description="Why; kept in the journal."),
]


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- requests ----------------------------------------------------------------------------


class FlagUpdate(_In):
    """A flip of one flag; ``value`` is checked against the flag's declared schema."""

    value: StrictBool | StrictStr = Field(description="true/false, or one of the allowed values")
    reason: Reason


class KillSwitchChange(_In):
    state: Literal["on", "off"] = Field(description="on: engage (operator); off: lift (admin)")
    reason: Reason


# -- responses ---------------------------------------------------------------------------


class Alive(_Out):
    status: Literal["alive"] = "alive"


class ProbeOut(_Out):
    name: str
    status: ProbeStatus
    detail: str
    elapsed_ms: float


class Readiness(_Out):
    status: Literal["ready", "not_ready"]
    probes: list[ProbeOut]
    elapsed_ms: float


class FlagList(_Out):
    version: int
    flags: list[FlagState]


class PositionOut(_Out):
    venue: str
    symbol: str
    direction: Literal["long", "short"] | None
    quantity: Decimal
    average_entry: Decimal | None
    realized_pnl: Decimal
    fees: Decimal
    opened_at: datetime | None

    @classmethod
    def of(cls, p: NetPosition) -> PositionOut:
        direction = p.direction
        return cls(
            venue=p.venue,
            symbol=p.symbol,
            direction=None if direction is None else direction.value,
            quantity=p.quantity,
            average_entry=p.average_entry,
            realized_pnl=p.realized_pnl,
            fees=p.fees,
            opened_at=p.opened_at,
        )


class OrderOut(_Out):
    client_order_id: str
    venue: str
    origin: str
    run_id: str
    strategy: str
    symbol: str
    side: str
    leg: str
    order_type: str
    state: str
    version: int
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    reduce_only: bool
    filled_quantity: Decimal
    average_price: Decimal | None
    fees: Decimal
    venue_order_id: str | None
    last_error: str | None
    signal_time: datetime
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, o: ExecOrder) -> OrderOut:
        return cls(
            client_order_id=o.client_order_id,
            venue=o.venue,
            origin=o.origin,
            run_id=o.run_id,
            strategy=o.strategy,
            symbol=o.symbol,
            side=o.side.value,
            leg=o.leg.value,
            order_type=o.order_type.value,
            state=o.state.value,
            version=o.version,
            quantity=o.quantity,
            price=o.price,
            stop_price=o.stop_price,
            reduce_only=o.reduce_only,
            filled_quantity=o.filled_quantity,
            average_price=o.average_price,
            fees=o.fees,
            venue_order_id=o.venue_order_id,
            last_error=o.last_error,
            signal_time=o.signal_time,
            created_at=o.created_at,
            updated_at=o.updated_at,
        )


class SpendOut(_Out):
    key: str
    calls: int
    cache_hits: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    mean_latency_ms: float

    @classmethod
    def of(cls, r: SpendRow) -> SpendOut:
        return cls(
            key=r.key,
            calls=r.calls,
            cache_hits=r.cache_hits,
            input_tokens=r.input_tokens,
            output_tokens=r.output_tokens,
            cost_usd=r.cost_usd,
            mean_latency_ms=round(r.mean_latency_ms, 3),
        )


class SpendReport(_Out):
    by: Literal["model", "node", "role", "day", "trade"]
    since: str | None
    total_usd: Decimal
    calls: int
    rows: list[SpendOut]


class KillSwitchResult(_Out):
    engaged: bool
    by: str
    reason: str
    journal_seq: int = Field(description="The journal entry recording this request.")
    result: dict[str, Any] = Field(description="What the pipeline did (orders cancelled …).")
    complete: bool = Field(
        default=True,
        description="False when a cancel or a flatten could not be done (status 502; "
        "`result.failures` says what; the workers' next sweep flattens what is left).",
    )
