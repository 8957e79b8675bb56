"""Prometheus metrics of the LLM layer, registered on the registry the caller passes.

:func:`llm_metrics` is the process's one set, on the registry telemetry provides
(:func:`quorum.telemetry.metrics.process_metrics`): the LLM layer registers its own
metrics; telemetry does not know them.

Labels are bounded: registry model names, providers, pipeline node names, outcomes and
budget scope kinds — never prompts, symbols, run ids or reservation ids.
"""

from __future__ import annotations

from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from quorum.telemetry.metrics import process_metrics

SPEND_BUCKETS = (0.0, 0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


class LLMMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "quorum_llm_calls",
            "LLM requests by the model that answered, its provider, node and outcome.",
            ("model", "provider", "node", "outcome"),
            registry=registry,
        )
        self.tokens = Counter(
            "quorum_llm_tokens",
            "Tokens billed, by model and direction (in/out).",
            ("model", "direction"),
            registry=registry,
        )
        self.spend = Counter(
            "quorum_llm_spend_usd",
            "USD spent, by model and node.",
            ("model", "node"),
            registry=registry,
        )
        self.cache_lookups = Counter(
            "quorum_llm_cache_lookups",
            "Answer cache lookups by node.",
            ("node",),
            registry=registry,
        )
        self.cache_hits = Counter(
            "quorum_llm_cache_hits", "Answer cache hits by node.", ("node",), registry=registry
        )
        self.fallbacks = Counter(
            "quorum_llm_fallbacks",
            "Models passed over after failing (or failing validation).",
            ("model",),
            registry=registry,
        )
        self.repairs = Counter(
            "quorum_llm_repairs",
            "Repair retries after invalid output.",
            ("model",),
            registry=registry,
        )
        self.budget_exceeded = Counter(
            "quorum_llm_budget_exceeded",
            "Calls that hit a spend cap, by scope kind and action (offline/skip/downgrade).",
            ("scope", "action"),
            registry=registry,
        )
        self.budget_remaining = Gauge(
            "quorum_llm_budget_remaining_usd",
            "USD left under the cap after the latest reservation, by scope kind.",
            ("scope",),
            registry=registry,
        )
        self.usage_anomalies = Counter(
            "quorum_llm_usage_anomalies",
            "Paid answers whose reported usage was missing or implausible (above the prompt's "
            "token bound or the output allowance): charged the reserved worst case instead.",
            ("model", "kind"),
            registry=registry,
        )
        self.analysis_spend = Histogram(
            "quorum_llm_analysis_spend_usd",
            "LLM spend of one analysis, by its verdict (approved: an approved signal, which "
            "opens a trade; sum/count per verdict is the spend per approved signal).",
            ("verdict",),
            buckets=SPEND_BUCKETS,
            registry=registry,
        )
        self.latency = Histogram(
            "quorum_llm_latency_seconds",
            "Wall time of an LLM request, by the model that answered.",
            ("model", "provider"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe_call(
        self,
        *,
        model: str,
        provider: str,
        node: str,
        outcome: str,
        latency_s: float,
        cache_hit: bool,
    ) -> None:
        """One request, labelled by the model that answered (its calls: :meth:`observe_spend`)."""
        self.calls.labels(model or "none", provider or "none", node, outcome).inc()
        self.latency.labels(model or "none", provider or "none").observe(latency_s)
        self.cache_lookups.labels(node).inc()
        if cache_hit:
            self.cache_hits.labels(node).inc()

    def observe_spend(
        self, *, model: str, node: str, input_tokens: int, output_tokens: int, cost_usd: Decimal
    ) -> None:
        """One provider call's tokens and charge, on the model that was called."""
        if input_tokens:
            self.tokens.labels(model, "in").inc(input_tokens)
        if output_tokens:
            self.tokens.labels(model, "out").inc(output_tokens)
        if cost_usd:
            self.spend.labels(model, node).inc(float(cost_usd))


def llm_metrics() -> LLMMetrics:
    """This process's LLM metrics on the default registry (one instance however many routers
    the process builds: a second registration of the same names would be refused)."""
    return process_metrics(LLMMetrics)
