"""Layers register their own metric sets on the registry telemetry provides."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter

from quorum.llm.metrics import LLMMetrics, llm_metrics
from quorum.telemetry.metrics import process_metrics


class _Probe:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.hits = Counter("quorum_test_probe_hits", "A probe.", registry=registry)


def test_a_layers_metric_set_is_built_once_per_process_on_the_default_registry() -> None:
    first = process_metrics(_Probe)

    assert process_metrics(_Probe) is first
    first.hits.inc()
    assert REGISTRY.get_sample_value("quorum_test_probe_hits_total") == 1.0


def test_the_llm_layer_registers_its_metrics_through_telemetry() -> None:
    metrics = llm_metrics()

    assert isinstance(metrics, LLMMetrics)
    assert llm_metrics() is metrics is process_metrics(LLMMetrics)
