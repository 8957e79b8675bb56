"""A short, deterministic, human-readable reason for a score (stored with the Signal).

Shape (at most :data:`MAX_CHARS` characters)::

    Bullish +0.42 (p(win) 61%). For: 4h:pattern:candlestick:hammer +0.21; llm:technical
    +0.12; regime:4h +0.05. Dissent: llm:sentiment bearish (conf 0.60). Against the regime:
    strength cut 20%. Risk: size halved, daily loss at 80% of limit.

"For" lists the ``top`` components pushing in the score's direction with their share of the
score (``contribution / Σweight``); "Dissent" lists analysts whose stance opposes the score
(or, without any, the strongest opposing component); ties break by name.
"""

from __future__ import annotations

from collections.abc import Sequence

from quorum.domain import AgentOpinion, ConfluenceScore, ScoreComponent
from quorum.errors import ValidationFailed
from quorum.scoring.confluence import REGIME_AGAINST

MAX_CHARS = 400


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def _ranked(components: Sequence[ScoreComponent], sign: float) -> list[ScoreComponent]:
    chosen = [c for c in components if c.name != REGIME_AGAINST and c.contribution * sign > 0.0]
    return sorted(chosen, key=lambda c: (-abs(c.contribution), c.name))


def _dissent(
    score: ConfluenceScore, opinions: Sequence[AgentOpinion], sign: float, scale: float
) -> str:
    against = sorted(
        (o for o in opinions if o.stance is not None and o.stance.sign * sign < 0),
        key=lambda o: (-o.confidence, o.agent),
    )
    if against:
        return "; ".join(
            f"{o.agent} {o.stance.value if o.stance else ''} (conf {o.confidence:.2f})"
            for o in against[:2]
        )
    opposing = _ranked(score.components, -sign)
    if opposing:
        c = opposing[0]
        return f"{c.name} {c.contribution / scale:+.2f}"
    return "none"


def explain(
    score: ConfluenceScore,
    opinions: Sequence[AgentOpinion],
    risk_note: str | None = None,
    top: int = 3,
) -> str:
    """Top evidence, dissenting views and the risk note of ``score`` in ≤ 400 characters."""
    if top < 1:
        raise ValidationFailed("top", "must be >= 1", top)
    sign = 1.0 if score.score > 0 else -1.0 if score.score < 0 else 0.0
    word = {1.0: "Bullish", -1.0: "Bearish", 0.0: "Neutral"}[sign]
    head = f"{word} {score.score:+.2f}"
    if score.probability is not None:
        head += f" (p(win) {score.probability:.0%})"
    parts = [head + "."]
    scale = sum(c.weight for c in score.components) or 1.0
    if sign == 0.0:
        parts.append("No directional edge.")
    else:
        evidence = _ranked(score.components, sign)[:top]
        listed = "; ".join(f"{c.name} {c.contribution / scale:+.2f}" for c in evidence)
        parts.append(_shorten(f"For: {listed or 'none'}.", 170))
        parts.append(_shorten(f"Dissent: {_dissent(score, opinions, sign, scale)}.", 100))
        cut = next((c for c in score.components if c.name == REGIME_AGAINST), None)
        if cut is not None:
            parts.append(f"Against the regime: strength cut {abs(cut.value):.0%}.")
    text = " ".join(parts)
    if risk_note:
        room = MAX_CHARS - len(text) - 1
        text = f"{text} {_shorten('Risk: ' + risk_note.strip(), room)}" if room > 10 else text
    return _shorten(text, MAX_CHARS)
