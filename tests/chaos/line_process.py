"""A child process the chaos tests talk to in lines over stdin / stdout.

The chaos harnesses (journal, execution) fork their victims from a pre-imported
parent: importing quorum costs seconds, so hundreds of fresh interpreters would not fit.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": f"{ROOT / 'libs'}{os.pathsep}{ROOT}"}


class LineProcess:
    """A child process we talk to in lines over stdin / stdout."""

    def __init__(
        self, argv: list[str], ready: str, timeout: float = 120, log: Path | None = None
    ) -> None:
        """``log``: a file for the child's stderr (and its forks'), read back on failure;
        without it, a pipe — fine for a child that writes little, but a pipe nobody reads
        blocks every writer once 64 KiB are queued."""
        self.log = log
        err = subprocess.PIPE if log is None else log.open("wb")
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=ENV
        )
        if log is not None:
            err.close()  # type: ignore[union-attr]
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
        """The tail of the child's stderr (kills the child when it is a pipe)."""
        if self.log is not None:
            return self.log_tail()
        self.process.kill()
        _, err = self.process.communicate(timeout=10)
        return err.decode()[-3000:]

    def log_tail(self, size: int = 3000) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return self.log.read_bytes()[-size:].decode(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
