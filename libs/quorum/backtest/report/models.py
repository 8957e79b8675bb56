"""What each model and each role (analyst) contributed: hit rate, Brier and spend (pure).

An opinion is *right* when its stance agreed with the trade and the trade won, or disagreed
and it lost (:func:`quorum.scoring.stance_was_right`); neutral and "no opinion" are not
scored. ``hit_rate`` = right / scored opinions; ``brier`` = mean ``(p − right)²`` with
``p = (1 + confidence) / 2`` (0.25 is a coin flip, lower is better); ``calls`` and
``spend_usd`` come from the run's ledger rows of that model / role (every call, traded
or not), ``spend_per_trade_usd`` = spend ÷ trades that carried one of its opinions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from quorum.backtest.results import LlmSpend, Trade, TradeOpinion
from quorum.scoring import opinion_brier

__all__ = ["ModelRow", "by_model", "by_role"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ModelRow:
    label: str
    trades: int
    opinions: int
    right: int
    hit_rate: float | None
    brier: float | None
    calls: int
    spend_usd: Decimal
    spend_per_trade_usd: Decimal | None


def _rows(
    trades: Sequence[Trade],
    spend: Sequence[LlmSpend],
    opinion_label: Callable[[TradeOpinion], str],
    spend_label: Callable[[LlmSpend], str],
) -> list[ModelRow]:
    seen: dict[str, list[int]] = {}  # label → [trades, opinions, right]
    errors: dict[str, float] = {}
    for trade in trades:
        labels = set()
        for o in trade.opinions:
            label = opinion_label(o)
            counts = seen.setdefault(label, [0, 0, 0])
            labels.add(label)
            if o.right is not None:
                counts[1] += 1
                counts[2] += int(o.right)
                errors[label] = errors.get(label, 0.0) + opinion_brier(o.confidence, o.right)
        for label in labels:
            seen[label][0] += 1
    calls: dict[str, tuple[int, Decimal]] = {}
    for s in spend:
        n, usd = calls.get(spend_label(s), (0, ZERO))
        calls[spend_label(s)] = (n + s.calls, usd + s.spend_usd)
    out = []
    for label in sorted(set(seen) | set(calls)):
        n_trades, n_opinions, n_right = seen.get(label, [0, 0, 0])
        n_calls, usd = calls.get(label, (0, ZERO))
        out.append(
            ModelRow(
                label=label,
                trades=n_trades,
                opinions=n_opinions,
                right=n_right,
                hit_rate=n_right / n_opinions if n_opinions else None,
                brier=errors.get(label, 0.0) / n_opinions if n_opinions else None,
                calls=n_calls,
                spend_usd=usd,
                spend_per_trade_usd=usd / n_trades if n_trades else None,
            )
        )
    return out


def by_model(trades: Sequence[Trade], spend: Sequence[LlmSpend]) -> list[ModelRow]:
    """One row per model (over all its roles)."""
    return _rows(trades, spend, lambda o: o.model, lambda s: s.model)


def by_role(trades: Sequence[Trade], spend: Sequence[LlmSpend]) -> list[ModelRow]:
    """One row per role (the analyst: technical, patterns, regime, bull, bear)."""
    return _rows(trades, spend, lambda o: o.role, lambda s: s.role)
