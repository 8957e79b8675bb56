"""The answer schema every analyst model must produce, and parsing answers into a schema.

LLM output is a schema, never prose: the text is parsed as JSON into the request's
pydantic model. A single surrounding Markdown code fence is tolerated (models add one
even when told not to); nothing else is stripped or guessed. A failure yields the
validation message, which the router feeds back once in a repair prompt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ANALYST_SCHEMA_VERSION = "analyst-answer/1"


class AnalystAnswer(BaseModel):
    """What an analyst model answers: a stance, its confidence, evidence and rationale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stance: Literal["bullish", "bearish", "neutral"]
    confidence: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    key_evidence: tuple[str, ...] = Field(min_length=1, max_length=6)
    rationale: str = Field(min_length=1, max_length=1200)


@dataclass(frozen=True, slots=True)
class Parsed[T: BaseModel]:
    """``value`` when the text fit the schema, else ``error`` (a short, model-readable text)."""

    value: T | None
    error: str | None


def strip_code_fence(text: str) -> str:
    """``text`` without one enclosing ```` ``` ```` / ```` ```json ```` fence, trimmed."""
    body = text.strip()
    if body.startswith("```") and body.endswith("```") and len(body) >= 6:
        first_newline = body.find("\n")
        if first_newline != -1:
            return body[first_newline + 1 : -3].strip()
    return body


def parse_structured[T: BaseModel](text: str, schema: type[T]) -> Parsed[T]:
    """Parse ``text`` as JSON into ``schema``."""
    body = strip_code_fence(text)
    if not body:
        return Parsed(None, "the answer was empty; expected one JSON object")
    try:
        return Parsed(schema.model_validate_json(body), None)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors(include_url=False)[:8]
        ]
        return Parsed(None, "; ".join(problems))


def json_schema_of(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema the prompt shows and ``response_format=json_schema`` sends."""
    return schema.model_json_schema()


def schema_instruction(schema: type[BaseModel]) -> str:
    """The instruction appended to every prompt: answer with exactly this JSON."""
    rendered = json.dumps(json_schema_of(schema), sort_keys=True, separators=(",", ":"))
    return (
        "Answer with exactly one JSON object and nothing else (no prose, no Markdown) "
        f"that validates against this JSON Schema: {rendered}"
    )


def repair_instruction(error: str, schema: type[BaseModel]) -> str:
    """The follow-up message of the single repair retry."""
    return (
        f"Your previous answer did not match the required schema: {error}. "
        + schema_instruction(schema)
    )
