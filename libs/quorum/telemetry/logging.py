"""Structured logging: one JSON object per line, carrying the current trace ids.

``configure_logging`` installs a single handler on the root logger. Each record becomes
one line with ``time`` (ISO-8601 UTC, milliseconds, ``Z``), ``level``, ``logger`` and
``message``, then ``exception`` / ``stack`` when present, then every ``extra=`` field.
While an OpenTelemetry span is current and valid, a filter on the handler adds
``trace_id`` (32 lower-hex) and ``span_id`` (16 lower-hex), formatted as OpenTelemetry
formats them, so a log line can be joined to its trace; outside a span both are absent.

``json=False`` gives a human line with the same content:
``2025-01-02T03:04:05.678Z INFO     quorum.scan: message key=value trace_id=… span_id=…``.

Logs go to standard error by default, so a command's own output on standard output
(``quorum status --json``) stays machine-readable.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final, TextIO, override

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from quorum.errors import ConfigError

TRACE_ID: Final = "trace_id"
SPAN_ID: Final = "span_id"

_HANDLER_NAME: Final = "quorum.telemetry.logging"
_TRACE_FIELDS: Final = (TRACE_ID, SPAN_ID)
# LogRecord attributes that are not ``extra=`` fields (``message`` and ``asctime`` are
# set by formatters).
_RECORD_ATTRS: Final = frozenset(RESERVED_ATTRS) | {"message", "asctime"}


def format_time(created: float) -> str:
    """``LogRecord.created`` as ISO-8601 UTC with milliseconds: ``2025-01-02T03:04:05.678Z``."""
    stamp = datetime.fromtimestamp(created, tz=UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a caller attached with ``extra=`` (and the trace ids, when set)."""
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _RECORD_ATTRS and not key.startswith("_")
    }


class TraceContextFilter(logging.Filter):
    """Adds ``trace_id`` / ``span_id`` of the current valid OpenTelemetry span; never drops."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.__dict__[TRACE_ID] = trace.format_trace_id(context.trace_id)
            record.__dict__[SPAN_ID] = trace.format_span_id(context.span_id)
        return True


class JsonLogFormatter(JsonFormatter):
    """python-json-logger's formatter with Quorum's field names and timestamp."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={
                "levelname": "level",
                "name": "logger",
                "exc_info": "exception",
                "stack_info": "stack",
            },
        )

    @override
    def add_fields(
        self,
        log_data: dict[str, Any],
        record: logging.LogRecord,
        message_dict: dict[str, Any],
    ) -> None:
        log_data["time"] = format_time(record.created)
        super().add_fields(log_data, record, message_dict)


class PlainLogFormatter(logging.Formatter):
    """One human-readable line per record; extras and trace ids follow as ``key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-8s %(name)s: %(message)s")

    @override
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return format_time(record.created)

    @override
    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        extras = record_extras(record)
        ordered = [key for key in extras if key not in _TRACE_FIELDS]
        ordered += [key for key in _TRACE_FIELDS if key in extras]
        pairs = " ".join(f"{key}={extras[key]}" for key in ordered)
        return f"{line} {pairs}" if pairs else line


def parse_level(level: str) -> int:
    """A level name (any case) as its number; unknown names raise :class:`ConfigError`."""
    names = logging.getLevelNamesMapping()
    number = names.get(level.strip().upper())
    if number is None:
        expected = ", ".join(sorted(names, key=names.__getitem__))
        raise ConfigError(f"log level: expected one of {expected} (got {level!r})")
    return number


def configure_logging(level: str = "INFO", json: bool = True, stream: TextIO | None = None) -> None:
    """Send every log record to ``stream`` (default: standard error) as JSON or plain lines.

    Idempotent: a second call replaces the handler the first one installed instead of
    adding another, so it can also switch level, format or stream. Handlers installed by
    anyone else (pytest's capture, for instance) are left alone.
    """
    number = parse_level(level)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(TraceContextFilter())
    handler.setFormatter(JsonLogFormatter() if json else PlainLogFormatter())

    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
            existing.close()
    root.addHandler(handler)
    root.setLevel(number)


def get_logger(name: str) -> logging.Logger:
    """The standard library logger ``name``; records reach the handler configured above."""
    return logging.getLogger(name)
