"""Run records: the ``runs`` row a backtest writes when it starts and when it ends."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from quorum.domain import format_time
from quorum.store import session_scope
from quorum.store.tables.runs import RUNS_TABLE

RUNS = SQLModel.metadata.tables[RUNS_TABLE]


def git_sha(root: Path | None = None) -> str | None:
    """The checked-out commit (None outside a git work tree or without git)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607
            cwd=root or Path.cwd(),
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and len(sha) == 40 else None


def start_run(
    engine: Engine,
    *,
    run_id: str,
    mode: str,
    capital_mode: str,
    config_hash: str,
    symbols: list[str],
    start: datetime,
    end: datetime,
    started_at: datetime,
    sha: str | None,
    notes: str = "",
    market_time_basis: str = "replay",
) -> None:
    row = {
        "run_id": run_id,
        "mode": mode,
        "capital_mode": capital_mode,
        "market_time_basis": market_time_basis,
        "data_ok": True,
        "git_sha": sha,
        "config_hash": config_hash,
        "symbols": json.dumps(symbols),
        "range_start": format_time(start),
        "range_end": format_time(end),
        "started_at": format_time(started_at),
        "completed_at": None,
        "status": "running",
        "trades_opened": 0,
        "trades_closed": 0,
        "result_hash": None,
        "notes": notes,
    }
    with session_scope(engine) as session:
        session.execute(insert(RUNS).values(**row))


def finish_run(
    engine: Engine,
    run_id: str,
    *,
    completed_at: datetime,
    status: str,
    data_ok: bool,
    trades_opened: int,
    trades_closed: int,
    result_hash: str | None,
    notes: str,
    settings_hash: str | None = None,
) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(RUNS)
            .where(RUNS.c.run_id == run_id)
            .values(
                completed_at=format_time(completed_at),
                status=status,
                data_ok=data_ok,
                trades_opened=trades_opened,
                trades_closed=trades_closed,
                result_hash=result_hash,
                notes=notes,
                **({} if settings_hash is None else {"settings_hash": settings_hash}),
            )
        )


def get_run(engine: Engine, run_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(RUNS).where(RUNS.c.run_id == run_id)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["symbols"] = json.loads(out["symbols"])
    return out


def list_runs(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = (
            conn.execute(select(RUNS).order_by(RUNS.c.started_at.desc()).limit(limit))
            .mappings()
            .all()
        )
    return [dict(r) | {"symbols": json.loads(r["symbols"])} for r in rows]
