"""Helpers shared by the llm tests (imported as ``tests.unit.llm.llm_kit``).

Importing this module sets ``LITELLM_LOCAL_MODEL_COST_MAP`` first: litellm must never
try to fetch its price map during tests (there is no network).
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

import quorum.store.tables.llm  # noqa: F401  (registers the llm tables on the metadata)
from quorum.clock import Clock, ReplayClock
from quorum.config import EnvSecrets, FlagStore
from quorum.llm import (
    ANALYST_SCHEMA_VERSION,
    AnalystAnswer,
    BudgetEventSink,
    BudgetLedger,
    LLMSettings,
    MarketContext,
    MemoryBudgetLedger,
    MemoryResponseCache,
    ResponseCache,
    market_context_from_scan,
)
from quorum.llm.router import QuorumRouter
from quorum.ports import LLMRequest, SecretsProvider
from quorum.store import create_engine_for, migrate
from quorum.testing import make_scan_result

TEST_KEY_VARIABLE = "QUORUM_TEST_LLM_KEY"
TEST_KEY_REF = f"env:{TEST_KEY_VARIABLE}"
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[3]
EXAMPLE_CONFIG = REPO / "config" / "quorum.example.yaml"

GOOD_ANSWER = json.dumps(
    {
        "stance": "bullish",
        "confidence": 0.7,
        "key_evidence": ["4h regime bull", "1h breakout"],
        "rationale": "Trend and breakout agree.",
    }
)


def context(symbol: str = "BTC/USDT", **scan_overrides: Any) -> MarketContext:
    return market_context_from_scan(make_scan_result(symbol=symbol, **scan_overrides))


def request(
    *,
    node: str = "technical",
    role: str = "fast",
    symbol: str = "BTC/USDT",
    run_id: str | None = "run-1",
    policy: str | None = None,
    template: str = "technical",
    ctx: MarketContext | None = None,
    max_output_tokens: int | None = None,
) -> LLMRequest[AnalystAnswer]:
    return LLMRequest(
        node=node,
        role=role,
        schema=AnalystAnswer,
        schema_version=ANALYST_SCHEMA_VERSION,
        template=template,
        context=(ctx or context(symbol)).model_dump(),
        symbol=symbol,
        run_id=run_id,
        policy=policy,
        max_output_tokens=max_output_tokens,
    )


def model(
    name: str,
    *,
    role: str = "fast",
    accuracy: float = 0.7,
    litellm_model: str = "openai/gpt-4o-mini",
    mock: str | None = GOOD_ANSWER,
    price: tuple[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A registry entry (dict form) answering with litellm's ``mock_response``."""
    entry: dict[str, Any] = {
        "name": name,
        "role": role,
        "model": litellm_model,
        "context_window": 128_000,
        "max_output_tokens": 400,
        "accuracy": accuracy,
        **extra,
    }
    if mock is not None:
        entry["mock_response"] = mock
    if price is not None:
        entry["price"] = {"input_per_mtok": price[0], "output_per_mtok": price[1]}
    return entry


def settings(models: list[dict[str, Any]], **overrides: Any) -> LLMSettings:
    data: dict[str, Any] = {
        "models": models,
        "num_retries": 0,
        "cooldown_s": 30,
        "budget": {"backend": "memory", "per_day_usd": "5"},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return LLMSettings.model_validate(data)


def router(
    llm_settings: LLMSettings,
    *,
    clock: Clock | None = None,
    budget: BudgetLedger | None = None,
    cache: ResponseCache | None = None,
    engine: Engine | None = None,
    events: BudgetEventSink | None = None,
    registry: CollectorRegistry | None = None,
    secrets: SecretsProvider | None = None,
    flags: FlagStore | None = None,
) -> QuorumRouter:
    from quorum.llm import build_llm_router

    clock = clock or ReplayClock(START)
    return build_llm_router(
        llm_settings,
        clock=clock,
        secrets=secrets or EnvSecrets({TEST_KEY_VARIABLE: "sk-test"}),
        flags=flags,
        engine=engine,
        metrics_registry=registry or CollectorRegistry(),
        events=events,
        budget=budget or MemoryBudgetLedger(),
        cache=cache or MemoryResponseCache(clock, 3600),
    )


def migrated_sqlite(path: Path) -> Engine:
    engine = create_engine_for(f"sqlite:///{path}", sqlite_synchronous="OFF")
    migrate(engine)
    return engine


def usd(text: str) -> Decimal:
    return Decimal(text)
