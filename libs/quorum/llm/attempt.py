"""The bookkeeping of one request: what it cost, what it tried, and its budget holds.

:class:`Attempt` accumulates tokens, cost, fallbacks and notes, builds the
:class:`LLMResult` and writes the ledger row and metrics. :class:`CallBudget` reserves
the worst case of a fallback chain: the hold must cover the most expensive model litellm
may end up calling, so when the caps cannot take it the most expensive models are
dropped from the chain (accuracy_first thus picks the best model *within* the remaining
budget) and, when nothing paid fits, the caller degrades.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from quorum.clock import Clock
from quorum.llm.budget import (
    BudgetDenied,
    BudgetLedger,
    BudgetScope,
    BudgetUnavailable,
    Reservation,
    scopes_for,
)
from quorum.llm.ledger import CallRecord, LedgerWriter
from quorum.llm.metrics import LLMMetrics
from quorum.llm.money import from_nano
from quorum.llm.registry import RegisteredModel
from quorum.llm.settings import BudgetSettings, PolicyName
from quorum.ports import LLMRequest, LLMResult, NoOpinionReason

_log = logging.getLogger(__name__)

_WHY_MAX = 400
HOLD_POLL_S = 0.05
"""How often a call waiting for in-flight holds re-tries its reservation (other processes'
settlements are seen this way; this process's wake the waiters at once)."""


@dataclass(slots=True)
class ProviderCall:
    """One call to a provider (one HTTP request, or one offline answer): a ledger row."""

    model: str
    provider: str
    kind: str
    outcome: str
    latency_ms: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost_nano: int = 0
    usage: str = "reported"
    reserved_nano: int = 0
    error: str | None = None


class Attempt[T: BaseModel]:
    def __init__(self, request: LLMRequest[T], clock: Clock) -> None:
        self.request = request
        self.clock = clock
        self.started = clock.monotonic()
        self.request_id = uuid.uuid4().hex
        self.policy: PolicyName = "accuracy_first"
        self.prompt_version = ""
        self.why = ""
        self.fallbacks: list[str] = []
        self.calls: list[ProviderCall] = []
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost_nano = 0
        self.last_cost_nano = 0
        self.repairs = 0
        self.cache_hit = False
        self.error: str | None = None

    def note(self, text: str) -> None:
        self.why = f"{self.why}; {text}" if self.why else text

    def called(self, call: ProviderCall) -> None:
        """Account one provider call (its kind "call"/"retry"/"fallback" follows from the
        previous call unless given)."""
        if not call.kind:
            previous = self.calls[-1].model if self.calls else None
            call.kind = (
                "call" if previous is None else ("retry" if previous == call.model else "fallback")
            )
        self.calls.append(call)
        self.input_tokens += call.input_tokens
        self.output_tokens += call.output_tokens
        self.cost_nano += call.cost_nano
        self.last_cost_nano = call.cost_nano

    def mark(self, outcome: str) -> None:
        """The outcome of the latest call once its answer was parsed."""
        if self.calls:
            self.calls[-1].outcome = outcome

    def _result(
        self,
        output: T | None,
        reason: NoOpinionReason | None,
        model: str,
        provider: str,
        outcome: str,
    ) -> LLMResult[T]:
        return LLMResult(
            output=output,
            no_opinion_reason=reason,
            outcome=outcome,
            model=model,
            provider=provider,
            policy=self.policy,
            why=self.why[:_WHY_MAX],
            fallbacks=tuple(self.fallbacks),
            latency_ms=(self.clock.monotonic() - self.started) * 1000.0,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=from_nano(self.cost_nano),
            cache_hit=self.cache_hit,
            prompt_version=self.prompt_version,
        )

    def answer(self, output: T, model: str, provider: str, outcome: str) -> LLMResult[T]:
        return self._result(output, None, model, provider, outcome)

    def no_opinion(self, reason: NoOpinionReason, outcome: str) -> LLMResult[T]:
        return self._result(None, reason, "", "", outcome)

    def record(
        self, result: LLMResult[T], ledger: LedgerWriter | None, metrics: LLMMetrics | None
    ) -> None:
        """Ledger rows (one per provider call) and metrics; failures are logged, never raised."""
        calls = self.calls or [self._no_call(result)]
        node = self.request.node
        try:
            if metrics is not None:
                metrics.observe_call(
                    model=result.model,
                    provider=result.provider,
                    node=node,
                    outcome=result.outcome,
                    latency_s=result.latency_ms / 1000.0,
                    cache_hit=result.cache_hit,
                )
                for call in calls:
                    metrics.observe_spend(
                        model=call.model,
                        node=node,
                        input_tokens=call.input_tokens,
                        output_tokens=call.output_tokens,
                        cost_usd=from_nano(call.cost_nano),
                    )
            if ledger is not None:
                for call in calls:
                    ledger.write(self._row(result, call))
        except Exception:  # accounting must not turn an answer into a failure
            _log.exception("llm call of node %s could not be recorded", node)

    def _no_call(self, result: LLMResult[T]) -> ProviderCall:
        """The one row of a request no provider was called for (cache hit, skip, refusal)."""
        kind = "cache_hit" if result.cache_hit else "none"
        return ProviderCall(
            result.model, result.provider, kind, result.outcome, result.latency_ms, usage="free"
        )

    def _row(self, result: LLMResult[T], call: ProviderCall) -> CallRecord:
        now = self.clock.now()
        request = self.request
        last = self.calls[-1] if self.calls else None
        error = call.error or (self.error if last is None or call is last else None)
        return CallRecord(
            time=now.isoformat(),
            day=now.date().isoformat(),
            node=request.node[:64],
            role=request.role[:40],
            symbol=request.symbol,
            run_id=request.run_id,
            policy=result.policy,
            model=call.model,
            provider=call.provider,
            why=result.why,
            fallbacks=",".join(result.fallbacks)[:400],
            latency_ms=call.latency_ms,
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            cost_nano=call.cost_nano,
            cache_hit=call.kind == "cache_hit",
            outcome=call.outcome[:32],
            prompt_version=result.prompt_version[:64],
            schema_version=request.schema_version[:64],
            repairs=self.repairs,
            error=error[:400] if error else None,
            request_id=self.request_id,
            call_kind=call.kind,
            analysis_id=request.analysis_id[:200] if request.analysis_id else None,
            signal_id=request.signal_id,
            usage=call.usage,
            reserved_nano=call.reserved_nano,
        )


@dataclass(frozen=True, slots=True)
class Denial:
    """Nothing paid in the chain fits the budget (or the budget store is unreachable)."""

    scope: str
    requested_nano: int
    headroom_nano: int
    reason: str

    @property
    def scope_kind(self) -> str:
        return self.scope.split(":", 1)[0]


class CallBudget:
    """Reserve / settle for the router, with downgrade along the chain and failing closed."""

    def __init__(
        self,
        ledger: BudgetLedger,
        settings: BudgetSettings,
        clock: Clock,
        metrics: LLMMetrics | None = None,
    ) -> None:
        self.ledger = ledger
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self._settled = threading.Condition()  # notified at each settlement in this process

    def reserve[T: BaseModel](
        self,
        request: LLMRequest[T],
        attempt: Attempt[T],
        chain: list[RegisteredModel],
        input_tokens: int,
        max_tokens: int,
    ) -> tuple[list[RegisteredModel], Reservation | None] | Denial:
        """The affordable part of ``chain`` and its hold, or why nothing fits."""
        now = self.clock.now()
        scopes = scopes_for(self.settings, now, request.run_id, request.symbol)
        worst = {m.name: m.worst_case_nano(input_tokens, max_tokens) for m in chain}
        sub = list(chain)
        denial: Denial | None = None
        while sub:
            amount = max(worst[m.name] for m in sub)
            if amount == 0 or not scopes:
                return sub, None
            try:
                reservation = self._hold(scopes, amount, now)
            except BudgetDenied as exc:
                denial = Denial(
                    exc.scope, amount, exc.headroom_nano, str(exc).removeprefix("llm budget: ")
                )
            except BudgetUnavailable as exc:
                _log.error("llm budget unavailable, failing closed: %s", exc)
                denial = Denial("store:unavailable", amount, 0, str(exc))
            else:
                self._gauge(reservation)
                return sub, reservation
            affordable = [m for m in sub if worst[m.name] <= denial.headroom_nano]
            dropped = [m.name for m in sub if m not in affordable]
            if affordable:
                attempt.note(
                    f"budget: passed over {', '.join(dropped)} (worst case above the "
                    f"{from_nano(denial.headroom_nano):.6f} USD left in {denial.scope})"
                )
                if self.metrics is not None:
                    self.metrics.budget_exceeded.labels(denial.scope_kind, "downgrade").inc()
            sub = affordable
        assert denial is not None
        return denial

    def _hold(self, scopes: Sequence[BudgetScope], amount: int, now: datetime) -> Reservation:
        """Reserve ``amount``; while only other calls' in-flight holds stand in the way (the
        scope's settled spend leaves room), wait for them to settle, up to ``hold_wait_s``.

        Holds are worst cases (2-8x what a call really costs) released at settlement, so a
        burst of concurrent calls whose real cost fits the cap would otherwise mostly be
        degraded while most of the cap stays unused. The hold stays a true upper bound."""
        polls = math.ceil(self.settings.hold_wait_s / HOLD_POLL_S)
        for poll in range(polls + 1):
            try:
                return self.ledger.reserve(scopes, amount, now, self.settings.reservation_ttl_s)
            except BudgetDenied as exc:
                denied = next((s for s in scopes if s.key == exc.scope), None)
                if poll == polls or denied is None:
                    raise
                if denied.cap_nano - self.ledger.spent_nano(denied.key) < amount:
                    raise  # settled spend alone leaves no room: waiting cannot help
                with self._settled:  # woken by a settlement here, or poll (other processes)
                    self._settled.wait(HOLD_POLL_S)
                now = self.clock.now()
        raise AssertionError("unreachable")  # pragma: no cover

    def settle(self, reservation: Reservation | None, actual_nano: int) -> None:
        if reservation is None:  # free chain, or no cap configured: nothing held
            return
        for tries in (1, 2, 3):
            try:
                self.ledger.settle(reservation, actual_nano, self.clock.now())
                with self._settled:
                    self._settled.notify_all()
                return
            except BudgetUnavailable as exc:
                _log.error("llm budget: settle attempt %d failed: %s", tries, exc)
        _log.critical(
            "llm budget: reservation %s not settled; %s USD are only in the cost ledger "
            "(the hold expires after its TTL)",
            reservation.id,
            from_nano(actual_nano),
        )

    def _gauge(self, reservation: Reservation) -> None:
        if self.metrics is None:
            return
        for scope, left in zip(reservation.scopes, reservation.headroom_nano, strict=False):
            self.metrics.budget_remaining.labels(scope.kind).set(float(from_nano(max(left, 0))))
