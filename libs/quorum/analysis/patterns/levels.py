"""Support and resistance levels from clustered swing pivots.

Rules (defaults in :class:`LevelParams`):

* Candidates are the confirmed swing highs (at their high) and swing lows (at
  their low) inside the last ``lookback_bars`` bars; a level may mix both, so a
  broken support that turns into resistance stays one level.
* Pivots are taken in price order; a pivot joins the current cluster when it
  lies within ``cluster_atr`` × ATR(at that pivot) of the cluster's mean price,
  otherwise it starts a new cluster. Clusters with ``>= min_touches`` pivots
  are levels; the touches are the pivot bars.
* Level price: volume-weighted mean of the pivot prices (``weighting="touch"``
  or zero volume: plain mean). Tolerance band: ``cluster_atr`` × mean ATR at
  the touches.
* Confidence = touch × (0.5 + 0.5·clean) × (0.5 + 0.5·recency), where
  touch = 1 − 0.5^(touches − 1), recency = 0.5^(bars since last touch /
  ``recency_half_life``) and clean = 1 / (1 + crossings): the number of times a
  close went from one side of the band to the other since the first touch.
* Reported: up to ``max_per_side`` levels nearest the last close on each side,
  within ``max_distance_atr`` ATR: at or below the close → ``support``
  (bullish), above → ``resistance`` (bearish).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quorum.analysis.patterns.inputs import FloatArray, IntArray, PatternInput, to_price
from quorum.analysis.patterns.params import LevelParams, SwingParams
from quorum.analysis.patterns.swings import Swings, swing_positions
from quorum.domain.analysis import Bias, PatternFamily, PatternHit
from quorum.domain.timeframe import Timeframe


@dataclass(frozen=True, slots=True)
class Level:
    """One clustered level; ``touches`` are bar positions in ascending order."""

    price: float
    tolerance: float
    touches: tuple[int, ...]
    crossings: int
    cleanliness: float
    recency: float
    confidence: float


@dataclass(slots=True)
class _Cluster:
    """Running sums of one cluster: pivot positions, prices, weights, ATRs."""

    positions: list[int]
    price_sum: float
    weight_sum: float
    weighted_price_sum: float
    atr_sum: float

    def add(self, price: float, position: int, atr: float, weight: float) -> None:
        self.positions.append(position)
        self.price_sum += price
        self.weight_sum += weight
        self.weighted_price_sum += weight * price
        self.atr_sum += atr

    def level_price(self) -> float:
        """Weighted mean price; the plain mean when every touch has zero weight."""
        if self.weight_sum > 0.0:
            return self.weighted_price_sum / self.weight_sum
        return self.price_sum / len(self.positions)


def build_levels(data: PatternInput, swings: Swings, params: LevelParams) -> list[Level]:
    """Every level with enough touches, in ascending price order.

    The pivots of one lookback window are few (tens), so they are clustered in
    plain Python; only the crossing count scans the closes, vectorised.
    """
    start = max(0, data.n - params.lookback_bars)
    highs = swings.highs[swings.highs >= start]
    lows = swings.lows[swings.lows >= start]
    pos = np.concatenate((highs, lows))
    price = np.concatenate((data.high[highs], data.low[lows]))
    atr = data.indicator("atr")[pos]
    weight = data.volume[pos] if params.weighting == "volume" else np.ones(pos.shape[0])
    pivots = sorted(
        p
        for p in zip(price.tolist(), pos.tolist(), atr.tolist(), weight.tolist(), strict=True)
        if p[2] > 0.0  # NaN (warm-up) compares False
    )
    clusters = [
        c for c in _cluster(pivots, params.cluster_atr) if len(c.positions) >= params.min_touches
    ]
    if not clusters:
        return []
    return _score(data, clusters, params)


def _cluster(pivots: list[tuple[float, int, float, float]], k: float) -> list[_Cluster]:
    """Greedy clustering of price-sorted pivots around the running mean of the cluster."""
    clusters: list[_Cluster] = []
    current: _Cluster | None = None
    for price, position, atr, weight in pivots:
        if current is None or abs(price - current.price_sum / len(current.positions)) > k * atr:
            current = _Cluster([], 0.0, 0.0, 0.0, 0.0)
            clusters.append(current)
        current.add(price, position, atr, weight)
    return clusters


def _score(data: PatternInput, clusters: list[_Cluster], params: LevelParams) -> list[Level]:
    prices = [c.level_price() for c in clusters]
    tolerances = [params.cluster_atr * c.atr_sum / len(c.positions) for c in clusters]
    touches = [tuple(sorted(c.positions)) for c in clusters]
    first = np.array([t[0] for t in touches], dtype=np.int64)
    crossings = _crossings(data.close, np.array(prices), np.array(tolerances), first).tolist()
    levels = []
    for price, tolerance, touched, crossed in zip(
        prices, tolerances, touches, crossings, strict=True
    ):
        recency = 0.5 ** ((data.n - 1 - touched[-1]) / params.recency_half_life)
        clean = 1.0 / (1.0 + crossed)
        touch_score = 1.0 - 0.5 ** (len(touched) - 1)
        levels.append(
            Level(
                price=price,
                tolerance=tolerance,
                touches=touched,
                crossings=crossed,
                cleanliness=clean,
                recency=recency,
                confidence=touch_score * (0.5 + 0.5 * clean) * (0.5 + 0.5 * recency),
            )
        )
    return levels


def _crossings(
    close: FloatArray, level: FloatArray, tolerance: FloatArray, first: IntArray
) -> IntArray:
    """Per level: how often closes moved from one side of its band to the other."""
    w0 = int(first.min())
    width = close.shape[0] - w0
    diff = close[w0:] - level[:, None]
    # side: +1 above the band, -1 below, 0 inside it or before the level's first touch.
    side = (diff > tolerance[:, None]).view(np.int8) - (diff < -tolerance[:, None]).view(np.int8)
    side *= np.arange(w0, close.shape[0]) >= first[:, None]
    flat = np.flatnonzero(side)
    values = side.ravel()[flat]
    rows = flat // width
    change = (values[1:] != values[:-1]) & (rows[1:] == rows[:-1])
    return np.bincount(rows[1:][change], minlength=level.shape[0]).astype(np.int64)


def level_hits(data: PatternInput, levels: list[Level], params: LevelParams) -> list[PatternHit]:
    """The nearest supports and resistances around the last close as pattern hits."""
    if not levels or data.n == 0:
        return []
    close = float(data.close[-1])
    atr_now = float(data.indicator("atr")[-1])
    if not atr_now > 0.0:
        return []
    near = [lv for lv in levels if abs(lv.price - close) <= params.max_distance_atr * atr_now]
    supports = sorted((lv for lv in near if lv.price <= close), key=lambda lv: -lv.price)
    resistances = sorted((lv for lv in near if lv.price > close), key=lambda lv: lv.price)
    hits = []
    for name, bias, side in (
        ("support", Bias.BULLISH, supports[: params.max_per_side]),
        ("resistance", Bias.BEARISH, resistances[: params.max_per_side]),
    ):
        for lv in side:
            hits.append(
                PatternHit(
                    symbol=data.symbol,
                    timeframe=data.timeframe,
                    family=PatternFamily.SUPPORT_RESISTANCE,
                    name=name,
                    bias=bias,
                    confidence=lv.confidence,
                    bars=data.times(lv.touches),
                    level=to_price(lv.price),
                    details={
                        "touches": float(len(lv.touches)),
                        "distance_atr": abs(close - lv.price) / atr_now,
                        "bars_since_touch": float(data.n - 1 - lv.touches[-1]),
                        "tolerance": lv.tolerance,
                        "crossings": float(lv.crossings),
                        "cleanliness": lv.cleanliness,
                        "recency": lv.recency,
                    },
                )
            )
    return hits


def find_levels(
    symbol: str,
    timeframe: Timeframe,
    bars: pd.DataFrame,
    ind: pd.DataFrame,
    params: LevelParams | None = None,
    swings: SwingParams | None = None,
) -> list[PatternHit]:
    """Support / resistance hits of ``bars`` (needs ``ind['atr']``)."""
    data = PatternInput(symbol, timeframe, bars, ind)
    p = params or LevelParams()
    found = swing_positions(data.high, data.low, swings or SwingParams())
    return level_hits(data, build_levels(data, found, p), p)
