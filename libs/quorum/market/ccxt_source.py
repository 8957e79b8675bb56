"""OHLCV bars from any ccxt exchange: paginated, rate limited, retried with backoff.

``CcxtSource`` satisfies the ``RawBarSource`` protocol of ``quorum.market``: it
returns the raw bars with open time in ``[since, until)``; the loader runs the
quality gates and drops the bar that has not closed yet.

* ccxt's own rate limiter is always on (``enableRateLimit``).
* Each page is one ``fetch_ohlcv(symbol, timeframe, since=cursor, limit=page_limit)``;
  the cursor moves one bar past the last bar returned, until ``until`` (or the
  clock's now) is reached, a page comes back empty, or a page does not advance.
* ccxt errors are translated by :mod:`quorum.ccxt_adapter.errors`; only
  ``Retryable`` translations are retried (tenacity), with exponential backoff and
  jitter, :data:`BACKOFF_MULTIPLIER` times longer for ``BackOff`` errors and never
  shorter than the venue's ``Retry-After`` (read from ccxt's
  ``last_response_headers``). A ``Retry-After`` longer than ``max_delay`` stops at
  once: the error carries ``retry_after`` so the scheduler decides.
"""

from __future__ import annotations

import difflib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import localcontext
from typing import Any

import ccxt
import numpy as np
import pandas as pd
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    wait_exponential,
    wait_random,
)

from quorum.ccxt_adapter.errors import retry_after_seconds, translate_ccxt_error
from quorum.clock import Clock
from quorum.domain import BAR_COLUMNS, Timeframe
from quorum.domain.codecs import ensure_utc
from quorum.errors import (
    BackOff,
    ConfigError,
    DataQualityError,
    MarketDataError,
    Retryable,
    ValidationFailed,
)

__all__ = ["BACKOFF_MULTIPLIER", "CcxtSource", "ccxt_timeframe"]

BACKOFF_MULTIPLIER = 4.0
"""How much longer than a plain retry the pause after a ``BackOff`` error is."""

_log = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def ccxt_timeframe(timeframe: Timeframe) -> str:
    """The ccxt timeframe string of ``timeframe`` ('1m', '5m', '15m', '1h', '4h', '1d')."""
    return timeframe.value  # our values are ccxt's unified timeframe strings


class CcxtSource:
    """Raw OHLCV bars from the ccxt exchange ``exchange_id`` (e.g. ``binance``)."""

    def __init__(
        self,
        exchange_id: str,
        clock: Clock,
        *,
        exchange: object | None = None,
        page_limit: int = 1000,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        config: Mapping[str, object] | None = None,
    ) -> None:
        _check_settings(page_limit, max_attempts, base_delay, max_delay)
        self.exchange_id = exchange_id
        self._clock = clock
        self._page_limit = page_limit
        self._max_attempts = max_attempts
        self._max_delay = max_delay
        self._sleep = sleep
        if exchange is not None and config is not None:
            raise ConfigError(
                f"ccxt source {exchange_id}: pass either an exchange instance or its config, "
                "not both"
            )
        self._exchange: Any = exchange if exchange is not None else _build(exchange_id, config)
        self._jittered = wait_exponential(multiplier=base_delay, max=max_delay) + wait_random(
            0, base_delay
        )

    def __repr__(self) -> str:
        return f"CcxtSource({self.exchange_id}, page_limit={self._page_limit})"

    @property
    def exchange(self) -> Any:
        """The ccxt exchange instance (untyped: ccxt has no type information)."""
        return self._exchange

    def close(self) -> None:
        """Close the exchange's HTTP session (ccxt's sync ``Exchange.close``)."""
        closer = getattr(self._exchange, "close", None)
        if callable(closer):
            closer()

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        """Bars with open time in ``[since, until)``, sorted, de-duplicated, not quality-checked."""
        start = ensure_utc(since, "since")
        end = ensure_utc(until, "until")
        if end < start:
            raise ValidationFailed(
                "until", f"must not be before since ({start.isoformat()})", end.isoformat()
            )
        tf = self._supported_timeframe(timeframe)
        since_ms, until_ms = _to_ms(start), _to_ms(end)
        rows = self._paginate(symbol, tf, timeframe.seconds * 1000, since_ms, until_ms)
        return _frame(rows, since_ms, until_ms)

    def _supported_timeframe(self, timeframe: Timeframe) -> str:
        has = getattr(self._exchange, "has", None)
        if isinstance(has, Mapping) and has.get("fetchOHLCV") is False:
            raise ConfigError(f"exchange {self.exchange_id}: does not offer OHLCV (fetchOHLCV)")
        tf = ccxt_timeframe(timeframe)
        offered = getattr(self._exchange, "timeframes", None)
        if isinstance(offered, Mapping) and offered and tf not in offered:
            raise ConfigError(
                f"timeframe: {self.exchange_id} does not support {tf!r}; "
                f"supported: {', '.join(map(str, offered))}"
            )
        return tf

    def _paginate(
        self, symbol: str, tf: str, step_ms: int, since_ms: int, until_ms: int
    ) -> dict[int, tuple[float, ...]]:
        """Page forward from ``since_ms``; later pages overwrite overlapping bars."""
        rows: dict[int, tuple[float, ...]] = {}
        now_ms = _to_ms(self._clock.now())
        cursor = since_ms
        while cursor < until_ms and cursor <= now_ms:
            page = self._page(symbol, tf, cursor)
            if not page:
                break
            rows.update(page)
            last = max(page)
            if last < cursor:  # the venue ignored `since`: stop rather than loop
                _log.warning(
                    "%s %s %s: page did not advance past %d", self.exchange_id, symbol, tf, cursor
                )
                break
            cursor = last + step_ms
        return rows

    def _page(self, symbol: str, tf: str, cursor: int) -> dict[int, tuple[float, ...]]:
        context = (
            f"{self.exchange_id} fetch_ohlcv({symbol}, {tf}, since={_iso(cursor)}, "
            f"limit={self._page_limit})"
        )
        retrying = Retrying(
            stop=self._should_stop,
            wait=self._wait,
            retry=retry_if_exception_type(Retryable),
            sleep=self._sleep,
            before_sleep=self._log_retry,
        )
        try:
            return retrying(self._fetch_once, symbol, tf, cursor, context)
        except RetryError as exc:
            last = exc.last_attempt
            error = last.exception()
            if not isinstance(error, MarketDataError):
                raise
            why = ""
            if error.retry_after is not None and error.retry_after > self._max_delay:
                why = f"Retry-After {error.retry_after:g} s exceeds max_delay {self._max_delay:g} s"
            raise error.gave_up(last.attempt_number, why) from error

    def _fetch_once(
        self, symbol: str, tf: str, cursor: int, context: str
    ) -> dict[int, tuple[float, ...]]:
        if hasattr(self._exchange, "last_response_headers"):
            self._exchange.last_response_headers = None  # never read a stale Retry-After
        try:
            with localcontext():  # ccxt may change the thread's Decimal context; keep it local
                raw = self._exchange.fetch_ohlcv(symbol, tf, since=cursor, limit=self._page_limit)
        except ccxt.BaseError as exc:
            headers = getattr(self._exchange, "last_response_headers", None)
            raise translate_ccxt_error(
                exc,
                exchange_id=self.exchange_id,
                context=context,
                symbol=symbol,
                retry_after=retry_after_seconds(headers, self._clock.now()),
            ) from exc
        return _rows(raw, context)

    def _wait(self, state: RetryCallState) -> float:
        delay = min(self._jittered(state), self._max_delay)
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, BackOff):
            delay = min(delay * BACKOFF_MULTIPLIER, self._max_delay)
            retry_after = getattr(error, "retry_after", None)
            if isinstance(retry_after, float | int):
                delay = max(delay, float(retry_after))
        return delay

    def _should_stop(self, state: RetryCallState) -> bool:
        """After ``max_attempts`` tries, or at once when the venue asks for a longer pause."""
        if state.attempt_number >= self._max_attempts:
            return True
        error = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(error, "retry_after", None)
        return isinstance(retry_after, float | int) and retry_after > self._max_delay

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        pause = state.next_action.sleep if state.next_action is not None else 0.0
        _log.warning(
            "attempt %d failed, retrying in %.2f s: %s", state.attempt_number, pause, error
        )


def _check_settings(
    page_limit: int, max_attempts: int, base_delay: float, max_delay: float
) -> None:
    if page_limit < 1:
        raise ValidationFailed("page_limit", "must be >= 1", page_limit)
    if max_attempts < 1:
        raise ValidationFailed("max_attempts", "must be >= 1", max_attempts)
    if base_delay < 0:
        raise ValidationFailed("base_delay", "must be >= 0 seconds", base_delay)
    if max_delay < base_delay:
        raise ValidationFailed("max_delay", f"must be >= base_delay ({base_delay})", max_delay)


def _build(exchange_id: str, config: Mapping[str, object] | None) -> Any:
    known: list[str] = list(ccxt.exchanges)
    if exchange_id not in known:
        close = difflib.get_close_matches(exchange_id, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"exchange: {exchange_id!r} is not a ccxt exchange id{hint}")
    settings = dict(config or {})
    if settings.get("enableRateLimit", True) is not True:
        raise ConfigError(
            f"exchange {exchange_id}: enableRateLimit must stay on (ccxt's own rate limiter)"
        )
    settings["enableRateLimit"] = True
    return getattr(ccxt, exchange_id)(settings)


def _rows(raw: object, context: str) -> dict[int, tuple[float, ...]]:
    """ccxt's ``[[ms, open, high, low, close, volume], …]`` as typed rows keyed by open time."""
    expected = "expected a list of [timestamp_ms, open, high, low, close, volume] rows"
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise DataQualityError(f"{context}: reply is {type(raw).__name__}; {expected}")
    rows: dict[int, tuple[float, ...]] = {}
    for number, row in enumerate(raw):
        if not isinstance(row, Sequence) or len(row) < 6 or isinstance(row[0], bool):
            raise DataQualityError(f"{context}: row {number} is {row!r}; {expected}")
        try:
            stamp = int(row[0])
            values = tuple(np.nan if v is None else float(v) for v in row[1:6])
        except (TypeError, ValueError) as exc:
            raise DataQualityError(f"{context}: row {number} is {row!r}; {expected}") from exc
        rows[stamp] = values
    return rows


def _frame(rows: Mapping[int, tuple[float, ...]], since_ms: int, until_ms: int) -> pd.DataFrame:
    stamps = sorted(t for t in rows if since_ms <= t < until_ms)
    values = np.array([rows[t] for t in stamps], dtype="float64").reshape(len(stamps), 5)
    index = pd.DatetimeIndex(
        pd.to_datetime(np.array(stamps, dtype="int64"), unit="ms", utc=True), name="ts"
    )
    return pd.DataFrame(values, index=index, columns=list(BAR_COLUMNS))


def _to_ms(when: datetime) -> int:
    """Epoch milliseconds, rounded up (a bar opening before ``when`` never sneaks in)."""
    return -((_EPOCH - when) // _MS)


def _iso(ms: int) -> str:
    return (_EPOCH + ms * _MS).isoformat()
