"""What a provider call returns or how it fails, typed — free of litellm.

The router, the usage accounting and the offline analyst's direct path speak these types;
only :mod:`quorum.llm.backend` imports litellm (through :mod:`quorum.llm.vendor`), so a
process that never calls a provider never imports it (#22 item 4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from quorum.errors import QuorumError


@dataclass(frozen=True, slots=True)
class FailedCall:
    """One provider call litellm made that failed (it retries or falls back after it)."""

    group: str
    kind: str
    detail: str
    latency_ms: float


OnFailure = Callable[[FailedCall], None]


@dataclass(frozen=True, slots=True)
class Completion:
    """What one call returned, typed."""

    group: str
    deployment_id: str
    content: str
    input_tokens: int | None
    output_tokens: int | None
    provider_ms: float | None


class ProviderCallFailed(QuorumError):
    """Every model of ``models`` failed (after litellm's retries and fallbacks)."""

    def __init__(self, models: Sequence[str], kind: str, detail: str) -> None:
        self.models = tuple(models)
        self.kind = kind
        super().__init__(f"llm call to {' -> '.join(models)} failed: {kind} ({detail[:200]})")
