"""A fork server of outbox workers to SIGKILL (run as a script by the crash chaos test).

``python execution_chaos_worker.py DB_URL`` imports once and prints ``ready``.
``exchange ARGS…`` forks the paper exchange (``quorum.execution.paper.server``, its own
process; it prints ``listening PORT``). ``venue URL`` warms the start-up path up once and
prints ``warmed``.
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

import httpx
from sqlalchemy import Engine

from quorum.domain import OrderState
from quorum.execution import ExecutionSettings
from quorum.execution.paper.client import PaperBroker
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


class CrashingBroker(PaperBroker):
    def __init__(
        self, url: str, rng: random.Random, p: float, client: httpx.Client, lag: float = 0.0
    ) -> None:
        super().__init__(url, recv_window_s=RECV_WINDOW_S, client=client, lookup_lag_s=lag)
        self.rng = rng
        self.p = p

    def submit(self, request: OrderRequest) -> BrokerOrder:
        roll = self.rng.random()
        trace(f"submit roll {roll:.2f}")
        if roll < self.p / 3:
            die()  # before the send
        if roll < 2 * self.p / 3:
            threading.Timer(self.rng.uniform(0.0, 0.004), die).start()  # in flight
        answer = super().submit(request)
        if roll < self.p:
            die()  # after the reply, before it is recorded
        return answer


SETTINGS = ExecutionSettings(
    resolve_spacing_s=0.01,
    reconcile_interval_s=3600.0,
    hold_new_while_unknown=False,
    throttle_max_fills=10**9,
    reconcile_lookback_s=2.0,
)


def new_client(venue_url: str) -> httpx.Client:
    # built before forking: creating one (its SSL context) costs ~0.4 s per process
    return httpx.Client(base_url=venue_url, timeout=0.5)


def child(db_url: str, broker: PaperBroker, final: bool, engine: Engine) -> None:
    started = time.perf_counter()
    worker = build(db_url, broker, settings=SETTINGS, migrate_schema=False, engine=engine)
    trace(f"built in {time.perf_counter() - started:.4f}")
    worker.service.reconcile(startup=True)
    trace("reconciled")
    run(worker.service, poll_s=0.01, until_idle=final)


def warm_up(db_url: str, venue_url: str) -> Engine:
    """Exercise the whole start-up once in the parent (imports, statement compilation),
    then drop every connection so that no child shares a socket. The engine (its pool
    empty, its compiled-statement cache warm) is reused by every child."""
    client = new_client(venue_url)
    worker = build(
        db_url,
        PaperBroker(venue_url, client=client),
        settings=SETTINGS,
        sqlite_synchronous="NORMAL",
        migrate_schema=False,
    )
    worker.service.reconcile(startup=True)
    worker.service.orders({OrderState.NEW})  # compiles the pending queries; sends nothing
    worker.engine.dispose()
    client.close()
    return worker.engine


def main() -> None:
    db_url = sys.argv[1]
    venue_url = ""
    client: httpx.Client | None = None
    engine: Engine | None = None
    lag = 0.0
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
            venue_url = args[0]
            engine = warm_up(db_url, venue_url)
            client = new_client(venue_url)  # never used here: its pool stays empty
            gc.collect()
            gc.freeze()  # children do not walk (and copy) the parent's objects
            say("warmed")
        elif command in ("fork", "final"):
            if client is None or engine is None:
                raise SystemExit("send 'venue URL' before forking workers")
            seed, p = (int(args[0]), float(args[1])) if command == "fork" else (0, 0.0)
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    broker = CrashingBroker(venue_url, random.Random(seed), p, client, lag)
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
