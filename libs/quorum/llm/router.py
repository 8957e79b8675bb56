"""``QuorumRouter``: the ``LLMRouter`` port on top of ``litellm.Router``.

One request: render the prompt → exact-match cache → policy ranks the role's models →
reserve the worst case on every capped scope → litellm call along the chain (timeouts,
retries, fallbacks, cooldowns) → parse into the schema, one repair retry, then fall back
past that model → settle the real cost → ledger row, metrics, cache. When a cap would
be passed the call degrades to the offline analyst (or skips) and a ``budget_event`` is
journaled. The caller gets an :class:`LLMResult` — a typed no-opinion when the providers,
the output or the budget failed — never an exception, except :class:`~quorum.errors.Retryable`:
a transient failure of our own (a store), re-raised for the caller's retry policy (the
graph node's LangGraph ``RetryPolicy``). Retry owners are tabled in the package README.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel

from quorum.clock import Clock
from quorum.errors import Retryable
from quorum.llm.answers import Answers
from quorum.llm.attempt import Attempt, CallBudget, Denial
from quorum.llm.cache import ResponseCache, normalize_prompt
from quorum.llm.calls import charge_answer, failure_recorder, input_bound, reservation_amount
from quorum.llm.completion import Completion, ProviderCallFailed
from quorum.llm.events import BudgetEventSink
from quorum.llm.ledger import LedgerWriter
from quorum.llm.metrics import LLMMetrics
from quorum.llm.money import from_nano
from quorum.llm.offline import offline_reply
from quorum.llm.policies import GROUP_STRATEGY, PolicyInputs, rank
from quorum.llm.prompts import render_prompt
from quorum.llm.registry import ModelRegistry, RegisteredModel
from quorum.llm.schema import parse_structured, repair_instruction
from quorum.llm.settings import LLMSettings, PolicyName
from quorum.llm.stats import AccuracyBoard, Sample, StatsBoard
from quorum.llm.tokens import (
    estimate_prompt_tokens,
    offline_prompt_tokens,
    prompt_token_bound,
)
from quorum.llm.usage import Limit
from quorum.ports import LLMRequest, LLMResult, NoOpinionReason

if TYPE_CHECKING:  # imports litellm: built only when a provider is called (#22 item 4)
    from quorum.llm.backend import LiteLLMBackend

_log = logging.getLogger(__name__)

Messages = list[dict[str, str]]


class QuorumRouter:
    """Implements :class:`quorum.ports.LLMRouter` (build it with ``build_llm_router``)."""

    def __init__(
        self,
        *,
        settings: LLMSettings,
        registry: ModelRegistry,
        backend: Callable[[], LiteLLMBackend],
        budget: CallBudget,
        cache: ResponseCache,
        clock: Clock,
        stats: StatsBoard,
        accuracy: AccuracyBoard,
        ledger: LedgerWriter | None = None,
        metrics: LLMMetrics | None = None,
        events: BudgetEventSink | None = None,
        paid_allowed: Callable[[], bool] | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self._make_backend = backend
        self._backend_lock = threading.Lock()
        self._backend: LiteLLMBackend | None = None
        if any(m.enabled and not m.is_offline for m in registry):
            self._backend = backend()  # a provider is configured: its litellm Router now
        self.budget = budget
        self.cache = cache
        self.clock = clock
        self.stats = stats
        self.accuracy = accuracy
        self.ledger = ledger
        self.metrics = metrics
        self.events = events
        self.paid_allowed = paid_allowed
        """Reads the ``llm.allow_paid`` flag (None: no gate); paid models are skipped when off."""

    @property
    def backend(self) -> LiteLLMBackend:
        """The litellm backend. Built at once when a provider model is configured (its
        Router, and any error, at start-up); else on first use — never, in a process whose
        answers all come from the offline analyst, which is answered without litellm."""
        with self._backend_lock:
            if self._backend is None:
                self._backend = self._make_backend()
            return self._backend

    def flush(self) -> None:
        """Write the buffered ledger rows now (every call made so far is then stored)."""
        if self.ledger is not None:
            self.ledger.flush()

    def close(self) -> None:
        """Write the buffered ledger rows and release the litellm router's process-wide
        callbacks (see LiteLLMBackend.close)."""
        try:
            self.flush()
        finally:
            if self._backend is not None:
                self._backend.close()

    # -- the port ------------------------------------------------------------------

    def complete[T: BaseModel](self, request: LLMRequest[T]) -> LLMResult[T]:
        attempt: Attempt[T] = Attempt(request, self.clock)
        try:
            result = self._run(request, attempt)
        except Retryable as exc:  # ours and transient: the graph node's RetryPolicy owns it
            attempt.error = f"{type(exc).__name__}: {exc}"
            failed = attempt.no_opinion(NoOpinionReason.INTERNAL_ERROR, "transient_error")
            attempt.record(failed, self.ledger, self.metrics)  # any spend so far is ledgered
            raise
        except Exception as exc:  # a scan must never die of an LLM call: log, no opinion
            _log.exception("llm call of node %s failed unexpectedly", request.node)
            attempt.error = f"{type(exc).__name__}: {exc}"
            result = attempt.no_opinion(NoOpinionReason.INTERNAL_ERROR, "internal_error")
        attempt.record(result, self.ledger, self.metrics)
        return result

    # -- steps ---------------------------------------------------------------------

    def _run[T: BaseModel](self, request: LLMRequest[T], attempt: Attempt[T]) -> LLMResult[T]:
        attempt.policy = self.settings.policy_for(request.node, request.policy)
        messages = self._messages(request, attempt)
        answers = Answers(self.cache, request, attempt, normalize_prompt(messages))
        candidates = self.registry.candidates(request.role)
        if not candidates:
            why = f"offline: no configured model with a usable key serves role {request.role!r}"
            return self._offline_cached(request, attempt, messages, answers, why)
        tokens = self._prompt_tokens(candidates, messages)
        chain, why = self._chain(attempt.policy, candidates, tokens, request)
        # The cache answers for the model that would be asked first (paid or not: a hit
        # costs nothing), never with another model's answer (an offline or fallback one).
        hit = answers.get(chain[0]) if chain else None
        if hit is not None:
            return hit
        gated = ""
        if self.paid_allowed is not None and not self.paid_allowed():
            gated = "; paid models off (flag llm.allow_paid)"
            candidates = [m for m in candidates if not m.paid]
            if not candidates:
                why = "offline: paid models are off (flag llm.allow_paid)"
                return self._offline_cached(request, attempt, messages, answers, why)
            tokens = self._prompt_tokens(candidates, messages)
            chain, why = self._chain(attempt.policy, candidates, tokens, request)
        if not chain:
            if self.settings.offline.fallback:
                return self._offline_cached(request, attempt, messages, answers, why + gated)
            attempt.why = why + gated
            return attempt.no_opinion(NoOpinionReason.NO_MODEL_AVAILABLE, "no_model")
        attempt.why = why + gated
        result = self._along(request, attempt, messages, list(chain), tokens, answers)
        if result.outcome in ("ok", "repaired"):
            answers.put(result)
        return result

    def _offline_cached[T: BaseModel](
        self,
        request: LLMRequest[T],
        attempt: Attempt[T],
        messages: Messages,
        answers: Answers[T],
        why: str,
    ) -> LLMResult[T]:
        """The offline analyst's answer (cached under the offline model, for it alone)."""
        hit = answers.get(self.registry.offline)
        if hit is not None:
            return hit
        result = self._offline(request, attempt, messages, why, "ok")
        if result.outcome == "ok":
            answers.put(result)
        return result

    def _messages[T: BaseModel](self, request: LLMRequest[T], attempt: Attempt[T]) -> Messages:
        if request.template is not None:
            assert request.context is not None  # LLMRequest checks it
            rendered = render_prompt(request.template, request.context, request.schema)
            attempt.prompt_version = rendered.version
            return [{"role": role, "content": text} for role, text in rendered.messages]
        attempt.prompt_version = "messages"
        return [{"role": m.role, "content": m.content} for m in request.messages]

    def _prompt_tokens(self, candidates: list[RegisteredModel], messages: Messages) -> int:
        paid = next((m for m in candidates if not m.price.is_free), None)
        if paid is None:
            return offline_prompt_tokens(messages)
        budget = self.settings.budget
        if budget.input_tokens == "tokenizer":
            return estimate_prompt_tokens(paid.model, messages, budget.input_token_safety)
        return prompt_token_bound(messages)

    def _chain[T: BaseModel](
        self,
        policy: PolicyName,
        candidates: list[RegisteredModel],
        tokens: int,
        request: LLMRequest[T],
    ) -> tuple[list[RegisteredModel], str]:
        cooling = self.backend.cooling_down()
        out = self._max_tokens(request, candidates)
        usable = [
            m for m in candidates if m.name not in cooling and tokens + out <= m.context_window
        ]
        inputs = PolicyInputs(
            self.stats,
            self.accuracy,
            self.settings.accuracy_floor,
            tokens,
            self.settings.assumed_latency_s,
            node=request.node,
        )
        choice = rank(policy, usable, inputs)
        why = choice.why
        skipped = sorted(m.name for m in candidates if m.name in cooling)
        if skipped:
            why += f"; cooling down: {', '.join(skipped)}"
        chain = list(choice.chain)
        if chain and self.settings.offline.fallback and self.registry.offline.serves(request.role):
            chain.append(self.registry.offline)
        return chain, why

    def _max_tokens[T: BaseModel](
        self, request: LLMRequest[T], models: list[RegisteredModel]
    ) -> int:
        limits = [m.max_output_tokens for m in models]
        if request.max_output_tokens is not None:
            limits.append(request.max_output_tokens)
        return min(limits)

    def _along[T: BaseModel](
        self,
        request: LLMRequest[T],
        attempt: Attempt[T],
        messages: Messages,
        remaining: list[RegisteredModel],
        tokens: int,
        answers: Answers[T],
    ) -> LLMResult[T]:
        strategy = GROUP_STRATEGY[attempt.policy]
        looked_up = remaining[0]
        while remaining:
            max_tokens = self._max_tokens(request, remaining)
            held = self.budget.reserve(request, attempt, remaining, tokens, max_tokens)
            if isinstance(held, Denial):
                return self._degrade(request, attempt, messages, held)
            sub, reservation = held
            if sub[0] is not looked_up:  # the budget or a failure moved the head: its answer
                looked_up = sub[0]
                hit = answers.get(looked_up)
                if hit is not None:
                    self.budget.settle(reservation, 0)
                    return hit
            fmt = _response_format(sub, request.schema)
            try:
                done = self.backend.complete(
                    [m.name for m in sub],
                    messages,
                    max_tokens=max_tokens,
                    group_strategy=strategy,
                    response_format=fmt,
                    on_failure=failure_recorder(attempt, self.registry),
                )
            except ProviderCallFailed as exc:
                self.budget.settle(reservation, 0)
                self._failed(attempt, [m.name for m in sub], str(exc))
                return attempt.no_opinion(NoOpinionReason.PROVIDER_ERROR, "provider_error")
            answered = self.registry.get(done.group)
            passed = [m.name for m in sub[: sub.index(answered)]] if answered in sub else []
            self._failed(attempt, passed, None)
            if answered.is_offline:  # the chain's last link: say why, not the head's merits
                attempt.why = f"offline: fallback after {', '.join(passed) or 'the chain'} failed"
            limit = Limit(reservation_amount(reservation), input_bound(messages, fmt), max_tokens)
            self._charge(attempt, answered, done, limit)
            self.budget.settle(reservation, attempt.last_cost_nano)
            parsed = parse_structured(done.content, request.schema)
            if parsed.value is not None:
                return attempt.answer(parsed.value, answered.name, answered.provider, "ok")
            attempt.mark("invalid_output")
            repaired = self._repair(request, attempt, messages, answered, done, parsed.error or "")
            if repaired is not None:
                return attempt.answer(repaired, answered.name, answered.provider, "repaired")
            self._failed(attempt, [answered.name], f"invalid output from {answered.name}")
            remaining = remaining[remaining.index(answered) + 1 :]
        return attempt.no_opinion(NoOpinionReason.INVALID_OUTPUT, "invalid_output")

    def _repair[T: BaseModel](
        self,
        request: LLMRequest[T],
        attempt: Attempt[T],
        messages: Messages,
        model: RegisteredModel,
        done: Completion,
        error: str,
    ) -> T | None:
        """One repair retry on the same model, with the validation error fed back."""
        attempt.repairs += 1
        if self.metrics is not None:
            self.metrics.repairs.labels(model.name).inc()
        repair = [
            *messages,
            {"role": "assistant", "content": done.content[:4000]},
            {"role": "user", "content": repair_instruction(error, request.schema)},
        ]
        tokens = self._prompt_tokens([model], repair)
        max_tokens = self._max_tokens(request, [model])
        held = self.budget.reserve(request, attempt, [model], tokens, max_tokens)
        if isinstance(held, Denial):
            attempt.note(f"repair of {model.name} skipped: {held.reason}")
            return None
        _, reservation = held
        try:
            fixed = self.backend.complete(
                [model.name],
                repair,
                max_tokens=max_tokens,
                on_failure=failure_recorder(attempt, self.registry),
            )
        except ProviderCallFailed as exc:
            self.budget.settle(reservation, 0)
            attempt.error = str(exc)
            return None
        limit = Limit(reservation_amount(reservation), input_bound(repair, None), max_tokens)
        self._charge(attempt, model, fixed, limit, kind="repair")
        self.budget.settle(reservation, attempt.last_cost_nano)
        value = parse_structured(fixed.content, request.schema).value
        attempt.mark("repaired" if value is not None else "invalid_output")
        return value

    def _charge[T: BaseModel](
        self,
        attempt: Attempt[T],
        model: RegisteredModel,
        done: Completion,
        limit: Limit,
        kind: str = "",
    ) -> None:
        charge_answer(attempt, model, done, limit, kind, self.stats, self.metrics)

    def _failed[T: BaseModel](
        self, attempt: Attempt[T], names: list[str], error: str | None
    ) -> None:
        for name in names:
            attempt.fallbacks.append(name)
            self.stats.record(name, Sample(False, None, 0, 0))
            if self.metrics is not None:
                self.metrics.fallbacks.labels(name).inc()
        if error is not None:
            attempt.error = error

    def _degrade[T: BaseModel](
        self, request: LLMRequest[T], attempt: Attempt[T], messages: Messages, denial: Denial
    ) -> LLMResult[T]:
        action = self.settings.budget.on_exceeded
        payload = {
            "event": "budget_exceeded",
            "node": request.node,
            "role": request.role,
            "symbol": request.symbol,
            "policy": attempt.policy,
            "scope": denial.scope,
            "requested_usd": str(from_nano(denial.requested_nano)),
            "headroom_usd": str(from_nano(denial.headroom_nano)),
            "reason": denial.reason,
            "action": action,
        }
        if self.events is not None:
            self.events.budget_exceeded(payload, request.run_id)
        if self.metrics is not None:
            self.metrics.budget_exceeded.labels(denial.scope_kind, action).inc()
        why = f"budget: {denial.reason}"
        if action == "offline" and self.registry.offline.serves(request.role):
            return self._offline(
                request, attempt, messages, why + "; degraded to offline", "budget_offline"
            )
        attempt.why = why + "; skipped"
        return attempt.no_opinion(NoOpinionReason.BUDGET_EXCEEDED, "budget_skipped")

    def _offline[T: BaseModel](
        self,
        request: LLMRequest[T],
        attempt: Attempt[T],
        messages: Messages,
        why: str,
        outcome: str,
    ) -> LLMResult[T]:
        attempt.why = why
        offline = self.registry.offline
        started = self.clock.monotonic()
        reply = offline_reply(messages)  # directly: the offline analyst needs no litellm
        done = Completion(
            group=offline.name,
            deployment_id=offline.name,
            content=reply.text,
            input_tokens=reply.prompt_tokens,
            output_tokens=reply.completion_tokens,
            provider_ms=(self.clock.monotonic() - started) * 1000.0,
        )
        self._charge(attempt, offline, done, Limit(0, 0, 0), kind="offline")
        parsed = parse_structured(done.content, request.schema)
        if parsed.value is None:
            attempt.mark("invalid_output")
            attempt.error = f"offline answer does not fit {request.schema.__name__}: {parsed.error}"
            return attempt.no_opinion(NoOpinionReason.INVALID_OUTPUT, "invalid_output")
        return attempt.answer(parsed.value, offline.name, offline.provider, outcome)


def _response_format(
    models: list[RegisteredModel], schema: type[BaseModel]
) -> dict[str, object] | None:
    formats = {m.response_format for m in models if not m.is_offline}  # offline ignores it
    if len(formats) != 1:  # one request goes down the whole chain: only a shared format
        return None
    (fmt,) = formats
    if fmt == "json_object":
        return {"type": "json_object"}
    if fmt == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()},
        }
    return None
