"""Bookkeeping of provider calls: every call litellm made for a request becomes a
:class:`~quorum.llm.attempt.ProviderCall` (a ledger row) — the answered one charged by
:mod:`quorum.llm.usage`, each failed one (a retry or fallback inside litellm) heard
through the per-request failure hook."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from pydantic import BaseModel

from quorum.llm.attempt import Attempt, ProviderCall
from quorum.llm.budget import Reservation
from quorum.llm.completion import Completion, FailedCall
from quorum.llm.metrics import LLMMetrics
from quorum.llm.registry import ModelRegistry, RegisteredModel
from quorum.llm.stats import Sample, StatsBoard
from quorum.llm.tokens import prompt_token_bound
from quorum.llm.usage import Limit, charge_for

_log = logging.getLogger(__name__)


def reservation_amount(reservation: Reservation | None) -> int:
    return reservation.amount_nano if reservation is not None else 0


def input_bound(messages: list[dict[str, str]], response_format: dict[str, object] | None) -> int:
    """The most input tokens ``messages`` can be billed as (a structured-output schema is
    billed as prompt tokens too)."""
    extra = len(json.dumps(response_format).encode("utf-8")) if response_format else 0
    return prompt_token_bound(messages) + extra


def failure_recorder[T: BaseModel](
    attempt: Attempt[T], registry: ModelRegistry
) -> Callable[[FailedCall], None]:
    """The backend's ``on_failure``: a failed provider call is a ledger row at $0 (failed
    attempts are assumed unbilled)."""

    def failed(call: FailedCall) -> None:
        model = registry.get(call.group)
        attempt.called(
            ProviderCall(
                model.name,
                model.provider,
                "",
                "failed",
                call.latency_ms,
                usage="free",
                error=f"{call.kind}: {call.detail}",
            )
        )

    return failed


def charge_answer[T: BaseModel](
    attempt: Attempt[T],
    model: RegisteredModel,
    done: Completion,
    limit: Limit,
    kind: str,
    stats: StatsBoard,
    metrics: LLMMetrics | None,
) -> None:
    """Account one answered call: reported usage at the model's price; missing or
    implausible usage, or a charge above the reservation, costs the reserved worst case and
    is flagged (ledger ``usage``, ``quorum_llm_usage_anomalies_total``, a warning)."""
    charge = charge_for(model, done, limit)
    if charge.anomaly is not None:
        attempt.note(charge.anomaly)
        _log.warning("llm usage anomaly: %s", charge.anomaly)
        if metrics is not None:
            metrics.usage_anomalies.labels(model.name, charge.usage).inc()
    latency = done.provider_ms
    attempt.called(
        ProviderCall(
            model.name,
            model.provider,
            kind,
            "ok",
            latency if latency is not None else 0.0,
            done.input_tokens or 0,
            done.output_tokens or 0,
            charge.cost_nano,
            charge.usage,
            limit.reserved_nano,
        )
    )
    seconds = latency / 1000.0 if latency is not None else None
    stats.record(model.name, Sample(True, seconds, charge.cost_nano, done.output_tokens or 0))
