"""The start-up price check: a paid model priced at zero or unmapped stops start-up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.llm.llm_kit import EXAMPLE_CONFIG, model, settings

from quorum.config import EnvSecrets
from quorum.errors import ConfigError
from quorum.llm import ModelRegistry, check_price, load_llm_settings


def test_a_paid_model_litellm_prices_at_zero_fails_start_up_naming_it() -> None:
    s = settings([model("sonnet4", litellm_model="anthropic/claude-sonnet-4-20250514")])

    with pytest.raises(ConfigError, match=r"sonnet4.*claude-sonnet-4-20250514.*non-zero price"):
        ModelRegistry.build(s, None)


def test_an_unmapped_paid_model_fails_start_up_naming_it() -> None:
    s = settings([model("groq", litellm_model="groq/llama-3.3-70b-versatile")])

    with pytest.raises(ConfigError, match=r"groq.*not in litellm's price map"):
        ModelRegistry.build(s, None)


def test_a_price_override_makes_an_unmapped_model_usable() -> None:
    s = settings(
        [model("groq", litellm_model="groq/llama-3.3-70b-versatile", price=("0.59", "0.79"))]
    )

    price = ModelRegistry.build(s, None).get("groq").price

    assert price.source == "override"
    assert price.input_per_token == Decimal("0.00000059")
    assert price.cost(1_000_000, 1_000_000) == Decimal("1.38")


def test_a_zero_override_on_a_paid_model_is_refused() -> None:
    spec = settings([model("m", price=("0", "1"))]).models[0]

    assert check_price(spec).problem is not None


def test_mapped_prices_come_from_litellms_bundled_map_as_decimal() -> None:
    check = check_price(settings([model("mini")]).models[0])

    assert check.ok
    assert check.price is not None
    assert check.price.source == "litellm"
    assert check.price.input_per_token == Decimal("1.5E-7")
    assert check.price.output_per_token == Decimal("6E-7")


def test_an_unpriced_local_model_is_free_when_not_paid() -> None:
    spec = settings([model("local", litellm_model="ollama/llama3.1", paid=False)]).models[0]

    check = check_price(spec)

    assert check.ok
    assert check.price is not None
    assert check.price.is_free


def test_the_example_config_passes_the_check_and_missing_keys_disable_models() -> None:
    s = load_llm_settings(str(EXAMPLE_CONFIG), env={})

    registry = ModelRegistry.build(s, EnvSecrets({"OPENAI_API_KEY": "sk-test"}))

    enabled = {m.name for m in registry if m.enabled}
    assert enabled == {"gpt-4o-mini", "gpt-4o", "offline"}
    claude = registry.get("claude-sonnet-4")
    assert claude.disabled_reason is not None
    assert "ANTHROPIC_API_KEY" in claude.disabled_reason
    assert claude.price.source == "override"
