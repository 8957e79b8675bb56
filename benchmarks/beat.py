"""Beat failover for `quorum bench beat`: how long a standby beat takes to become active.

Two real ``celery beat`` processes (RedBeat, the app's configuration) share one real
Redis. One holds the lock; the benchmark signals its process group (SIGTERM: a clean
shutdown, which releases the lock; SIGKILL: a crash, which leaves the lock to expire after
``worker.beat_lock_timeout_s``) and times until the standby logs ``Acquired lock``. The
killed beat is restarted as the next round's standby. Redis is not started here: pass its
URL (``--redis-url``, or ``QUORUM_REDIS_URL`` / ``QUORUM_TEST_REDIS_URL``;
``tools/services.sh start DIR`` starts one).

Expected: after SIGTERM, up to one standby retry interval (``beat_max_loop_interval_s``);
after SIGKILL, the lock's remaining life (up to ``beat_lock_timeout_s``) plus that interval.
"""

from __future__ import annotations

import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ACQUIRED = "Acquired lock"
START_S = 120.0
"""A cold beat imports the app (LangGraph, LiteLLM) on a busy host."""


def _redis_url(redis_url: str | None) -> str:
    url = redis_url or os.environ.get("QUORUM_REDIS_URL") or os.environ.get("QUORUM_TEST_REDIS_URL")
    if not url:
        raise ValueError(
            "redis_url: no Redis given; pass --redis-url or set QUORUM_REDIS_URL "
            "(tools/services.sh start DIR starts one)"
        )
    return url


class _Beats:
    """Beat processes over one Redis, each in its own process group, logging to files."""

    def __init__(self, tmp: Path, broker: str, lock_timeout_s: float, loop_s: float) -> None:
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        (tmp / "quorum.yaml").write_text("worker: {}\n")  # defaults, overridden below
        self.starts = 0
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("QUORUM_")}
        self.env.update(
            {
                "QUORUM_BROKER_URL": broker,
                "QUORUM_CONFIG": str(tmp / "quorum.yaml"),
                "QUORUM_DATABASE__URL": f"sqlite:///{tmp / 'quorum.db'}",
                "QUORUM_JOURNAL__LOCAL_KEY_PATH": str(tmp / "journal.key"),
                "QUORUM_FLAGS__FILE_PATH": str(tmp / "flags.json"),
                "QUORUM_FLAGS__AUDIT_PATH": str(tmp / "flag-audit.jsonl"),
                "QUORUM_WORKER__BEAT_KEY_PREFIX": f"bench:{uuid.uuid4().hex[:8]}:",
                "QUORUM_WORKER__BEAT_LOCK_TIMEOUT_S": str(lock_timeout_s),
                "QUORUM_WORKER__BEAT_MAX_LOOP_INTERVAL_S": str(loop_s),
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "NUMBA_CACHE_DIR": str(ROOT / ".cache" / "numba"),
                "PYTHONPATH": os.pathsep.join([str(ROOT / "libs"), str(ROOT)]),
            }
        )

    def log(self, name: str) -> str:
        path = self.tmp / f"beat-{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, name: str) -> None:
        self.starts += 1
        (self.tmp / f"beat-{name}.log").write_bytes(b"")
        with (self.tmp / f"beat-{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "apps.worker", "beat", "-l", "DEBUG"],
                cwd=self.tmp,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: we signal exactly what we started
            )

    def active(self) -> str | None:
        return next((name for name in self.procs if ACQUIRED in self.log(name)), None)

    def stop(self, name: str, sig: int) -> None:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
        proc.wait(timeout=60)

    def wait(self, what: str, check: Any) -> Any:
        """``check()`` once true, polled every 50 ms; an error with the beats' logs."""
        try:
            return _wait(what, check, START_S)
        except TimeoutError as exc:
            tails = "\n".join(f"--- beat-{n}\n{self.log(n)[-2000:]}" for n in sorted(self.procs))
            raise TimeoutError(f"{exc}\n{tails}") from None

    def close(self) -> None:
        for name in list(self.procs):
            self.stop(name, signal.SIGTERM)


def _wait(what: str, check: Any, timeout: float, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


def _round(beats: _Beats, sig: int) -> float:
    """Signal the active beat; seconds until the standby holds the lock. The killed beat
    comes back as the standby of the next round."""
    active = beats.wait("a beat to hold the lock", beats.active)
    standby = next(name for name in beats.procs if name != active)
    _wait(
        "the standby to wait for the lock", lambda: "Acquiring lock" in beats.log(standby), START_S
    )
    started = time.monotonic()
    beats.stop(active, sig)
    beats.wait("the standby to take over", lambda: ACQUIRED in beats.log(standby))
    took = time.monotonic() - started
    beats.start(active)
    return took


def _summary(times: list[float]) -> dict[str, Any]:
    return {
        "runs": len(times),
        "median_s": round(statistics.median(times), 2),
        "max_s": round(max(times), 2),
        "all_s": [round(t, 2) for t in times],
    }


def run(
    redis_url: str | None = None,
    rounds: int = 3,
    lock_timeout_s: float = 30.0,
    loop_s: float = 5.0,
) -> dict[str, Any]:
    """``rounds`` takeovers after SIGTERM and after SIGKILL of the active beat."""
    broker = _redis_url(redis_url)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="quorum-bench-beat-") as tmp:
        beats = _Beats(Path(tmp), broker, lock_timeout_s, loop_s)
        try:
            beats.start("a")
            beats.wait("beat a to hold the lock", lambda: beats.active() == "a")
            beats.start("b")
            term = [_round(beats, signal.SIGTERM) for _ in range(rounds)]
            kill = [_round(beats, signal.SIGKILL) for _ in range(rounds)]
        finally:
            beats.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "benchmark": "beat_failover",
        "lock_timeout_s": lock_timeout_s,
        "max_loop_interval_s": loop_s,
        "sigterm": _summary(term),
        "sigkill": _summary(kill),
        "beat_starts": beats.starts,
        "wall_s": round(time.monotonic() - wall, 1),
        "beats_cpu_s": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1
        ),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
