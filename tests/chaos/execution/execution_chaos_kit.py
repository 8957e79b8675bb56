"""The worker fork server of the execution chaos tests (it also forks the paper exchange,
served behind Binance spot's REST protocol)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.chaos.line_process import LineProcess

WORKER = Path(__file__).with_name("execution_chaos_worker.py")


class WorkerForkServer(LineProcess):
    """Pre-imported parent of the paper exchange and of every worker (see the script)."""

    def __init__(self, db_url: str, log: Path | None = None) -> None:
        super().__init__([sys.executable, str(WORKER), db_url], "ready", log=log)
        self.exchange_pid = 0

    def start_exchange(self, *args: str) -> str:
        self.send("exchange " + " ".join(args))
        self.exchange_pid = int(self.expect_prefix("exchange ").split()[1])
        url = f"http://127.0.0.1:{self.expect_prefix('listening ').split()[1]}"
        self.send(f"venue {url}")
        self.expect_prefix("warmed")
        return url

    def set_lag(self, seconds: float) -> None:
        """Workers forked from now on assume a venue lookup lag of up to ``seconds``."""
        self.send(f"lag {seconds}")
        self.expect_prefix("lag ")

    def fork(self, command: str) -> int:
        self.send(command)
        return int(self.expect_prefix("pid ").split()[1])

    def reap(self, pid: int, timeout: float = 30) -> int:
        self.send(f"reap {pid}")
        return int(self.expect_prefix(f"reaped {pid} ", timeout).split()[2])

    def close(self) -> None:
        if self.exchange_pid:
            os.kill(self.exchange_pid, 9)
            self.send(f"reap {self.exchange_pid}")
        if self.process.poll() is None:
            self.send("quit")
        super().close()
