"""The synthetic market model behind :class:`quorum.market.synthetic.SyntheticSource`.

Two layers, both anchored to the UTC epoch so that any window can be generated
on its own and still agree bit for bit with a longer window:

* **Days** (computed from 1970-01-01 for the whole prefix of days needed, cached
  per symbol): a Markov chain over bull / bear / sideways regimes with a drift
  and volatility scale per regime, a slowly varying volatility level, and the
  log price at each day's open (a mean-reverting walk so prices stay plausible
  for decades).
* **Bars** (computed only for the days asked for): GARCH(1,1)-style volatility
  clustering (the ARCH(∞) form: variance responds to past squared shocks with
  persistence ``garch_beta``), intraday seasonality, intrabar high / low drawn
  from the exact extremes of a Brownian bridge, log-normal volume that rises
  with |return| and volatility, and occasional gaps. Bar returns are bridged so
  each day ends exactly at the next day's open from the day layer.

Random numbers come from :class:`Stream`: blocks of draws at fixed, epoch-anchored
offsets of a generator keyed by ``(seed, symbol)``, so the draws for a bar depend
only on its position, never on where a request starts. Recursive filters are evaluated in fixed,
epoch-anchored chunks for the same reason.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from quorum.market.source import Bools, Floats, Ints

__all__ = ["DayPath", "Stream", "SyntheticParams", "day_path", "generate_days"]

_TWO_PI = 2.0 * math.pi
_MEAN_ABS_NORMAL = math.sqrt(2.0 / math.pi)
_TAIL = 1e-6  # a filter keeps at least the lags whose weight is above this


class SyntheticParams(BaseModel):
    """Knobs of the synthetic market (defaults: a liquid crypto pair, 15m base bars)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    daily_vol: float = Field(default=0.03, gt=0, le=0.5)
    regime_stay: float = Field(default=0.97, ge=0, lt=1)
    bull_drift: float = Field(default=0.002, ge=-0.05, le=0.05)
    bear_drift: float = Field(default=-0.0025, ge=-0.05, le=0.05)
    sideways_drift: float = Field(default=0.0, ge=-0.05, le=0.05)
    bull_vol: float = Field(default=0.9, gt=0, le=5)
    bear_vol: float = Field(default=1.4, gt=0, le=5)
    sideways_vol: float = Field(default=0.7, gt=0, le=5)
    mean_reversion_days: float = Field(default=180.0, ge=2, le=5000)
    slow_vol_days: float = Field(default=20.0, ge=1, le=500)
    slow_vol_sigma: float = Field(default=0.25, ge=0, le=2)
    garch_alpha: float = Field(default=0.06, gt=0, lt=1)
    garch_beta: float = Field(default=0.92, ge=0.0, le=0.99)
    intraday_vol_amplitude: float = Field(default=0.3, ge=0, lt=1)
    peak_hour_utc: float = Field(default=15.0, ge=0, lt=24)
    gap_probability: float = Field(default=0.002, ge=0, le=0.1)
    max_gap_bars: int = Field(default=3, ge=1, le=100)
    base_volume: float = Field(default=1000.0, gt=0)
    volume_sigma: float = Field(default=0.35, ge=0, le=3)
    volume_return_loading: float = Field(default=0.35, ge=0, le=3)
    volume_vol_loading: float = Field(default=0.8, ge=0, le=3)

    @model_validator(mode="after")
    def _stationary_variance(self) -> Self:
        if self.garch_alpha / (1.0 - self.garch_beta) >= 1.0:
            raise ValueError(
                "garch_alpha / (1 - garch_beta) must be < 1 for a stationary variance "
                f"(got alpha={self.garch_alpha}, beta={self.garch_beta})"
            )
        return self


class Stream:
    """Random-access draws for one named stream of one ``(seed, symbol)``.

    Positions are grouped in epoch-anchored blocks of ``block`` rows; block ``b``
    reads from a PCG64 generator advanced to ``b * 2**32`` draws, far more than a
    block consumes, so block ``b`` never depends on any other block. Within a
    block the draws come in a fixed order: normals, exponentials, uniforms.
    """

    _ROOM = 1 << 32

    def __init__(
        self, seed: int, symbol: str, name: str, block: int, counts: tuple[int, int, int]
    ) -> None:
        text = f"quorum.synthetic|{name}|{seed}|{symbol}".encode()
        entropy = int.from_bytes(hashlib.blake2b(text, digest_size=16).digest(), "little")
        self._state = np.random.PCG64(np.random.SeedSequence(entropy)).state
        self.block = block
        self.counts = counts

    def rows(self, lo: int, hi: int) -> tuple[Floats, Floats, Floats]:
        """Draws for positions ``[lo, hi)``: (normals, exponentials, uniforms in (0, 1]),
        each shaped ``(count, hi - lo)``."""
        if lo < 0:
            raise ValueError(f"synthetic positions start at the epoch (got {lo})")
        first, last = lo // self.block, (hi - 1) // self.block
        span = (last - first + 1) * self.block
        bits = np.random.PCG64(0)
        gen = np.random.Generator(bits)
        out = tuple(np.empty((count, span)) for count in self.counts)
        for b in range(first, last + 1):
            bits.state = self._state
            bits.advance(b * self._ROOM)
            cols = slice((b - first) * self.block, (b - first + 1) * self.block)
            for row in range(self.counts[0]):
                gen.standard_normal(out=out[0][row, cols])
            for row in range(self.counts[1]):
                gen.standard_exponential(out=out[1][row, cols])
            for row in range(self.counts[2]):
                gen.random(out=out[2][row, cols])
        cut = slice(lo - first * self.block, hi - first * self.block)
        normals, exps, unifs = (arr[:, cut] for arr in out)
        np.subtract(1.0, unifs, out=unifs)
        return normals, exps, unifs


@functools.cache
def _filter_shape(decay: float) -> tuple[int, int, Floats, Floats]:
    """Lags kept, chunk length, and the scale vectors ``decay**-k`` / ``decay**k``."""
    lags = 1 if decay <= 0 else max(1, math.ceil(math.log(_TAIL) / math.log(decay)))
    # decay ** -(lags + chunk) must stay far from overflow.
    room = 600.0 if decay <= 0 else 600.0 / -math.log(decay)
    chunk = int(min(1024, max(64, room - lags)))
    powers = np.arange(lags + chunk, dtype="float64")
    down, up = (decay**-powers, decay**powers) if decay > 0 else (np.ones(1), np.ones(1))
    return lags, chunk, down, up


def filter_lags(decay: float) -> tuple[int, int]:
    """``(lags, chunk)`` of :func:`decayed_sum` for ``decay``."""
    lags, chunk, _, _ = _filter_shape(decay)
    return lags, chunk


def decayed_sum(x: Floats, x_start: int, out_start: int, out_stop: int, decay: float) -> Floats:
    """``y[t] = sum_k decay**k * x[t-k]`` for absolute ``t`` in ``[out_start, out_stop)``.

    The sum for ``t`` runs back to a fixed point ``lags`` before the start of
    ``t``'s epoch-anchored chunk, so ``y[t]`` depends on ``t`` alone, never on
    the window. ``x`` holds absolute positions ``[x_start, x_start + len(x))``;
    positions outside it count as zero (callers provide every position that
    matters, or define the process as starting from zero there).
    """
    if decay <= 0:
        return np.asarray(x[out_start - x_start : out_stop - x_start], dtype="float64").copy()
    lags, chunk, down, up = _filter_shape(decay)
    c0, c1 = out_start // chunk, (out_stop - 1) // chunk + 1
    lo, hi = c0 * chunk - lags, c1 * chunk
    padded = np.zeros(hi - lo)
    a, b = max(lo, x_start), min(hi, x_start + len(x))
    if b > a:
        padded[a - lo : b - lo] = x[a - x_start : b - x_start]
    rows = np.lib.stride_tricks.as_strided(
        padded, shape=(c1 - c0, lags + chunk), strides=(chunk * 8, 8), writeable=False
    )
    scaled = np.cumsum(rows * down, axis=1)
    scaled *= up
    flat = scaled[:, lags:].reshape(-1)
    return flat[out_start - c0 * chunk : out_stop - c0 * chunk]


@dataclass(frozen=True)
class DayPath:
    """The day layer for days ``[0, len)`` since the epoch."""

    regime: NDArray[np.int8]  # int8: 0 bull, 1 bear, 2 sideways
    level: Floats  # log price at the day's open, relative to the start price
    sigma: Floats  # the day's volatility scale (std of its log return)


DAY_BLOCK = 4096
BAR_BLOCK = 1024
DAY_DRAWS = (2, 0, 2)  # normals: return shock, volatility shock; uniforms: switch, hop
BAR_DRAWS = (2, 2, 1)  # normals: return, volume; exponentials: high, low; uniform: gap


def day_path(stream: Stream, days: int, p: SyntheticParams) -> DayPath:
    """The day layer for ``days`` days; every prefix is identical whatever ``days`` is."""
    normals, _, u = stream.rows(0, days)
    switch = u[0] > p.regime_stay
    switch[0] = False
    hop = np.where(u[1] > 0.5, 2, 1)
    first = min(int(u[1, 0] * 3), 2)
    regime = ((first + np.cumsum(switch * hop)) % 3).astype("int8")
    slow_decay = math.exp(-1.0 / p.slow_vol_days)
    slow = decayed_sum(normals[1], 0, 0, days, slow_decay) * math.sqrt(1.0 - slow_decay**2)
    slow_level = np.exp(p.slow_vol_sigma * slow - 0.5 * p.slow_vol_sigma**2)
    vols = np.array([p.bull_vol, p.bear_vol, p.sideways_vol])
    drifts = np.array([p.bull_drift, p.bear_drift, p.sideways_drift])
    sigma = p.daily_vol * vols[regime] * slow_level
    step = drifts[regime] + sigma * normals[0]
    revert = math.exp(-1.0 / p.mean_reversion_days)
    through = decayed_sum(step, 0, 0, days, revert)  # level at the *close* of each day
    level = np.concatenate(([0.0], through[:-1]))
    return DayPath(regime=regime, level=level, sigma=sigma)


@dataclass(frozen=True)
class BarBlock:
    """Generated base bars: absolute bar indexes, OHLCV columns, and the missing mask."""

    index: Ints
    open: Floats
    high: Floats
    low: Floats
    close: Floats
    volume: Floats
    missing: Bools


def _season(per_day: int, bar_seconds: int, p: SyntheticParams) -> Floats:
    hours = (np.arange(per_day) + 0.5) * bar_seconds / 3600.0
    wave = 1.0 + p.intraday_vol_amplitude * np.cos(_TWO_PI * (hours - p.peak_hour_utc) / 24)
    season = wave * wave
    return np.asarray(season / season.mean())


def generate_days(
    stream: Stream,
    path: DayPath,
    first_day: int,
    last_day: int,
    bar_seconds: int,
    log_start: float,
    p: SyntheticParams,
) -> BarBlock:
    """Base bars of days ``[first_day, last_day]``; ``path`` must cover ``last_day + 1``.

    Bar index ``i`` opens ``i * bar_seconds`` after the epoch.
    """
    per_day = 86_400 // bar_seconds
    days = last_day - first_day + 1
    start, stop = first_day * per_day, (last_day + 1) * per_day
    lags, chunk = filter_lags(p.garch_beta)
    draw_lo = max(0, min((start - 1) // chunk * chunk - lags, start - p.max_gap_bars + 1))
    normals, exps, unifs = stream.rows(draw_lo, stop)
    here = slice(start - draw_lo, stop - draw_lo)
    shock = normals[0]
    # ARCH(inf) form of GARCH(1,1): variance follows past squared shocks.
    past = decayed_sum(shock * shock, draw_lo, max(start - 1, 0), stop, p.garch_beta)
    if start == 0:
        past = np.concatenate(([0.0], past))
    floor = 1.0 - p.garch_alpha / (1.0 - p.garch_beta)
    cluster = (floor + p.garch_alpha * past[:-1]).reshape(days, per_day)
    season = _season(per_day, bar_seconds, p)

    day_idx = np.arange(first_day, last_day + 1)
    sigma = path.sigma[day_idx]
    var = cluster * season
    var *= (sigma * sigma / per_day)[:, None]
    ret = np.sqrt(var) * shock[here].reshape(days, per_day)
    # Bridge: shift each bar by its share of variance so the day ends at the next day's open.
    target = path.level[day_idx + 1] - path.level[day_idx]
    shift = (target - ret.sum(axis=1)) / var.sum(axis=1)
    ret += shift[:, None] * var
    closes = np.cumsum(ret, axis=1)
    closes += (log_start + path.level[day_idx])[:, None]
    close_px = np.exp(closes)
    open_px = np.empty_like(close_px)
    open_px[:, 0] = np.exp(log_start + path.level[day_idx])
    open_px[:, 1:] = close_px[:, :-1]
    # Extremes of a Brownian bridge from 0 to ``ret`` with variance ``var`` (exact law).
    two_var = 2.0 * var
    sq = ret * ret
    up = np.sqrt(sq + two_var * exps[0, here].reshape(days, per_day))
    up += ret
    down = np.sqrt(sq + two_var * exps[1, here].reshape(days, per_day))
    down -= ret
    high = open_px * np.exp(0.5 * up)
    low = open_px * np.exp(-0.5 * down)

    strength = np.abs(ret) / np.sqrt(var)
    log_volume = p.volume_vol_loading * 0.5 * np.log(cluster)
    log_volume += p.volume_return_loading * (strength - _MEAN_ABS_NORMAL)
    log_volume += p.volume_sigma * normals[1, here].reshape(days, per_day)
    log_volume += math.log(p.base_volume) - 0.5 * p.volume_sigma**2
    log_volume += (0.5 * p.volume_vol_loading * np.log(season))[None, :]
    volume = np.exp(log_volume)

    gap_start = unifs[0] <= p.gap_probability
    # Given a gap starts (u <= p), u / p is uniform again: it picks the gap's length.
    length = np.zeros(stop - draw_lo, dtype="int64")
    at = np.flatnonzero(gap_start)
    picked = (unifs[0, at] / p.gap_probability * p.max_gap_bars).astype("int64")
    length[at] = 1 + np.minimum(picked, p.max_gap_bars - 1)
    missing = np.zeros(stop - draw_lo, dtype=bool)
    for k in range(p.max_gap_bars):
        hit = length > k
        missing[k:] |= hit[: len(hit) - k]

    return BarBlock(
        index=np.arange(start, stop),
        open=open_px.reshape(-1),
        high=high.reshape(-1),
        low=low.reshape(-1),
        close=close_px.reshape(-1),
        volume=volume.reshape(-1),
        missing=missing[here],
    )
