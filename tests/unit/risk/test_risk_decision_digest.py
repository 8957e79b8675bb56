"""Golden digest: the risk gate's and the monitor's full output for a fixed, seeded set of
inputs hashes to the value recorded before the hot-path redesign.

Every decision is serialized completely (verdict, quantity, reason and every RuleCheck's
rule, measured value, limit and message), so any change to a decision, a check text or
the order of checks changes the digest. The inputs come from the benchmark's builders
(every rule on) plus variants that reach the rejection paths: switches and lockouts,
a cooldown, a portfolio whose caps leave no room, and strategy statistics with no edge.
If a deliberate behaviour change moves a digest, re-record it and say why in the commit.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from benchmarks import risk as bench

from quorum.domain import DomainModel, Quote
from quorum.risk import (
    AccountSnapshot,
    ClosePosition,
    MarketInfo,
    MonitoredPosition,
    MonitorSettings,
    MoveStop,
    Portfolio,
    RiskSettings,
    Rule,
    RulesState,
    TradeStats,
    evaluate,
    monitor,
    set_kill_switch,
    trip_safe_mode,
)
from quorum.risk.state import Lockout, SafeModeCause

EVALUATE_DIGEST = (
    "f4694c9edb9304c0ab99af0f9f38dcdf4946df618b66bfef9e6afdb2e6873c05"  # pragma: allowlist secret
)
MONITOR_DIGEST = (
    "a7b293955f16ac186de537e5556f2ddd097269219e2f33e1b71b2ea88c020aa8"  # pragma: allowlist secret
)


def _digest(values: list[DomainModel]) -> str:
    h = hashlib.sha256()
    for value in values:
        h.update(type(value).__name__.encode())
        h.update(value.model_dump_json().encode())
    return h.hexdigest()


def _states(base: RulesState, s: RiskSettings) -> list[RulesState]:
    at = bench.AS_OF - timedelta(minutes=5)
    lock = Lockout(
        rule="account.max_trades", reason="test", since=at, until=at + timedelta(hours=1)
    )
    return [
        base,
        set_kill_switch(base, True, at, s, by="ops", reason="drill").state,
        trip_safe_mode(base, SafeModeCause.MANUAL, "drill", at, s).state,
        base.model_copy(update={"lockouts": (lock,)}),
        base.model_copy(update={"cooldown_until": bench.AS_OF + timedelta(minutes=1)}),
        base.model_copy(update={"realized_pnl_today": Decimal(-40_000)}),
    ]


def _portfolios(base: Portfolio) -> list[Portfolio]:
    no_edge = {k: TradeStats(trades=200, win_rate=0.2, payoff_ratio=Decimal(1)) for k in "ab"}
    return [
        base,
        base.model_copy(update={"equity": Decimal(20_000), "margin_available": Decimal(3_000)}),
        base.model_copy(
            update={"strategy_stats": {**base.strategy_stats, "confluence": no_edge["a"]}}
        ),
    ]


def _inputs() -> tuple[RiskSettings, dict[str, MarketInfo], Portfolio, RulesState, random.Random]:
    rng = random.Random(7)
    s = bench.settings()
    book = bench.markets(rng, 80, 50)
    folio = bench.portfolio(rng, 50)
    state = bench.rules_state(rng, s)
    return s, book, folio, state, rng


def test_evaluate_output_for_seeded_signals_matches_the_recorded_digest() -> None:
    s, markets, folio, state, rng = _inputs()
    signals = bench.make_signals(rng, 1_500, markets)
    states, portfolios = _states(state, s), _portfolios(folio)
    decisions = []
    for k, sig in enumerate(signals):
        rules = states[k % 6] if k % 5 == 0 else state
        portfolio = portfolios[k % 3]
        decisions.append(evaluate(sig, portfolio, markets[sig.symbol], rules, bench.AS_OF, s))
    verdicts = Counter(d.verdict.value for d in decisions)
    assert set(verdicts) == {"approved", "resized", "rejected"}
    first_failures = Counter(d.failed[0].rule for d in decisions if d.failed)
    assert len(first_failures) >= 10, first_failures
    assert _digest(list(decisions)) == EVALUATE_DIGEST


def test_monitor_output_for_seeded_positions_matches_the_recorded_digest() -> None:
    s, _, _, state, rng = _inputs()
    positions, quotes = bench.monitored(rng, 400)
    first = monitor(positions, quotes, state, bench.AS_OF, s)
    moved = {a.position_id: a.new_stop for a in first if isinstance(a, MoveStop)}
    steady = [
        mp.model_copy(update={"current_stop": moved[mp.position.position_id]})
        if mp.position.position_id in moved
        else mp
        for mp in positions
    ]
    second = monitor(steady, quotes, state, bench.AS_OF, s)
    account = AccountSnapshot(equity=Decimal(900_000))
    drawn = monitor(positions, quotes, state, bench.AS_OF, s, account)
    held = s.model_copy(update={"monitor": MonitorSettings(max_holding=timedelta(hours=100))})
    exits = monitor(positions, _jolted(positions, quotes), state, bench.AS_OF, held)
    kinds = Counter(type(a).__name__ for a in exits)
    assert moved
    assert kinds["ClosePosition"] > 100
    assert kinds["MoveStop"] > 0
    assert Counter(a.rule for a in exits if isinstance(a, ClosePosition)).keys() == {
        Rule.STOP_LOSS_HIT,
        Rule.TAKE_PROFIT_HIT,
        Rule.TIME_EXIT,
    }
    assert _digest([*first, *second, *drawn, *exits]) == MONITOR_DIGEST


def _jolted(positions: list[MonitoredPosition], quotes: dict[str, Quote]) -> dict[str, Quote]:
    """Every 7th position marked through its stop, every 11th through its take-profit."""
    out = dict(quotes)
    for k, mp in enumerate(positions):
        p = mp.position
        price = p.stop_loss if k % 7 == 0 else p.take_profit if k % 11 == 0 else None
        if price is not None:
            out[p.symbol] = Quote(symbol=p.symbol, ts=bench.AS_OF, bid=price, ask=price, last=price)
    return out
