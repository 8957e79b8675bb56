"""Quorum telemetry package (see docs/ARCHITECTURE.md).

Structured logging lives in :mod:`quorum.telemetry.logging`; its public names are
re-exported here.
"""

from quorum.telemetry.logging import (
    SPAN_ID,
    TRACE_ID,
    JsonLogFormatter,
    PlainLogFormatter,
    TraceContextFilter,
    configure_logging,
    get_logger,
)

__all__ = [
    "SPAN_ID",
    "TRACE_ID",
    "JsonLogFormatter",
    "PlainLogFormatter",
    "TraceContextFilter",
    "configure_logging",
    "get_logger",
]
