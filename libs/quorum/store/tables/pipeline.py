"""Tables of ``quorum.pipeline``: task runs, the risk rules state, signals, trades, scan
marks, the opinions behind each signal and the learned scoring state.

As in the execution tables, decimals are exact text and times canonical ISO-8601 UTC
text. ``pipeline_task_runs.key`` is the primary key: a task's derived idempotency key is
claimed by inserting it in the same transaction as the work's state change, so a
redelivered task finds it and returns the stored result. ``pipeline_rules_state`` and
``pipeline_scoring`` rows carry a ``version`` that every write compares and bumps
(optimistic concurrency between workers).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Integer, String, Text
from sqlmodel import Field, SQLModel

TASK_RUNS_TABLE = "pipeline_task_runs"
RULES_STATE_TABLE = "pipeline_rules_state"
SIGNALS_TABLE = "pipeline_signals"
TRADES_TABLE = "pipeline_trades"
SCAN_MARKS_TABLE = "pipeline_scan_marks"
SCORING_TABLE = "pipeline_scoring"
SIGNAL_OPINIONS_TABLE = "pipeline_signal_opinions"
ANALYSIS_BUDGET_TABLE = "pipeline_analysis_budget"

_DEC = 48
_TIME = 40


class PipelineTaskRunRecord(SQLModel, table=True):
    """One completed task invocation, keyed by its derived idempotency key."""

    __tablename__ = TASK_RUNS_TABLE

    key: str = Field(sa_column=Column("key", String(200), primary_key=True))
    task: str = Field(sa_column=Column("task", String(32), nullable=False, index=True))
    status: str = Field(sa_column=Column("status", String(16), nullable=False))
    result: str = Field(sa_column=Column("result", Text(), nullable=False))
    started_at: str = Field(sa_column=Column("started_at", String(_TIME), nullable=False))
    finished_at: str = Field(sa_column=Column("finished_at", String(_TIME), nullable=False))


class PipelineRulesStateRecord(SQLModel, table=True):
    """The risk engine's ``RulesState`` (JSON) with its optimistic-concurrency version."""

    __tablename__ = RULES_STATE_TABLE

    name: str = Field(sa_column=Column("name", String(64), primary_key=True))
    version: int = Field(sa_column=Column("version", Integer(), nullable=False))
    state: str = Field(sa_column=Column("state", Text(), nullable=False))
    updated_at: str = Field(sa_column=Column("updated_at", String(_TIME), nullable=False))


class PipelineSignalRecord(SQLModel, table=True):
    """A proposed signal with its score breakdown, explanation and risk decision."""

    __tablename__ = SIGNALS_TABLE

    signal_id: str = Field(sa_column=Column("signal_id", String(64), primary_key=True))
    run_id: str = Field(sa_column=Column("run_id", String(64), nullable=False))
    task_key: str = Field(sa_column=Column("task_key", String(200), nullable=False))
    symbol: str = Field(sa_column=Column("symbol", String(64), nullable=False))
    timeframe: str = Field(sa_column=Column("timeframe", String(8), nullable=False))
    as_of: str = Field(sa_column=Column("as_of", String(_TIME), nullable=False))
    direction: str = Field(sa_column=Column("direction", String(8), nullable=False))
    entry: str = Field(sa_column=Column("entry", String(_DEC), nullable=False))
    stop_loss: str = Field(sa_column=Column("stop_loss", String(_DEC), nullable=False))
    take_profit: str | None = Field(default=None, sa_column=Column("take_profit", String(_DEC)))
    confidence: float = Field(sa_column=Column("confidence", Float(), nullable=False))
    score: float | None = Field(default=None, sa_column=Column("score", Float()))
    probability: float | None = Field(default=None, sa_column=Column("probability", Float()))
    components: str = Field(sa_column=Column("components", Text(), nullable=False))
    explanation: str = Field(sa_column=Column("explanation", Text(), nullable=False))
    verdict: str = Field(sa_column=Column("verdict", String(16), nullable=False))
    quantity: str = Field(sa_column=Column("quantity", String(_DEC), nullable=False))
    reason: str = Field(sa_column=Column("reason", Text(), nullable=False))
    client_order_id: str | None = Field(
        default=None, sa_column=Column("client_order_id", String(64), index=True)
    )
    created_at: str = Field(
        sa_column=Column("created_at", String(_TIME), nullable=False, index=True)
    )


class PipelineTradeRecord(SQLModel, table=True):
    """A position opened by an approved signal: its stops and, once closed, its outcome."""

    __tablename__ = TRADES_TABLE

    trade_id: str = Field(sa_column=Column("trade_id", String(64), primary_key=True))
    run_id: str = Field(sa_column=Column("run_id", String(64), nullable=False, index=True))
    venue: str = Field(sa_column=Column("venue", String(32), nullable=False))
    symbol: str = Field(sa_column=Column("symbol", String(64), nullable=False, index=True))
    direction: str = Field(sa_column=Column("direction", String(8), nullable=False))
    signal_id: str = Field(sa_column=Column("signal_id", String(64), nullable=False))
    state: str = Field(sa_column=Column("state", String(16), nullable=False, index=True))
    stop: str = Field(sa_column=Column("stop", String(_DEC), nullable=False))
    initial_stop: str = Field(sa_column=Column("initial_stop", String(_DEC), nullable=False))
    take_profit: str | None = Field(default=None, sa_column=Column("take_profit", String(_DEC)))
    best_price: str | None = Field(default=None, sa_column=Column("best_price", String(_DEC)))
    exit_orders: str = Field(sa_column=Column("exit_orders", Text(), nullable=False))
    pnl: str | None = Field(default=None, sa_column=Column("pnl", String(_DEC)))
    r_multiple: float | None = Field(default=None, sa_column=Column("r_multiple", Float()))
    learned: bool = Field(sa_column=Column("learned", Boolean(), nullable=False))
    opened_at: str = Field(sa_column=Column("opened_at", String(_TIME), nullable=False))
    closed_at: str | None = Field(default=None, sa_column=Column("closed_at", String(_TIME)))
    version: int = Field(sa_column=Column("version", Integer(), nullable=False))


class PipelineScanMarkRecord(SQLModel, table=True):
    """The last bar scanned per (symbol, timeframe) and the volatility it showed."""

    __tablename__ = SCAN_MARKS_TABLE

    run_id: str = Field(sa_column=Column("run_id", String(64), primary_key=True))
    symbol: str = Field(sa_column=Column("symbol", String(64), primary_key=True))
    timeframe: str = Field(sa_column=Column("timeframe", String(8), primary_key=True))
    bar_close: str = Field(sa_column=Column("bar_close", String(_TIME), nullable=False))
    volatility: float | None = Field(default=None, sa_column=Column("volatility", Float()))
    updated_at: str = Field(sa_column=Column("updated_at", String(_TIME), nullable=False))


class PipelineScoringRecord(SQLModel, table=True):
    """Learned scoring state (calibration, adaptive weights, model accuracy) as JSON."""

    __tablename__ = SCORING_TABLE

    name: str = Field(sa_column=Column("name", String(64), primary_key=True))
    version: int = Field(sa_column=Column("version", Integer(), nullable=False))
    payload: str = Field(sa_column=Column("payload", Text(), nullable=False))
    updated_at: str = Field(sa_column=Column("updated_at", String(_TIME), nullable=False))


class PipelineSignalOpinionRecord(SQLModel, table=True):
    """One scored opinion behind a stored signal: who said what, through which model and
    prompt. A closed trade is attributed to its signal's opinions (model accuracy)."""

    __tablename__ = SIGNAL_OPINIONS_TABLE

    signal_id: str = Field(sa_column=Column("signal_id", String(64), primary_key=True))
    seq: int = Field(sa_column=Column("seq", Integer(), primary_key=True))
    run_id: str = Field(sa_column=Column("run_id", String(64), nullable=False, index=True))
    node: str = Field(sa_column=Column("node", String(32), nullable=False))
    agent: str = Field(sa_column=Column("agent", String(64), nullable=False))
    llm_role: str = Field(sa_column=Column("llm_role", String(32), nullable=False))
    model: str = Field(sa_column=Column("model", String(200), nullable=False))
    stance: str | None = Field(default=None, sa_column=Column("stance", String(16)))
    confidence: float = Field(sa_column=Column("confidence", Float(), nullable=False))
    prompt_version: str = Field(sa_column=Column("prompt_version", String(64), nullable=False))


class PipelineAnalysisBudgetRecord(SQLModel, table=True):
    """Analyses granted from one budget (``cycle:<base bar close>`` or
    ``day:<symbol>:<date>``): taken by a conditional ``used = used + 1`` in the scan's
    transaction, so concurrent scans of one cycle cannot overspend it."""

    __tablename__ = ANALYSIS_BUDGET_TABLE

    run_id: str = Field(sa_column=Column("run_id", String(64), primary_key=True))
    bucket: str = Field(sa_column=Column("bucket", String(120), primary_key=True))
    used: int = Field(sa_column=Column("used", Integer(), nullable=False))
