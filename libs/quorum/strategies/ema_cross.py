"""EMA cross, the shipped example of a rule strategy.

``ema-cross:FAST,SLOW[,STOP[,TARGET]]`` (long only): at a base-bar close where EMA(FAST)
crosses above EMA(SLOW) — ``fast[-2] < slow[-2] and fast[-1] > slow[-1]``, as
backtesting.py's ``crossover`` — and the book is flat in the symbol, propose a long entry
at that close with a stop STOP below it (fraction, default 0.05) and a take-profit TARGET
above it (default 3 × STOP). Where EMA(FAST) crosses below EMA(SLOW) and a long is open,
propose the exit.

EMA is the recurrence of ``pandas.Series.ewm(span=N, adjust=False).mean()`` over the
closes fed since the strategy was created — the same float operations in the same order,
so the values are bit-identical to pandas' (a test holds this) — updated once per bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from quorum.domain import Bar, Direction
from quorum.strategies.base import Enter, Exit, Holding, Proposal, price_tick


@dataclass(frozen=True, slots=True)
class EmaCross:
    """The parameters of ``ema-cross:FAST,SLOW[,STOP[,TARGET]]`` (see module doc)."""

    fast: int
    slow: int
    stop: Decimal = Decimal("0.05")
    target: Decimal = Decimal("0.15")

    @property
    def name(self) -> str:
        return f"ema-cross:{self.fast},{self.slow},{self.stop},{self.target}"

    def build(self) -> EmaCrossStrategy:
        return EmaCrossStrategy(self)


def parse_ema_cross(args: str, text: str) -> EmaCross:
    """``FAST,SLOW[,STOP[,TARGET]]`` → EmaCross; ValueError naming the rule broken."""
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


@dataclass(slots=True)
class Ema:
    """``ewm(span=span, adjust=False).mean()`` one value at a time (pandas' own arithmetic:
    ``((1-α)·w + α·x) / ((1-α) + α)``, the value kept when it equals the input)."""

    span: int
    value: float | None = None

    def update(self, x: float) -> float:
        if self.value is None:
            self.value = x
            return x
        alpha = 1.0 / (1.0 + (self.span - 1) / 2.0)
        old = 1.0 - alpha
        if self.value != x:
            self.value = (old * self.value + alpha * x) / (old + alpha)
        return self.value


@dataclass(slots=True)
class _Pair:
    fast: Ema
    slow: Ema
    last: tuple[float, float] | None = None


@dataclass
class EmaCrossStrategy:
    """The strategy object: one pair of EMAs per symbol, updated once per bar."""

    params: EmaCross
    _pairs: dict[str, _Pair] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.params.name

    def cross(self, bar: Bar) -> int:
        """Update the symbol's EMAs with ``bar``'s close: +1 golden cross, -1 death, 0 none."""
        pair = self._pairs.get(bar.symbol)
        if pair is None:
            pair = self._pairs[bar.symbol] = _Pair(Ema(self.params.fast), Ema(self.params.slow))
        close = float(bar.close)
        now = (pair.fast.update(close), pair.slow.update(close))
        before, pair.last = pair.last, now
        if before is None:
            return 0
        if before[0] < before[1] and now[0] > now[1]:
            return 1
        if before[0] > before[1] and now[0] < now[1]:
            return -1
        return 0

    def on_bar(self, bar: Bar, holding: Holding) -> Proposal:
        signal = self.cross(bar)
        p = self.params
        if signal > 0 and holding is Holding.FLAT:
            price = Decimal(repr(float(bar.close)))
            tick = price_tick(price)
            return Enter(
                direction=Direction.LONG,
                stop_loss=(price * (1 - p.stop)).quantize(tick),
                take_profit=(price * (1 + p.target)).quantize(tick),
                explanation=(
                    f"EMA({p.fast}) crossed above EMA({p.slow}) at "
                    f"{bar.close_time:%Y-%m-%dT%H:%M:%S.%fZ}"
                ),
            )
        if signal < 0 and holding is Holding.LONG:
            return Exit(f"EMA({p.fast}) crossed below EMA({p.slow})")
        return None
