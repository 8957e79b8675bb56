"""The regression gate: a locked reference window and the thresholds it must hold.

``benchmarks/gate.yaml`` names the window (a BacktestSpec) and the limits; a run fails the
gate when its Sharpe ratio is below ``min_sharpe`` or its max drawdown (fraction of the
peak) above ``max_drawdown``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from quorum.backtest.results import BacktestResult
from quorum.backtest.spec import BacktestSpec
from quorum.errors import ConfigError


class GateLimits(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_sharpe: float
    max_drawdown: float = Field(ge=0, le=1)


class Gate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    window: BacktestSpec
    limits: GateLimits


def load_gate(path: str | Path) -> Gate:
    try:
        data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return Gate.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"gate file {path}: {exc}") from exc


def judge(gate: Gate, result: BacktestResult) -> tuple[bool, dict[str, Any]]:
    """``(passed, measured)`` for ``result`` against the gate's limits."""
    from quorum.backtest.report import compute_metrics

    metrics = compute_metrics(result)
    sharpe = metrics.returns.sharpe
    drawdown = metrics.drawdown.max_fraction
    failures = []
    if sharpe is None or sharpe < gate.limits.min_sharpe:
        failures.append(f"sharpe {sharpe} < min_sharpe {gate.limits.min_sharpe}")
    if drawdown > gate.limits.max_drawdown:
        failures.append(f"max drawdown {drawdown:.6f} > max_drawdown {gate.limits.max_drawdown}")
    return not failures, {
        "sharpe": sharpe,
        "max_drawdown": drawdown,
        "trades": len(result.trades),
        "limits": gate.limits.model_dump(),
        "failures": failures,
    }
