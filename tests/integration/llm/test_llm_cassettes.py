"""Recorded provider responses (vcrpy) in the OpenAI, Anthropic and Gemini wire formats.

Each cassette holds one chat answer with the provider's own usage block; the test runs
it through the router and litellm's real request/response handling and checks the token
counts read from each format and the Decimal cost computed from litellm's price map.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import vcr
from prometheus_client import CollectorRegistry
from tests.unit.llm.llm_kit import START, request, settings

from quorum.clock import ReplayClock
from quorum.config import EnvSecrets
from quorum.llm import MemoryBudgetLedger, NullCache, build_llm_router

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "llm"
KEYS = {  # placeholders: the cassettes answer without checking them
    "OPENAI_API_KEY": "sk-test",  # pragma: allowlist secret
    "ANTHROPIC_API_KEY": "sk-ant-test",  # pragma: allowlist secret
    "GEMINI_API_KEY": "g-test",  # pragma: allowlist secret
}
RECORDER = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    match_on=["method", "scheme", "host", "port", "path"],
    filter_headers=["authorization", "x-api-key", "x-goog-api-key"],
    filter_query_parameters=["key"],
)


@pytest.mark.parametrize(
    ("cassette", "entry", "tokens", "cost"),
    [
        pytest.param(
            "openai_chat_completion.yaml",
            {"model": "openai/gpt-4o-mini", "key_ref": "env:OPENAI_API_KEY"},
            (412, 58),
            Decimal(412) * Decimal("1.5E-7") + Decimal(58) * Decimal("6E-7"),
            id="openai",
        ),
        pytest.param(
            "anthropic_messages.yaml",
            {"model": "anthropic/claude-sonnet-4-5", "key_ref": "env:ANTHROPIC_API_KEY"},
            (455, 71),
            Decimal(455) * Decimal("3E-6") + Decimal(71) * Decimal("1.5E-5"),
            id="anthropic",
        ),
        pytest.param(
            "gemini_generate_content.yaml",
            {"model": "gemini/gemini-2.5-flash", "key_ref": "env:GEMINI_API_KEY"},
            (430, 64 + 88),  # thinking tokens are billed as output
            Decimal(430) * Decimal("3E-7") + Decimal(152) * Decimal("2.5E-6"),
            id="gemini",
        ),
    ],
)
def test_token_counts_and_cost_are_read_from_each_providers_wire_format(
    cassette: str, entry: dict[str, Any], tokens: tuple[int, int], cost: Decimal
) -> None:
    model = {"name": "m", "role": "fast", "context_window": 100_000, "accuracy": 0.7, **entry}
    router = build_llm_router(
        settings([model], num_retries=0),
        clock=ReplayClock(START),
        secrets=EnvSecrets(KEYS),
        flags=None,
        metrics_registry=CollectorRegistry(),
        budget=MemoryBudgetLedger(),
        cache=NullCache(),
    )

    with RECORDER.use_cassette(cassette) as recorded:
        result = router.complete(request())

    assert recorded.play_count == 1
    assert result.outcome == "ok", result.why
    assert result.output is not None
    assert result.output.stance == "bearish"
    assert (result.input_tokens, result.output_tokens) == tokens
    assert result.cost_usd == cost
    assert result.cost_usd > 0
