"""Readiness probes: each has its own timeout; a hanging dependency costs one thread."""

from __future__ import annotations

import asyncio
import threading
import time

from apps.api.probes import ReadinessProbes


def test_a_hanging_probe_times_out_while_the_others_report_in_time() -> None:
    release = threading.Event()
    probes = ReadinessProbes(
        {
            "fast": lambda: "fine",
            "hangs": lambda: "late" if release.wait(10) else "never",
            "broken": lambda: 1 / 0,  # type: ignore[func-returns-value]
            "absent": None,
        },
        timeout_s=0.1,
    )
    try:
        started = time.perf_counter()
        results = {r.name: r for r in asyncio.run(probes.run())}
        elapsed = time.perf_counter() - started
    finally:
        release.set()
        probes.close()

    assert elapsed < 0.2
    assert (results["fast"].status, results["fast"].detail) == ("ok", "fine")
    assert results["hangs"].status == "timeout"
    assert results["hangs"].detail == "no answer within 100 ms"
    assert results["broken"].status == "fail"
    assert results["broken"].detail.startswith("ZeroDivisionError")
    assert results["absent"].status == "skipped"


def test_a_probe_still_stuck_from_an_earlier_request_is_not_started_again() -> None:
    release = threading.Event()
    calls: list[int] = []

    def hangs() -> str:
        calls.append(1)
        release.wait(10)
        return "late"

    probes = ReadinessProbes({"hangs": hangs}, timeout_s=0.05)
    try:
        first = asyncio.run(probes.run())[0]
        second = asyncio.run(probes.run())[0]
        release.set()
        time.sleep(0.05)
        third = asyncio.run(probes.run())[0]
    finally:
        release.set()
        probes.close()

    assert first.status == "timeout"
    assert (second.status, second.detail) == ("timeout", "previous probe still running")
    assert third.status == "ok"
    assert len(calls) == 2
