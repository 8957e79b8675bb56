"""Structured output: JSON into the schema, one fence tolerated, errors a model can act on."""

from __future__ import annotations

from tests.unit.llm.llm_kit import GOOD_ANSWER

from quorum.llm import AnalystAnswer, parse_structured
from quorum.llm.schema import repair_instruction, schema_instruction


def test_a_json_answer_parses_into_the_schema() -> None:
    parsed = parse_structured(GOOD_ANSWER, AnalystAnswer)

    assert parsed.error is None
    assert parsed.value is not None
    assert parsed.value.stance == "bullish"


def test_one_markdown_fence_around_the_json_is_tolerated() -> None:
    parsed = parse_structured(f"```json\n{GOOD_ANSWER}\n```", AnalystAnswer)

    assert parsed.value is not None


def test_prose_is_refused_not_scraped() -> None:
    parsed = parse_structured(f"Sure! Here is my view: {GOOD_ANSWER}", AnalystAnswer)

    assert parsed.value is None
    assert parsed.error is not None
    assert "Invalid JSON" in parsed.error


def test_a_schema_violation_names_the_field() -> None:
    parsed = parse_structured(
        '{"stance": "up", "confidence": 2, "key_evidence": [], "rationale": "x"}', AnalystAnswer
    )

    assert parsed.value is None
    assert parsed.error is not None
    assert "stance" in parsed.error
    assert "confidence" in parsed.error
    assert "key_evidence" in parsed.error


def test_the_repair_prompt_carries_the_error_and_the_schema() -> None:
    text = repair_instruction("stance: Input should be 'bullish'", AnalystAnswer)

    assert "stance: Input should be 'bullish'" in text
    assert schema_instruction(AnalystAnswer) in text
    assert '"key_evidence"' in text
