"""What a default ``quorum run`` writes durably: commits, fsyncs and analysis checkpoints.

One ``quorum run`` (the real command, in-process, in a temporary directory) is counted
with SQLAlchemy ``begin`` / ``commit`` listeners — every commit, the ones that changed a
row (``sqlite3.Connection.total_changes`` moved; an empty SQLite commit syncs nothing),
and the transactions that claimed a scan key — and with LangGraph's serializer and the
SQLite saver wrapped: checkpoint writes, bytes serialized per analysis, threads and bytes
left in the checkpoint file. A second, identical run in a child process under
``strace -f -c`` (when strace is installed) counts ``fsync`` + ``fdatasync`` calls.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import chdir, contextmanager
from pathlib import Path
from typing import Any

from benchmarks.harness import machine


@contextmanager
def _counted(counts: Counter[str]) -> Iterator[None]:
    """Count commits (all, writing, claiming scans) of every engine and checkpoint writes."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
    from langgraph.checkpoint.sqlite import SqliteSaver
    from sqlalchemy import event
    from sqlalchemy.engine import Connection, Engine

    def begin(conn: Connection) -> None:
        conn.info["bench.changes"] = _changes(conn)

    def statement(conn: Connection, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if "pipeline_task_runs" in sql and sql.lstrip().upper().startswith("INSERT"):
            values = params.values() if isinstance(params, dict) else params
            if any(isinstance(v, str) and v.startswith("scan:") for v in values):
                conn.info["bench.scan"] = True

    def commit(conn: Connection) -> None:
        counts["commits"] += 1
        counts["writing_commits"] += int(_changes(conn) != conn.info.pop("bench.changes", None))
        counts["scan_transactions"] += int(conn.info.pop("bench.scan", False))

    real_dumps = JsonPlusSerializer.dumps_typed
    real_put = SqliteSaver.put
    real_writes = SqliteSaver.put_writes

    def dumps_typed(self: Any, obj: Any) -> tuple[str, bytes]:
        kind, data = real_dumps(self, obj)
        counts["checkpoint_bytes"] += len(data)
        return kind, data

    def put(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["checkpoint_puts"] += 1
        return real_put(self, *args, **kwargs)

    def put_writes(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["checkpoint_put_writes"] += 1
        return real_writes(self, *args, **kwargs)

    hooks = (("begin", begin), ("before_cursor_execute", statement), ("commit", commit))
    for name, hook in hooks:
        event.listen(Engine, name, hook)
    JsonPlusSerializer.dumps_typed = dumps_typed  # type: ignore[method-assign]
    SqliteSaver.put = put  # type: ignore[method-assign]
    SqliteSaver.put_writes = put_writes  # type: ignore[method-assign]
    try:
        yield
    finally:
        for name, hook in hooks:
            event.remove(Engine, name, hook)
        JsonPlusSerializer.dumps_typed = real_dumps  # type: ignore[method-assign]
        SqliteSaver.put = real_put  # type: ignore[method-assign]
        SqliteSaver.put_writes = real_writes  # type: ignore[method-assign]


def _changes(conn: Any) -> int | None:
    raw = conn.connection.dbapi_connection
    return int(raw.total_changes) if isinstance(raw, sqlite3.Connection) else None


def _checkpoint_file(directory: Path) -> dict[str, int]:
    """Threads held, bytes of pages in use and bytes on disk (file + WAL) of the run's
    analysis checkpoint file."""
    files = list((directory / "var" / "runs").glob("*.analysis-checkpoints.sqlite"))
    if not files:
        return {"threads": 0, "bytes_in_use": 0, "bytes_on_disk": 0}
    path = files[0]
    with sqlite3.connect(path) as conn:
        threads = conn.execute("SELECT count(DISTINCT thread_id) FROM checkpoints").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    wal = path.with_name(path.name + "-wal")
    on_disk = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return {"threads": threads, "bytes_in_use": (pages - free) * size, "bytes_on_disk": on_disk}


def _in_process(args: list[str]) -> dict[str, Any]:
    from typer.testing import CliRunner

    from apps.cli.main import app

    counts: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="quorum-bench-durability-") as tmp, chdir(tmp):
        cpu, wall = time.process_time(), time.perf_counter()
        with _counted(counts):
            outcome = CliRunner().invoke(app, ["run", *args, "--json"])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if outcome.exit_code != 0:
            raise RuntimeError(f"quorum run failed: {outcome.output[-2000:]}")
        summary = json.loads(outcome.output)
        left = _checkpoint_file(Path(tmp))
    bars = int(summary["steps"])
    graphed = sum(n for status, n in summary["analyses"].items() if status != "skipped")
    return {
        "base_bars": bars,
        "scans": summary["bars_scanned"],
        "analyses_through_graph": graphed,
        "commits": counts["commits"],
        "commits_per_base_bar": round(counts["commits"] / bars, 2),
        "writing_commits_per_base_bar": round(counts["writing_commits"] / bars, 2),
        "scan_transactions_per_base_bar": round(counts["scan_transactions"] / bars, 2),
        "checkpoint_writes_per_analysis": round(
            (counts["checkpoint_puts"] + counts["checkpoint_put_writes"]) / max(graphed, 1), 1
        ),
        "checkpoint_bytes_written_per_analysis": counts["checkpoint_bytes"] // max(graphed, 1),
        "checkpoint_file_after_run": left,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
    }


def _fsyncs(args: list[str]) -> dict[str, Any] | None:
    """fsync + fdatasync calls of the same run in a child process (None without strace)."""
    strace = shutil.which("strace")
    if strace is None:
        return None
    quorum = [str(Path(sys.executable).with_name("quorum"))]
    with tempfile.TemporaryDirectory(prefix="quorum-bench-fsync-") as tmp:
        report = Path(tmp) / "strace.txt"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        command = [*quorum, "run", *args, "--json"]
        subprocess.run(
            [strace, "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", str(report), *command],
            cwd=tmp,
            check=True,
            capture_output=True,
            env=os.environ.copy(),
        )
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        calls = {
            line.split()[-1]: int(line.split()[3])
            for line in report.read_text().splitlines()
            if line.strip().endswith(("fsync", "fdatasync"))
        }
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "calls": calls,
        "total": sum(calls.values()),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
    }


def run(steps: int = 96, fsyncs: bool = True) -> dict[str, Any]:
    """One default ``quorum run`` of ``steps`` base bars, counted (see module doc)."""
    args = ["--steps", str(steps)]
    counted = _in_process(args)
    synced = _fsyncs(args) if fsyncs else None
    if synced is not None:
        counted["fsyncs"] = synced
        counted["fsyncs_per_base_bar"] = round(synced["total"] / steps, 2)
    return {
        "scenario": f"quorum run --steps {steps} (3 symbols, 15m/1h/4h/1d, offline analyst)",
        "machine": machine(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        **counted,
    }
