"""Processes for the execution chaos tests: the paper exchange and a worker fork server."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
WORKER = Path(__file__).with_name("execution_chaos_worker.py")
ENV = {**os.environ, "PYTHONPATH": f"{ROOT / 'libs'}{os.pathsep}{ROOT}"}


class LineProcess:
    """A child process we talk to in lines over stdin / stdout."""

    def __init__(self, argv: list[str], ready: str, timeout: float = 120) -> None:
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
        )
        self.buffer = b""
        self.first = self.expect_prefix(ready, timeout)

    def lines(self, timeout: float) -> Iterator[str]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                yield line.decode()
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(remaining, 0))
            if not ready:
                raise TimeoutError(f"silent for {timeout}s: {self.stderr()}")
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"exited: {self.stderr()}")
            self.buffer += chunk

    def expect_prefix(self, prefix: str, timeout: float = 30) -> str:
        for line in self.lines(timeout):
            if line.startswith(prefix):
                return line
        raise AssertionError("unreachable")

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def stderr(self) -> str:
        self.process.kill()
        _, err = self.process.communicate(timeout=10)
        return err.decode()[-3000:]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def paper_exchange(*args: str) -> tuple[LineProcess, str]:
    """The paper exchange in its own process on 127.0.0.1; returns it and its URL."""
    process = LineProcess(
        [sys.executable, "-m", "quorum.execution.paper.server", "--port", "0", *args],
        "listening ",
    )
    return process, f"http://127.0.0.1:{process.first.split()[1]}"


class WorkerForkServer(LineProcess):
    """Pre-imported parent of the paper exchange and of every worker (see the script)."""

    def __init__(self, db_url: str) -> None:
        super().__init__([sys.executable, str(WORKER), db_url], "ready")
        self.exchange_pid = 0

    def start_exchange(self, *args: str) -> str:
        self.send("exchange " + " ".join(args))
        self.exchange_pid = int(self.expect_prefix("exchange ").split()[1])
        url = f"http://127.0.0.1:{self.expect_prefix('listening ').split()[1]}"
        self.send(f"venue {url}")
        self.expect_prefix("warmed")
        return url

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
