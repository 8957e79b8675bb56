"""A fork server of outbox workers to SIGKILL (run as a script by the crash chaos test).

``python execution_chaos_worker.py DB_URL`` imports once and prints ``ready``.
``exchange ARGS…`` forks the paper exchange (``quorum.execution.paper.server``, its own
process speaking Binance spot's REST API; it prints ``listening PORT``); the workers reach
it through ccxt's ``binance`` class (``CcxtBroker``), the code path live trading uses.
``venue URL`` warms the start-up path up once and prints ``warmed``.
``fork SEED P`` forks a child that runs the real worker loop (``quorum.execution.worker``)
against the paper exchange process; with probability ``P`` per submit the child SIGKILLs
itself at one of the submit path's points: before the send (after ``submitting`` was
committed), while the request is in flight, or after the reply before it is recorded.
``final`` forks a child without crashes that exits 0 once nothing is pending.
``lag S`` makes the workers forked afterwards assume a venue lookup lag of up to S seconds
(the lag chaos test moves the exchange's lag within it).
``reap PID`` waits for the child and prints ``reaped PID <signal or -exit code>``.
"""

from __future__ import annotations

import gc
import os
import random
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import requests
from sqlalchemy import Engine

from quorum.clock import SystemClock
from quorum.domain import OrderState
from quorum.execution import ExecutionSettings
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.execution.paper.binance.connect import simulator_exchange
from quorum.execution.paper.server import main as server_main
from quorum.execution.worker import build, run
from quorum.ports import BrokerOrder, OrderRequest

RECV_WINDOW_S = 0.3


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def trace(what: str) -> None:
    path = os.environ.get("CHAOS_TRACE")
    if path:
        with open(path, "a") as out:
            out.write(f"{os.getpid()} {time.perf_counter():.4f} {what}\n")


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def crashing_submit(
    rng: random.Random, p: float, submit: Callable[[OrderRequest], BrokerOrder]
) -> Callable[[OrderRequest], BrokerOrder]:
    """``submit`` that SIGKILLs its process with probability ``p``: before the send, while
    the request is in flight, or after the reply before it is recorded."""

    def crashing(request: OrderRequest) -> BrokerOrder:
        roll = rng.random()
        trace(f"submit roll {roll:.2f}")
        if roll < p / 3:
            die()  # before the send
        if roll < 2 * p / 3:
            threading.Timer(rng.uniform(0.0, 0.004), die).start()  # in flight
        answer = submit(request)
        if roll < p:
            die()  # after the reply, before it is recorded
        return answer

    return crashing


def ccxt_exchange(url: str) -> Any:
    """ccxt's own ``binance`` class pointed at the Binance simulator (no client-side rate
    limiter: the simulator's weight limit is the one that applies)."""
    return simulator_exchange(url, enableRateLimit=False, timeout=500)


class CrashingCcxtBroker(CcxtBroker):
    """ccxt → HTTP → the Binance simulator, killing its process in the submit path."""

    def __init__(self, exchange: Any, rng: random.Random, p: float, lag: float = 0.0) -> None:
        super().__init__(
            "binance",
            SystemClock(),
            exchange=exchange,
            recv_window_s=RECV_WINDOW_S,
            name="paper",
            lookup_lag_s=lag,
        )
        self.submit = crashing_submit(rng, p, super().submit)  # type: ignore[method-assign]


SETTINGS = ExecutionSettings(
    resolve_spacing_s=0.01,
    reconcile_interval_s=3600.0,
    hold_new_while_unknown=False,
    throttle_max_fills=10**9,
    reconcile_lookback_s=2.0,
)


def child(db_url: str, broker: CcxtBroker, final: bool, engine: Engine) -> None:
    started = time.perf_counter()
    worker = build(db_url, broker, settings=SETTINGS, migrate_schema=False, engine=engine)
    trace(f"built in {time.perf_counter() - started:.4f}")
    worker.service.reconcile(startup=True)
    trace("reconciled")
    run(worker.service, poll_s=0.01, until_idle=final)


def warm_up(db_url: str, exchange: Any) -> Engine:
    """Exercise the whole start-up once in the parent (imports, statement compilation,
    ccxt's markets), then drop every connection so that no child shares a socket. The
    engine (its pool empty, its compiled-statement cache warm) and the ccxt exchange (its
    markets loaded, its session closed) are reused by every child."""
    broker = CrashingCcxtBroker(exchange, random.Random(0), 0.0)
    worker = build(
        db_url, broker, settings=SETTINGS, sqlite_synchronous="NORMAL", migrate_schema=False
    )
    worker.service.reconcile(startup=True)
    worker.service.orders({OrderState.NEW})  # compiles the pending queries; sends nothing
    worker.engine.dispose()
    exchange.session.close()
    return worker.engine


def main() -> None:
    db_url = sys.argv[1]
    engine: Engine | None = None
    lag = 0.0
    exchange: Any | None = None
    say("ready")
    for line in sys.stdin:
        command, *args = line.split()
        if command == "exchange":
            pid = os.fork()
            if pid == 0:
                os._exit(server_main(args))
            say(f"exchange {pid}")
        elif command == "lag":
            lag = float(args[0])
            say(f"lag {lag}")
        elif command == "venue":
            exchange = ccxt_exchange(args[0])
            engine = warm_up(db_url, exchange)
            gc.collect()
            gc.freeze()  # children do not walk (and copy) the parent's objects
            say("warmed")
        elif command in ("fork", "final"):
            if exchange is None or engine is None:
                raise SystemExit("send 'venue URL' before forking workers")
            seed, p = (int(args[0]), float(args[1])) if command == "fork" else (0, 0.0)
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    exchange.session = requests.Session()  # this process's own sockets
                    broker = CrashingCcxtBroker(exchange, random.Random(seed), p, lag)
                    child(db_url, broker, command == "final", engine)
                    code = 0
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(code)
            say(f"pid {pid}")
        elif command == "reap":
            _, status = os.waitpid(int(args[0]), 0)
            code = os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status)
            say(f"reaped {args[0]} {code}")
        elif command == "quit":
            return


if __name__ == "__main__":
    main()
