"""The LLM layer's settings, defined with the configuration (``quorum.config.settings.llm``)."""

from quorum.config.settings.llm import (
    OFFLINE_MODEL,
    OFFLINE_NAME,
    OFFLINE_PROVIDER,
    POLICIES,
    BudgetSettings,
    CacheSettings,
    GroupStrategy,
    LLMSettings,
    ModelSpec,
    OfflineSettings,
    PolicyName,
    PriceOverride,
    ResponseFormat,
    SecretRef,
    load_llm_settings,
)

__all__ = [
    "OFFLINE_MODEL",
    "OFFLINE_NAME",
    "OFFLINE_PROVIDER",
    "POLICIES",
    "BudgetSettings",
    "CacheSettings",
    "GroupStrategy",
    "LLMSettings",
    "ModelSpec",
    "OfflineSettings",
    "PolicyName",
    "PriceOverride",
    "ResponseFormat",
    "SecretRef",
    "load_llm_settings",
]
