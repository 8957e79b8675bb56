"""The model registry: configured entries with their resolved price, key and availability.

Built once at start-up from :class:`LLMSettings` and the :class:`SecretsProvider`. A paid
model without a trustworthy price stops start-up (:func:`require_prices`); a model whose
key reference does not resolve is *disabled* (listed with the reason), so a machine with
no provider key runs on the offline analyst alone. The offline analyst is always present.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pydantic import SecretStr

from quorum.errors import ConfigError
from quorum.llm.pricing import FREE, ModelPrice, PriceCheck, check_price, require_prices
from quorum.llm.settings import (
    OFFLINE_MODEL,
    OFFLINE_NAME,
    OFFLINE_PROVIDER,
    LLMSettings,
    ModelSpec,
    ResponseFormat,
)
from quorum.ports import SecretsProvider


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """One usable (or disabled) registry entry."""

    name: str
    roles: frozenset[str]
    model: str
    provider: str
    price: ModelPrice
    paid: bool
    context_window: int
    max_output_tokens: int
    accuracy: float
    api_base: str | None = None
    replica_api_bases: tuple[str, ...] = ()
    api_key: SecretStr | None = field(default=None, repr=False)
    timeout_s: float | None = None
    response_format: ResponseFormat = "none"
    mock_response: str | None = None
    disabled_reason: str | None = None

    @property
    def enabled(self) -> bool:
        return self.disabled_reason is None

    @property
    def is_offline(self) -> bool:
        return self.provider == OFFLINE_PROVIDER

    def serves(self, role: str) -> bool:
        return "*" in self.roles or role in self.roles

    def worst_case_nano(self, input_tokens: int, max_output_tokens: int) -> int:
        """The most this call can cost: every input token and the whole output allowance."""
        return self.price.cost_nano(input_tokens, max_output_tokens)


def _resolve_key(
    spec: ModelSpec, secrets: SecretsProvider | None
) -> tuple[SecretStr | None, str | None]:
    if spec.key_ref is None:
        return None, None
    if secrets is None:
        return None, f"key {spec.key_ref} not resolvable (no secrets provider)"
    try:
        return secrets.get(spec.key_ref), None
    except ConfigError as exc:  # SecretNotFound, or a scheme this provider cannot resolve
        return None, f"key not available: {exc}"


class ModelRegistry:
    """The registry, in configuration order, offline analyst last."""

    def __init__(self, models: tuple[RegisteredModel, ...], checks: tuple[PriceCheck, ...]) -> None:
        self._models = models
        self._by_name = {m.name: m for m in models}
        self.checks = checks

    @classmethod
    def build(cls, settings: LLMSettings, secrets: SecretsProvider | None) -> ModelRegistry:
        """Resolve prices and keys; raise ConfigError when a paid model has no usable price."""
        checks = tuple(check_price(spec) for spec in settings.models)
        require_prices(checks)
        models: list[RegisteredModel] = []
        for spec, check in zip(settings.models, checks, strict=True):
            key, disabled = _resolve_key(spec, secrets) if spec.enabled else (None, "disabled")
            assert check.price is not None  # require_prices passed
            models.append(
                RegisteredModel(
                    name=spec.name,
                    roles=frozenset({spec.role}),
                    model=spec.model,
                    provider=spec.provider,
                    price=check.price,
                    paid=spec.paid,
                    context_window=spec.context_window,
                    max_output_tokens=spec.max_output_tokens,
                    accuracy=spec.accuracy,
                    api_base=spec.api_base,
                    replica_api_bases=spec.replica_api_bases,
                    api_key=key,
                    timeout_s=spec.timeout_s,
                    response_format=spec.response_format,
                    mock_response=spec.mock_response,
                    disabled_reason=disabled,
                )
            )
        offline = settings.offline
        models.append(
            RegisteredModel(
                name=OFFLINE_NAME,
                roles=frozenset(offline.roles),
                model=OFFLINE_MODEL,
                provider=OFFLINE_PROVIDER,
                price=FREE,
                paid=False,
                context_window=offline.context_window,
                max_output_tokens=offline.max_output_tokens,
                accuracy=offline.accuracy,
            )
        )
        return cls(tuple(models), checks)

    def __iter__(self) -> Iterator[RegisteredModel]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)

    def get(self, name: str) -> RegisteredModel:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise KeyError(f"llm model {name!r}: not in the registry ({known})") from None

    @property
    def offline(self) -> RegisteredModel:
        return self._by_name[OFFLINE_NAME]

    def candidates(self, role: str) -> list[RegisteredModel]:
        """Enabled, non-offline models serving ``role``, in configuration order."""
        return [m for m in self._models if m.enabled and not m.is_offline and m.serves(role)]
