"""What one backtest runs: a frozen, strict request and its configuration hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from quorum.config.settings.agents import AgentSettings
from quorum.config.settings.llm import LLMSettings
from quorum.config.settings.overrides import validate_override
from quorum.config.settings.risk import RiskSettings
from quorum.config.settings.scoring import ScoringSettings
from quorum.domain import Timeframe, UtcDatetime
from quorum.strategies import RuleParams, parse_strategy

CapitalMode = Literal["independent", "portfolio"]
LlmMode = Literal["cached", "offline", "live"]
OVERRIDES: dict[str, type[BaseModel]] = {
    "agents": AgentSettings,
    "scoring": ScoringSettings,
    "risk": RiskSettings,
    "llm": LLMSettings,
}
"""The settings components a spec may override over the deployment's settings."""


def risk_override(value: Any) -> dict[str, Any]:
    """``value`` (RiskSettings fields to override, nested like RiskSettings) validated
    strictly and returned in canonical JSON form: only the keys given."""
    return validate_override("risk", RiskSettings, value)


class BacktestSpec(BaseModel):
    """One backtest request. Same spec, data and code ⇒ identical trades and report."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbols: tuple[str, ...] = Field(min_length=1)
    timeframes: tuple[str, ...] = ("15m", "1h", "4h", "1d")
    base: str = "15m"
    start: UtcDatetime
    end: UtcDatetime
    data: str = "synthetic"
    """``quorum.market.open_source`` spec: ``synthetic[:SEED]`` | ``store`` | ``csv:PATH`` …"""
    capital: Decimal = Field(default=Decimal(10000), gt=0)
    capital_mode: CapitalMode = "portfolio"
    """``portfolio``: one account shared by every symbol; ``independent``: each symbol its
    own run with the whole capital (results summed)."""
    llm: LlmMode = "cached"
    strategy: str = "agents"
    seed: int = 7
    strict_leakage: bool = False
    fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    slippage: Decimal = Field(default=Decimal("0.0005"), ge=0, lt=1)
    history_bars: int = Field(default=500, ge=400, le=5000)
    refresh: bool = True
    """Refit calibration / adaptive weights from closed trades during the run (walk-forward
    turns it off on test windows)."""
    refresh_every: int = Field(default=96, ge=1)
    risk: dict[str, Any] | None = None
    """RiskSettings fields this run overrides (nested like RiskSettings, e.g.
    ``{"account": {"max_trades": None}}``) over the deployment's risk settings; the rest
    keep the deployment's values. Validated strictly (an unknown key is refused, named)
    and kept in canonical form."""
    agents: dict[str, Any] | None = None
    """AgentSettings fields this run overrides (as ``risk``)."""
    scoring: dict[str, Any] | None = None
    """ScoringSettings fields this run overrides (as ``risk``)."""
    llm_settings: dict[str, Any] | None = None
    """LLMSettings fields this run overrides (as ``risk``); ``llm`` is the LLM mode."""

    @field_validator("risk", "agents", "scoring", "llm_settings", mode="before")
    @classmethod
    def _override(cls, value: Any, info: ValidationInfo) -> dict[str, Any] | None:
        name = "llm" if info.field_name == "llm_settings" else str(info.field_name)
        return None if value is None else validate_override(name, OVERRIDES[name], value)

    @field_validator("timeframes")
    @classmethod
    def _frames(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for tf in value:
            Timeframe(tf)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"end: {self.end.isoformat()} must be after start")
        base = Timeframe(self.base)
        if base.floor(self.start) != self.start:
            raise ValueError(f"start: {self.start.isoformat()} is not on the {base} grid")
        if self.base not in self.timeframes:
            raise ValueError(f"timeframes: must include the base timeframe {self.base}")
        parse_strategy(self.strategy)
        return self

    @property
    def base_timeframe(self) -> Timeframe:
        return Timeframe(self.base)

    @property
    def rule(self) -> RuleParams | None:
        return parse_strategy(self.strategy)

    @property
    def steps(self) -> int:
        """Base bars in ``[start, end)``."""
        return int((self.end - self.start) / self.base_timeframe.delta)

    def overrides(self) -> dict[str, dict[str, Any]]:
        """The settings components this run overrides, by component name."""
        given = {
            "agents": self.agents,
            "scoring": self.scoring,
            "risk": self.risk,
            "llm": self.llm_settings,
        }
        return {name: value for name, value in given.items() if value}

    def window(self, start: datetime, end: datetime, **changes: object) -> BacktestSpec:
        return self.model_copy(update={"start": start, "end": end, **changes})

    def config_hash(self) -> str:
        """SHA-256 of the canonical spec (every field; the window included). An override
        counts only when given, so a spec without one hashes as before the field existed."""
        data = self.model_dump(mode="json")
        for name in ("risk", "agents", "scoring", "llm_settings"):
            if data[name] is None:
                del data[name]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
