"""What one backtest runs: a frozen, strict request and its configuration hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from quorum.domain import Timeframe, UtcDatetime
from quorum.risk import RiskSettings

CapitalMode = Literal["independent", "portfolio"]
LlmMode = Literal["cached", "offline", "live"]


@dataclass(frozen=True, slots=True)
class EmaCross:
    """``ema-cross:FAST,SLOW[,STOP[,TARGET]]``: long when EMA(FAST) crosses above EMA(SLOW),
    out when it crosses below; protective stop STOP below entry (fraction, default 0.05) and
    take-profit TARGET above it (default 3 × STOP; the risk gate requires a target and a
    reward:risk of at least 1.5)."""

    fast: int
    slow: int
    stop: Decimal = Decimal("0.05")
    target: Decimal = Decimal("0.15")

    @property
    def name(self) -> str:
        return f"ema-cross:{self.fast},{self.slow},{self.stop},{self.target}"


def parse_strategy(text: str) -> EmaCross | None:
    """``agents`` → None (the analysis pipeline); ``ema-cross:FAST,SLOW[,STOP]`` → rule."""
    if text == "agents":
        return None
    kind, _, args = text.partition(":")
    if kind != "ema-cross":
        raise ValueError(f"strategy: expected 'agents' or 'ema-cross:FAST,SLOW[,…]' ({text!r})")
    parts = [p.strip() for p in args.split(",")]
    if len(parts) not in (2, 3, 4) or not all(p for p in parts):
        raise ValueError(f"strategy: expected ema-cross:FAST,SLOW[,STOP[,TARGET]] ({text!r})")
    try:
        fast, slow = int(parts[0]), int(parts[1])
        stop = Decimal(parts[2]) if len(parts) >= 3 else Decimal("0.05")
        target = Decimal(parts[3]) if len(parts) == 4 else stop * 3
    except (ValueError, ArithmeticError):
        raise ValueError(
            f"strategy: FAST and SLOW must be integers, STOP and TARGET fractions ({text!r})"
        ) from None
    if not stop * Decimal("1.5") <= target <= 10:
        raise ValueError(f"strategy: TARGET must be within [1.5 × STOP, 10] (got {target})")
    if not 1 <= fast < slow <= 1000:
        raise ValueError(f"strategy: need 1 <= FAST < SLOW <= 1000 (got {fast}, {slow})")
    if not Decimal("0.001") <= stop <= Decimal("0.1"):
        raise ValueError(f"strategy: STOP must be within [0.001, 0.1] (got {stop})")
    return EmaCross(fast, slow, stop, target)


def _model_at(path: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The settings model a location inside RiskSettings points into (None: not a model)."""
    model: type[BaseModel] = RiskSettings
    for part in path:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def risk_error(exc: ValidationError) -> str:
    """One line per problem, each naming the dotted key under ``risk`` and the rule."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        key = ".".join(["risk", *(str(p) for p in loc)])
        if error["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1])
            known = ", ".join(sorted(parent.model_fields)) if parent else "none"
            lines.append(f"{key}: unknown key; expected one of: {known}")
        else:
            lines.append(f"{key}: {error['msg']}")
    return "; ".join(lines)


def risk_override(value: Any) -> dict[str, Any]:
    """``value`` (a mapping of RiskSettings fields to override, nested like RiskSettings)
    validated strictly and returned in canonical JSON form: only the keys given."""
    if not isinstance(value, dict):
        raise ValueError(f"risk: expected a mapping of RiskSettings fields, got {value!r}")
    try:
        settings = RiskSettings.model_validate(value)
    except ValidationError as exc:
        raise ValueError(risk_error(exc)) from None
    override: dict[str, Any] = settings.model_dump(mode="json", exclude_unset=True)
    return override


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
    ``{"account": {"max_trades": None}}``); the rest keep RiskSettings' defaults. Validated
    strictly (an unknown key is refused, named) and kept in canonical form."""

    @field_validator("risk", mode="before")
    @classmethod
    def _risk(cls, value: Any) -> dict[str, Any] | None:
        return None if value is None else risk_override(value)

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
    def rule(self) -> EmaCross | None:
        return parse_strategy(self.strategy)

    @property
    def steps(self) -> int:
        """Base bars in ``[start, end)``."""
        return int((self.end - self.start) / self.base_timeframe.delta)

    def risk_settings(self) -> RiskSettings:
        """The run's risk limits: RiskSettings' defaults with ``risk`` applied."""
        return RiskSettings.model_validate(self.risk or {})

    def window(self, start: datetime, end: datetime, **changes: object) -> BacktestSpec:
        return self.model_copy(update={"start": start, "end": end, **changes})

    def config_hash(self) -> str:
        """SHA-256 of the canonical spec (every field; the window included). ``risk`` counts
        only when given, so a spec without an override hashes as before the field existed."""
        data = self.model_dump(mode="json")
        if data["risk"] is None:
            del data["risk"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
