"""Keep resolved secret values out of log lines.

Providers *register* every value they resolve with a :class:`SecretSink`; the
:class:`RedactingFilter` is one, and replaces those values with ``***`` in each
record it sees (message, arguments, exception text, stack, extra attributes).
Attach it to handlers (:meth:`RedactingFilter.attach`): a filter on a logger does
not see records propagated from its children.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol, runtime_checkable

REDACTED = "***"


@runtime_checkable
class SecretSink(Protocol):
    """Told about every secret value as it is resolved."""

    def register(self, value: str) -> None: ...


class RedactingFilter(logging.Filter):
    """A logging filter that masks every registered secret value."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self._longest_first: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"RedactingFilter({len(self._values)} values)"

    def register(self, value: str) -> None:
        if not value:
            return
        with self._lock:
            if value in self._values:
                return
            self._values = self._values | {value}
            self._longest_first = tuple(sorted(self._values, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for value in self._longest_first:
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._longest_first:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for attribute, value in list(vars(record).items()):
            if isinstance(value, str) and attribute != "msg":
                setattr(record, attribute, self.redact(value))
        return True

    def attach(self, logger: logging.Logger | None = None) -> None:
        """Add this filter to every handler of ``logger`` (the root logger by default)."""
        for handler in (logger or logging.getLogger()).handlers:
            if self not in handler.filters:
                handler.addFilter(self)
