"""OpenTelemetry tracing: one trace per decision, from scan to journal and execution.

Off by default. :func:`configure_tracing` installs the SDK's tracer provider with the OTLP
HTTP exporter only when the standard variables ask for it — ``OTEL_TRACES_EXPORTER``
naming ``otlp``, or ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``
set — and ``OTEL_SDK_DISABLED`` is not ``true``. The exporter reads its endpoint, headers,
timeout and compression from the ``OTEL_EXPORTER_OTLP_*`` variables itself, the resource
from ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES``. Without a provider every span
below is a no-op costing a context lookup.

Spans: ``quorum.scan`` starts a new trace per scan (linked to the plan that asked for it);
``quorum.analyze`` (with ``quorum.agents``, one ``llm.complete`` per model call carrying
model, provider, tokens and cost, ``quorum.risk.evaluate`` and ``quorum.commit``),
``quorum.execute`` and ``quorum.execution.submit`` follow it. Across Celery tasks the
maintained Celery instrumentation carries the context in the message headers; the
embedded dispatcher carries it with :func:`capture_context` / :func:`attached`.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Link, Span, Status, StatusCode
from pydantic import BaseModel

from quorum.ports import LLMRequest, LLMResult

TRACER_NAME: Final = "quorum"
_ENDPOINT_VARS: Final = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_lock = threading.Lock()
_provider: TracerProvider | None = None
_engines: weakref.WeakSet[Any] = weakref.WeakSet()
_connections_usage: Any = None


def tracing_requested(env: Mapping[str, str] | None = None) -> bool:
    """Whether the standard OTEL_* variables ask for OTLP trace export."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = {e.strip().lower() for e in env.get("OTEL_TRACES_EXPORTER", "").split(",")}
    if "none" in exporters:
        return False
    return "otlp" in exporters or any(env.get(name) for name in _ENDPOINT_VARS)


def configure_tracing(
    service_name: str,
    *,
    processor: SpanProcessor | None = None,
    env: Mapping[str, str] | None = None,
) -> TracerProvider | None:
    """Install the process's tracer provider once; later calls return the same one.

    ``processor`` (tests: a SimpleSpanProcessor over an in-memory exporter) installs the
    provider whatever the environment says; otherwise it is installed only when
    :func:`tracing_requested`. Returns the provider, or None when tracing stays off.
    """
    global _provider
    with _lock:
        if _provider is not None:
            if processor is not None:
                _provider.add_span_processor(processor)
            return _provider
        if processor is None and not tracing_requested(env):
            return None
        name = (env or os.environ).get("OTEL_SERVICE_NAME") or service_name
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        provider.add_span_processor(processor or BatchSpanProcessor(_otlp_exporter()))
        trace.set_tracer_provider(provider)
        _provider = provider
        return provider


def _otlp_exporter() -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def instrument_libraries(*, celery: bool = False, engine: Any = None, app: Any = None) -> None:
    """The maintained instrumentations: Redis and HTTPX clients always, Celery's signals
    (``celery=True``; in the worker after fork and in any process that sends tasks), a
    SQLAlchemy engine (:func:`instrument_engine`) and a FastAPI app when given. Each is
    applied once per process (an engine once per engine)."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (RedisInstrumentor(), HTTPXClientInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
    if celery:
        from opentelemetry.instrumentation.celery import CeleryInstrumentor

        celery_instrumentor = CeleryInstrumentor()  # type: ignore[no-untyped-call]
        if not celery_instrumentor.is_instrumented_by_opentelemetry:
            celery_instrumentor.instrument()
    if engine is not None:
        instrument_engine(engine)
    if app is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="health/live,metrics")


def instrument_engine(engine: Any) -> bool:
    """Statement spans (``db.statement``, ``db.system``, children of the current span) for
    one SQLAlchemy engine; False when it already has them.

    The maintained instrumentation's own per-engine listeners (``EngineTracer``), attached
    directly: ``SQLAlchemyInstrumentor().instrument()`` does nothing on SQLAlchemy 2.1
    (outside its declared range), and with ``skip_dep_check=True`` it raises half-way — it
    also wraps ``create_async_engine``, whose import needs greenlet, which SQLAlchemy 2.1
    no longer installs — leaving ``create_engine`` wrapped and itself marked uninstrumented.
    """
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__

    global _connections_usage
    with _lock:
        if engine in _engines:
            return False
        if _connections_usage is None:
            from opentelemetry.metrics import get_meter
            from opentelemetry.semconv.metrics import MetricInstruments

            meter = get_meter("opentelemetry.instrumentation.sqlalchemy", __version__)
            _connections_usage = meter.create_up_down_counter(
                name=MetricInstruments.DB_CLIENT_CONNECTIONS_USAGE,
                unit="connections",
                description="The number of connections that are currently in state described "
                "by the state attribute.",
            )
        name = "opentelemetry.instrumentation.sqlalchemy"
        EngineTracer(trace.get_tracer(name, __version__), engine, _connections_usage)  # type: ignore[no-untyped-call]
        _engines.add(engine)
        return True


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def tracing_active() -> bool:
    """Whether :func:`configure_tracing` installed a provider in this process: hot paths
    (a journal append) skip building a span that nothing would record."""
    return _provider is not None


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[Span]:
    """A child of the current span (errors recorded and re-raised)."""
    with tracer().start_as_current_span(name, attributes=_clean(attributes)) as current:
        yield current


@contextmanager
def decision_span(name: str, **attributes: Any) -> Iterator[Span]:
    """A new trace for one decision, linked to whatever span asked for it (the plan)."""
    parent = trace.get_current_span().get_span_context()
    links = [Link(parent)] if parent.is_valid else []
    with tracer().start_as_current_span(
        name, context=otel_context.Context(), links=links, attributes=_clean(attributes)
    ) as current:
        yield current


def capture_context() -> dict[str, str]:
    """The current trace context as W3C headers (empty outside a span)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def attached(carrier: Mapping[str, str] | None) -> Iterator[None]:
    """Run the block inside the context ``carrier`` was captured in (no-op when empty)."""
    if not carrier:
        yield
        return
    token = otel_context.attach(propagate.extract(dict(carrier)))
    try:
        yield
    finally:
        otel_context.detach(token)


def _clean(attributes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if value is None:
            continue
        out[key] = value if isinstance(value, str | bool | int | float) else str(value)
    return out


class TracedRouter:
    """The ``LLMRouter`` port with one ``llm.complete`` span per call (model, provider,
    node, outcome, tokens, cost, cache hit, latency as attributes; never the prompt)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def complete[T: BaseModel](self, request: LLMRequest[T]) -> LLMResult[T]:
        with span("llm.complete", **{"quorum.llm.node": request.node}) as current:
            result: LLMResult[T] = self.inner.complete(request)
            if current.is_recording():
                current.set_attributes(
                    _clean(
                        {
                            "gen_ai.request.model": result.model or "none",
                            "gen_ai.system": result.provider or "none",
                            "gen_ai.usage.input_tokens": result.input_tokens,
                            "gen_ai.usage.output_tokens": result.output_tokens,
                            "quorum.llm.cost_usd": float(result.cost_usd),
                            "quorum.llm.outcome": result.outcome,
                            "quorum.llm.cache_hit": result.cache_hit,
                            "quorum.llm.latency_ms": result.latency_ms,
                            "quorum.llm.fallbacks": len(result.fallbacks),
                        }
                    )
                )
                if not result.has_opinion:
                    current.set_attribute("quorum.llm.no_opinion", str(result.no_opinion_reason))
            return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def timed[**P, R](
    fn: Callable[P, R], name: str, observe: Callable[[float], None] | None = None
) -> Callable[P, R]:
    """``fn`` inside a span ``name``; its wall time in seconds goes to ``observe``."""

    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        with span(name) as current:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                current.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise
            finally:
                if observe is not None:
                    observe(time.perf_counter() - started)

    return call


__all__ = [
    "TRACER_NAME",
    "TracedRouter",
    "attached",
    "capture_context",
    "configure_tracing",
    "decision_span",
    "instrument_engine",
    "instrument_libraries",
    "span",
    "timed",
    "tracer",
    "tracing_requested",
]
