"""LLM settings: strict registry entries, policy precedence, the example configuration."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from tests.unit.llm.llm_kit import EXAMPLE_CONFIG, model, settings

from quorum.errors import ConfigError
from quorum.llm import LLMSettings, load_llm_settings


def _entry(**overrides: Any) -> dict[str, Any]:
    return {**model("m1"), **overrides}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name": "offline"}, "built-in offline analyst"),
        ({"model": "quorum-local/x"}, "built-in offline analyst"),
        ({"model": "gpt-4o-mini"}, "must name its litellm provider"),
        ({"max_output_tokens": 200_000}, "max_output_tokens must be below context_window"),
        ({"replica_api_bases": ["http://b:1"]}, "replica_api_bases needs api_base"),
        ({"key_ref": "sk-live-123"}, "not a secret reference"),
        ({"unknown": 1}, "Extra inputs are not permitted"),
    ],
)
def test_model_spec_rejects_bad_entries_naming_the_rule(
    overrides: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ValidationError, match=expected):
        LLMSettings.model_validate({"models": [_entry(**overrides)]})


def test_duplicate_model_names_are_refused() -> None:
    with pytest.raises(ValidationError, match="'m1' is used twice"):
        LLMSettings.model_validate({"models": [_entry(), _entry()]})


def test_redis_budget_without_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="redis_url is required"):
        LLMSettings.model_validate({"budget": {"backend": "redis"}})


def test_policy_precedence_is_request_then_node_then_global() -> None:
    s = settings([], policy="cost_aware", node_policies={"regime": "latency_aware"})

    assert s.policy_for("technical") == "cost_aware"
    assert s.policy_for("regime") == "latency_aware"
    assert s.policy_for("regime", "accuracy_first") == "accuracy_first"
    with pytest.raises(ConfigError, match="expected one of accuracy_first"):
        s.policy_for("regime", "fastest")


def test_example_config_has_five_paid_models_over_four_providers_and_the_offline_one() -> None:
    s = load_llm_settings(str(EXAMPLE_CONFIG), env={})

    paid = [m for m in s.models if m.paid]
    assert len(paid) >= 5
    assert len({m.provider for m in paid}) >= 4
    assert {"openai", "anthropic", "gemini", "mistral"} <= {m.provider for m in paid}
    assert s.offline.roles == ("*",)
    assert all(m.key_ref is not None for m in paid)


def test_loading_a_file_with_a_bad_llm_section_names_the_key(tmp_path: Any) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("llm:\n  policy: fastest\n")

    with pytest.raises(ConfigError, match=r"llm\.policy"):
        load_llm_settings(str(path), env={})


def test_a_bad_key_reference_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError, match="not a secret reference") as error:
        LLMSettings.model_validate({"models": [_entry(key_ref="sk-live-123")]})

    assert "sk-live-123" not in str(error.value).split("input_value")[0]
