"""Properties of the risk gate and the monitor over random portfolios, markets and signals.

The limit checks here are written independently of the engine's code, from the settings.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.property.risk.risk_strategies import (
    SYMBOL,
    T0,
    confidences,
    entries,
    leverages,
    make_signal,
    markets,
    portfolios,
    rewards,
    risk_settings,
    scaled,
    stop_fractions,
)

from quorum.domain import Direction, Liquidity, RiskDecision, Signal, Verdict
from quorum.risk import (
    MarketInfo,
    MonitoredPosition,
    MoveStop,
    Portfolio,
    RiskSettings,
    Rule,
    SafeModeCause,
    evaluate,
    initial_state,
    kelly_cap,
    monitor,
    set_kill_switch,
    trip_safe_mode,
)
from quorum.testing import make_position, make_quote

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decide(signal: Signal, folio: Portfolio, market: MarketInfo, s: RiskSettings) -> RiskDecision:
    return evaluate(signal, folio, market, initial_state(folio.equity, T0, s), T0, s)


def _worst_loss_per_unit(signal: Signal, market: MarketInfo, s: RiskSettings) -> Decimal:
    """Independent restatement: slipped entry to buffered stop, plus both fees."""
    buffer = max(s.stops.stop_slippage_buffer, market.slippage)
    entry_fee = (
        market.maker_fee if s.expectancy.entry_liquidity is Liquidity.MAKER else market.taker_fee
    )
    if signal.direction is Direction.LONG:
        paid = signal.entry * (1 + market.slippage)
        received = signal.stop_loss * (1 - buffer)
        return paid - received + paid * entry_fee + received * market.taker_fee
    received = signal.entry * (1 - market.slippage)
    paid = signal.stop_loss * (1 + buffer)
    return paid - received + received * entry_fee + paid * market.taker_fee


def _assert_within_every_limit(
    decision: RiskDecision, signal: Signal, folio: Portfolio, market: MarketInfo, s: RiskSettings
) -> None:
    q = decision.quantity
    equity = folio.equity
    entry = signal.entry
    notional = q * entry
    risk = q * _worst_loss_per_unit(signal, market, s)
    p = s.portfolio
    # Exchange precision and minimums.
    assert q > 0
    assert q % market.amount_step == 0
    assert q >= market.min_amount
    assert notional >= market.min_notional
    # Per-trade risk: the confidence-scaled cap and the Kelly cap.
    assert risk <= equity * s.sizing.max_risk_fraction
    kelly = kelly_cap(folio.strategy_stats.get(signal.strategy), s.sizing)
    if kelly is not None:
        assert risk <= equity * kelly
    # Single position (same symbol), correlation bucket, total exposure.
    same = [e for e in folio.exposures if e.symbol == SYMBOL]
    assert notional + sum(e.notional for e in same) <= equity * p.max_position_notional_fraction
    assert risk + sum(e.risk for e in same) <= equity * p.max_position_risk_fraction
    bucket = []
    for e in folio.exposures:
        corr = 1.0 if e.symbol == SYMBOL else market.correlations.get(e.symbol, 0.0)
        if e.direction is not signal.direction and e.symbol != SYMBOL:
            corr = -corr
        if corr > p.correlation_limit:
            bucket.append(e)
    assert notional + sum(e.notional for e in bucket) <= equity * p.max_position_notional_fraction
    assert risk + sum(e.risk for e in bucket) <= equity * p.max_position_risk_fraction
    total = sum((e.notional for e in folio.exposures), Decimal(0))
    assert total + notional <= equity * p.max_total_exposure_fraction
    # Leverage and margin.
    assert signal.leverage <= p.max_leverage
    assert folio.margin_available >= notional / signal.leverage * p.margin_buffer
    # Venue caps and collar.
    for cap in (s.venue.max_order_quantity.get(SYMBOL), market.max_order_quantity):
        assert cap is None or q <= cap
    for cap in (s.venue.default_max_order_notional, market.max_order_notional):
        assert cap is None or notional <= cap
    assert abs(entry - market.reference_price) / market.reference_price <= (
        s.venue.price_collar_fraction
    )
    # Stop sanity.
    distance = abs(entry - signal.stop_loss) / entry
    assert s.stops.min_stop_fraction <= distance <= s.stops.max_stop_fraction
    assert signal.take_profit is not None
    reward_risk = abs(signal.take_profit - entry) / abs(entry - signal.stop_loss)
    assert reward_risk >= s.stops.min_reward_risk


def _plausible_or_any(
    data: st.DataObject, plausible: st.SearchStrategy[Decimal], anything: st.SearchStrategy[Decimal]
) -> Decimal:
    """Mostly (9 in 10) values the gate should accept, so approvals are common; else anything."""
    return data.draw(anything if data.draw(st.integers(0, 9)) == 9 else plausible)


@PROPERTY
@given(
    data=st.data(),
    s=risk_settings(),
    folio=portfolios(),
    direction=st.sampled_from(list(Direction)),
    entry=entries,
    stop=stop_fractions,
    confidence=st.floats(0.5, 1.0),
)
def test_no_approved_order_breaches_any_configured_limit(
    data: st.DataObject,
    s: RiskSettings,
    folio: Portfolio,
    direction: Direction,
    entry: Decimal,
    stop: Decimal,
    confidence: float,
) -> None:
    p = s.portfolio
    leverage = _plausible_or_any(data, st.integers(1, int(p.max_leverage)).map(Decimal), leverages)
    reward = _plausible_or_any(
        data, scaled(0, 30, 1).map(lambda extra: s.stops.min_reward_risk + extra), rewards
    )
    collar = int(s.venue.price_collar_fraction * 10_000)
    deviation = _plausible_or_any(
        data,
        st.integers(-collar, collar).map(lambda n: Decimal(n).scaleb(-4)),
        st.integers(-800, 800).map(lambda n: Decimal(n).scaleb(-4)),
    )
    reference = (entry * (1 + deviation)).quantize(Decimal("0.0001"))
    market = data.draw(markets(reference=reference))
    signal = make_signal(direction, entry, stop, reward, confidence, leverage)
    decision = _decide(signal, folio, market, s)
    event(decision.verdict.value)
    if decision.verdict is Verdict.REJECTED:
        assert decision.quantity == 0
        assert decision.failed
        assert decision.reason == decision.failed[0].message
        assert decision.failed[0].rule in decision.reason
        return
    assert decision.failed == ()
    _assert_within_every_limit(decision, signal, folio, market, s)


@PROPERTY
@given(
    data=st.data(),
    s=risk_settings(),
    folio=portfolios(),
    direction=st.sampled_from(list(Direction)),
    entry=entries,
    stop=stop_fractions,
    reward=rewards,
    low=confidences,
    high=confidences,
)
def test_size_is_monotone_in_confidence(
    data: st.DataObject,
    s: RiskSettings,
    folio: Portfolio,
    direction: Direction,
    entry: Decimal,
    stop: Decimal,
    reward: Decimal,
    low: float,
    high: float,
) -> None:
    low, high = min(low, high), max(low, high)
    market = data.draw(markets(reference=entry))
    small = _decide(make_signal(direction, entry, stop, reward, low), folio, market, s)
    large = _decide(make_signal(direction, entry, stop, reward, high), folio, market, s)
    assert small.quantity <= large.quantity


@PROPERTY
@given(
    data=st.data(),
    s=risk_settings(),
    folio=portfolios(),
    direction=st.sampled_from(list(Direction)),
    entry=entries,
    near=stop_fractions,
    far=stop_fractions,
    confidence=confidences,
)
def test_size_is_inverse_in_stop_distance(
    data: st.DataObject,
    s: RiskSettings,
    folio: Portfolio,
    direction: Direction,
    entry: Decimal,
    near: Decimal,
    far: Decimal,
    confidence: float,
) -> None:
    near, far = min(near, far), max(near, far)
    market = data.draw(markets(reference=entry))
    sign = 1 if direction is Direction.LONG else -1
    take_profit = entry * (1 + sign * Decimal("0.25"))  # fixed target for both stops
    reward_near = abs(take_profit - entry) / (entry * near)
    reward_far = abs(take_profit - entry) / (entry * far)
    tight = _decide(make_signal(direction, entry, near, reward_near, confidence), folio, market, s)
    loose = _decide(make_signal(direction, entry, far, reward_far, confidence), folio, market, s)
    assert tight.quantity >= loose.quantity


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    s=risk_settings(),
    folio=portfolios(),
    direction=st.sampled_from(list(Direction)),
    entry=entries,
    stop=stop_fractions,
    reward=rewards,
    confidence=confidences,
    kill_switch=st.booleans(),
)
def test_safe_mode_blocks_every_new_entry(
    s: RiskSettings,
    folio: Portfolio,
    direction: Direction,
    entry: Decimal,
    stop: Decimal,
    reward: Decimal,
    confidence: float,
    kill_switch: bool,
) -> None:
    rules = initial_state(folio.equity, T0, s)
    rules = trip_safe_mode(rules, SafeModeCause.MANUAL, "property", T0, s).state
    if kill_switch:
        rules = set_kill_switch(rules, True, T0, s, by="property").state
    signal = make_signal(direction, entry, stop, reward, confidence)
    market = MarketInfo(
        symbol=SYMBOL,
        amount_step=Decimal("0.0001"),
        price_tick=Decimal("0.01"),
        reference_price=entry,
    )
    decision = evaluate(signal, folio, market, rules, T0, s)
    assert decision.verdict is Verdict.REJECTED
    expected = Rule.KILL_SWITCH if kill_switch else Rule.SAFE_MODE
    assert [c.rule for c in decision.failed] == [expected]


@settings(max_examples=100, deadline=None)
@given(
    direction=st.sampled_from(list(Direction)),
    moves=st.lists(st.integers(-150, 600), min_size=1, max_size=25),
    atr=st.integers(10, 300),
    tick=st.sampled_from([None, Decimal("0.01"), Decimal("0.5")]),
)
def test_stops_never_loosen(
    direction: Direction, moves: list[int], atr: int, tick: Decimal | None
) -> None:
    s = RiskSettings()
    sign = 1 if direction is Direction.LONG else -1
    position = make_position(
        state="active",
        direction=direction,
        stop_loss=Decimal(100) - sign * 2,
        take_profit=Decimal(100) + sign * 10,
        opened_at=T0,
    )
    rules = initial_state(Decimal(10**6), T0, s)
    stop = position.stop_loss
    for move in moves:
        mark = Decimal(100) + sign * Decimal(move).scaleb(-2)
        quote = make_quote(bid=mark, ask=mark, last=mark)
        watched = MonitoredPosition(
            position=position,
            current_stop=stop,
            initial_stop=position.stop_loss,
            atr=Decimal(atr).scaleb(-2),
            price_tick=tick,
        )
        for action in monitor([watched], {SYMBOL: quote}, rules, T0, s):
            if isinstance(action, MoveStop):
                assert action.old_stop == stop
                assert (action.new_stop - stop) * sign > 0  # strictly tighter
                assert (mark - action.new_stop) * sign > 0  # still below / above the market
                stop = action.new_stop
