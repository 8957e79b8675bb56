"""Structured logging: JSON lines, trace correlation, extras, exceptions, idempotency."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from quorum.errors import ConfigError
from quorum.telemetry import TraceContextFilter, configure_logging, get_logger
from quorum.telemetry.logging import format_time, parse_level

ISO_UTC_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    """Remove what configure_logging installed; pytest's own capture handlers stay."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in list(root.handlers):
        if any(isinstance(f, TraceContextFilter) for f in handler.filters):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> trace.Tracer:
    # A private provider: the global one is set at most once per process, so tests never set it.
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("tests.telemetry")


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def only_span(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    spans = [span for span in exporter.get_finished_spans() if span.name == name]
    assert len(spans) == 1
    return spans[0]


def test_json_mode_writes_one_object_per_record_with_time_level_logger_message(
    stream: io.StringIO,
) -> None:
    configure_logging("INFO", stream=stream)
    log = get_logger("quorum.scan")

    log.info("scanned %d symbols", 3)
    log.warning("stale bar")

    first, second = json_lines(stream)
    assert list(first)[:4] == ["time", "level", "logger", "message"]
    assert first["level"] == "INFO"
    assert first["logger"] == "quorum.scan"
    assert first["message"] == "scanned 3 symbols"
    assert ISO_UTC_MS.match(first["time"]), first["time"]
    assert second["level"] == "WARNING"
    assert second["message"] == "stale bar"


def test_time_field_is_the_records_creation_time_in_utc_with_milliseconds() -> None:
    created = datetime(2025, 1, 2, 3, 4, 5, 678_900, tzinfo=UTC).timestamp()

    assert format_time(created) == "2025-01-02T03:04:05.678Z"


def test_records_below_the_configured_level_are_dropped(stream: io.StringIO) -> None:
    configure_logging("warning", stream=stream)
    log = get_logger("quorum.scan")

    log.info("hidden")
    log.error("shown")

    assert [line["message"] for line in json_lines(stream)] == ["shown"]


def test_trace_and_span_ids_match_the_active_sdk_span_as_lower_hex(
    stream: io.StringIO, tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    configure_logging(stream=stream)

    with tracer.start_as_current_span("analyze"):
        get_logger("quorum.agents").info("deciding")

    (line,) = json_lines(stream)
    context = only_span(exporter, "analyze").get_span_context()
    assert context is not None
    assert HEX32.match(line["trace_id"])
    assert HEX16.match(line["span_id"])
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")


def test_nested_span_logs_the_inner_span_id_under_the_same_trace_id(
    stream: io.StringIO, tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    configure_logging(stream=stream)
    log = get_logger("quorum.agents")

    with tracer.start_as_current_span("outer"):
        with tracer.start_as_current_span("inner"):
            log.info("in inner")
        log.info("back in outer")

    inner_line, outer_line = json_lines(stream)
    inner = only_span(exporter, "inner").get_span_context()
    outer = only_span(exporter, "outer").get_span_context()
    assert inner is not None
    assert outer is not None
    assert inner_line["span_id"] == format(inner.span_id, "016x")
    assert outer_line["span_id"] == format(outer.span_id, "016x")
    assert inner_line["trace_id"] == outer_line["trace_id"] == format(outer.trace_id, "032x")


def test_records_from_third_party_loggers_also_carry_the_trace_ids(
    stream: io.StringIO, tracer: trace.Tracer
) -> None:
    configure_logging(stream=stream)

    with tracer.start_as_current_span("http"):
        logging.getLogger("httpx").warning("retrying")

    (line,) = json_lines(stream)
    assert HEX32.match(line["trace_id"])
    assert HEX16.match(line["span_id"])


def test_no_trace_fields_are_written_outside_a_span(stream: io.StringIO) -> None:
    configure_logging(stream=stream)

    get_logger("quorum.scan").info("no span here")

    (line,) = json_lines(stream)
    assert "trace_id" not in line
    assert "span_id" not in line


def test_no_trace_fields_are_written_for_an_invalid_current_span(stream: io.StringIO) -> None:
    configure_logging(stream=stream)

    with trace.use_span(trace.INVALID_SPAN):
        get_logger("quorum.scan").info("invalid span")

    (line,) = json_lines(stream)
    assert "trace_id" not in line
    assert "span_id" not in line


def test_extra_fields_are_serialised_including_decimals_and_datetimes(
    stream: io.StringIO,
) -> None:
    configure_logging(stream=stream)
    when = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)

    get_logger("quorum.execution").info(
        "order placed",
        extra={"symbol": "BTC/USDT", "qty": Decimal("0.015"), "attempt": 2, "as_of": when},
    )

    (line,) = json_lines(stream)
    assert line["symbol"] == "BTC/USDT"
    assert line["qty"] == "0.015"
    assert line["attempt"] == 2
    assert line["as_of"] == when.isoformat()


def test_exception_is_serialised_with_its_type_and_traceback(stream: io.StringIO) -> None:
    configure_logging(stream=stream)
    log = get_logger("quorum.execution")

    try:
        raise ValueError("price: must be > 0 (got -1)")
    except ValueError:
        log.exception("submit failed")

    (line,) = json_lines(stream)
    assert line["level"] == "ERROR"
    assert line["message"] == "submit failed"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "ValueError: price: must be > 0 (got -1)" in line["exception"]


def test_configuring_twice_keeps_a_single_handler_and_writes_each_record_once(
    stream: io.StringIO,
) -> None:
    root = logging.getLogger()
    before = len(root.handlers)

    configure_logging(stream=stream)
    configure_logging(stream=stream)

    assert len(root.handlers) == before + 1
    get_logger("quorum.scan").info("once")
    assert len(json_lines(stream)) == 1


def test_reconfiguring_switches_stream_and_format_and_leaves_foreign_handlers_alone() -> None:
    root = logging.getLogger()
    foreign = logging.NullHandler()
    root.addHandler(foreign)
    first, second = io.StringIO(), io.StringIO()
    try:
        configure_logging(stream=first)
        configure_logging("DEBUG", json=False, stream=second)
        get_logger("quorum.scan").debug("after switch")

        assert first.getvalue() == ""
        assert "after switch" in second.getvalue()
        assert foreign in root.handlers
        assert root.level == logging.DEBUG
    finally:
        root.removeHandler(foreign)


def test_plain_format_is_one_human_line_with_extras_and_trace_ids(
    stream: io.StringIO, tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    configure_logging(json=False, stream=stream)

    with tracer.start_as_current_span("scan"):
        get_logger("quorum.scan").info("scanned", extra={"symbols": 3})

    context = only_span(exporter, "scan").get_span_context()
    assert context is not None
    line = stream.getvalue().rstrip("\n")
    assert "\n" not in line
    stamp, level, rest = line.split(maxsplit=2)
    assert ISO_UTC_MS.match(stamp)
    assert level == "INFO"
    assert rest == (
        f"quorum.scan: scanned symbols=3 trace_id={format(context.trace_id, '032x')} "
        f"span_id={format(context.span_id, '016x')}"
    )


def test_plain_format_outside_a_span_has_no_trace_ids_and_appends_the_traceback(
    stream: io.StringIO,
) -> None:
    configure_logging(json=False, stream=stream)

    try:
        raise KeyError("BTC/USDT")
    except KeyError:
        get_logger("quorum.market").exception("lookup failed")

    first, *traceback = stream.getvalue().splitlines()
    assert first.endswith("quorum.market: lookup failed")
    assert "trace_id=" not in first
    assert "span_id=" not in first
    assert traceback[0] == "Traceback (most recent call last):"
    assert traceback[-1] == "KeyError: 'BTC/USDT'"


def test_unknown_level_is_refused_with_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"log level: expected one of .*DEBUG.* \(got 'LOUD'\)"):
        configure_logging("LOUD")


def test_level_names_are_accepted_in_any_case() -> None:
    assert parse_level(" debug ") == logging.DEBUG
    assert parse_level("Warning") == logging.WARNING


def test_get_logger_returns_the_standard_library_logger_of_that_name() -> None:
    assert get_logger("quorum.risk") is logging.getLogger("quorum.risk")
