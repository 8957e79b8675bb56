"""The offline analyst's reasoning: a deterministic read of the structured market context.

No model, no randomness: the same context always gives the same answer, so the whole
system (and every test and backtest) runs offline. Evidence per timeframe, weighted
toward the primary timeframe:

* regime: ``trend_score × strength`` (bull positive, bear negative);
* patterns: ``±confidence`` per bullish / bearish pattern, averaged;
* momentum: RSI distance from 50, MACD histogram sign, fast-over-slow EMA.

The weighted mean in [-1, 1] gives the stance (beyond ±0.15), and its magnitude the
confidence (capped at 0.9: an offline heuristic is never certain).
"""

from __future__ import annotations

from dataclasses import dataclass

from quorum.llm.prompts import MarketContext, TimeframeContext
from quorum.llm.schema import AnalystAnswer

STANCE_THRESHOLD = 0.15
MAX_CONFIDENCE = 0.9
PRIMARY_WEIGHT = 2.0


@dataclass(frozen=True, slots=True)
class _Evidence:
    score: float
    text: str


def _first(values: dict[str, float], *prefixes: str) -> float | None:
    for prefix in prefixes:
        for name in sorted(values):
            if name == prefix or name.startswith(prefix + "_"):
                return values[name]
    return None


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, value))


def _timeframe_evidence(tf: TimeframeContext) -> list[_Evidence]:
    found: list[_Evidence] = []
    regime = tf.regime
    found.append(
        _Evidence(
            _clamp(regime.trend_score * regime.strength),
            f"{tf.timeframe} regime {regime.kind} (strength {regime.strength:.2f}, "
            f"trend {regime.trend_score:+.2f})",
        )
    )
    if tf.patterns:
        signs = {"bullish": 1.0, "bearish": -1.0, "neutral": 0.0}
        total = sum(signs[p.bias] * p.confidence for p in tf.patterns) / len(tf.patterns)
        names = ", ".join(f"{p.name} ({p.bias})" for p in tf.patterns[:3])
        found.append(_Evidence(_clamp(total), f"{tf.timeframe} patterns: {names}"))
    values = tf.indicators
    rsi = _first(values, "rsi")
    if rsi is not None:
        found.append(_Evidence(_clamp((rsi - 50.0) / 30.0), f"{tf.timeframe} RSI {rsi:.1f}"))
    hist = _first(values, "macd_hist", "macdh")
    if hist is not None and hist != 0.0:
        side = "positive" if hist > 0 else "negative"
        found.append(_Evidence(0.5 if hist > 0 else -0.5, f"{tf.timeframe} MACD histogram {side}"))
    fast, slow = _first(values, "ema_fast"), _first(values, "ema_slow")
    if fast is not None and slow is not None and slow != 0.0 and fast != slow:
        above = fast > slow
        found.append(
            _Evidence(
                0.5 if above else -0.5,
                f"{tf.timeframe} fast EMA {'above' if above else 'below'} slow EMA",
            )
        )
    return found


def analyse(context: MarketContext) -> AnalystAnswer:
    """The offline analyst's answer for ``context``."""
    weighted = 0.0
    weights = 0.0
    evidence: list[tuple[float, _Evidence]] = []
    primary = context.primary().timeframe
    for tf in context.timeframes:
        weight = PRIMARY_WEIGHT if tf.timeframe == primary else 1.0
        for item in _timeframe_evidence(tf):
            weighted += weight * item.score
            weights += weight
            evidence.append((weight * abs(item.score), item))
    score = weighted / weights if weights else 0.0
    if score > STANCE_THRESHOLD:
        stance = "bullish"
    elif score < -STANCE_THRESHOLD:
        stance = "bearish"
    else:
        stance = "neutral"
    confidence = round(
        min(MAX_CONFIDENCE, abs(score)) if stance != "neutral" else 0.5 - abs(score), 4
    )
    ranked = sorted(evidence, key=lambda pair: (-pair[0], pair[1].text))
    key_evidence = tuple(item.text for _, item in ranked[:4]) or ("no evidence in the context",)
    rationale = (
        f"Offline analyst: weighted evidence score {score:+.3f} over "
        f"{len(context.timeframes)} timeframe(s), primary {primary}; "
        f"stance {stance} beyond ±{STANCE_THRESHOLD} is directional."
    )
    return AnalystAnswer(
        stance=stance, confidence=confidence, key_evidence=key_evidence, rationale=rationale
    )


def no_context_answer() -> AnalystAnswer:
    """The answer when a prompt carries no market context block."""
    return AnalystAnswer(
        stance="neutral",
        confidence=0.0,
        key_evidence=("the prompt carried no market context block",),
        rationale="Offline analyst: nothing to analyse, so no directional view.",
    )
