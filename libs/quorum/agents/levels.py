"""From a confluence score to a proposed Signal: direction, entry, stop, take-profit.

* direction: the score's sign (a zero score proposes nothing);
* entry: the last close of the decision timeframe;
* stop: ``atr_stop_multiple × ATR`` of that timeframe, clamped by ``quorum.risk.atr_stop``
  into the risk settings' stop band ([0.1 %, 10 %] by default);
* take-profit: ``reward_risk × stop distance`` on the winning side;
* confidence: the calibrated probability of the score;
* leverage: ``settings.leverage`` (the symbol's market type's, set per analysis).

Prices stay unrounded here: rounding to exchange precision happens once, in execution.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from quorum.agents.context import decision_timeframe
from quorum.agents.settings import AgentSettings
from quorum.domain import ConfluenceScore, Direction, ScanResult, Signal
from quorum.errors import ValidationFailed
from quorum.risk import StopSettings, atr_stop


def _positive(values: dict[str, float], name: str, where: str) -> Decimal:
    value = values.get(name)
    if value is None or not value > 0:
        raise ValidationFailed(f"{where}.{name}", "a positive value is needed to place the trade")
    return Decimal(repr(value))


def propose_signal(
    scan: ScanResult,
    score: ConfluenceScore,
    as_of: datetime,
    run_id: str,
    settings: AgentSettings,
    stops: StopSettings,
    explanation: str,
) -> Signal:
    """The signal the score points to; raises ValidationFailed when it cannot be placed."""
    if score.score == 0.0:
        raise ValidationFailed("score", "a zero score has no direction")
    if score.probability is None:
        raise ValidationFailed("score.probability", "calibrate the score first")
    timeframe = decision_timeframe(scan, settings)
    item = scan.get(timeframe)
    assert item is not None  # decision_timeframe picks one of the scan's timeframes
    where = f"scan[{timeframe.value}]"
    entry = _positive(item.snapshot.values, "close", where)
    atr = _positive(item.snapshot.values, "atr", where)
    direction = Direction.LONG if score.score > 0 else Direction.SHORT
    stop = atr_stop(direction, entry, atr, settings.atr_stop_multiple, stops)
    reward = abs(entry - stop) * settings.reward_risk
    take_profit = entry + reward if direction is Direction.LONG else entry - reward
    if take_profit <= 0:
        raise ValidationFailed(
            "agents.reward_risk", "puts the short's take-profit at or below zero", take_profit
        )
    return Signal(
        run_id=run_id,
        strategy=settings.strategy,
        symbol=scan.symbol,
        timeframe=timeframe,
        as_of=as_of,
        direction=direction,
        entry=entry,
        stop_loss=stop,
        take_profit=take_profit,
        confidence=score.probability,
        leverage=settings.leverage,
        explanation=explanation[:4000],
        score=score,
    )
