"""Real Celery worker / beat subprocesses over a real Redis and a shared SQLite file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[3]
REDIS_CONF = ROOT / "infra" / "redis" / "redis.conf"

PIPELINE_YAML = """\
pipeline:
  symbols: [BTC/USDT, ETH/USDT, SOL/USDT, XRP/USDT, ADA/USDT, DOGE/USDT]
  timeframes: [15m]
  base: 15m
  history_bars: 400
  data: synthetic
  finalization_delay_s: 0
"""

TRADE_SCAN = ("ETH/USDT", "2025-01-01T06:15:00Z")
"""A (symbol, bar close) whose scan the synthetic data makes a candidate that the offline
analysts and the risk gate approve. Beat scans the bar that closed last *by wall time*,
and whether that bar trades depends on the hour the tests run at; tests that need a
filled order send this scan as well, so they do not depend on the clock."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(what: str, check: Callable[[], Any], timeout: float, every: float = 0.25) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class RedisServer:
    """Our own redis-server (the repository's redis.conf, loopback, a free port)."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.directory / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [
                "redis-server",
                str(REDIS_CONF),
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--maxmemory",
                "256mb",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port)
        wait_until("redis to answer", lambda: _ping(client), 20)
        client.close()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)
        self.proc = None


def _ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class Cluster:
    """Workers and beats sharing one broker, one SQLite database and one config file."""

    def __init__(self, tmp: Path, broker: str, **worker_env: str) -> None:
        self.tmp = tmp
        self.broker = broker
        self.db_path = tmp / "quorum.db"
        self.config = tmp / "quorum.yaml"
        self.config.write_text(PIPELINE_YAML)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("QUORUM_") or key.startswith("QUORUM_TEST_")
        }
        self.env.update(
            {
                "QUORUM_BROKER_URL": broker,
                "QUORUM_CONFIG": str(self.config),
                "QUORUM_DATABASE__URL": f"sqlite:///{self.db_path}",
                "QUORUM_JOURNAL__LOCAL_KEY_PATH": str(tmp / "journal.key"),
                "QUORUM_FLAGS__FILE_PATH": str(tmp / "flags.json"),
                "QUORUM_FLAGS__AUDIT_PATH": str(tmp / "flag-audit.jsonl"),
                "QUORUM_WORKER__BEAT_KEY_PREFIX": f"test:{tmp.name}:",
                "QUORUM_WORKER__CONFIG_CHECK_INTERVAL_S": "0",
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "NUMBA_CACHE_DIR": str(ROOT / ".cache" / "numba"),
                "PYTHONPATH": os.pathsep.join([str(ROOT / "libs"), str(ROOT)]),
            }
        )
        self.env.update({f"QUORUM_WORKER__{k.upper()}": v for k, v in worker_env.items()})

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / log_name).open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "apps.worker", *args],
            cwd=self.tmp,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we signal exactly what we started
        )
        self.procs.append(proc)
        return proc

    def worker(
        self, queues: str, name: str, concurrency: int = 1, pool: str = "prefork"
    ) -> subprocess.Popen[bytes]:
        from apps.cli.commands.worker import worker_argv

        argv = worker_argv(tuple(queues.split(",")), concurrency, "INFO", pool, name)
        return self._spawn(argv, f"worker-{name.split('@')[0]}.log")

    def submit_trade_scan(self) -> str:
        """Send the ``scan`` of :data:`TRADE_SCAN` through the real dispatcher; its key."""
        from apps.worker.dispatcher import CeleryDispatcher
        from apps.worker.factory import create_app
        from quorum.config import AppSettings

        settings = AppSettings(
            broker_url=self.broker, worker={"beat_key_prefix": f"test:{self.tmp.name}:"}
        )
        app = create_app(settings)
        symbol, close = TRADE_SCAN
        key = f"scan:pipeline:{symbol}:15m:{close}"
        try:
            CeleryDispatcher(app, settings.worker).submit(
                "scan", {"symbol": symbol, "timeframe": "15m", "bar_close": close}, key=key
            )
        finally:
            app.close()
        return key

    def beat(self, name: str) -> subprocess.Popen[bytes]:
        return self._spawn(["beat", "--loglevel", "DEBUG"], f"beat-{name}.log")

    def log(self, name: str) -> str:
        path = self.tmp / name
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.tmp.glob("*.log"))
        )

    @staticmethod
    def signal(proc: subprocess.Popen[bytes], sig: int, group: bool = False) -> None:
        if proc.poll() is None:
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    # -- the shared database -------------------------------------------------------------

    def rows(self, sql: str, **params: Any) -> list[Any]:
        if not self.db_path.exists():
            return []
        engine = create_engine(f"sqlite:///{self.db_path}")
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        except Exception:  # the schema is created by the first worker
            return []
        finally:
            engine.dispose()
