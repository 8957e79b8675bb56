"""Tables of ``quorum.llm``: the cost ledger, budget spend and holds, answer cache, accuracy.

Money is stored as integer nano-USD (``*_nano``; 1 USD = 10^9) so every backend adds
exactly; ``quorum.llm.money`` converts to ``Decimal``. Times are canonical ISO-8601 UTC
strings (``time``) plus the UTC day (``day``) for grouping; expiries are epoch
milliseconds.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Integer, String, Table, Text
from sqlmodel import Field, SQLModel

LLM_CALLS_TABLE = "llm_calls"
LLM_BUDGET_SPEND_TABLE = "llm_budget_spend"
LLM_BUDGET_HOLDS_TABLE = "llm_budget_holds"
LLM_CACHE_TABLE = "llm_cache"
LLM_MODEL_SCORES_TABLE = "llm_model_scores"

_ID = BigInteger().with_variant(Integer(), "sqlite")


class LLMCallRecord(SQLModel, table=True):
    """One provider call (a retry, repair or fallback is a row of its own; a request answered
    without any — cache hit, skipped — is one row too): who asked, which model, how fast, at
    what cost, and the request, analysis and signal it belongs to (a trade joins through
    ``signal_id`` at query time). ``usage``: reported | missing | implausible | free."""

    __tablename__ = LLM_CALLS_TABLE

    id: int | None = Field(
        default=None, sa_column=Column("id", _ID, primary_key=True, autoincrement=True)
    )
    time: str = Field(sa_column=Column("time", String(40), nullable=False))
    day: str = Field(sa_column=Column("day", String(10), nullable=False, index=True))
    node: str = Field(sa_column=Column("node", String(64), nullable=False, index=True))
    role: str = Field(sa_column=Column("role", String(40), nullable=False))
    symbol: str | None = Field(default=None, sa_column=Column("symbol", String(40)))
    run_id: str | None = Field(default=None, sa_column=Column("run_id", String(64)))
    policy: str = Field(sa_column=Column("policy", String(32), nullable=False))
    model: str = Field(sa_column=Column("model", String(64), nullable=False, index=True))
    provider: str = Field(sa_column=Column("provider", String(40), nullable=False))
    why: str = Field(sa_column=Column("why", String(400), nullable=False))
    fallbacks: str = Field(sa_column=Column("fallbacks", String(400), nullable=False))
    latency_ms: float = Field(sa_column=Column("latency_ms", Float(), nullable=False))
    input_tokens: int = Field(sa_column=Column("input_tokens", Integer(), nullable=False))
    output_tokens: int = Field(sa_column=Column("output_tokens", Integer(), nullable=False))
    cost_nano: int = Field(sa_column=Column("cost_nano", BigInteger(), nullable=False))
    cache_hit: bool = Field(sa_column=Column("cache_hit", Boolean(), nullable=False))
    outcome: str = Field(sa_column=Column("outcome", String(32), nullable=False))
    prompt_version: str = Field(sa_column=Column("prompt_version", String(64), nullable=False))
    schema_version: str = Field(sa_column=Column("schema_version", String(64), nullable=False))
    repairs: int = Field(sa_column=Column("repairs", Integer(), nullable=False))
    error: str | None = Field(default=None, sa_column=Column("error", String(400)))
    request_id: str = Field(
        default="", sa_column=Column("request_id", String(32), nullable=False, server_default="")
    )
    call_kind: str = Field(
        default="call",
        sa_column=Column("call_kind", String(16), nullable=False, server_default="call"),
    )
    analysis_id: str | None = Field(
        default=None, sa_column=Column("analysis_id", String(200), index=True)
    )
    signal_id: str | None = Field(
        default=None, sa_column=Column("signal_id", String(64), index=True)
    )
    usage: str = Field(
        default="reported",
        sa_column=Column("usage", String(16), nullable=False, server_default="reported"),
    )
    reserved_nano: int = Field(
        default=0,
        sa_column=Column("reserved_nano", BigInteger(), nullable=False, server_default="0"),
    )


class LLMBudgetSpend(SQLModel, table=True):
    """Settled spend of one budget scope (``day:…``, ``run:…``, ``symbol:…:day``)."""

    __tablename__ = LLM_BUDGET_SPEND_TABLE

    scope: str = Field(sa_column=Column("scope", String(200), primary_key=True))
    spent_nano: int = Field(sa_column=Column("spent_nano", BigInteger(), nullable=False))


class LLMBudgetHold(SQLModel, table=True):
    """A live reservation on one scope; it stops counting at ``expires_ms``."""

    __tablename__ = LLM_BUDGET_HOLDS_TABLE

    reservation_id: str = Field(sa_column=Column("reservation_id", String(32), primary_key=True))
    scope: str = Field(sa_column=Column("scope", String(200), primary_key=True, index=True))
    amount_nano: int = Field(sa_column=Column("amount_nano", BigInteger(), nullable=False))
    expires_ms: int = Field(sa_column=Column("expires_ms", BigInteger(), nullable=False))


class LLMCacheEntry(SQLModel, table=True):
    """A validated answer, keyed by the hash of (role, normalized prompt, versions)."""

    __tablename__ = LLM_CACHE_TABLE

    key: str = Field(sa_column=Column("key", String(64), primary_key=True))
    value: str = Field(sa_column=Column("value", Text(), nullable=False))
    expires_ms: int = Field(
        sa_column=Column("expires_ms", BigInteger(), nullable=False, index=True)
    )


class LLMModelScore(SQLModel, table=True):
    """A model's accuracy score, updated from trade outcomes by the scoring stage."""

    __tablename__ = LLM_MODEL_SCORES_TABLE

    model: str = Field(sa_column=Column("model", String(64), primary_key=True))
    accuracy: float = Field(sa_column=Column("accuracy", Float(), nullable=False))
    updated_at: str = Field(sa_column=Column("updated_at", String(40), nullable=False))
    source: str = Field(sa_column=Column("source", String(64), nullable=False))


def llm_table(name: str) -> Table:
    """The Core ``Table`` of one of the tables above (used on hot paths)."""
    return SQLModel.metadata.tables[name]
