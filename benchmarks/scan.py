"""`quorum bench scan`: the standard multi-timeframe scan and the indicator set vs TA-Lib.

Standard scan: 20 symbols × 4 timeframes (15m, 1h, 4h, 1d) × 500 closed bars each,
seeded synthetic data, all indicators, volume profile, patterns and regime. Data is
generated and aligned once before timing (its cost is reported separately), so the
warm number is the analysis a worker repeats every bar.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.harness import machine, max_rss_mib, peak_memory_mib, time_runs
from quorum.analysis.indicators import IndicatorParams, compute_indicators
from quorum.analysis.scan import ScanParams, analyze_timeframe
from quorum.clock import ReplayClock
from quorum.domain import BarFrame, Timeframe
from quorum.market import align_timeframes, open_source
from quorum.pipeline import history_start

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
TIMEFRAMES = (Timeframe.M15, Timeframe.H1, Timeframe.H4, Timeframe.D1)
TARGETS = {"scan_warm_s": 0.15, "first_scan_s": 1.0, "indicators_vs_talib_ratio": 2.0}


def build_frames(symbols: int, bars: int, seed: int) -> dict[tuple[str, Timeframe], BarFrame]:
    clock = ReplayClock(AS_OF)
    loader = open_source(f"synthetic:{seed}", clock=clock, base_timeframe=Timeframe.M15)
    since = history_start(TIMEFRAMES, AS_OF, bars)
    frames: dict[tuple[str, Timeframe], BarFrame] = {}
    for i in range(symbols):
        symbol = f"SYM{i:02d}/USDT"
        base = loader.fetch_bars(symbol, Timeframe.M15, since, AS_OF)
        for tf, frame in align_timeframes(base, list(TIMEFRAMES), AS_OF).items():
            frames[(symbol, tf)] = frame
    return frames


def scan_all(frames: dict[tuple[str, Timeframe], BarFrame], params: ScanParams) -> int:
    hits = 0
    for (symbol, tf), frame in frames.items():
        hits += len(analyze_timeframe(symbol, tf, frame, AS_OF, params).patterns)
    return hits


def random_walk(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.concatenate([[close[0]], close[:-1]])
    spread = np.abs(rng.normal(0, 0.0015, n)) * close
    index = pd.date_range("2020-01-01", periods=n, freq="15min", tz="UTC", name="ts")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": rng.lognormal(10, 0.5, n),
        },
        index=index,
    )


def talib_set(df: pd.DataFrame, p: IndicatorParams) -> None:
    import talib
    from talib._ta_lib import MA_Type

    o, h, low, c, v = (df[k].to_numpy() for k in ("open", "high", "low", "close", "volume"))
    del o
    talib.EMA(c, p.ema_fast)
    talib.EMA(c, p.ema_slow)
    talib.RSI(c, p.rsi_length)
    talib.MACD(c, p.macd_fast, p.macd_slow, p.macd_signal)
    talib.BBANDS(c, p.bb_length, p.bb_std, p.bb_std)
    talib.ATR(h, low, c, p.atr_length)
    talib.STOCH(h, low, c, p.stoch_k, p.stoch_smooth_k, MA_Type.SMA, p.stoch_d, MA_Type.SMA)
    talib.CCI(h, low, c, p.cci_length)
    talib.MFI(h, low, c, v, p.mfi_length)
    talib.ADX(h, low, c, p.adx_length)
    talib.PLUS_DI(h, low, c, p.adx_length)
    talib.MINUS_DI(h, low, c, p.adx_length)
    talib.OBV(c, v)


def first_scan_in_fresh_process(seed: int) -> dict[str, float]:
    """Import and first-scan time of a new process (what a worker pays after start)."""
    code = "\n".join(
        [
            "import json, time",
            "t0 = time.perf_counter()",
            "from benchmarks.scan import build_frames, scan_all",
            "from quorum.analysis.scan import ScanParams",
            "t1 = time.perf_counter()",
            f"frames = build_frames(1, 500, {seed})",
            "t2 = time.perf_counter()",
            "scan_all(frames, ScanParams())",
            "t3 = time.perf_counter()",
            "print(json.dumps({'import_s': t1 - t0, 'data_s': t2 - t1, 'first_scan_s': t3 - t2}))",
        ]
    )
    env = dict(os.environ)
    env.setdefault("NUMBA_CACHE_DIR", os.path.join(os.getcwd(), ".cache", "numba"))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(
    symbols: int = 20, bars: int = 500, runs: int = 7, seed: int = 7, big: int = 100_000
) -> dict[str, Any]:
    params = ScanParams(history_bars=bars)
    began = time.perf_counter()
    frames = build_frames(symbols, bars, seed)
    data_s = time.perf_counter() - began
    available = {tf.value: len(frames[("SYM00/USDT", tf)].closed_at(AS_OF)) for tf in TIMEFRAMES}
    warm = time_runs(lambda: scan_all(frames, params), runs=runs, warmup=1)
    peak = peak_memory_mib(lambda: scan_all(frames, params))
    first = first_scan_in_fresh_process(seed)

    big_df = random_walk(big, seed)
    ours = time_runs(lambda: compute_indicators(big_df, params.indicators), runs=3, warmup=1)
    try:
        ta = time_runs(lambda: talib_set(big_df, params.indicators), runs=3, warmup=1)
        ratio: float | None = ours["median_s"] / ta["median_s"]
        talib_s: float | None = ta["median_s"]
    except ImportError:
        ratio = talib_s = None
    return {
        "benchmark": "scan",
        "machine": machine(),
        "scan": {
            "symbols": symbols,
            "timeframes": [tf.value for tf in TIMEFRAMES],
            "analysed_bars_per_frame": bars,
            "available_closed_bars_per_timeframe": available,
            "frames": len(frames),
            "warm": warm,
            "first_scan_fresh_process": first,
            "peak_tracemalloc_mib": round(peak, 1),
            "max_rss_mib": round(max_rss_mib(), 1),
            "data_generation_s": data_s,
        },
        "indicators_100k": {
            "bars": big,
            "ours_median_s": ours["median_s"],
            "talib_median_s": talib_s,
            "ratio": ratio,
        },
        "targets": TARGETS,
        "meets": {
            "scan_warm_s": warm["median_s"] <= TARGETS["scan_warm_s"],
            "first_scan_s": first["first_scan_s"] <= TARGETS["first_scan_s"],
            "indicators_vs_talib_ratio": ratio is not None
            and ratio <= TARGETS["indicators_vs_talib_ratio"],
        },
    }
