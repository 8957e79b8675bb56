"""``LLMSettings``: the model registry, routing policies, resilience, cache and budget.

One frozen, strict model per concern (unknown keys are refused). The application settings
hold it as their ``llm`` field; :func:`load_llm_settings` reads the ``llm:`` section of a
YAML file on its own (the CLI uses it). Defined with the configuration and re-exported by
:mod:`quorum.llm.settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from quorum.config.settings.base import ComponentSettings
from quorum.config.settings.refs import parse_ref
from quorum.config.settings.sources import read_yaml_config
from quorum.errors import ConfigError

PolicyName = Literal["accuracy_first", "cost_aware", "latency_aware"]
POLICIES: tuple[PolicyName, ...] = ("accuracy_first", "cost_aware", "latency_aware")

OFFLINE_PROVIDER = "quorum-local"
OFFLINE_MODEL = f"{OFFLINE_PROVIDER}/analyst-v1"
OFFLINE_NAME = "offline"
"""Registry name of the built-in offline analyst (always present, never paid)."""

GroupStrategy = Literal["simple-shuffle", "latency-based-routing", "usage-based-routing-v2"]
"""litellm strategies usable on the synchronous path ("cost-based-routing" is async-only in
litellm: its sync selector returns no deployment, so it is not offered)."""
ResponseFormat = Literal["none", "json_object", "json_schema"]


def _check_secret_ref(value: str) -> str:
    try:
        parse_ref(value)
    except ConfigError:
        raise PydanticCustomError(
            "secret_ref", "not a secret reference: expected 'env:NAME' or 'vault:<path>#<key>'"
        ) from None
    return value


SecretRef = Annotated[str, AfterValidator(_check_secret_ref)]
"""``env:NAME`` or ``vault:<path>#<key>`` (checked by ``quorum.config.settings.refs``)."""


Usd = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
PositiveUsd = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
_NAME = r"^[a-z0-9][a-z0-9._-]{0,62}$"


class PriceOverride(ComponentSettings):
    """USD per million tokens; wins over litellm's price map for this model."""

    input_per_mtok: Usd
    output_per_mtok: Usd


class ModelSpec(ComponentSettings):
    """One registry entry: a logical role served by one litellm model string."""

    name: str = Field(pattern=_NAME, description="registry name; the litellm model group")
    role: str = Field(min_length=1, max_length=40, description='logical role: "fast", "deep" …')
    model: str = Field(min_length=3, description="litellm model string, e.g. openai/gpt-4o-mini")
    api_base: str | None = Field(default=None, pattern=r"^https?://\S+$")
    replica_api_bases: tuple[Annotated[str, Field(pattern=r"^https?://\S+$")], ...] = ()
    key_ref: SecretRef | None = None
    price: PriceOverride | None = None
    paid: bool = True
    enabled: bool = True
    context_window: int = Field(gt=0)
    max_output_tokens: int = Field(default=800, gt=0)
    accuracy: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    timeout_s: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    response_format: ResponseFormat = "none"
    training_cutoff: date | None = Field(
        default=None,
        description="last date of the model's training data; a backtest window starting "
        "before it marks the model's opinions as possibly contaminated (unset: assumed so)",
    )
    mock_response: str | None = Field(
        default=None, description="litellm mock_response: no network (tests, benchmarks)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.name == OFFLINE_NAME or self.model.startswith(f"{OFFLINE_PROVIDER}/"):
            raise PydanticCustomError(
                "llm_model_reserved",
                f"name {OFFLINE_NAME!r} and provider {OFFLINE_PROVIDER!r} are the built-in "
                "offline analyst; configure it under llm.offline",
            )
        if "/" not in self.model:
            raise PydanticCustomError(
                "llm_model_provider",
                "model must name its litellm provider, e.g. 'openai/gpt-4o-mini'",
            )
        if self.replica_api_bases and self.api_base is None:
            raise PydanticCustomError(
                "llm_model_replicas", "replica_api_bases needs api_base for the first replica"
            )
        if self.max_output_tokens >= self.context_window:
            raise PydanticCustomError(
                "llm_model_window", "max_output_tokens must be below context_window"
            )
        return self

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0]


class OfflineSettings(ComponentSettings):
    """The deterministic offline analyst (litellm custom provider ``quorum-local``)."""

    accuracy: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    roles: tuple[str, ...] = Field(default=("*",), min_length=1)
    context_window: int = Field(default=32_000, gt=0)
    max_output_tokens: int = Field(default=800, gt=0)
    fallback: bool = Field(
        default=False, description="append the offline analyst to every fallback chain"
    )


class BudgetSettings(ComponentSettings):
    """Spend caps in USD. A cap of null is no cap for that scope."""

    backend: Literal["auto", "sql", "redis", "memory"] = Field(
        default="auto",
        description="auto: sql on PostgreSQL (processes share the database), else an "
        "in-process ledger seeded from the cost ledger (embedded mode, one process)",
    )
    redis_url: str | None = Field(default=None, pattern=r"^(redis|rediss|unix)://\S+$")
    redis_cluster: bool = False
    key_prefix: str = Field(default="quorum:llm:budget", min_length=1, max_length=80)
    per_day_usd: PositiveUsd | None = Decimal(5)
    per_run_usd: PositiveUsd | None = None
    per_symbol_usd: PositiveUsd | None = Field(default=None, description="per symbol and UTC day")
    on_exceeded: Literal["offline", "skip"] = "offline"
    reservation_ttl_s: int = Field(default=600, ge=10)
    hold_wait_s: float = Field(
        default=5.0,
        ge=0,
        le=60,
        allow_inf_nan=False,
        description="a call denied only by other calls' in-flight holds (settled spend leaves "
        "room) waits up to this long for them to settle before degrading; 0: degrade at once",
    )
    run_scope_ttl_days: int = Field(default=30, ge=1)
    input_tokens: Literal["bytes", "tokenizer"] = Field(
        default="bytes",
        description="worst-case prompt tokens: UTF-8 bytes (a hard upper bound for byte-level "
        "tokenizers, free to compute) or litellm's token_counter x input_token_safety",
    )
    input_token_safety: float = Field(default=1.25, ge=1.0, le=4.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _redis_needs_url(self) -> Self:
        if self.backend == "redis" and self.redis_url is None:
            raise PydanticCustomError("llm_budget_redis_url", "redis_url is required for redis")
        return self


class CacheSettings(ComponentSettings):
    """Exact-match answer cache keyed on (answering model, role, normalized prompt, schema and
    prompt version)."""

    backend: Literal["memory", "sql", "redis", "none"] = "memory"
    redis_url: str | None = Field(default=None, pattern=r"^(redis|rediss|unix)://\S+$")
    redis_cluster: bool = False
    key_prefix: str = Field(default="quorum:llm:cache", min_length=1, max_length=80)
    ttl_s: int = Field(default=7 * 24 * 3600, gt=0)
    max_entries: int = Field(default=50_000, gt=0, description="memory backend only")

    @model_validator(mode="after")
    def _redis_needs_url(self) -> Self:
        if self.backend == "redis" and self.redis_url is None:
            raise PydanticCustomError("llm_cache_redis_url", "redis_url is required for redis")
        return self


class LLMSettings(ComponentSettings):
    """Everything ``quorum.llm`` needs; ``models`` is the registry."""

    models: tuple[ModelSpec, ...] = ()
    offline: OfflineSettings = Field(default_factory=OfflineSettings)
    policy: PolicyName = "accuracy_first"
    node_policies: dict[str, PolicyName] = Field(default_factory=dict)
    accuracy_floor: float = Field(default=0.6, ge=0.0, le=1.0, allow_inf_nan=False)
    assumed_latency_s: float = Field(default=5.0, gt=0, allow_inf_nan=False)
    stats_window: int = Field(default=200, ge=10)
    timeout_s: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    num_retries: int = Field(default=2, ge=0, le=10)
    retry_after_s: int = Field(default=0, ge=0)
    cooldown_s: float = Field(default=60.0, gt=0, allow_inf_nan=False)
    allowed_fails: int = Field(default=1, ge=0)
    cooldown_redis_url: str | None = Field(
        default=None,
        pattern=r"^(redis|rediss)://\S+$",
        description="litellm.Router keeps its cooldowns (and replica latency stats) in this "
        "Redis, so every process skips a deployment another one cooled down; unset: the "
        "Celery broker's Redis in cluster mode (apps.bootstrap.shared_cooldowns), else none",
    )
    cooldown_key_prefix: str = Field(default="quorum:llm:router", min_length=1, max_length=80)
    group_strategy: GroupStrategy = "latency-based-routing"
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    ledger_batch: int = Field(default=50, ge=1)
    ledger_flush_s: float = Field(default=2.0, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        seen: set[str] = set()
        for spec in self.models:
            if spec.name in seen:
                raise PydanticCustomError(
                    "llm_model_duplicate",
                    "models: name '{name}' is used twice",
                    {"name": spec.name},
                )
            seen.add(spec.name)
        return self

    def policy_for(self, node: str, override: str | None = None) -> PolicyName:
        """The request's override, else the node's policy, else the global one."""
        chosen = override or self.node_policies.get(node) or self.policy
        for name in POLICIES:
            if chosen == name:
                return name
        raise ConfigError(f"llm policy {chosen!r}: expected one of {', '.join(POLICIES)}")


def load_llm_settings(path: str, env: Mapping[str, str] | None = None) -> LLMSettings:
    """The ``llm:`` section of the YAML file at ``path`` (``${VAR}`` expanded)."""
    data = read_yaml_config(path, dict(os.environ if env is None else env), "--config")
    section = data.get("llm", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: llm must be a mapping (got {type(section).__name__})")
    try:
        return LLMSettings.model_validate(section)
    except ValidationError as exc:
        lines = [
            f"llm.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        ]
        raise ConfigError(f"{path}: invalid llm settings\n" + "\n".join(lines)) from None
