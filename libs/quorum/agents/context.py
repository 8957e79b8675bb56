"""The compact, size-bounded market context every LLM node is prompted with.

Starts from ``quorum.llm.market_context_from_scan`` (the prompt format the router renders
and the offline analyst reads), keeps only the configured indicators and the strongest
patterns per timeframe, then trims until the rendered block fits ``max_context_bytes``:
the weakest pattern first, then the lowest-priority indicator. Regimes are never dropped.
UTF-8 bytes bound the tokens of byte-level tokenizers, so the bound holds for every model.
"""

from __future__ import annotations

from quorum.agents.settings import AgentSettings
from quorum.domain import ScanResult, Timeframe
from quorum.errors import ValidationFailed
from quorum.llm.prompts import (
    MarketContext,
    TimeframeContext,
    market_context_from_scan,
    render_context,
)


def context_bytes(context: MarketContext) -> int:
    """Size of the rendered context block in UTF-8 bytes."""
    return len(render_context(context).encode("utf-8"))


def decision_timeframe(scan: ScanResult, settings: AgentSettings) -> Timeframe:
    """The configured decision timeframe when the scan has it, else the scan's shortest."""
    if not scan.timeframes:
        raise ValidationFailed("scan.timeframes", "need at least one timeframe to analyse")
    chosen = settings.decision_timeframe
    if chosen is not None and scan.get(chosen) is not None:
        return chosen
    return min((t.timeframe for t in scan.timeframes), key=lambda tf: tf.seconds)


def _select(item: TimeframeContext, settings: AgentSettings) -> TimeframeContext:
    wanted = settings.context_indicators
    indicators = {name: item.indicators[name] for name in wanted if name in item.indicators}
    strongest = sorted(item.patterns, key=lambda p: (-p.confidence, p.name))
    patterns = tuple(strongest[: settings.max_patterns_per_timeframe])
    return item.model_copy(update={"indicators": indicators, "patterns": patterns})


def _drop_weakest_pattern(frames: list[TimeframeContext]) -> bool:
    candidates = [
        (p.confidence, i, j) for i, f in enumerate(frames) for j, p in enumerate(f.patterns)
    ]
    if not candidates:
        return False
    _, i, j = min(candidates)
    patterns = frames[i].patterns
    frames[i] = frames[i].model_copy(update={"patterns": patterns[:j] + patterns[j + 1 :]})
    return True


def _drop_last_indicator(frames: list[TimeframeContext], priority: tuple[str, ...]) -> bool:
    present = [name for name in priority if any(name in f.indicators for f in frames)]
    if not present:
        return False
    name = present[-1]
    for i, frame in enumerate(frames):
        if name in frame.indicators:
            kept = {k: v for k, v in frame.indicators.items() if k != name}
            frames[i] = frame.model_copy(update={"indicators": kept})
    return True


def build_context(scan: ScanResult, settings: AgentSettings) -> MarketContext:
    """The bounded context of ``scan`` with the decision timeframe as primary."""
    full = market_context_from_scan(scan, decision_timeframe(scan, settings))
    frames = [_select(item, settings) for item in full.timeframes]
    context = full.model_copy(update={"timeframes": tuple(frames)})
    while context_bytes(context) > settings.max_context_bytes:
        if not (
            _drop_weakest_pattern(frames)
            or _drop_last_indicator(frames, settings.context_indicators)
        ):
            raise ValidationFailed(
                "agents.max_context_bytes",
                f"the regimes alone need {context_bytes(context)} bytes; raise the bound",
                settings.max_context_bytes,
            )
        context = full.model_copy(update={"timeframes": tuple(frames)})
    return MarketContext.model_validate(context.model_dump())
