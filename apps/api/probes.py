"""Readiness probes, each with its own timeout, run concurrently.

A probe is a blocking callable (a database round trip, a Redis PING, a venue request)
run on a small thread pool; the endpoint waits at most ``timeout_s`` for each, all at
once, so ``/health/ready`` answers in about that long even when a dependency hangs. A
probe still stuck from an earlier request is not started again: it reports ``timeout``
at once, so a hanging dependency holds one thread, not one per request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

ProbeStatus = Literal["ok", "fail", "timeout", "skipped"]
Probe = Callable[[], str]
"""Returns a short detail on success; raises on failure."""


@dataclass(frozen=True, slots=True)
class ProbeResult:
    name: str
    status: ProbeStatus
    detail: str
    elapsed_ms: float


class ReadinessProbes:
    """Named probes; ``None`` marks a dependency that is not configured (``skipped``)."""

    def __init__(self, probes: Mapping[str, Probe | None], timeout_s: float) -> None:
        self._probes = dict(probes)
        self._timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, len(self._probes)), thread_name_prefix="api-probe"
        )
        self._running: dict[str, Future[str]] = {}
        self._lock = threading.Lock()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._probes)

    async def run(self) -> list[ProbeResult]:
        return list(await asyncio.gather(*(self._one(n, p) for n, p in self._probes.items())))

    async def _one(self, name: str, probe: Probe | None) -> ProbeResult:
        if probe is None:
            return ProbeResult(name, "skipped", "not configured", 0.0)
        started = time.perf_counter()
        with self._lock:
            future = self._running.get(name)
            if future is not None and not future.done():
                return ProbeResult(name, "timeout", "previous probe still running", 0.0)
            future = self._pool.submit(probe)
            self._running[name] = future
        try:
            detail = await asyncio.wait_for(asyncio.wrap_future(future), self._timeout_s)
        except TimeoutError:
            return ProbeResult(
                name, "timeout", f"no answer within {self._timeout_s * 1000:.0f} ms", _ms(started)
            )
        except Exception as exc:  # a probe's failure is its result, whatever the class
            return ProbeResult(name, "fail", f"{type(exc).__name__}: {exc}"[:300], _ms(started))
        return ProbeResult(name, "ok", detail, _ms(started))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
