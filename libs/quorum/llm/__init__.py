"""The LLM layer: every prompt of the pipeline goes through :class:`QuorumRouter`.

Built on ``litellm.Router`` (timeouts, retries with jitter, fallbacks, cooldowns, price
map); ours are the model registry and start-up price check, the routing policies, the
offline analyst provider, the answer cache, the concurrency-safe budget, the cost ledger,
metrics and the versioned prompts. See ``libs/quorum/llm/README.md``.

Every name is loaded on first use: ``import quorum.llm.settings`` (which the application
settings do) loads only the settings, and the budget, ledger and CLI never pay litellm's
import time unless they touch the router.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quorum.llm.analyst import (
        analyse,
    )
    from quorum.llm.backend import (
        LiteLLMBackend,
        ProviderCallFailed,
    )
    from quorum.llm.budget import (
        BudgetDenied,
        BudgetLedger,
        BudgetScope,
        BudgetUnavailable,
        MemoryBudgetLedger,
        RedisBudgetLedger,
        Reservation,
        SqlBudgetLedger,
        scopes_for,
    )
    from quorum.llm.cache import (
        CachedAnswer,
        MemoryResponseCache,
        NullCache,
        RedisResponseCache,
        ResponseCache,
        SqlResponseCache,
        cache_key,
        normalize_prompt,
    )
    from quorum.llm.events import (
        BudgetEventSink,
        JournalBudgetEvents,
        RecordingBudgetEvents,
    )
    from quorum.llm.factory import (
        build_llm_router,
    )
    from quorum.llm.ledger import (
        CallRecord,
        LedgerWriter,
        SpendRow,
        recent_calls,
        spend_by,
    )
    from quorum.llm.metrics import (
        LLMMetrics,
    )
    from quorum.llm.money import (
        from_nano,
        to_nano,
    )
    from quorum.llm.offline import (
        OfflineAnalystLLM,
        register_offline_provider,
    )
    from quorum.llm.opinion import (
        opinion_from_result,
    )
    from quorum.llm.pricing import (
        ModelPrice,
        PriceCheck,
        check_price,
    )
    from quorum.llm.prompts import (
        PROMPTS,
        MarketContext,
        PromptTemplate,
        extract_market_context,
        market_context_from_scan,
        render_prompt,
    )
    from quorum.llm.registry import (
        ModelRegistry,
        RegisteredModel,
    )
    from quorum.llm.router import (
        QuorumRouter,
    )
    from quorum.llm.schema import (
        ANALYST_SCHEMA_VERSION,
        AnalystAnswer,
        parse_structured,
    )
    from quorum.llm.settings import (
        OFFLINE_MODEL,
        OFFLINE_NAME,
        OFFLINE_PROVIDER,
        POLICIES,
        BudgetSettings,
        CacheSettings,
        LLMSettings,
        ModelSpec,
        OfflineSettings,
        PolicyName,
        PriceOverride,
        load_llm_settings,
    )
    from quorum.llm.stats import (
        AccuracyBoard,
        ModelStats,
        StatsBoard,
        save_accuracy,
    )

_LAZY = {
    "analyse": "quorum.llm.analyst",
    "LiteLLMBackend": "quorum.llm.backend",
    "ProviderCallFailed": "quorum.llm.backend",
    "BudgetDenied": "quorum.llm.budget",
    "BudgetLedger": "quorum.llm.budget",
    "BudgetScope": "quorum.llm.budget",
    "BudgetUnavailable": "quorum.llm.budget",
    "MemoryBudgetLedger": "quorum.llm.budget",
    "RedisBudgetLedger": "quorum.llm.budget",
    "Reservation": "quorum.llm.budget",
    "SqlBudgetLedger": "quorum.llm.budget",
    "scopes_for": "quorum.llm.budget",
    "CachedAnswer": "quorum.llm.cache",
    "MemoryResponseCache": "quorum.llm.cache",
    "NullCache": "quorum.llm.cache",
    "RedisResponseCache": "quorum.llm.cache",
    "ResponseCache": "quorum.llm.cache",
    "SqlResponseCache": "quorum.llm.cache",
    "cache_key": "quorum.llm.cache",
    "normalize_prompt": "quorum.llm.cache",
    "BudgetEventSink": "quorum.llm.events",
    "JournalBudgetEvents": "quorum.llm.events",
    "RecordingBudgetEvents": "quorum.llm.events",
    "build_llm_router": "quorum.llm.factory",
    "CallRecord": "quorum.llm.ledger",
    "LedgerWriter": "quorum.llm.ledger",
    "SpendRow": "quorum.llm.ledger",
    "recent_calls": "quorum.llm.ledger",
    "spend_by": "quorum.llm.ledger",
    "LLMMetrics": "quorum.llm.metrics",
    "from_nano": "quorum.llm.money",
    "to_nano": "quorum.llm.money",
    "OfflineAnalystLLM": "quorum.llm.offline",
    "register_offline_provider": "quorum.llm.offline",
    "opinion_from_result": "quorum.llm.opinion",
    "ModelPrice": "quorum.llm.pricing",
    "PriceCheck": "quorum.llm.pricing",
    "check_price": "quorum.llm.pricing",
    "MarketContext": "quorum.llm.prompts",
    "PROMPTS": "quorum.llm.prompts",
    "PromptTemplate": "quorum.llm.prompts",
    "extract_market_context": "quorum.llm.prompts",
    "market_context_from_scan": "quorum.llm.prompts",
    "render_prompt": "quorum.llm.prompts",
    "ModelRegistry": "quorum.llm.registry",
    "RegisteredModel": "quorum.llm.registry",
    "QuorumRouter": "quorum.llm.router",
    "ANALYST_SCHEMA_VERSION": "quorum.llm.schema",
    "AnalystAnswer": "quorum.llm.schema",
    "parse_structured": "quorum.llm.schema",
    "BudgetSettings": "quorum.llm.settings",
    "CacheSettings": "quorum.llm.settings",
    "LLMSettings": "quorum.llm.settings",
    "ModelSpec": "quorum.llm.settings",
    "OFFLINE_MODEL": "quorum.llm.settings",
    "OFFLINE_NAME": "quorum.llm.settings",
    "OFFLINE_PROVIDER": "quorum.llm.settings",
    "OfflineSettings": "quorum.llm.settings",
    "POLICIES": "quorum.llm.settings",
    "PolicyName": "quorum.llm.settings",
    "PriceOverride": "quorum.llm.settings",
    "load_llm_settings": "quorum.llm.settings",
    "AccuracyBoard": "quorum.llm.stats",
    "ModelStats": "quorum.llm.stats",
    "StatsBoard": "quorum.llm.stats",
    "save_accuracy": "quorum.llm.stats",
}

__all__ = [
    "ANALYST_SCHEMA_VERSION",
    "OFFLINE_MODEL",
    "OFFLINE_NAME",
    "OFFLINE_PROVIDER",
    "POLICIES",
    "PROMPTS",
    "AccuracyBoard",
    "AnalystAnswer",
    "BudgetDenied",
    "BudgetEventSink",
    "BudgetLedger",
    "BudgetScope",
    "BudgetSettings",
    "BudgetUnavailable",
    "CacheSettings",
    "CachedAnswer",
    "CallRecord",
    "JournalBudgetEvents",
    "LLMMetrics",
    "LLMSettings",
    "LedgerWriter",
    "LiteLLMBackend",
    "MarketContext",
    "MemoryBudgetLedger",
    "MemoryResponseCache",
    "ModelPrice",
    "ModelRegistry",
    "ModelSpec",
    "ModelStats",
    "NullCache",
    "OfflineAnalystLLM",
    "OfflineSettings",
    "PolicyName",
    "PriceCheck",
    "PriceOverride",
    "PromptTemplate",
    "ProviderCallFailed",
    "QuorumRouter",
    "RecordingBudgetEvents",
    "RedisBudgetLedger",
    "RedisResponseCache",
    "RegisteredModel",
    "Reservation",
    "ResponseCache",
    "SpendRow",
    "SqlBudgetLedger",
    "SqlResponseCache",
    "StatsBoard",
    "analyse",
    "build_llm_router",
    "cache_key",
    "check_price",
    "extract_market_context",
    "from_nano",
    "load_llm_settings",
    "market_context_from_scan",
    "normalize_prompt",
    "opinion_from_result",
    "parse_structured",
    "recent_calls",
    "register_offline_provider",
    "render_prompt",
    "save_accuracy",
    "scopes_for",
    "spend_by",
    "to_nano",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
