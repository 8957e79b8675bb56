"""The confluence score: every piece of evidence as a weighted term, summed into [-1, 1].

Components (``value`` in [-1, 1], positive is bullish; ``contribution = value × weight``):

* ``"{tf}:indicator:{signal}"`` — :func:`quorum.scoring.indicators.indicator_signals`;
  weight ``tf_weight × indicator_weight × share`` (the share of ``indicator_weights`` among
  the signals present on that timeframe).
* ``"{tf}:pattern:{family}:{name}"`` — value ``bias.sign``; weight ``tf_weight ×
  pattern_weight × confidence × family multiplier``. Neutral hits carry no direction and are
  left out. A repeated name gets a ``#2``, ``#3`` … suffix.
* ``"regime:{tf}"`` — value ``trend_score``; weight ``tf_weight × regime_weight``.
* ``"llm:{agent}"`` — value ``stance.sign`` (0 for neutral: a neutral view dilutes the
  score); weight ``unit × confidence × accuracy(model, agent) × analyst multiplier``.
  ``unit`` is ``llm_share / (1 − llm_share) × W / n`` where ``W`` is the total weight of
  the scan's evidence and ``n`` the number of scored opinions: with confidence, accuracy and
  multiplier 1 the opinions hold exactly ``llm_share`` of the total weight, however many
  indicators, patterns and timeframes the scan has. Without ``llm_share`` (None) or without
  scan evidence, ``unit`` is ``llm_weight``. ``accuracy(model, agent)`` is the learned
  (model, role) accuracy, else the model's, else ``default_model_accuracy``
  (:func:`quorum.scoring.accuracy.model_accuracy`).
  "No opinion" (``stance is None``) contributes nothing and is not listed.
* ``"regime:against"`` — only when the raw score points against the regime bias (the
  timeframe-weighted mean ``trend_score``): weight 0, value ``sign(bias) × penalty × |bias|``
  and contribution ``(score − raw) × Σweight``, so that the raw score shrinks by
  ``1 − penalty × |bias|`` (counter-regime signals need more evidence).

``score = Σcontribution / Σweight`` (0 when there is no weight), clipped to [-1, 1]. The score
is non-decreasing in each component's bullish evidence: a value, or the confidence of a
bullish hit / opinion (the regime shrink is a monotone map of the raw score).

Timeframe weights: ``timeframe_weights[tf] × (1 + volatility_tilt × (2·vol − 1) × rank)``
where ``vol`` is the mean volatility percentile of the scan's regimes and ``rank`` runs
from -1 (lowest timeframe of the scan) to +1 (highest).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from quorum.domain import (
    AgentOpinion,
    Bias,
    ConfluenceScore,
    ScanResult,
    ScoreComponent,
    Timeframe,
)
from quorum.errors import ValidationFailed
from quorum.scoring.accuracy import model_accuracy as lookup_accuracy
from quorum.scoring.indicators import indicator_signals
from quorum.scoring.settings import EvidenceWeights, ScoringSettings

REGIME_AGAINST = "regime:against"
"""Name of the component that records the counter-regime shrink."""


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, value))


def timeframe_weights(scan: ScanResult, settings: ScoringSettings) -> dict[Timeframe, float]:
    """Volatility-tilted weight of each timeframe of ``scan`` (see the module docstring)."""
    ordered = sorted((t.timeframe for t in scan.timeframes), key=lambda tf: tf.seconds)
    if not ordered:
        return {}
    vol = sum(t.regime.volatility_percentile for t in scan.timeframes) / len(scan.timeframes)
    n = len(ordered)
    out: dict[Timeframe, float] = {}
    for i, tf in enumerate(ordered):
        rank = 0.0 if n == 1 else 2.0 * i / (n - 1) - 1.0
        factor = 1.0 + settings.volatility_tilt * (2.0 * vol - 1.0) * rank
        out[tf] = settings.timeframe_weight(tf) * max(0.0, factor)
    return out


def regime_bias(scan: ScanResult, tf_weights: Mapping[Timeframe, float]) -> float:
    """Timeframe-weighted mean regime ``trend_score`` in [-1, 1] (0 without weight)."""
    total = sum(tf_weights.get(t.timeframe, 0.0) for t in scan.timeframes)
    if total <= 0:
        return 0.0
    weighted = sum(tf_weights.get(t.timeframe, 0.0) * t.regime.trend_score for t in scan.timeframes)
    return _clip(weighted / total)


class _Components:
    """Collects components with unique names."""

    def __init__(self) -> None:
        self.items: list[ScoreComponent] = []
        self._seen: dict[str, int] = {}

    def add(
        self, name: str, value: float, weight: float, contribution: float | None = None
    ) -> None:
        count = self._seen.get(name, 0) + 1
        self._seen[name] = count
        unique = name if count == 1 else f"{name}#{count}"
        value = _clip(value)
        self.items.append(
            ScoreComponent(
                name=unique,
                value=value,
                weight=weight,
                contribution=value * weight if contribution is None else contribution,
            )
        )


def _accuracy(opinion: AgentOpinion, accuracy: Mapping[str, float], default: float) -> float:
    value = lookup_accuracy(accuracy, opinion.model, opinion.agent, default)
    if not math.isfinite(value):
        raise ValidationFailed(f"model_accuracy[{opinion.model!r}]", "must be finite", value)
    return max(0.0, min(1.0, value))


def _llm_unit(settings: ScoringSettings, scan_weight: float, scored: int) -> float:
    share = settings.llm_share
    if share is None or scan_weight <= 0 or scored == 0:
        return settings.llm_weight
    return share / (1.0 - share) * scan_weight / scored


def _add_scan(
    parts: _Components,
    scan: ScanResult,
    tf_weights: Mapping[Timeframe, float],
    settings: ScoringSettings,
    weights: EvidenceWeights,
) -> None:
    for item in sorted(scan.timeframes, key=lambda t: t.timeframe.seconds):
        tf = item.timeframe
        w_tf = tf_weights.get(tf, 0.0)
        signals = indicator_signals(item.snapshot.values, settings)
        shares = {name: settings.indicator_weights.get(name, 0.0) for name in signals}
        total = sum(shares.values())
        for name, value in signals.items():
            share = shares[name] / total if total > 0 else 0.0
            parts.add(f"{tf}:indicator:{name}", value, w_tf * settings.indicator_weight * share)
        for hit in item.patterns:
            if hit.bias is Bias.NEUTRAL:
                continue
            weight = (
                w_tf * settings.pattern_weight * hit.confidence * weights.family(hit.family.value)
            )
            parts.add(f"{tf}:pattern:{hit.family.value}:{hit.name}", hit.bias.sign, weight)
        parts.add(f"regime:{tf}", item.regime.trend_score, w_tf * settings.regime_weight)


def score_confluence(
    scan: ScanResult,
    opinions: Sequence[AgentOpinion],
    model_accuracy: Mapping[str, float],
    settings: ScoringSettings,
    weights: EvidenceWeights | None = None,
) -> ConfluenceScore:
    """Score ``scan`` and the analysts' ``opinions`` into one weighted value in [-1, 1].

    Pure and deterministic; ``probability`` is left unset (see :class:`Calibrator`).
    Opinions must be about ``scan.symbol``.
    """
    weights = weights or EvidenceWeights()
    tf_weights = timeframe_weights(scan, settings)
    parts = _Components()
    _add_scan(parts, scan, tf_weights, settings, weights)
    for i, opinion in enumerate(opinions):
        if opinion.symbol != scan.symbol:
            raise ValidationFailed(
                f"opinions[{i}].symbol", f"must be {scan.symbol}", opinion.symbol
            )
    scored = sum(o.stance is not None for o in opinions)
    unit = _llm_unit(settings, sum(c.weight for c in parts.items), scored)
    for opinion in opinions:
        if opinion.stance is None:
            continue
        accuracy = _accuracy(opinion, model_accuracy, settings.default_model_accuracy)
        weight = unit * opinion.confidence * accuracy * weights.analyst(opinion.agent)
        parts.add(f"llm:{opinion.agent}", opinion.stance.sign, weight)
    total_weight = sum(c.weight for c in parts.items)
    raw = _clip(sum(c.contribution for c in parts.items) / total_weight) if total_weight else 0.0
    bias = regime_bias(scan, tf_weights)
    score = raw
    if raw * bias < 0 and settings.regime_against_penalty > 0:
        shrink = settings.regime_against_penalty * abs(bias)
        score = raw * (1.0 - shrink)
        parts.add(
            REGIME_AGAINST,
            math.copysign(shrink, bias),
            0.0,
            contribution=(score - raw) * total_weight,
        )
    return ConfluenceScore(
        symbol=scan.symbol,
        as_of=scan.as_of,
        score=_clip(score),
        components=tuple(parts.items),
    )
