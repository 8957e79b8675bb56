"""`quorum bench startup`: what a process costs around its work (issue #22 item 5).

Three measurements, each in fresh child processes with this process's environment (so the
same ``NUMBA_CACHE_DIR`` a user's ``quorum`` reads), wall time and CPU time (user + system
of the child, from ``getrusage(RUSAGE_CHILDREN)``):

- ``quorum --help`` (``help_runs`` times; min and median);
- ``quorum run --json`` with its defaults (one day of 15m bars, 3 symbols, 4 timeframes) in
  a temporary directory; the run's own ``wall_s`` (start-up wiring to summary) is reported
  next to the process's, the difference being the command's imports and the interpreter's
  start and teardown;
- a fresh worker's first scan: the prefork parent's start-up (``apps.worker.process.preload``:
  imports, numba kernels, freeze) then the first standard scan of one symbol × 4 timeframes
  × 500 bars (data built before timing, as in ``quorum bench scan``).

The 1-minute load average before and after is part of the result: on a shared machine it
says how much of a wall time is waiting for a core.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import machine

TARGETS = {"help_cpu_s": 1.0, "run_wall_s": 10.0, "worker_first_scan_s": 1.0}

_WORKER = """
import json, time
t0 = time.perf_counter()
from apps.worker.process import preload
preload()
t1 = time.perf_counter()
from benchmarks.scan import build_frames, scan_all
from quorum.analysis.scan import ScanParams
frames = build_frames(1, 500, {seed})
t2 = time.perf_counter()
scan_all(frames, ScanParams())
t3 = time.perf_counter()
print(json.dumps({{"preload_s": t1 - t0, "first_scan_s": t3 - t2}}))
"""


def _quorum() -> list[str]:
    """The installed ``quorum`` console script next to this interpreter."""
    script = Path(sys.executable).with_name("quorum")
    if not script.exists():
        raise FileNotFoundError(f"{script}: the quorum console script is not installed")
    return [str(script)]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child(argv: list[str], cwd: str) -> dict[str, Any]:
    """Run ``argv`` to its end: wall and CPU seconds, and its standard output."""
    cpu, began = _cpu(), time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(argv[:3])}: exit {done.returncode}: {' | '.join(tail)}")
    return {"wall_s": round(wall, 3), "cpu_s": round(_cpu() - cpu, 3), "stdout": done.stdout}


def _help(runs: int, cwd: str) -> dict[str, Any]:
    samples = [child([*_quorum(), "--help"], cwd) for _ in range(runs)]
    walls = sorted(s["wall_s"] for s in samples)
    cpus = sorted(s["cpu_s"] for s in samples)
    return {
        "runs": runs,
        "wall_min_s": walls[0],
        "wall_median_s": walls[len(walls) // 2],
        "cpu_min_s": cpus[0],
        "cpu_median_s": cpus[len(cpus) // 2],
    }


def _run(steps: int, cwd: str) -> dict[str, Any]:
    sample = child([*_quorum(), "run", "--json", "--steps", str(steps)], cwd)
    summary = json.loads(sample["stdout"][sample["stdout"].index("{") :])
    return {
        "steps": steps,
        "wall_s": sample["wall_s"],
        "cpu_s": sample["cpu_s"],
        "in_command_s": summary["wall_s"],
        "outside_command_s": round(sample["wall_s"] - summary["wall_s"], 3),
        "signals": summary["signals"],
        "fills": summary["fills"],
        "journal_verified": summary["journal"]["verified"],
    }


def _worker(seed: int, cwd: str) -> dict[str, Any]:
    sample = child([sys.executable, "-c", _WORKER.format(seed=seed)], cwd)
    times = json.loads(sample["stdout"].strip().splitlines()[-1])
    return {
        "process_wall_s": sample["wall_s"],
        "process_cpu_s": sample["cpu_s"],
        "preload_s": round(times["preload_s"], 3),
        "first_scan_s": round(times["first_scan_s"], 3),
    }


def run(
    help_runs: int = 3, steps: int = 96, seed: int = 7, skip_run: bool = False
) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="quorum-bench-startup-") as scratch:
        results: dict[str, Any] = {"help": _help(help_runs, scratch)}
        results["worker_first_scan"] = _worker(seed, str(root))
        if not skip_run:
            results["run"] = _run(steps, scratch)
    met = {
        "help_cpu_s": results["help"]["cpu_median_s"] <= TARGETS["help_cpu_s"],
        "worker_first_scan_s": results["worker_first_scan"]["first_scan_s"]
        <= TARGETS["worker_first_scan_s"],
    }
    if "run" in results:
        met["run_wall_s"] = results["run"]["wall_s"] <= TARGETS["run_wall_s"]
    return {
        "scenario": "startup",
        "machine": {**machine(), "uname": " ".join(platform.uname()), "nproc": os.cpu_count()},
        "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR") or "(numba's default, in-tree)",
        "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
        **results,
        "targets": TARGETS,
        "met": met,
    }
