"""Rule strategies: deterministic decision sources plugged into the pipeline through one
small interface (:class:`RuleStrategy`); pure (no I/O, no clock). ``parse_strategy``
turns a strategy spec (``ema-cross:10,30``) into its parameters; ``build()`` makes the
strategy object a run feeds bar by bar."""

from quorum.strategies.base import Enter, Exit, Holding, Proposal, RuleStrategy, price_tick
from quorum.strategies.ema_cross import EmaCross, EmaCrossStrategy, parse_ema_cross
from quorum.strategies.registry import STRATEGY_KINDS, RuleParams, parse_strategy

__all__ = [
    "STRATEGY_KINDS",
    "EmaCross",
    "EmaCrossStrategy",
    "Enter",
    "Exit",
    "Holding",
    "Proposal",
    "RuleParams",
    "RuleStrategy",
    "parse_ema_cross",
    "parse_strategy",
    "price_tick",
]
