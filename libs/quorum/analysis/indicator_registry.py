"""The indicator registry: every indicator declared once, as one :class:`IndicatorSpec`.

A spec names the indicator, the columns it adds to the frame of
:func:`quorum.analysis.indicators.compute_indicators` (in order), the OHLCV inputs and the
:class:`~quorum.analysis.indicators.IndicatorParams` fields its kernel reads, the kernel
itself (from :mod:`quorum.analysis._indicator_kernels`), the row from which its value is
trusted (as a function of the same parameters) and, when the snapshot reports something
other than the columns' values, how. ``compute_indicators``, ``indicator_snapshot`` and
``IndicatorParams.warmup_bars`` iterate :data:`REGISTRY`; nothing else lists indicators.
How to add one: ``docs/indicators.md``, *Adding an indicator*.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from quorum.analysis import _indicator_kernels as k
from quorum.analysis._indicator_kernels import FloatArray

Input = Literal["open", "high", "low", "close", "volume"]
"""An OHLCV column a kernel reads."""

OHLCV: tuple[Input, ...] = ("open", "high", "low", "close", "volume")

Kernel = Callable[..., FloatArray | tuple[FloatArray, ...]]
"""``kernel(*inputs, *params)``: one array for a one-column indicator, else a tuple of
arrays in the order of the spec's ``columns``; every array as long as the inputs."""

SnapshotValues = Callable[..., dict[str, float]]
"""``snapshot(columns, row, *params)``: the values the snapshot reports for an indicator
whose raw columns it does not report as they are; ``columns[j]`` is the j-th column."""

CONVERGENCE = 1e-10
"""A recursive smoother is trusted once its seed's weight has decayed below this."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IndicatorSpec:
    """One indicator: what it reads, what it computes, from when its value is trusted.

    Keyword-only and frozen, so a later field (e.g. the one-bar recurrence ``update`` of
    the streaming scan, issue #22) is added beside ``kernel`` without touching the entries.
    """

    name: str
    columns: tuple[str, ...]
    """Its columns in the indicator frame, in this order (names are unique across specs)."""
    inputs: tuple[Input, ...]
    """The OHLCV arrays handed to the kernel first, in this order."""
    params: tuple[str, ...]
    """The ``IndicatorParams`` fields handed to the kernel (and to ``trusted_from`` and
    ``snapshot``) after the inputs, in this order."""
    kernel: Kernel
    trusted_from: Callable[..., int]
    """``trusted_from(*params)``: the first 0-based row whose value no longer depends on the
    seed — the row where the indicator is first defined plus, for a recursive smoother, the
    steps until the seed's weight is below :data:`CONVERGENCE`. ``warmup_bars`` is the
    largest over the registry, plus one."""
    snapshot: SnapshotValues | None = None
    """None: the snapshot reports each column's value on the bar. Otherwise what it reports
    instead; the fields in ``params`` are then also recorded in the frame's ``attrs``."""


# -- warm-up arithmetic ---------------------------------------------------------------------


def ema_decay(length: int) -> float:
    """Pole of an EMA with ``k = 2 / (length + 1)``."""
    return 1.0 - 2.0 / (length + 1)


def wilder_decay(length: int) -> float:
    """Pole of Wilder's smoothing, ``k = 1 / length``."""
    return 1.0 - 1.0 / length


def settle(decay: float, gain: float = 0.0) -> int:
    """Smallest ``s`` with ``(1 + gain·s) · decay**s <= CONVERGENCE``.

    ``decay`` is the slowest pole ``r``; ``gain`` the alpha of a second smoother fed by
    the first (0 for a single one): its seed weight after ``s`` steps is at most
    ``(1 + gain·s)·r**s``.
    """
    steps = math.ceil(math.log(CONVERGENCE) / math.log(decay))
    while (1.0 + gain * steps) * decay**steps > CONVERGENCE:
        steps += 1
    return steps


def _ema_trusted(n: int) -> int:
    return n - 1 + settle(ema_decay(n))


def _wilder_trusted(n: int) -> int:
    return n + settle(wilder_decay(n))


def _macd_trusted(fast: int, slow: int, signal: int) -> int:
    slowest = max(ema_decay(fast), ema_decay(slow), ema_decay(signal))
    return slow + signal - 2 + settle(slowest, 2.0 / (signal + 1))


def _bollinger_trusted(n: int, _width: float) -> int:
    return n - 1


def _stochastic_trusted(n: int, smooth_k: int, d: int) -> int:
    return n + smooth_k + d - 3


def _adx_trusted(n: int) -> int:
    return 2 * n - 1 + settle(wilder_decay(n), 1.0 / n)


# -- kernel adapters: argument order and output order of the shared kernels ---------------


def _ema(close: FloatArray, n: int) -> FloatArray:
    return k.ema(close, n, 0)


def _macd(
    close: FloatArray, fast: int, slow: int, signal: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    line = k.ema(close, fast, 0) - k.ema(close, slow, 0)
    trigger = k.ema(line, signal, slow - 1)
    return line, trigger, line - trigger


def _adx(
    high: FloatArray, low: FloatArray, close: FloatArray, n: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    plus_di, minus_di, adx = k.dmi_adx(high, low, close, n)
    return adx, plus_di, minus_di


def _obv(close: FloatArray, volume: FloatArray, _window: int) -> FloatArray:
    # obv_window is not the kernel's: the snapshot reports OBV's change over it
    return k.obv(close, volume)


def _obv_change(columns: FloatArray, row: int, window: int) -> dict[str, float]:
    """OBV's level depends on where the supplied history starts (replay and live would
    disagree on it); its change over the last ``window`` bars does not."""
    obv = columns[0]
    return {"obv_change": float(obv[row] - obv[row - window])}


# -- the registry ---------------------------------------------------------------------------

REGISTRY: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        name="ema_fast",
        columns=("ema_fast",),
        inputs=("close",),
        params=("ema_fast",),
        kernel=_ema,
        trusted_from=_ema_trusted,
    ),
    IndicatorSpec(
        name="ema_slow",
        columns=("ema_slow",),
        inputs=("close",),
        params=("ema_slow",),
        kernel=_ema,
        trusted_from=_ema_trusted,
    ),
    IndicatorSpec(
        name="rsi",
        columns=("rsi",),
        inputs=("close",),
        params=("rsi_length",),
        kernel=k.rsi,
        trusted_from=_wilder_trusted,
    ),
    IndicatorSpec(
        name="macd",
        columns=("macd", "macd_signal", "macd_hist"),
        inputs=("close",),
        params=("macd_fast", "macd_slow", "macd_signal"),
        kernel=_macd,
        trusted_from=_macd_trusted,
    ),
    IndicatorSpec(
        name="bollinger",
        columns=("bb_lower", "bb_mid", "bb_upper"),
        inputs=("close",),
        params=("bb_length", "bb_std"),
        kernel=k.bollinger,
        trusted_from=_bollinger_trusted,
    ),
    IndicatorSpec(
        name="atr",
        columns=("atr",),
        inputs=("high", "low", "close"),
        params=("atr_length",),
        kernel=k.atr,
        trusted_from=_wilder_trusted,
    ),
    IndicatorSpec(
        name="stochastic",
        columns=("stoch_k", "stoch_d"),
        inputs=("high", "low", "close"),
        params=("stoch_k", "stoch_smooth_k", "stoch_d"),
        kernel=k.stochastic,
        trusted_from=_stochastic_trusted,
    ),
    IndicatorSpec(
        name="cci",
        columns=("cci",),
        inputs=("high", "low", "close"),
        params=("cci_length",),
        kernel=k.cci,
        trusted_from=lambda n: n - 1,
    ),
    IndicatorSpec(
        name="mfi",
        columns=("mfi",),
        inputs=("high", "low", "close", "volume"),
        params=("mfi_length",),
        kernel=k.mfi,
        trusted_from=lambda n: n,
    ),
    IndicatorSpec(
        name="adx",
        columns=("adx", "plus_di", "minus_di"),
        inputs=("high", "low", "close"),
        params=("adx_length",),
        kernel=_adx,
        trusted_from=_adx_trusted,
    ),
    IndicatorSpec(
        name="obv",
        columns=("obv",),
        inputs=("close", "volume"),
        params=("obv_window",),
        kernel=_obv,
        trusted_from=lambda window: window,
        snapshot=_obv_change,
    ),
)
"""Every indicator, in the order of its columns in the frame."""


def check_registry(registry: tuple[IndicatorSpec, ...], fields: frozenset[str]) -> None:
    """Refuse a registry with a repeated name or column, an unknown input, or a parameter
    that is not one of ``fields`` (the ``IndicatorParams`` fields); errors name the spec."""
    names: set[str] = set()
    columns: set[str] = set()
    for spec in registry:
        where = f"indicator {spec.name!r}"
        if spec.name in names:
            raise ValueError(f"{where}: declared twice")
        names.add(spec.name)
        if not spec.columns:
            raise ValueError(f"{where}: declares no column")
        repeated = sorted(columns.intersection(spec.columns)) or sorted(
            {c for c in spec.columns if spec.columns.count(c) > 1}
        )
        if repeated:
            raise ValueError(f"{where}: columns {repeated} are already declared")
        columns.update(spec.columns)
        unknown_inputs = [name for name in spec.inputs if name not in OHLCV]
        if unknown_inputs:
            raise ValueError(f"{where}: inputs {unknown_inputs} are not OHLCV columns")
        unknown = [name for name in spec.params if name not in fields]
        if unknown:
            raise ValueError(f"{where}: params {unknown} are not IndicatorParams fields")
