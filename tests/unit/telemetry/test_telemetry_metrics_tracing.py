"""Bounded labels, the OTEL_* switch, decision traces and context carried by the embedded
dispatcher."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from quorum.pipeline import EmbeddedDispatcher
from quorum.telemetry.metrics import BoundedLabel
from quorum.telemetry.tracing import (
    configure_tracing,
    decision_span,
    span,
    tracing_requested,
)


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    memory = InMemorySpanExporter()
    assert configure_tracing("quorum-test", processor=SimpleSpanProcessor(memory)) is not None
    return memory


def test_bounded_label_keeps_the_first_clause_and_caps_distinct_values() -> None:
    label = BoundedLabel(limit=2)
    assert label("prefilter: score 0.21 below 0.35") == "prefilter"
    assert label("Prefilter: score 0.99 below 0.35") == "prefilter"
    assert label("one trade per symbol: t1 in BTC/USDT is open") == "one trade per symbol"
    assert label("something new") == "other"
    assert label(None) == "other"  # "unspecified" would be a third value


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_TRACES_EXPORTER": "console"}, False),
    ],
)
def test_tracing_is_off_unless_the_otel_variables_ask_for_otlp(
    env: dict[str, str], expected: bool
) -> None:
    assert tracing_requested(env) is expected


def test_decision_span_starts_a_new_trace_linked_to_the_caller(
    exporter: InMemorySpanExporter,
) -> None:
    exporter.clear()
    with (
        span("plan") as plan,
        decision_span("quorum.scan", **{"quorum.symbol": "BTC/USDT"}),
        span("child"),
    ):
        pass
    spans = {s.name: s for s in exporter.get_finished_spans()}
    scan, child = spans["quorum.scan"], spans["child"]
    assert scan.context.trace_id != plan.get_span_context().trace_id
    assert scan.parent is None
    assert [link.context.span_id for link in scan.links] == [plan.get_span_context().span_id]
    assert child.context.trace_id == scan.context.trace_id
    assert child.parent is not None
    assert child.parent.span_id == scan.context.span_id


def test_embedded_dispatcher_runs_each_task_in_the_context_it_was_submitted_in(
    exporter: InMemorySpanExporter,
) -> None:
    exporter.clear()
    dispatcher = EmbeddedDispatcher()
    seen: dict[str, int] = {}

    def handler(task: str, kwargs: dict[str, str]) -> None:
        with span(f"run.{task}") as current:
            seen[task] = current.get_span_context().trace_id
            if task == "scan":
                dispatcher.submit("analyze", {}, key="analyze:1")

    with decision_span("root") as root:
        dispatcher.submit("scan", {}, key="scan:1")
    dispatcher.submit("plan", {}, key="plan:outside")
    dispatcher.drain(handler)
    trace_id = root.get_span_context().trace_id
    assert seen["scan"] == trace_id
    assert seen["analyze"] == trace_id
    assert seen["plan"] != trace_id
    assert trace.get_current_span().get_span_context().is_valid is False


def test_multiprocess_files_of_two_processes_merge_in_the_exposition(tmp_path: Path) -> None:
    code = (
        "from quorum.telemetry.metrics import metrics\n"
        "m = metrics()\n"
        "m.scans.labels('15m', 'none').inc(3)\n"
        "m.safe_mode.set(float(__import__('sys').argv[1]))\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for value in ("0", "1"):
        subprocess.run([sys.executable, "-c", code, value], env=env, check=True, timeout=120)
    reader = (
        "from prometheus_client import generate_latest\n"
        "from quorum.telemetry.metrics import exposition_registry\n"
        "print(generate_latest(exposition_registry()).decode())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", reader], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert 'quorum_scans_total{result="none",timeframe="15m"} 6.0' in out
    assert "quorum_safe_mode 1.0" in out
