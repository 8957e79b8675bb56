"""`quorum bench risk`: risk-gate latency with every rule switched on.

evaluate: ``signals`` random valid signals against a ``positions``-position portfolio
(correlations to every open symbol, Kelly statistics, sessions with holidays, venue caps,
throttle and duplicate history, profit target, cooldown tiers …), timed per call.
monitor: one pass over ``monitor_positions`` leveraged positions with fresh quotes.
Inputs are generated (seeded) before timing; only the calls themselves are timed.

Two ways to call ``evaluate``: ``evaluate`` prepares the portfolio once
(``prepare_portfolio``) and reuses it and one rules-state object for every signal (a scan
evaluating its candidates against one snapshot); ``evaluate_fresh_inputs`` hands every call
a new (equal) state and plain portfolio object and moves ``as_of`` on by 100 ms, as a live
caller whose state changes after every order and whose portfolio changes after every fill
would, so the timed call also prepares the portfolio.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

from benchmarks.harness import machine, percentiles
from quorum.domain import Direction, Position, PositionState, Quote, Signal, Timeframe
from quorum.risk import (
    AccountSettings,
    Exposure,
    MarketInfo,
    MonitoredPosition,
    MonitorSettings,
    MoveStop,
    Portfolio,
    PortfolioSettings,
    PreparedPortfolio,
    RiskSettings,
    RulesState,
    TradeStats,
    TradingSession,
    VenueSettings,
    evaluate,
    initial_state,
    monitor,
    on_fill,
    prepare_portfolio,
    record_order,
)
from quorum.testing import make_fill

AS_OF = datetime(2024, 3, 13, 15, 0, tzinfo=UTC)  # a Wednesday, 11:00 in New York
TARGETS = {"evaluate_p99_ms": 0.2, "evaluate_plan_ms": 2.0, "monitor_1000_ms": 5.0}
STRATEGIES = ("confluence", "breakout", "meanrev")


def settings() -> RiskSettings:
    """Every rule on, with limits loose enough that most signals reach full sizing."""
    weekdays = TradingSession.weekdays(
        "America/New_York",
        clock_time(4, 0),
        clock_time(20, 0),
        holidays=frozenset({date(2024, 1, 1), date(2024, 7, 4), date(2024, 12, 25)}),
    )
    return RiskSettings(
        portfolio=PortfolioSettings(
            max_total_exposure_fraction=Decimal(50), max_position_notional_fraction=Decimal("0.5")
        ),
        venue=VenueSettings(
            max_order_quantity={f"SYM{i:02d}/USDT": Decimal(5000) for i in range(0, 80, 3)},
            max_order_notional={f"SYM{i:02d}/USDT": Decimal(200_000) for i in range(1, 80, 3)},
            default_max_order_notional=Decimal(500_000),
            max_orders_per_window=1_000,
        ),
        account=AccountSettings(
            profit_target_fraction=Decimal("0.10"),
            max_trades=500,
            sessions={
                "*": weekdays,
                "SYM07/USDT": TradingSession.weekdays(
                    "Europe/London", clock_time(8, 0), clock_time(16, 30)
                ),
            },
            blocked_symbols=frozenset({"SYM79/USDT"}),
        ),
        monitor=MonitorSettings(max_holding=timedelta(days=10)),
    )


def _symbol(i: int) -> str:
    return f"SYM{i:02d}/USDT"


def portfolio(rng: random.Random, positions: int) -> Portfolio:
    exposures = tuple(
        Exposure(
            symbol=_symbol(i),
            direction=rng.choice(list(Direction)),
            notional=Decimal(rng.randint(500, 5_000)),
            risk=Decimal(rng.randint(5, 100)),
            unrealized_pnl=Decimal(rng.randint(-50, 60)),
        )
        for i in range(positions)
    )
    stats = {
        name: TradeStats(trades=200, win_rate=0.48 + 0.02 * k, payoff_ratio=Decimal("1.8"))
        for k, name in enumerate(STRATEGIES)
    }
    return Portfolio(
        equity=Decimal(1_000_000),
        margin_available=Decimal(900_000),
        exposures=exposures,
        strategy_stats=stats,
    )


def markets(rng: random.Random, symbols: int, positions: int) -> dict[str, MarketInfo]:
    out: dict[str, MarketInfo] = {}
    for i in range(symbols):
        price = Decimal(rng.randint(1_000, 5_000_000)) / 100
        out[_symbol(i)] = MarketInfo(
            symbol=_symbol(i),
            amount_step=Decimal("0.001"),
            price_tick=Decimal("0.01"),
            min_amount=Decimal("0.001"),
            min_notional=Decimal(5),
            maker_fee=Decimal("0.0002"),
            taker_fee=Decimal("0.0005"),
            reference_price=price,
            atr=price * Decimal("0.01"),
            slippage=Decimal("0.0003"),
            correlations={_symbol(j): round(rng.uniform(-0.9, 0.95), 3) for j in range(positions)},
            max_order_quantity=Decimal(100_000),
        )
    return out


def rules_state(rng: random.Random, s: RiskSettings) -> RulesState:
    state = initial_state(Decimal(1_000_000), AS_OF - timedelta(hours=2), s)
    for k in range(120):
        when = AS_OF - timedelta(minutes=110) + timedelta(seconds=50 * k)
        state = record_order(state, f"q{rng.getrandbits(120):030x}", when, s).state
        if k % 3 == 0:
            fill = make_fill(ts=when)
            state = on_fill(state, fill, s, opens_position=True).state
    return state


def make_signals(rng: random.Random, count: int, book: dict[str, MarketInfo]) -> list[Signal]:
    symbols = sorted(book)
    out: list[Signal] = []
    for k in range(count):
        market = book[rng.choice(symbols)]
        direction = rng.choice(list(Direction))
        sign = 1 if direction is Direction.LONG else -1
        tick = market.price_tick
        entry = (market.reference_price * Decimal(str(1 + rng.uniform(-0.01, 0.01)))).quantize(tick)
        stop_fraction = Decimal(str(round(rng.uniform(0.002, 0.06), 4)))
        reward = Decimal(str(round(rng.uniform(1.2, 4.0), 2)))
        stop = (entry * (1 - sign * stop_fraction)).quantize(tick)
        take_profit = (entry * (1 + sign * stop_fraction * reward)).quantize(tick)
        out.append(
            Signal(
                run_id="bench",
                strategy=rng.choice(STRATEGIES),
                symbol=market.symbol,
                timeframe=Timeframe.H1,
                as_of=AS_OF - timedelta(seconds=k),
                direction=direction,
                entry=entry,
                stop_loss=stop,
                take_profit=take_profit,
                confidence=round(rng.uniform(0.35, 0.95), 3),
                leverage=Decimal(rng.choice((1, 1, 2, 3, 5))),
            )
        )
    return out


def monitored(rng: random.Random, count: int) -> tuple[list[MonitoredPosition], dict[str, Quote]]:
    positions: list[MonitoredPosition] = []
    quotes: dict[str, Quote] = {}
    for k in range(count):
        symbol = f"MON{k:04d}/USDT"
        direction = rng.choice(list(Direction))
        sign = 1 if direction is Direction.LONG else -1
        entry = Decimal(rng.randint(1_000, 100_000)) / 100
        stop = (entry * (1 - sign * Decimal("0.03"))).quantize(Decimal("0.01"))
        take_profit = (entry * (1 + sign * Decimal("0.09"))).quantize(Decimal("0.01"))
        move = Decimal(str(round(rng.uniform(-0.025, 0.085), 4)))
        mark = (entry * (1 + sign * move)).quantize(Decimal("0.01"))
        position = Position(
            position_id=f"p{k}",
            run_id="bench",
            symbol=symbol,
            direction=direction,
            state=PositionState.ACTIVE,
            quantity=Decimal(rng.randint(1, 50)) / 10,
            average_entry=entry,
            stop_loss=stop,
            take_profit=take_profit,
            opened_at=AS_OF - timedelta(hours=rng.randint(1, 200)),
        )
        positions.append(
            MonitoredPosition(
                position=position,
                atr=entry * Decimal("0.01"),
                leverage=Decimal(rng.choice((1, 2, 5, 10))),
                price_tick=Decimal("0.01"),
            )
        )
        spread = Decimal("0.01")
        quotes[symbol] = Quote(symbol=symbol, ts=AS_OF, bid=mark, ask=mark + spread, last=mark)
    return positions, quotes


def _percentiles_ms(samples_ns: list[int], points: tuple[float, ...]) -> dict[str, float]:
    return {k: v / 1e6 for k, v in percentiles([float(x) for x in samples_ns], points).items()}


def time_evaluate(
    batch: list[Signal],
    folio: Portfolio,
    book: dict[str, MarketInfo],
    state: RulesState,
    s: RiskSettings,
    *,
    fresh_inputs: bool = False,
) -> dict[str, Any]:
    """Per-call wall and thread-CPU time of ``evaluate`` over ``batch`` (after a warm-up).

    Without ``fresh_inputs`` ``folio`` is prepared once, before timing, and shared by every
    call. With ``fresh_inputs`` every call gets its own copy of ``state`` and ``folio`` (made
    before its timer starts; the call prepares the copy) and an ``as_of`` 100 ms after the
    previous call's."""
    shared = prepare_portfolio(folio, s, book.values(), state)
    for signal in batch[: min(1_000, len(batch))]:
        evaluate(signal, shared, book[signal.symbol], state, AS_OF, s)
    verdicts: Counter[str] = Counter()
    first_failures: Counter[str] = Counter()
    wall: list[int] = []
    cpu: list[int] = []
    full_wall: list[int] = []
    wall_clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    step = timedelta(milliseconds=100) if fresh_inputs else timedelta(0)
    as_of, rules = AS_OF, state
    portfolio: Portfolio | PreparedPortfolio = shared
    gc.collect()
    gc.freeze()
    try:
        for signal in batch:
            market = book[signal.symbol]
            if fresh_inputs:
                as_of += step
                rules, portfolio = state.model_copy(), folio.model_copy()
            c0, w0 = cpu_clock(), wall_clock()
            decision = evaluate(signal, portfolio, market, rules, as_of, s)
            w1, c1 = wall_clock(), cpu_clock()
            wall.append(w1 - w0)
            cpu.append(c1 - c0)
            verdicts[decision.verdict.value] += 1
            if decision.failed:
                first_failures[decision.failed[0].rule] += 1
            else:
                full_wall.append(w1 - w0)
    finally:
        gc.unfreeze()
    points = (50, 95, 99)
    wall_p = _percentiles_ms(wall, points)
    cpu_p = _percentiles_ms(cpu, points)
    full_p = _percentiles_ms(full_wall, (50, 99)) if full_wall else {}
    return {
        "signals": len(wall),
        "p50_ms": wall_p["p50"],
        "p95_ms": wall_p["p95"],
        "p99_ms": wall_p["p99"],
        "max_ms": max(wall) / 1e6,
        "mean_ms": statistics.fmean(wall) / 1e6,
        "cpu_p50_ms": cpu_p["p50"],
        "cpu_p99_ms": cpu_p["p99"],
        "cpu_p95_ms": cpu_p["p95"],
        "full_path": {"decisions": len(full_wall), **{f"{k}_ms": v for k, v in full_p.items()}},
        "verdicts": dict(verdicts),
        "first_failed_rule": dict(first_failures.most_common()),
    }


def _apply_stop_moves(
    positions: list[MonitoredPosition], actions: list[Any]
) -> list[MonitoredPosition]:
    moved = {a.position_id: a.new_stop for a in actions if isinstance(a, MoveStop)}
    return [
        mp.model_copy(update={"current_stop": moved[mp.position.position_id]})
        if mp.position.position_id in moved
        else mp
        for mp in positions
    ]


def time_monitor(
    positions: list[MonitoredPosition],
    quotes: dict[str, Quote],
    state: RulesState,
    s: RiskSettings,
    runs: int = 50,
) -> dict[str, Any]:
    """One pass that moves many stops (cold), then steady-state passes with them applied."""
    first = monitor(positions, quotes, state, AS_OF, s)
    cold = []
    for _ in range(max(5, runs // 5)):
        start = time.perf_counter_ns()
        monitor(positions, quotes, state, AS_OF, s)
        cold.append((time.perf_counter_ns() - start) / 1e6)
    steady_positions = _apply_stop_moves(positions, first)
    actions: list[Any] = []
    steady = []
    cpu = []
    fresh_cpu = []
    gc.collect()
    for run in range(2 * runs):
        # Every other pass gets new (equal) position objects, as a caller that rebuilds
        # them from the store each pass would: nothing cached on them carries over.
        fresh = run % 2 == 1
        book = [mp.model_copy() for mp in steady_positions] if fresh else steady_positions
        c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
        actions = monitor(book, quotes, state, AS_OF, s)
        w1, c1 = time.perf_counter_ns(), time.thread_time_ns()
        if fresh:
            fresh_cpu.append((c1 - c0) / 1e6)
        else:
            steady.append((w1 - w0) / 1e6)
            cpu.append((c1 - c0) / 1e6)
    return {
        "positions": len(positions),
        "runs": runs,
        "median_ms": statistics.median(steady),
        "p99_ms": percentiles(steady, (99,))["p99"],
        "max_ms": max(steady),
        "cpu_median_ms": statistics.median(cpu),
        "fresh_objects_cpu_median_ms": statistics.median(fresh_cpu),
        "actions_per_pass": len(actions),
        "action_kinds": dict(Counter(type(a).__name__ for a in actions)),
        "with_stop_moves": {
            "actions": len(first),
            "median_ms": statistics.median(cold),
        },
    }


def run(
    signals: int = 100_000,
    positions: int = 50,
    monitor_positions: int = 1_000,
    seed: int = 1,
    fresh_signals: int = 20_000,
) -> dict[str, Any]:
    rng = random.Random(seed)
    s = settings()
    book = markets(rng, 80, positions)
    folio = portfolio(rng, positions)
    state = rules_state(rng, s)
    began = time.perf_counter()
    batch = make_signals(rng, signals, book)
    generation_s = time.perf_counter() - began
    load_before = os.getloadavg()[0]
    evaluated = time_evaluate(batch, folio, book, state, s)
    evaluated["portfolio_positions"] = positions
    evaluated["input_generation_s"] = generation_s
    fresh = time_evaluate(batch[:fresh_signals], folio, book, state, s, fresh_inputs=True)
    del batch
    book_positions, quotes = monitored(rng, monitor_positions)
    monitored_result = time_monitor(book_positions, quotes, state, s)
    load_after = os.getloadavg()[0]
    return {
        "benchmark": "risk",
        "machine": machine(),
        "load_average_1m": [load_before, load_after],
        "evaluate": evaluated,
        "evaluate_fresh_inputs": fresh,
        "monitor": monitored_result,
        "targets": TARGETS,
        "meets": {
            "evaluate_p99_ms": evaluated["p99_ms"] <= TARGETS["evaluate_p99_ms"],
            "evaluate_plan_ms": evaluated["p99_ms"] <= TARGETS["evaluate_plan_ms"],
            "monitor_1000_ms": monitored_result["median_ms"] <= TARGETS["monitor_1000_ms"],
        },
        "meets_on_cpu_time": {
            "evaluate_p99_ms": evaluated["cpu_p99_ms"] <= TARGETS["evaluate_p99_ms"],
            "evaluate_fresh_inputs_p99_ms": fresh["cpu_p99_ms"] <= TARGETS["evaluate_p99_ms"],
            "monitor_1000_ms": monitored_result["cpu_median_ms"] <= TARGETS["monitor_1000_ms"],
        },
    }
