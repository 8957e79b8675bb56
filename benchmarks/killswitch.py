"""Kill-switch timings for `quorum bench execution`: time-to-block and time-to-flat.

Both start at the command (``set_kill_switch`` called, as ``quorum kill-switch on`` does):

- **time-to-block**: until a gate check in another thread first refuses a new entry —
  the risk gate's input (``rules_state``: the stored trading state) and the executor's
  gate (``blocked_reason``) both read the one ``trading_state`` row at every check, as
  the workers do, so this is the command's write plus one read.
- **time-to-flat**: until the paper venue (stored in the database, shared by every
  process) holds no position.

**embedded**: one process (SQLite file, the stored paper venue), the command flattens.
**celery**: a real ``celery worker`` process (all queues) over a real Redis and the same
SQLite file; the command runs in this process *with the venue unreachable from it* (its
transport is down), so it only moves the state and cancels locally — the flatten is the
worker's: the command nudges the workers' ``monitor`` (Celery), whose sweep flattens and
halts. Redis is not started here: pass its URL (``--redis-url``, or ``QUORUM_REDIS_URL``
/ ``QUORUM_TEST_REDIS_URL``; ``tools/services.sh start DIR`` starts one).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from apps.bootstrap import build_pipeline, build_runtime
from quorum.config import AppSettings, load_settings
from quorum.domain import (
    OrderIntent,
    OrderLeg,
    OrderType,
    RiskDecision,
    Side,
    TradingState,
    Verdict,
)
from quorum.execution.context import read_scope
from quorum.pipeline import Dispatcher, EmbeddedDispatcher, PipelineTasks
from quorum.pipeline.accounting import rules_state
from quorum.pipeline.options import PipelineOptions
from quorum.store import session_scope

ROOT = Path(__file__).resolve().parents[1]
SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
CONFIG = """\
pipeline:
  symbols: [BTC/USDT, ETH/USDT, SOL/USDT]
  timeframes: [15m]
  base: 15m
  history_bars: 400
  data: synthetic
  finalization_delay_s: 0
"""


def _env(tmp: Path, broker: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUORUM_")}
    (tmp / "quorum.yaml").write_text(CONFIG)
    env.update(
        {
            "QUORUM_CONFIG": str(tmp / "quorum.yaml"),
            "QUORUM_DATABASE__URL": f"sqlite:///{tmp / 'quorum.db'}",
            "QUORUM_JOURNAL__LOCAL_KEY_PATH": str(tmp / "journal.key"),
            "QUORUM_FLAGS__FILE_PATH": str(tmp / "flags.json"),
            "QUORUM_FLAGS__AUDIT_PATH": str(tmp / "flag-audit.jsonl"),
            "QUORUM_WORKER__BEAT_KEY_PREFIX": f"bench:{tmp.name}:",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "NUMBA_CACHE_DIR": str(ROOT / ".cache" / "numba"),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "libs"), str(ROOT)]),
        }
    )
    if broker is not None:
        env["QUORUM_BROKER_URL"] = broker
    return env


def _open(tasks: PipelineTasks, symbol: str, i: int) -> None:
    """An approved market entry, stored and executed (a position at the paper venue)."""
    deps = tasks.deps
    now = deps.clock.now()
    if deps.quotes is not None:
        deps.quotes.sync(symbol, now)
    intent = OrderIntent(
        run_id=deps.run_id,
        strategy="bench",
        symbol=symbol,
        signal_time=now,
        side=Side.BUY if i % 2 == 0 else Side.SELL,
        leg=OrderLeg.ENTRY,
        order_type=OrderType.MARKET,
        quantity=Decimal("0.01"),
    )
    decision = RiskDecision(
        symbol=symbol, as_of=now, verdict=Verdict.APPROVED, quantity=intent.quantity
    )
    with session_scope(deps.engine) as session:
        deps.execution.store_intent(session, intent, decision)
    tasks.execute(intent.client_order_id)


def _entry_refused(tasks: PipelineTasks) -> bool:
    """One gate check of a new entry, as a worker does it (no cache; read-only)."""
    deps = tasks.deps
    with read_scope(deps.execution.ctx.sessions) as session:
        risk_refuses = rules_state(deps, session)[0].kill_switch is not None
        send_refused = deps.execution.ctx.controls.blocked_reason(
            session,
            strategy="bench",
            venue="paper",
            symbol=SYMBOLS[0],
            side=Side.BUY,
            quantity=Decimal("0.01"),
            leg=OrderLeg.ENTRY,
        )
    return risk_refuses and send_refused is not None


@contextlib.contextmanager
def _probe(tasks: PipelineTasks, refused_at: list[float]) -> Iterator[None]:
    """A thread checking a new entry in a loop until one is refused."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            if _entry_refused(tasks):
                refused_at.append(time.perf_counter())
                return
            time.sleep(0.002)

    thread = threading.Thread(target=run, name="kill-switch-probe", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _flat(tasks: PipelineTasks) -> bool:
    return not any(p.quantity for p in tasks.deps.execution.positions())


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of the live processes in process group ``pgid`` (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp …
            total += int(fields[11]) + int(fields[12])  # utime stime
    return total / tick


def _halted(tasks: PipelineTasks) -> bool:
    return tasks.deps.execution.trading_status().state is TradingState.HALTED


def _measure(
    tasks: PipelineTasks,
    command: Callable[[], dict[str, Any]],
    flat_timeout_s: float,
    worker_pgid: int | None = None,
) -> dict[str, Any]:
    refused_at: list[float] = []
    load = os.getloadavg()
    worker0 = group_cpu_s(worker_pgid) if worker_pgid else 0.0
    with _probe(tasks, refused_at):
        cpu0, t0 = time.process_time(), time.perf_counter()
        result = command()
        t_command = time.perf_counter() - t0
        deadline = t0 + flat_timeout_s
        while not _flat(tasks) and time.perf_counter() < deadline:
            time.sleep(0.01)
        t_flat = time.perf_counter() - t0 if _flat(tasks) else None
        while not _halted(tasks) and time.perf_counter() < deadline:
            time.sleep(0.01)
        t_halted = time.perf_counter() - t0 if _halted(tasks) else None
        cpu = time.process_time() - cpu0
        worker_cpu = group_cpu_s(worker_pgid) - worker0 if worker_pgid else None
        wait = time.perf_counter() + 2
        while not refused_at and time.perf_counter() < wait:
            time.sleep(0.01)
    return {
        "time_to_block_s": round(refused_at[0] - t0, 4) if refused_at else None,
        "time_to_flat_s": None if t_flat is None else round(t_flat, 4),
        "time_to_halted_s": None if t_halted is None else round(t_halted, 4),
        "command_wall_s": round(t_command, 4),
        "process_cpu_s": round(cpu, 4),
        "worker_cpu_s": None if worker_cpu is None else round(worker_cpu, 3),
        "load_average_1_5_15": [round(x, 2) for x in load],
        "state_after_command": result.get("state"),
        "failures_reported": len(result.get("failures", [])),
        "trading_state_at_end": tasks.deps.execution.trading_status().state.value,
    }


@contextlib.contextmanager
def _pipeline(
    env: dict[str, str], dispatcher: Dispatcher, reconcile: bool = True
) -> Iterator[PipelineTasks]:
    settings: AppSettings = load_settings(env=env)
    runtime = build_runtime(settings)
    try:
        tasks = build_pipeline(runtime, dispatcher, PipelineOptions(reconcile=reconcile))
        try:
            yield tasks
        finally:
            tasks.close()
    finally:
        runtime.close()


def embedded(positions: int = 3) -> dict[str, Any]:
    """One process: the command cancels, flattens and halts."""
    with tempfile.TemporaryDirectory() as name, contextlib.chdir(name):
        tmp = Path(name)
        with _pipeline(_env(tmp, None), EmbeddedDispatcher()) as tasks:
            for i in range(positions):
                _open(tasks, SYMBOLS[i % len(SYMBOLS)], i)
            held = sum(1 for p in tasks.deps.execution.positions() if p.quantity)
            out = _measure(tasks, lambda: tasks.set_kill_switch(True, "bench", "benchmark"), 30.0)
    return {"mode": "embedded", "positions": held, **out}


def _redis_url(redis_url: str | None) -> str | None:
    return (
        redis_url or os.environ.get("QUORUM_REDIS_URL") or os.environ.get("QUORUM_TEST_REDIS_URL")
    )


def _worker(tmp: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    from apps.cli.commands.worker import worker_argv
    from quorum.config.settings.worker import QUEUES

    argv = worker_argv(QUEUES, 1, "INFO", "prefork", f"bench-{tmp.name}@localhost")
    log = (tmp / "worker.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "apps.worker", *argv],
        cwd=tmp,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_ready(tmp: Path, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = (tmp / "worker.log").read_text(errors="replace")
        if " ready." in text:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited {proc.returncode}:\n{text[-2000:]}")
        time.sleep(0.2)
    raise RuntimeError(f"celery worker not ready after {timeout_s:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # the worker's own group: what we started
    proc.wait(timeout=30)


def celery(redis_url: str | None = None, positions: int = 3) -> dict[str, Any]:
    """A real worker flattens: the command's process cannot reach the venue."""
    broker = _redis_url(redis_url)
    if broker is None:
        return {
            "mode": "celery",
            "skipped": "no Redis: pass --redis-url or set QUORUM_REDIS_URL "
            "(tools/services.sh start DIR starts one)",
        }
    from apps.worker.dispatcher import pipeline_dispatcher

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        stack.enter_context(contextlib.chdir(tmp))
        env = _env(tmp, broker)
        dispatcher, close_dispatcher = pipeline_dispatcher(load_settings(env=env))
        stack.callback(close_dispatcher)
        tasks = stack.enter_context(_pipeline(env, dispatcher))  # migrates the database
        proc = _worker(tmp, env)
        stack.callback(_stop, proc)
        _wait_ready(tmp, proc, 120)
        for i in range(positions):
            _open(tasks, SYMBOLS[i % len(SYMBOLS)], i)
        held = sum(1 for p in tasks.deps.execution.positions() if p.quantity)
        # the command, as `quorum kill-switch on` builds it, in a process whose transport
        # to the venue is down: its start-up reconciliation fails, it flattens nothing
        command = stack.enter_context(_pipeline(env, dispatcher, reconcile=False))
        broker_of = command.deps.execution.ctx.brokers["paper"]
        broker_of.inner.faults.set_down(True)  # type: ignore[attr-defined]
        out = _measure(
            tasks,
            lambda: command.set_kill_switch(True, "bench", "benchmark"),
            30.0,
            worker_pgid=proc.pid,
        )
        if out["time_to_flat_s"] is None:  # say why in the result
            out["worker_log_tail"] = (tmp / "worker.log").read_text(errors="replace")[-3000:]
    return {"mode": "celery", "positions": held, "flattened_by": "worker monitor", **out}


def run(redis_url: str | None = None, positions: int = 3) -> dict[str, Any]:
    return {
        "scenario": "kill switch: command → first refused entry (block), → no position at "
        "the paper venue (flat)",
        "results": [embedded(positions), celery(redis_url, positions)],
    }
