"""One trace per decision across a real Celery broker: scan → analyze → execute.

A real Redis is the broker, our Celery app (``apps.worker.factory.create_app``) runs in an
in-thread worker (solo pool: ``worker_process_init`` runs ``ProcessPipeline.after_fork``,
which turns on the Celery, Redis and SQLAlchemy instrumentation as a pool process does),
and the scan is submitted through ``CeleryDispatcher``. Synthetic data: ETH/USDT 15m at
2025-01-01 06:15 UTC is a candidate the offline analysts approve (seeded, deterministic).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from quorum.config import AppSettings
from quorum.telemetry.tracing import configure_tracing

SYMBOL = "ETH/USDT"
BAR_CLOSE = "2025-01-01T06:15:00Z"
DEADLINE_S = 45.0


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    memory = InMemorySpanExporter()
    configure_tracing("quorum-test", processor=SimpleSpanProcessor(memory))
    instrumentors: list[BaseInstrumentor] = [
        CeleryInstrumentor(),  # type: ignore[no-untyped-call]
        RedisInstrumentor(),
        HTTPXClientInstrumentor(),
    ]
    before = [i.is_instrumented_by_opentelemetry for i in instrumentors]
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield memory
    for handler in [h for h in root.handlers if h not in handlers]:  # the worker's logging
        root.removeHandler(handler)
    root.setLevel(level)
    memory.shutdown()  # the provider stays (process-wide); this exporter takes no more
    for instrumentor, was in zip(instrumentors, before, strict=True):
        if not was and instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()


def _settings(tmp: Path, broker: str) -> AppSettings:
    return AppSettings(
        broker_url=broker,
        database={"url": f"sqlite:///{tmp / 'quorum.db'}"},
        journal={"local_key_path": str(tmp / "journal.key")},
        flags={"file_path": str(tmp / "flags.json"), "audit_path": str(tmp / "audit.jsonl")},
        pipeline={
            "symbols": [SYMBOL],
            "timeframes": ["15m"],
            "base": "15m",
            "history_bars": 400,
            "data": "synthetic",
        },
        worker={"beat_key_prefix": f"test:{tmp.name}:"},
        # Every LLM call written to the ledger by the call itself, so its INSERT lands
        # under that call's span (batched, it lands under whichever later call flushes).
        llm={"ledger_batch": 1},
    )


def _wait_for(exporter: InMemorySpanExporter, name: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if any(s.name == name for s in exporter.get_finished_spans()):
            return
        time.sleep(0.1)
    names = sorted({s.name for s in exporter.get_finished_spans()})
    raise AssertionError(f"no {name} span within {DEADLINE_S:.0f} s; spans seen: {names}")


def _ancestors(item: ReadableSpan, ids: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while item.parent is not None:
        parent = ids.get(item.parent.span_id)
        assert parent is not None, f"{item.name}: parent {item.parent.span_id:x} never ended"
        names.append(parent.name)
        item = parent
    return names


def test_scan_analyze_and_execute_tasks_share_one_trace_through_the_redis_broker(
    tmp_path: Path,
    clean_redis: str,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from celery.contrib.testing.worker import start_worker

    from apps.worker.dispatcher import CeleryDispatcher
    from apps.worker.factory import create_app

    for key in [k for k in os.environ if k.startswith(("QUORUM_", "OTEL_"))]:
        if not key.startswith("QUORUM_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    settings = _settings(tmp_path, clean_redis)
    app = create_app(settings)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        dispatcher = CeleryDispatcher(app, settings.worker)
        key = f"scan:pipeline:{SYMBOL}:15m:{BAR_CLOSE}"
        dispatcher.submit(
            "scan", {"symbol": SYMBOL, "timeframe": "15m", "bar_close": BAR_CLOSE}, key=key
        )
        _wait_for(exporter, "quorum.execute")
        _wait_for(exporter, "run/quorum.execute")

    spans = exporter.get_finished_spans()
    scan = next(s for s in spans if s.name == "quorum.scan")
    trace_id = scan.context.trace_id
    decision = [s for s in spans if s.context.trace_id == trace_id]
    ids = {s.context.span_id: s for s in decision}
    by_name: dict[str, list[ReadableSpan]] = {}
    for item in decision:
        by_name.setdefault(item.name, []).append(item)

    # The decision's root: a new trace, linked to the Celery run span of the scan message.
    assert scan.parent is None
    run_scan = next(s for s in spans if s.name == "run/quorum.scan")
    assert [link.context.span_id for link in scan.links] == [run_scan.context.span_id]
    assert run_scan.context.trace_id != trace_id
    # The follow-up tasks crossed Redis inside the scan's trace, with unbroken parent links.
    for name in (
        "apply_async/quorum.analyze",
        "run/quorum.analyze",
        "quorum.analyze",
        "quorum.agents",
        "llm.complete",
        "quorum.risk.evaluate",
        "quorum.commit",
        "apply_async/quorum.execute",
        "run/quorum.execute",
        "quorum.execute",
        "quorum.execution.submit",
    ):
        assert name in by_name, f"{name} is not in the scan's trace: {sorted(by_name)}"
    assert _ancestors(by_name["quorum.analyze"][0], ids) == [
        "run/quorum.analyze",
        "apply_async/quorum.analyze",
        "quorum.scan",
    ]
    assert _ancestors(by_name["quorum.execute"][0], ids)[:4] == [
        "run/quorum.execute",
        "apply_async/quorum.execute",
        "quorum.analyze",
        "run/quorum.analyze",
    ]
    assert _ancestors(by_name["quorum.execution.submit"][0], ids)[0] == "quorum.execute"
    for llm in by_name["llm.complete"]:
        assert _ancestors(llm, ids)[-5:] == [
            "quorum.agents",
            "quorum.analyze",
            "run/quorum.analyze",
            "apply_async/quorum.analyze",
            "quorum.scan",
        ]
        attributes = llm.attributes or {}
        assert attributes["gen_ai.request.model"] == "offline"
        assert int(str(attributes["gen_ai.usage.input_tokens"])) > 0
    assert "quorum.analyze" in _ancestors(by_name["quorum.risk.evaluate"][0], ids)
    # The journal step of every stage: its own span (Journal.append writes through the raw
    # DBAPI cursor, so it has no SQLAlchemy statement span), under the stage it records.
    journaled: dict[str, set[str]] = {}
    for s in by_name["quorum.journal.append"]:
        kind = str((s.attributes or {})["quorum.journal.kind"])
        journaled.setdefault(kind, set()).add(_ancestors(s, ids)[0])
    assert journaled["scan"] == {"quorum.scan"}, journaled
    # the entry's intent is journaled with the decision; the protective stop's intent by
    # the execute task that saw the entry fill
    assert "quorum.commit" in journaled["intent"], journaled
    assert any(kind.startswith("fill") or "fill" in kind.split(",") for kind in journaled)
    for item in by_name["quorum.journal.append"]:
        attributes = item.attributes or {}
        first, last = attributes["quorum.journal.first_seq"], attributes["quorum.journal.last_seq"]
        assert int(str(last)) - int(str(first)) + 1 == attributes["quorum.journal.entries"]
    # SQLAlchemy statement spans of the transactions that journal the scan and commit the
    # decision.
    statements = {
        str((s.attributes or {}).get("db.statement", "")).split(" (")[0]: _ancestors(s, ids)[0]
        for s in decision
        if str((s.attributes or {}).get("db.statement", "")).startswith("INSERT INTO")
    }
    assert statements["INSERT INTO pipeline_scan_marks"] == "quorum.scan", statements
    assert statements["INSERT INTO pipeline_signals"] == "quorum.commit", statements
    assert statements["INSERT INTO llm_calls"] == "llm.complete", statements
    assert (by_name["quorum.analyze"][0].attributes or {})["quorum.decision"] == "approved"
    assert (by_name["quorum.execute"][0].attributes or {})["quorum.order_state"] == "filled"
