"""Strategy specs by kind: ``KIND:ARGS`` → the strategy's parameters (``agents`` → None).

Add a kind by writing its parameters class (frozen; ``name`` and ``build()``) and its
parser, and listing the parser here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from quorum.strategies.base import RuleStrategy
from quorum.strategies.ema_cross import parse_ema_cross


class RuleParams(Protocol):
    """A rule strategy's parameters: a unique name and a factory for a fresh strategy."""

    @property
    def name(self) -> str: ...

    def build(self) -> RuleStrategy: ...


STRATEGY_KINDS: dict[str, Callable[[str, str], RuleParams]] = {"ema-cross": parse_ema_cross}
"""Strategy kind → parser of its arguments (``ARGS``, whole spec text for messages)."""


def parse_strategy(text: str) -> RuleParams | None:
    """``agents`` → None (the analysis pipeline); ``KIND:ARGS`` → that kind's parameters."""
    if text == "agents":
        return None
    kind, _, args = text.partition(":")
    parser = STRATEGY_KINDS.get(kind)
    if parser is None:
        expected = ", ".join(f"'{k}:…'" for k in STRATEGY_KINDS)
        raise ValueError(f"strategy: expected 'agents' or one of {expected} ({text!r})")
    return parser(args, text)
