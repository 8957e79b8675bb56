"""Protocols the pure core talks through. Adapters implement them; tests hand in fakes.

Ports are added here as the capability that needs them lands; each is the whole
surface the core may use of that adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, SecretStr

from quorum.clock import Clock
from quorum.domain import BarFrame, JournalKind, Liquidity, OrderType, Side, Timeframe

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

__all__ = [
    "Broker",
    "BrokerOrder",
    "BrokerPosition",
    "BrokerTrade",
    "Clock",
    "JournalAppender",
    "LLMMessage",
    "LLMRequest",
    "LLMResult",
    "LLMRouter",
    "MarketData",
    "NoOpinionReason",
    "OrderRequest",
    "SecretsProvider",
]


@runtime_checkable
class MarketData(Protocol):
    """A source of OHLCV bars (ccxt, local store, CSV/Parquet, synthetic)."""

    def fetch_bars(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> BarFrame:
        """Closed and validated bars with open time in ``[since, until)``."""
        ...


@runtime_checkable
class SecretsProvider(Protocol):
    """Resolves a secret reference (``env:NAME``, ``vault:path#key`` …) to its value.

    Values are returned as :class:`SecretStr` so they never reach a log line or repr.
    """

    def get(self, ref: str) -> SecretStr: ...


# -- LLM -------------------------------------------------------------------------------


class NoOpinionReason(StrEnum):
    """Why an LLM call produced no parsed output (the typed "no opinion")."""

    BUDGET_EXCEEDED = "budget_exceeded"
    INVALID_OUTPUT = "invalid_output"
    PROVIDER_ERROR = "provider_error"
    NO_MODEL_AVAILABLE = "no_model_available"
    INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True, slots=True)
class LLMMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LLMRequest[OutputT: BaseModel]:
    """One prompt of the pipeline: either ``messages`` or a ``template`` with its ``context``.

    ``role`` is the logical model role ("fast", "deep" …), ``node`` the pipeline node
    asking; ``policy`` overrides the node's routing policy for this call only.
    ``analysis_id`` (the analysis task key) and ``signal_id`` (the id its signal is stored
    under, if it proposes one) go on every ledger row of the request: a trade's LLM spend
    is joined through its signal.
    """

    node: str
    role: str
    schema: type[OutputT]
    schema_version: str
    messages: tuple[LLMMessage, ...] = ()
    template: str | None = None
    context: Mapping[str, Any] | None = None
    symbol: str | None = None
    run_id: str | None = None
    policy: str | None = None
    max_output_tokens: int | None = None
    analysis_id: str | None = None
    signal_id: str | None = None

    def __post_init__(self) -> None:
        if bool(self.messages) == (self.template is not None):
            raise ValueError("LLMRequest: give exactly one of messages or template")
        if self.template is not None and self.context is None:
            raise ValueError(f"LLMRequest: template {self.template!r} needs a context")


@dataclass(frozen=True, slots=True, kw_only=True)
class LLMResult[OutputT: BaseModel]:
    """The parsed answer, or ``output=None`` with ``no_opinion_reason`` (never an exception).

    ``model`` is the registry name that answered ("" when none did), ``why`` the policy's
    reason for choosing it, ``fallbacks`` the models tried before it; ``cost_usd`` is what
    this call spent (zero on a cache hit).
    """

    output: OutputT | None
    no_opinion_reason: NoOpinionReason | None
    outcome: str
    model: str
    provider: str
    policy: str
    why: str
    fallbacks: tuple[str, ...] = ()
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    cache_hit: bool = False
    prompt_version: str = ""

    def __post_init__(self) -> None:
        if (self.output is None) == (self.no_opinion_reason is None):
            raise ValueError("LLMResult: exactly one of output or no_opinion_reason is set")

    @property
    def has_opinion(self) -> bool:
        return self.output is not None


@runtime_checkable
class LLMRouter(Protocol):
    """Every prompt of the agent pipeline goes through this (see ``quorum.llm``)."""

    def complete[T: BaseModel](self, request: LLMRequest[T]) -> LLMResult[T]: ...


# -- Execution ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """One order as sent to a venue, always under our derived ``client_order_id``.

    ``sent_at`` is our clock at sending; a venue refuses the request when it arrives more
    than the broker's ``recv_window_s`` later (Binance ``recvWindow``), which is what makes
    a later "not found" conclusive. Prices and quantities are Decimal, never float.
    """

    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    sent_at: datetime
    price: Decimal | None = None
    stop_price: Decimal | None = None
    reduce_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerOrder:
    """A venue's view of one order. ``status`` is ccxt's: open, closed, canceled, expired,
    rejected; ``filled`` is the venue's cumulative filled quantity."""

    client_order_id: str
    venue_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    status: str
    quantity: Decimal
    filled: Decimal
    average_price: Decimal | None
    price: Decimal | None
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerTrade:
    """One execution at the venue, identified by the venue's trade id."""

    venue_trade_id: str
    venue_order_id: str
    client_order_id: str | None
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    ts: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerPosition:
    """The venue's net position in one symbol (negative quantity: short)."""

    symbol: str
    quantity: Decimal
    average_entry: Decimal | None = None


@runtime_checkable
class Broker(Protocol):
    """A trading venue (paper exchange or ccxt), see ``quorum.execution``.

    Errors are translated at the adapter: ``BrokerTransient`` / ``BrokerRateLimited``
    (idempotent requests may be retried), ``OrderStatusUnknown`` (a submit whose outcome
    is unknown: resolve by ``fetch_order_by_client_id``, never by blind resend),
    ``quorum.execution.OrderRejected`` (definitive) and ``quorum.execution.OrderNotFound``.
    """

    @property
    def name(self) -> str: ...

    @property
    def recv_window_s(self) -> float:
        """A submit arriving at the venue later than this after ``sent_at`` is refused."""
        ...

    def submit(self, request: OrderRequest) -> BrokerOrder: ...

    def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> BrokerOrder: ...

    def fetch_open_orders(self, symbol: str | None = None) -> list[BrokerOrder]: ...

    def fetch_my_trades(self, symbol: str, since: datetime | None = None) -> list[BrokerTrade]: ...

    def cancel(self, symbol: str, client_order_id: str) -> BrokerOrder: ...

    def fetch_balance(self) -> dict[str, Decimal]: ...

    def fetch_positions(self) -> list[BrokerPosition]: ...


class JournalAppender(Protocol):
    """The part of the audit journal (:class:`quorum.journal.Journal`) the adapters write
    through: one entry appended in the caller's transaction, which the caller commits."""

    def append(
        self,
        session: Session | Connection,
        kind: JournalKind | str,
        payload: Mapping[str, Any],
        actor: str,
        run_id: str | None = None,
    ) -> object: ...
