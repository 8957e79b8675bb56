"""The LLM layer: every prompt of the pipeline goes through :class:`QuorumRouter`.

Built on ``litellm.Router`` (timeouts, retries with jitter, fallbacks, cooldowns, price
map); ours are the model registry and start-up price check, the routing policies, the
offline analyst provider, the answer cache, the concurrency-safe budget, the cost ledger,
metrics and the versioned prompts. See ``libs/quorum/llm/README.md``.

The settings models are defined with the configuration (``quorum.config.settings.llm``)
and re-exported here; the CLI imports this package only when an ``llm`` sub-command runs.
"""

from quorum.llm.analyst import (
    analyse,
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
from quorum.llm.completion import (
    ProviderCallFailed,
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
    llm_metrics,
)
from quorum.llm.money import (
    from_nano,
    to_nano,
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
    "MarketContext",
    "MemoryBudgetLedger",
    "MemoryResponseCache",
    "ModelPrice",
    "ModelRegistry",
    "ModelSpec",
    "ModelStats",
    "NullCache",
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
    "llm_metrics",
    "load_llm_settings",
    "market_context_from_scan",
    "normalize_prompt",
    "opinion_from_result",
    "parse_structured",
    "recent_calls",
    "render_prompt",
    "save_accuracy",
    "scopes_for",
    "spend_by",
    "to_nano",
]
