"""Quality gates run on every load: raw frame in, validated closed bars and a report out.

Rules, in the order they are applied (rule names are the policy field names):

``non_finite``  NaN / inf prices or volume, missing timestamps      repair: drop the row
``clock_skew``  bar opens > ``max_future_skew_ms`` after the clock    always rejected
``off_grid``    timestamp not on the timeframe grid                   repair: drop the row
``out_of_order`` timestamp earlier than a previous row                repair: sort
``duplicates``  timestamp repeated                                    repair: keep the last
``non_positive_price`` a price <= 0                                   repair: drop the row
``ohlc``        not (low <= open, close <= high)                      repair: clip low / high
``negative_volume`` volume < 0                                        repair: set to 0
``gaps``        grid timestamps missing between two bars              report | reject
``zero_volume`` bars with volume 0                                    report | reject
``stale``       last close older than ``stale_after_bars`` bars       report | reject

Bars that have not closed at ``clock_now`` are dropped (only closed bars are
ever used) and counted, never an error. Every repair lists the rows it touched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from quorum.domain import BAR_COLUMNS, BarFrame, Timeframe, split_symbol
from quorum.domain.codecs import ensure_utc
from quorum.errors import DataQualityError, ValidationFailed
from quorum.market.report import (
    Gap,
    Problem,
    ProblemAction,
    QualityRejected,
    QualityReport,
    RepairedRow,
)
from quorum.market.source import SOURCE_ROW, Bools, Ints, index_ns

__all__ = ["QualityPolicy", "check_bars", "guard_exchange_time"]

Action = Literal["reject", "repair"]
Detect = Literal["reject", "report"]

_REPAIRABLE = (
    "non_finite",
    "off_grid",
    "out_of_order",
    "duplicates",
    "non_positive_price",
    "ohlc",
    "negative_volume",
)
_NS = 1_000_000_000
_ACTIONS: dict[str, ProblemAction] = {
    "reject": "rejected",
    "repair": "repaired",
    "report": "reported",
}


class QualityPolicy(BaseModel):
    """What to do about each kind of problem. Everything that can be wrong is rejected
    by default; gaps and zero-volume bars are facts of markets and only reported.
    Clock skew is always rejected: a clock disagreement is never repaired by guessing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    non_finite: Action = "reject"
    off_grid: Action = "reject"
    out_of_order: Action = "reject"
    duplicates: Action = "reject"
    non_positive_price: Action = "reject"
    ohlc: Action = "reject"
    negative_volume: Action = "reject"
    gaps: Detect = "report"
    zero_volume: Detect = "report"
    stale: Detect = "reject"
    max_future_skew_ms: int = Field(default=250, ge=0)
    stale_after_bars: int = Field(default=3, ge=1)

    @classmethod
    def repair_all(cls, **overrides: object) -> Self:
        """Repair every repairable problem; other fields keep their defaults unless given."""
        values: dict[str, object] = dict.fromkeys(_REPAIRABLE, "repair")
        values.update(overrides)
        return cls.model_validate(values)


def _iso(ns: int) -> str:
    return pd.Timestamp(ns, tz="UTC").isoformat()


def _dt(ns: int) -> datetime:
    return pd.Timestamp(ns, tz="UTC").to_pydatetime()


class _Check:
    """Working state of one check: arrays shrink as rows are dropped."""

    def __init__(
        self, raw: pd.DataFrame, symbol: str, timeframe: Timeframe, now: datetime, p: QualityPolicy
    ) -> None:
        self.symbol, self.timeframe, self.now, self.policy = symbol, timeframe, now, p
        self.step = timeframe.seconds * _NS
        self.source = str(raw.attrs.get("source", "source"))
        self.row_kind = str(raw.attrs.get("row_kind", "row"))
        missing = [c for c in BAR_COLUMNS if c not in raw.columns]
        if missing:
            raise DataQualityError(
                f"{symbol} {timeframe} header: missing columns {missing}; "
                f"expected {list(BAR_COLUMNS)}"
            )
        index = raw.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
            raise DataQualityError(
                f"{symbol} {timeframe} index: expected a timezone-aware DatetimeIndex of bar "
                f"open times (got {type(index).__name__}, tz={getattr(index, 'tz', None)})"
            )
        index = index.tz_convert(UTC).as_unit("ns")
        self.nat = np.asarray(index.isna())
        self.ts = index_ns(index).copy()
        self.vals: NDArray[np.float64] = np.column_stack(
            [
                pd.to_numeric(raw[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
                for c in BAR_COLUMNS
            ]
        ).reshape(len(raw), len(BAR_COLUMNS))
        self.rows: Ints | None = (
            raw[SOURCE_ROW].to_numpy(dtype="int64") if SOURCE_ROW in raw.columns else None
        )
        self.rows_in = len(raw)
        self.problems: list[Problem] = []
        self.repaired: list[RepairedRow] = []
        self.wheres: dict[str, str] = {}

    def where(self, i: int) -> str:
        ts = "NaT" if self.nat[i] else _iso(int(self.ts[i]))
        if self.rows is None:
            return ts
        return f"{ts} ({self.source} {self.row_kind} {int(self.rows[i])})"

    def record(self, rule: str, hits: Ints, first: int, detail: str, fix: str) -> bool:
        """Record a problem at positions ``hits``; return True when the policy repairs it."""
        setting = str(getattr(self.policy, rule))
        self.add(rule, _ACTIONS[setting], int(hits.size), first, detail)
        if setting == "repair":
            stamps = pd.DatetimeIndex(self.ts[hits], tz=UTC).to_pydatetime()
            for k, i in enumerate(hits):
                self.repaired.append(
                    RepairedRow(
                        rule=rule,
                        ts=None if self.nat[i] else stamps[k],
                        source_row=None if self.rows is None else int(self.rows[i]),
                        action=fix,
                    )
                )
        return setting == "repair"

    def add(self, rule: str, action: ProblemAction, count: int, first: int, detail: str) -> None:
        """Append a problem whose first offending row is position ``first`` (-1: no row)."""
        known = first >= 0 and not self.nat[first]
        self.problems.append(
            Problem(
                rule=rule,
                action=action,
                count=count,
                first_ts=_dt(int(self.ts[first])) if known else None,
                first_row=None if self.rows is None or first < 0 else int(self.rows[first]),
                detail=detail,
            )
        )
        self.wheres[rule] = self.where(first) if first >= 0 else "none (no bars)"

    def keep(self, mask: Bools | Ints) -> None:
        self.ts, self.vals, self.nat = self.ts[mask], self.vals[mask], self.nat[mask]
        if self.rows is not None:
            self.rows = self.rows[mask]

    def drop_rule(self, rule: str, bad: Bools, detail_of: Callable[[int], str]) -> None:
        hits = np.flatnonzero(bad)
        if hits.size:
            self.record(rule, hits, int(hits[0]), str(detail_of(int(hits[0]))), "dropped")
            self.keep(~bad)

    def row_values(self, i: int) -> str:
        o, h, low, c, v = self.vals[i]
        return f"open={o}, high={h}, low={low}, close={c}, volume={v}"


def check_bars(
    raw: pd.DataFrame,
    symbol: str,
    timeframe: Timeframe,
    clock_now: datetime,
    policy: QualityPolicy | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[BarFrame, QualityReport]:
    """Run every quality gate on ``raw``; return the closed, valid bars and the report.

    ``since``/``until`` describe the requested window (optional): staleness is
    measured at ``min(until, clock_now)``, and an empty answer for a window that
    should hold closed bars is stale too. Raises :class:`QualityRejected` (a
    :class:`DataQualityError`) naming symbol, timeframe, row and rule when a
    problem's policy is ``reject``.
    """
    try:
        split_symbol(symbol)
    except ValueError as exc:
        raise ValidationFailed("symbol", str(exc)) from None
    policy = policy or QualityPolicy()
    now = ensure_utc(clock_now, "clock_now")
    run = _Check(raw, symbol, timeframe, now, policy)
    now_ns = pd.Timestamp(now).as_unit("ns").value

    bad = run.nat | ~np.isfinite(run.vals).all(axis=1)
    run.drop_rule("non_finite", bad, lambda i: _non_finite_detail(run, i))

    limit = now_ns + policy.max_future_skew_ms * 1_000_000
    skewed = run.ts > limit
    if skewed.any():
        first = int(np.flatnonzero(skewed)[0])
        ahead_ms = (int(run.ts[first]) - now_ns) / 1e6
        detail = (
            f"bar opens {ahead_ms:.0f} ms after the clock ({now.isoformat()}); expected at most "
            f"{policy.max_future_skew_ms} ms in the future"
        )
        run.add("clock_skew", "rejected", int(skewed.sum()), first, detail)
        run.keep(~skewed)

    run.drop_rule(
        "off_grid",
        run.ts % run.step != 0,
        lambda i: (
            f"timestamp is not on the {timeframe} grid; expected a multiple of "
            f"{timeframe} counted from 00:00 UTC"
        ),
    )
    _order_and_dedupe(run)
    o, h, low, c = (run.vals[:, k] for k in range(4))
    run.drop_rule(
        "non_positive_price",
        (o <= 0) | (h <= 0) | (low <= 0) | (c <= 0),
        lambda i: f"expected prices > 0 (got {run.row_values(i)})",
    )
    _fix_ohlc_and_volume(run)

    closed = run.ts + run.step <= now_ns
    unclosed = int((~closed).sum())
    run.keep(closed)
    gaps = _gaps(run)
    _zero_volume(run)
    stale = _stale(run, now_ns, since, until)

    report = QualityReport(
        symbol=symbol,
        timeframe=timeframe,
        checked_at=now,
        source=str(raw.attrs["source"]) if "source" in raw.attrs else None,
        row_kind=run.row_kind,
        rows_in=run.rows_in,
        rows_out=len(run.ts),
        first_ts=_dt(int(run.ts[0])) if len(run.ts) else None,
        last_ts=_dt(int(run.ts[-1])) if len(run.ts) else None,
        problems=tuple(run.problems),
        repaired=tuple(run.repaired),
        gaps=gaps,
        missing_bars=sum(g.missing_bars for g in gaps),
        zero_volume=int((run.vals[:, 4] == 0).sum()),
        unclosed_dropped=unclosed,
        stale=stale,
    )
    if not report.passed:
        raise QualityRejected(_message(run, report), report)
    index = pd.DatetimeIndex(run.ts, tz=UTC, name="ts")
    frame = pd.DataFrame(run.vals, index=index, columns=list(BAR_COLUMNS))
    return BarFrame(symbol, timeframe, frame), report


def _non_finite_detail(run: _Check, i: int) -> str:
    if run.nat[i]:
        return "timestamp is missing; expected a bar open time"
    names = [BAR_COLUMNS[j] for j in np.flatnonzero(~np.isfinite(run.vals[i]))]
    return f"{', '.join(names)} is NaN or infinite; expected finite numbers ({run.row_values(i)})"


def _order_and_dedupe(run: _Check) -> None:
    if len(run.ts) > 1:
        running_max = np.maximum.accumulate(run.ts)
        late = np.flatnonzero(run.ts[1:] < running_max[:-1]) + 1
        if late.size:
            first = int(late[0])
            run.record(
                "out_of_order",
                late,
                first,
                f"timestamp is earlier than a previous row ({_iso(int(running_max[first - 1]))});"
                " expected strictly increasing timestamps",
                "moved into time order",
            )
            run.keep(np.argsort(run.ts, kind="stable"))
    if len(run.ts) > 1:
        repeat = np.flatnonzero(run.ts[1:] == run.ts[:-1])
        if repeat.size:
            # ``repeat`` are the earlier copies; the row after each one repeats it.
            first = int(repeat[0]) + 1
            detail = "timestamp repeats the previous row; expected unique timestamps"
            if run.record("duplicates", repeat + 1, first, detail, "kept this, the last copy"):
                run.repaired.extend(
                    RepairedRow(
                        rule="duplicates",
                        ts=_dt(int(run.ts[i])),
                        source_row=None if run.rows is None else int(run.rows[i]),
                        action="dropped, an earlier copy of a repeated timestamp",
                    )
                    for i in repeat
                )
            mask = np.ones(len(run.ts), dtype=bool)
            mask[repeat] = False
            run.keep(mask)


def _fix_ohlc_and_volume(run: _Check) -> None:
    o, h, low, c = (run.vals[:, k] for k in range(4))
    broken = (low > np.minimum(o, c)) | (h < np.maximum(o, c)) | (low > h)
    hits = np.flatnonzero(broken)
    if hits.size:
        first = int(hits[0])
        detail = f"expected low <= open, close <= high (got {run.row_values(first)})"
        if run.record("ohlc", hits, first, detail, "clipped: low=min(OHLC), high=max(OHLC)"):
            prices = run.vals[hits, :4]
            high, low_ = prices.max(axis=1), prices.min(axis=1)
            run.vals[hits, 1] = high
            run.vals[hits, 2] = low_
    negative = np.flatnonzero(run.vals[:, 4] < 0)
    if negative.size:
        first = int(negative[0])
        detail = f"expected volume >= 0 (got {run.vals[first, 4]})"
        if run.record("negative_volume", negative, first, detail, "volume set to 0"):
            run.vals[negative, 4] = 0.0


def _gaps(run: _Check) -> tuple[Gap, ...]:
    if len(run.ts) < 2:
        return ()
    steps = np.diff(run.ts)
    at = np.flatnonzero(steps > run.step)
    gaps = tuple(
        Gap(
            start=_dt(int(run.ts[i]) + run.step),
            end=_dt(int(run.ts[i + 1])),
            missing_bars=int(steps[i] // run.step) - 1,
        )
        for i in at
    )
    if gaps:
        missing = sum(g.missing_bars for g in gaps)
        first = int(at[0])
        detail = (
            f"{missing} missing bar(s) in {len(gaps)} gap(s), first from "
            f"{gaps[0].start.isoformat()}; expected a bar every {run.timeframe}"
        )
        run.record("gaps", at + 1, first + 1, detail, "reported")
    return gaps


def _zero_volume(run: _Check) -> None:
    zero = np.flatnonzero(run.vals[:, 4] == 0)
    if zero.size:
        detail = f"{zero.size} bar(s) with zero volume"
        run.record("zero_volume", zero, int(zero[0]), detail, "reported")


def _stale(run: _Check, now_ns: int, since: datetime | None, until: datetime | None) -> bool:
    ref = now_ns
    if until is not None:
        ref = min(ref, pd.Timestamp(ensure_utc(until, "until")).as_unit("ns").value)
    if len(run.ts):
        last_close = int(run.ts[-1]) + run.step
    elif since is not None:
        last_close = pd.Timestamp(ensure_utc(since, "since")).as_unit("ns").value
    else:
        return False
    allowed = run.policy.stale_after_bars * run.step
    if ref - last_close <= allowed:
        return False
    age = pd.Timedelta(ref - last_close)
    what = f"last bar closed at {_iso(last_close)}" if len(run.ts) else "no bars since"
    detail = (
        f"{what}, {age} before {_iso(ref)}; expected a closed bar within "
        f"{run.policy.stale_after_bars} x {run.timeframe}"
    )
    run.add("stale", _ACTIONS[run.policy.stale], 1, len(run.ts) - 1, detail)
    return True


def _message(run: _Check, report: QualityReport) -> str:
    first, *others = report.rejected
    text = f"{report.symbol} {report.timeframe} row {run.wheres[first.rule]}: {first.rule}: "
    text += first.detail
    if others:
        text += "; also failing: " + ", ".join(f"{p.rule} ({p.count} rows)" for p in others)
    return text


def guard_exchange_time(
    source: str, exchange_time: datetime, clock_now: datetime, max_future_skew_ms: int = 250
) -> None:
    """Refuse an exchange clock more than ``max_future_skew_ms`` ahead of ours (rule clock_skew)."""
    exchange_time = ensure_utc(exchange_time, "exchange_time")
    now = ensure_utc(clock_now, "clock_now")
    ahead_ms = (exchange_time - now).total_seconds() * 1000
    if ahead_ms > max_future_skew_ms:
        raise DataQualityError(
            f"{source} exchange time {exchange_time.isoformat()}: clock_skew: {ahead_ms:.0f} ms "
            f"ahead of the clock ({now.isoformat()}); expected at most {max_future_skew_ms} ms"
        )
