"""Fuzz: ``evaluate`` is total on validated inputs, and never approves a breach.

Seeded random gate inputs whose every amount is drawn across magnitudes — plausible ones,
anywhere inside the domain's bounds (prices 1e-12 .. 1e12, quantities .. 1e15, money
.. 1e18), and now and then far outside them (1e±400) — are built through the models'
validation. An input the models refuse is fine (the edge did its job); an input they accept
must give a decision — no exception of any kind — and an approved or resized decision must
be within every limit (checked independently of the engine, see test_risk_properties).

``QUORUM_FUZZ_EXAMPLES`` sets the number of inputs (default 4,000, a few seconds; the
issue's acceptance run is ``QUORUM_FUZZ_EXAMPLES=100000``).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from tests.property.risk.risk_strategies import OTHERS, SYMBOL, T0
from tests.property.risk.test_risk_properties import _assert_within_every_limit

from quorum.domain import Direction, Signal, Timeframe
from quorum.risk import (
    Exposure,
    MarketInfo,
    Portfolio,
    RiskSettings,
    RulesState,
    TradeStats,
    evaluate,
    initial_state,
    prepare_portfolio,
)

EXAMPLES = int(os.environ.get("QUORUM_FUZZ_EXAMPLES", "4000"))
SEED = int(os.environ.get("QUORUM_FUZZ_SEED", "20261207"))


PRICE, QUANTITY, MONEY = (-12, 12), (-12, 15), (-12, 18)
"""Decimal exponents of the domain bounds (see ``quorum.domain.bounds``)."""


def amount(
    rng: random.Random, plausible: tuple[int, int] = (-2, 6), bounds: tuple[int, int] = MONEY
) -> Decimal:
    """A positive Decimal: often of plausible magnitude, as often anywhere inside
    ``bounds``, and one in 200 absurd (up to 1e±400; the models must refuse it)."""
    roll = rng.random()
    if roll < 0.5:
        low, high = plausible
    elif roll < 0.995:
        low, high = bounds
    else:
        low, high = -400, 400
    digits = rng.randint(1, 30)
    mantissa = rng.randint(1, 10**digits - 1)
    return Decimal(mantissa).scaleb(rng.randint(low, high) - digits)


def fraction(rng: random.Random, low: str, high: str) -> Decimal:
    return Decimal(low) + (Decimal(high) - Decimal(low)) * Decimal(rng.randint(0, 10**6)) / 10**6


def build(rng: random.Random) -> tuple[Signal, Portfolio, MarketInfo, RiskSettings, RulesState]:
    """One gate input, built through validation (may raise ValidationError)."""
    s = RiskSettings.model_validate(
        {
            "portfolio": {
                "max_total_exposure_fraction": amount(rng, (-1, 2), (-3, 3)),
                "max_position_notional_fraction": fraction(rng, "0.01", "1"),
                "max_leverage": rng.randint(1, 10),
            },
            "venue": {
                "price_collar_fraction": fraction(rng, "0.01", "1"),
                "max_order_quantity": {SYMBOL: amount(rng)} if rng.random() < 0.3 else {},
                "default_max_order_notional": amount(rng) if rng.random() < 0.3 else None,
            },
            "stops": {"min_reward_risk": fraction(rng, "0.5", "3")},
            "account": {"max_trades": None},
        }
    )
    reference = amount(rng, (-3, 6), PRICE)
    market = MarketInfo(
        symbol=SYMBOL,
        amount_step=amount(rng, (-8, 1), QUANTITY),
        price_tick=amount(rng, (-8, 0), PRICE),
        min_amount=amount(rng, (-8, 1), QUANTITY) if rng.random() < 0.5 else Decimal(0),
        min_notional=amount(rng, (-2, 2)) if rng.random() < 0.5 else Decimal(0),
        maker_fee=fraction(rng, "0", "0.0099"),
        taker_fee=fraction(rng, "0", "0.0099"),
        reference_price=reference,
        slippage=fraction(rng, "0", "0.0099"),
        correlations={o: rng.uniform(-1, 1) for o in OTHERS if rng.random() < 0.5},
        max_order_quantity=amount(rng, (-2, 6), QUANTITY) if rng.random() < 0.3 else None,
        max_order_notional=amount(rng, (0, 8), PRICE) if rng.random() < 0.3 else None,
    )
    equity = amount(rng, (2, 8))
    # Mostly sized to the account (a share of equity), else any magnitude.
    share = equity.scaleb(-5) if rng.random() < 0.7 else Decimal(1)
    exposures = tuple(
        Exposure(
            symbol=rng.choice((SYMBOL, *OTHERS)),
            direction=rng.choice(list(Direction)),
            notional=amount(rng, (0, 3)) * share,
            risk=amount(rng, (-1, 2)) * share,
            unrealized_pnl=amount(rng, (-2, 1)) * share * rng.choice((-1, 1)),
        )
        for _ in range(rng.randint(0, 5))
    )
    stats = {}
    if rng.random() < 0.5:
        stats["fuzz"] = TradeStats(
            trades=rng.randint(0, 500),
            win_rate=rng.random(),
            payoff_ratio=amount(rng, (-1, 1), (-6, 6)),
        )
    folio = Portfolio(
        equity=equity,
        margin_available=amount(rng, (2, 9)),
        exposures=exposures,
        strategy_stats=stats,
    )
    direction = rng.choice(list(Direction))
    sign = 1 if direction is Direction.LONG else -1
    entry = reference * (1 + Decimal(rng.randint(-300, 300)) / 10_000)
    stop_fraction = fraction(rng, "0.0005", "0.12")
    take_profit = entry * (1 + sign * stop_fraction * fraction(rng, "0.5", "6"))
    signal = Signal(
        run_id="fuzz",
        strategy="fuzz",
        symbol=SYMBOL,
        timeframe=Timeframe.H1,
        as_of=T0,
        direction=direction,
        entry=entry,
        stop_loss=entry * (1 - sign * stop_fraction),
        take_profit=take_profit if rng.random() < 0.95 else None,
        confidence=rng.random(),
        leverage=Decimal(
            rng.randint(1, int(s.portfolio.max_leverage) if rng.random() < 0.9 else 10)
        ),
    )
    state = initial_state(equity, T0, s)
    if rng.random() < 0.5:  # a day with history: peaks, start equity, realized P&L
        day = {
            "day_start_equity": amount(rng, (2, 8)),
            "day_peak_equity": amount(rng, (2, 8)),
            "month_peak_equity": amount(rng, (2, 8)),
            "realized_pnl_today": amount(rng, (-2, 6)) * rng.choice((-1, 1)),
            "loss_streak": rng.randint(0, 5),
            "streak_loss": amount(rng, (-2, 6)),
            "streak_start_equity": amount(rng, (2, 8)),
        }
        changed = state.evolve(**day)
        assert isinstance(changed, RulesState)
        state = changed
    return signal, folio, market, s, state


def run(examples: int, seed: int) -> tuple[Counter[str], list[str]]:
    """``(tally, failures)``: what happened to each input, and every crash or breach."""
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    failures: list[str] = []
    for k in range(examples):
        try:
            signal, folio, market, s, state = build(rng)
        except ValidationError:
            tally["refused at the model edge"] += 1
            continue
        inputs: Any = (signal, folio, market, s, state)
        try:
            decision = evaluate(signal, prepare_portfolio(folio, s), market, state, T0, s)
        except Exception as exc:  # any exception on a validated input is a failure
            tally[f"crash {type(exc).__name__}"] += 1
            failures.append(f"#{k} crash {type(exc).__name__}: {exc!r} on {inputs!r}"[:2000])
            continue
        tally[decision.verdict.value] += 1
        if decision.approved:
            try:
                _assert_within_every_limit(decision, signal, folio, market, s)
            except AssertionError as exc:
                tally["approved breach"] += 1
                failures.append(f"#{k} breach {exc!r}: {decision!r} on {inputs!r}"[:2000])
    return tally, failures


def test_evaluate_never_raises_and_never_approves_a_breach_on_validated_inputs() -> None:
    tally, failures = run(EXAMPLES, SEED)
    print(dict(tally))  # the acceptance run reports these counts (pytest -s)
    assert failures == [], f"{len(failures)} failures; first: {failures[0]}"
    assert sum(tally.values()) == EXAMPLES
    # Every outcome is reached, so the run exercised sizing, not only the edge.
    for outcome in ("refused at the model edge", "rejected", "resized"):
        assert tally[outcome] > EXAMPLES // 100, tally
    assert tally["approved"] > EXAMPLES // 1_000, tally
