"""Compiled single-pass kernels behind :func:`quorum.analysis.indicators.compute_indicators`.

Each kernel takes contiguous float64 arrays and returns arrays of the same
length, NaN where the indicator is not yet defined (its lookback). The
definitions, and where and why they differ from TA-Lib and pandas-ta, are in
``docs/indicators.md``. Every kernel is causal: the value at ``i`` reads only
inputs at ``0..i``.

Recurrences use TA-Lib's arithmetic form (``(prev * (n - 1) + x) / n`` for
Wilder, ``(x - prev) * k + prev`` for EMA) so that results agree with TA-Lib to
the last few bits once the seed has decayed. Window statistics (sums, standard
deviation, mean deviation, highest high / lowest low) are recomputed from each
window, oldest value first, rather than kept as running sums: no rounding error
accumulates over a long history, a value depends only on its window, and a
window of equal values gives an exact zero spread. They are computed a window
offset at a time across all outputs (``acc[t] += x[t + j]``), which the compiler
vectorises, and which adds in the same order as a per-window loop. Loops index
slices from 0 (``xs = x[start:]``) rather than ``x[start + t]``: with a possibly
negative offset numba adds a wrap-around check that blocks vectorisation (4× slower).

Kernels are compiled by numba with ``cache=True``; give each worker a persistent
``NUMBA_CACHE_DIR`` so only the first process on a machine pays the compile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]

NEUTRAL_OSCILLATOR = 50.0
"""RSI, MFI and stochastic value when the ratio is 0/0 (no movement, no flow, flat range)."""

FLAT = 1e-14
"""Relative dead-zone (about 90 ulp) under which a difference of two computed prices is
rounding, not a move: ``|a - b| <= FLAT * (|a| + |b|)`` (TA-Lib's ``TA_IS_ZERO_SCALED``).
Typical prices are computed, so ``(h + l + c) / 3`` of two bars with the same sum can
differ in the last bit; a real move is at least one tick, many orders of magnitude larger."""


def _jit[F: Callable[..., Any]](fn: F) -> F:
    """``numba.njit`` with the project's options, keeping the function's type for mypy."""
    return cast(F, njit(cache=True, nogil=True)(fn))


@_jit
def ema(x: FloatArray, n: int, start: int) -> FloatArray:
    """EMA with ``k = 2 / (n + 1)`` seeded by the SMA of ``x[start:start + n]`` (TA-Lib)."""
    size = x.shape[0]
    out = np.full(size, np.nan)
    if size - start < n:
        return out
    prev = 0.0
    for i in range(start, start + n):
        prev += x[i]
    prev /= n
    out[start + n - 1] = prev
    k = 2.0 / (n + 1)
    for i in range(start + n, size):
        prev = (x[i] - prev) * k + prev
        out[i] = prev
    return out


@_jit
def _ratio(up: float, down: float) -> float:
    """``100 * up / (up + down)``, or the neutral 50 when both are 0."""
    total = up + down
    if total > 0.0:
        return 100.0 * (up / total)
    return NEUTRAL_OSCILLATOR


@_jit
def rsi(close: FloatArray, n: int) -> FloatArray:
    """Wilder's RSI; average gain and loss seeded by the mean of the first ``n`` changes."""
    size = close.shape[0]
    out = np.full(size, np.nan)
    if size <= n:
        return out
    gain = 0.0
    loss = 0.0
    for i in range(1, n + 1):
        change = close[i] - close[i - 1]
        gain += max(change, 0.0)
        loss += max(-change, 0.0)
    gain /= n
    loss /= n
    out[n] = _ratio(gain, loss)
    for i in range(n + 1, size):
        change = close[i] - close[i - 1]
        # Adding the 0.0 of the other side changes nothing: TA-Lib's bits, no branch.
        gain = (gain * (n - 1) + max(change, 0.0)) / n
        loss = (loss * (n - 1) + max(-change, 0.0)) / n
        out[i] = _ratio(gain, loss)
    return out


@_jit
def _true_range(high: FloatArray, low: FloatArray, close: FloatArray, i: int) -> float:
    """``max(high - low, |high - prev close|, |low - prev close|)`` of bar ``i >= 1``."""
    value: float = max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
    return value


@_jit
def atr(high: FloatArray, low: FloatArray, close: FloatArray, n: int) -> FloatArray:
    """Wilder's average true range, seeded by the mean true range of bars ``1..n``."""
    size = close.shape[0]
    out = np.full(size, np.nan)
    if size <= n:
        return out
    prev = 0.0
    for i in range(1, n + 1):
        prev += _true_range(high, low, close, i)
    prev /= n
    out[n] = prev
    for i in range(n + 1, size):
        prev = (prev * (n - 1) + _true_range(high, low, close, i)) / n
        out[i] = prev
    return out


@_jit
def _movement(
    high: FloatArray, low: FloatArray, close: FloatArray, i: int
) -> tuple[float, float, float]:
    """True range, +DM and -DM of bar ``i >= 1``."""
    up = high[i] - high[i - 1]
    down = low[i - 1] - low[i]
    plus = up if up > down and up > 0.0 else 0.0
    minus = down if down > up and down > 0.0 else 0.0
    return _true_range(high, low, close, i), plus, minus


@_jit
def dmi_adx(
    high: FloatArray, low: FloatArray, close: FloatArray, n: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Wilder's +DI, -DI and ADX.

    +DM = up move when it is positive and larger than the down move (else 0),
    -DM likewise; TR, +DM and -DM are Wilder-smoothed (seed: mean of bars
    ``1..n``); DI = 100 * smoothed DM / smoothed TR (0 when TR is 0);
    DX = 100 * |+DI - -DI| / (+DI + -DI) (0 when both are 0); ADX = Wilder
    smoothing of DX seeded by the mean of the first ``n`` DX values. The three
    smoothers run in one loop so their dependency chains overlap.
    """
    size = close.shape[0]
    plus_di = np.full(size, np.nan)
    minus_di = np.full(size, np.nan)
    adx = np.full(size, np.nan)
    if size <= n:
        return plus_di, minus_di, adx
    s_tr = 0.0
    s_plus = 0.0
    s_minus = 0.0
    for i in range(1, n + 1):
        tr, plus, minus = _movement(high, low, close, i)
        s_tr += tr
        s_plus += plus
        s_minus += minus
    s_tr /= n
    s_plus /= n
    s_minus /= n
    level = 0.0
    for i in range(n, size):
        if i > n:
            tr, plus, minus = _movement(high, low, close, i)
            s_tr = (s_tr * (n - 1) + tr) / n
            s_plus = (s_plus * (n - 1) + plus) / n
            s_minus = (s_minus * (n - 1) + minus) / n
        p_di = 100.0 * (s_plus / s_tr) if s_tr > 0.0 else 0.0
        m_di = 100.0 * (s_minus / s_tr) if s_tr > 0.0 else 0.0
        plus_di[i] = p_di
        minus_di[i] = m_di
        total = p_di + m_di
        dx = 100.0 * (abs(p_di - m_di) / total) if total > 0.0 else 0.0
        if i < 2 * n - 1:
            level += dx
        elif i == 2 * n - 1:
            level = (level + dx) / n
            adx[i] = level
        else:
            level = (level * (n - 1) + dx) / n
            adx[i] = level
    return plus_di, minus_di, adx


@_jit
def window_sum(x: FloatArray, n: int, start: int) -> FloatArray:
    """Sum of the ``n`` values ending at each index ``>= start + n - 1``, oldest first."""
    size = x.shape[0]
    out = np.full(size, np.nan)
    first = start + n - 1
    if size <= first:
        return out
    m = size - first
    xs = x[start:]
    acc = np.zeros(m)
    for j in range(n):
        for t in range(m):
            acc[t] += xs[j + t]
    out[first:] = acc
    return out


@_jit
def sma(x: FloatArray, n: int, start: int) -> FloatArray:
    """Simple moving average of the ``n`` values ending at each index ``>= start + n - 1``."""
    return window_sum(x, n, start) / n


@_jit
def bollinger(close: FloatArray, n: int, width: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """SMA ± ``width`` population standard deviations (ddof = 0) of the last ``n`` closes."""
    size = close.shape[0]
    mid = sma(close, n, 0)
    lower = np.full(size, np.nan)
    upper = np.full(size, np.nan)
    if size < n:
        return lower, mid, upper
    m = size - n + 1
    means = mid[n - 1 :]
    squares = np.zeros(m)
    for j in range(n):
        for t in range(m):
            dev = close[t + j] - means[t]
            squares[t] += dev * dev
    spread = width * np.sqrt(squares / n)
    lower[n - 1 :] = means - spread
    upper[n - 1 :] = means + spread
    return lower, mid, upper


@_jit
def stochastic(
    high: FloatArray, low: FloatArray, close: FloatArray, k: int, smooth_k: int, d: int
) -> tuple[FloatArray, FloatArray]:
    """Slow stochastic: %K = SMA(smooth_k) of raw %K over ``k`` bars, %D = SMA(d) of %K.

    Raw %K = 100 * (close - lowest low) / (highest high - lowest low), 50 when
    the window's range is zero (within :data:`FLAT`).
    """
    size = close.shape[0]
    raw = np.full(size, np.nan)
    if size >= k:
        m = size - k + 1
        highest = high[k - 1 :].copy()
        lowest = low[k - 1 :].copy()
        for j in range(k - 1):
            older = high[j : j + m]
            for t in range(m):
                highest[t] = max(highest[t], older[t])
        for j in range(k - 1):
            older = low[j : j + m]
            for t in range(m):
                lowest[t] = min(lowest[t], older[t])
        for t in range(m):
            span = highest[t] - lowest[t]
            if span > FLAT * (abs(highest[t]) + abs(lowest[t])):
                value = 100.0 * ((close[t + k - 1] - lowest[t]) / span)
                raw[t + k - 1] = min(max(value, 0.0), 100.0)
            else:
                raw[t + k - 1] = NEUTRAL_OSCILLATOR
    slow_k = sma(raw, smooth_k, k - 1)
    slow_d = sma(slow_k, d, k + smooth_k - 2)
    return slow_k, slow_d


@_jit
def cci(high: FloatArray, low: FloatArray, close: FloatArray, n: int) -> FloatArray:
    """Lambert's CCI: (tp - SMA(tp)) / (0.015 * mean absolute deviation), tp = (h + l + c) / 3.

    0 when the typical price or the mean deviation is within :data:`FLAT` of the
    mean (the window is flat, or the bar sits on its mean).
    """
    size = close.shape[0]
    tp = (high + low + close) / 3.0
    mean = sma(tp, n, 0)
    out = np.full(size, np.nan)
    if size < n:
        return out
    m = size - n + 1
    means = mean[n - 1 :]
    deviation = np.zeros(m)
    for j in range(n):
        for t in range(m):
            deviation[t] += abs(tp[t + j] - means[t])
    last = tp[n - 1 :]
    for t in range(m):
        spread = deviation[t] / n
        offset = last[t] - means[t]
        level = FLAT * abs(means[t])
        flat = abs(offset) <= level or spread <= level
        out[t + n - 1] = 0.0 if flat else offset / (0.015 * spread)
    return out


@_jit
def mfi(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray, n: int
) -> FloatArray:
    """Money Flow Index over ``n`` bars; a bar whose typical price equals the previous
    one (within :data:`FLAT`) adds its money flow to neither side (TA-Lib; Quong &
    Soudack). 50 when there is no flow at all.
    """
    size = close.shape[0]
    tp = (high + low + close) / 3.0
    positive = np.zeros(size)
    negative = np.zeros(size)
    if size > 1:
        now, before, vol = tp[1:], tp[:-1], volume[1:]
        pos_flow, neg_flow = positive[1:], negative[1:]
        for t in range(size - 1):
            change = now[t] - before[t]
            moved = abs(change) > FLAT * (abs(now[t]) + abs(before[t]))
            flow = now[t] * vol[t] if moved else 0.0
            pos_flow[t] = flow if change > 0.0 else 0.0
            neg_flow[t] = flow if change < 0.0 else 0.0
    pos = window_sum(positive, n, 1)
    neg = window_sum(negative, n, 1)
    out = np.full(size, np.nan)
    for i in range(n, size):
        out[i] = _ratio(pos[i], neg[i])
    return out


@_jit
def obv(close: FloatArray, volume: FloatArray) -> FloatArray:
    """On-balance volume starting at ``volume[0]`` (TA-Lib); unchanged closes add nothing."""
    size = close.shape[0]
    out = np.empty(size)
    if size == 0:
        return out
    total = volume[0]
    out[0] = total
    for i in range(1, size):
        step = volume[i] if close[i] > close[i - 1] else 0.0
        step = -volume[i] if close[i] < close[i - 1] else step
        total += step  # += 0.0 on an unchanged close: same bits as skipping it
        out[i] = total
    return out


BAD_VALUE, BAD_RANGE, BAD_VOLUME = 1, 2, 3
"""Codes of :func:`first_bad_row`."""


@_jit
def first_bad_row(ohlcv: FloatArray) -> tuple[int, int]:
    """First row of a ``(5, n)`` open/high/low/close/volume array the kernels cannot take.

    Returns ``(row, code)``: :data:`BAD_VALUE` for NaN or infinity,
    :data:`BAD_RANGE` unless low <= open, close <= high, :data:`BAD_VOLUME` for
    volume < 0; ``(-1, 0)`` when every row is fine.
    """
    o, h, low, c, v = ohlcv[0], ohlcv[1], ohlcv[2], ohlcv[3], ohlcv[4]
    for i in range(ohlcv.shape[1]):
        if not (
            np.isfinite(o[i])
            and np.isfinite(h[i])
            and np.isfinite(low[i])
            and np.isfinite(c[i])
            and np.isfinite(v[i])
        ):
            return i, BAD_VALUE
        if low[i] > o[i] or low[i] > c[i] or h[i] < o[i] or h[i] < c[i]:
            return i, BAD_RANGE
        if v[i] < 0.0:
            return i, BAD_VOLUME
    return -1, 0


@_jit
def profile_volumes(
    high: FloatArray, low: FloatArray, volume: FloatArray, edges: FloatArray
) -> FloatArray:
    """Volume per price bin (``edges`` increasing): each bar's volume spread uniformly over
    ``[low, high]`` in proportion to its overlap with each bin; a bar with ``high == low``
    puts it all in the bin holding its price (bins are ``[lo, hi)``, the last one closed).
    """
    bins = edges.shape[0] - 1
    out = np.zeros(bins)
    for i in range(high.shape[0]):
        lo = low[i]
        hi = high[i]
        first = min(max(np.searchsorted(edges, lo, side="right") - 1, 0), bins - 1)
        span = hi - lo
        if span <= 0.0:
            out[first] += volume[i]
            continue
        share = volume[i] / span
        j = first
        while j < bins and edges[j] < hi:
            overlap = min(hi, edges[j + 1]) - max(lo, edges[j])
            if overlap > 0.0:
                out[j] += share * overlap
            j += 1
    return out
