"""Shared measurement helpers for the benchmark scenarios.

Wall time is read with ``time.perf_counter`` here on purpose: benchmarks measure the
machine, they are not part of the trading logic (which reads time only through a Clock).
"""

from __future__ import annotations

import gc
import os
import platform
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def machine() -> dict[str, Any]:
    """Facts about the machine a result was measured on."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "uname": " ".join(os.uname()),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def time_once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_runs(fn: Callable[[], object], runs: int, warmup: int = 1) -> dict[str, float]:
    """Median, min, p95 and max seconds of ``runs`` timed calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        gc.collect()
        samples.append(time_once(fn))
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {
        "runs": runs,
        "median_s": statistics.median(samples),
        "min_s": samples[0],
        "p95_s": p95,
        "max_s": samples[-1],
    }


def percentiles(samples: list[float], points: tuple[float, ...] = (50, 95, 99)) -> dict[str, float]:
    ordered = sorted(samples)
    out: dict[str, float] = {}
    for point in points:
        index = min(len(ordered) - 1, round(point / 100 * (len(ordered) - 1)))
        out[f"p{point:g}"] = ordered[index]
    return out


def peak_memory_mib(fn: Callable[[], object]) -> float:
    """Peak Python-heap allocation of one call, in MiB (tracemalloc)."""
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


def max_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
