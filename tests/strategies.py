"""Hypothesis strategies for every domain model, reusable by any test suite.

Every strategy yields *valid* values with realistic magnitudes: prices from
1e-4 to 1e6 with a few significant digits, quantities from 1e-6 to 1e6,
timestamps between 2000 and 2035 in UTC (on the timeframe grid where the model
needs it). ``MODEL_STRATEGIES`` maps each model class to its strategy so a
test can run over all of them.

    from tests.strategies import prices, signals, MODEL_STRATEGIES
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from quorum.domain import (
    MAX_STOP_FRACTION,
    MIN_STOP_FRACTION,
    AgentOpinion,
    Bar,
    BarFrame,
    Bias,
    ConfluenceScore,
    Direction,
    DomainModel,
    ExitCause,
    Fill,
    IndicatorSnapshot,
    JournalEntry,
    JournalKind,
    Liquidity,
    Order,
    OrderIntent,
    OrderLeg,
    OrderState,
    OrderType,
    PatternFamily,
    PatternHit,
    Position,
    PositionState,
    Quote,
    Regime,
    RegimeKind,
    RiskDecision,
    RuleCheck,
    ScanResult,
    ScoreComponent,
    Side,
    Signal,
    Timeframe,
    TimeframeScan,
    TradingState,
    TradingStatus,
    Verdict,
)
from quorum.testing import make_bars_frame

MIN_TIME = datetime(2000, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2035, 12, 31, 23, 59, 59, tzinfo=UTC)
MIN_PRICE = Decimal("0.0001")
MAX_PRICE = Decimal("1000000")

_HEX = "0123456789abcdef"
_UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."

# ---------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------

timeframes = st.sampled_from(list(Timeframe))
sides = st.sampled_from(list(Side))
directions = st.sampled_from(list(Direction))
biases = st.sampled_from(list(Bias))
confidences = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
signed_unit_floats = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
finite_floats = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
hex_digests = st.text(alphabet=_HEX, min_size=64, max_size=64)


def identifiers(max_size: int = 32) -> st.SearchStrategy[str]:
    """Run ids, strategy names, agent names: printable, no whitespace."""
    return st.text(alphabet=_ID_ALPHABET, min_size=1, max_size=max_size)


def free_text(max_size: int = 200) -> st.SearchStrategy[str]:
    """Human text (explanations, rationale): any printable characters."""
    return st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=max_size)


_COMMON_BASES = ("BTC", "ETH", "SOL", "XRP", "DOGE", "1000PEPE", "ADA", "BNB")
_COMMON_QUOTES = ("USDT", "USDC", "USD", "BTC", "EUR")


@st.composite
def symbols(draw: st.DrawFn, settle: bool | None = None) -> str:
    """ccxt unified symbols: ``BASE/QUOTE`` or, for swaps, ``BASE/QUOTE:SETTLE``."""
    code = st.text(alphabet=_UPPER_ALNUM, min_size=1, max_size=10)
    base = draw(st.one_of(st.sampled_from(_COMMON_BASES), code))
    quote = draw(st.one_of(st.sampled_from(_COMMON_QUOTES), code))
    with_settle = draw(st.booleans()) if settle is None else settle
    return f"{base}/{quote}:{quote}" if with_settle else f"{base}/{quote}"


def utc_datetimes(
    min_value: datetime = MIN_TIME, max_value: datetime = MAX_TIME
) -> st.SearchStrategy[datetime]:
    """Timezone-aware UTC datetimes (with microseconds) between 2000 and 2035."""
    return st.datetimes(
        min_value=min_value.replace(tzinfo=None),
        max_value=max_value.replace(tzinfo=None),
        timezones=st.just(UTC),
    )


def aware_datetimes() -> st.SearchStrategy[datetime]:
    """Aware datetimes in fixed offsets from -12:00 to +14:00 (15-minute steps)."""
    offsets = st.integers(min_value=-48, max_value=56).map(
        lambda q: timezone(timedelta(minutes=15 * q))
    )
    return st.tuples(utc_datetimes(), offsets).map(lambda pair: pair[0].astimezone(pair[1]))


def on_grid(timeframe: Timeframe) -> st.SearchStrategy[datetime]:
    """Bar open times of ``timeframe`` between 2000 and 2035."""
    return utc_datetimes().map(timeframe.floor)


@st.composite
def decimals_between(
    draw: st.DrawFn,
    min_value: Decimal,
    max_value: Decimal,
    max_digits: int = 6,
    max_places: int = 10,
) -> Decimal:
    """Decimals in [min_value, max_value] with at most ``max_digits`` significant digits.

    Trailing zeros are kept (``1.2300``) so round-trips prove precision is not lost.
    """
    mantissa = draw(st.integers(min_value=1, max_value=10**max_digits - 1))
    exponents = [
        e for e in range(-max_places, 13) if min_value <= Decimal(mantissa).scaleb(e) <= max_value
    ]
    assume(exponents)
    exponent = draw(st.sampled_from(exponents))
    if exponent >= 0:
        return Decimal(mantissa * 10**exponent)
    return Decimal(mantissa).scaleb(exponent)


def prices(
    min_value: Decimal = MIN_PRICE, max_value: Decimal = MAX_PRICE
) -> st.SearchStrategy[Decimal]:
    return decimals_between(min_value, max_value)


def quantities() -> st.SearchStrategy[Decimal]:
    return decimals_between(Decimal("0.000001"), Decimal("1000000"))


def non_negative_decimals(max_value: Decimal = Decimal("1000000")) -> st.SearchStrategy[Decimal]:
    """Volumes and fees: zero or a positive amount."""
    return st.one_of(st.just(Decimal(0)), decimals_between(Decimal("0.000001"), max_value))


def money() -> st.SearchStrategy[Decimal]:
    """Signed amounts (P&L) in the quote currency."""
    return st.tuples(non_negative_decimals(), st.booleans()).map(
        lambda pair: -pair[0] if pair[1] else pair[0]
    )


leverages = st.one_of(
    st.integers(min_value=1, max_value=10).map(Decimal),
    st.integers(min_value=100, max_value=1000).map(lambda i: Decimal(i).scaleb(-2)),
)

stop_fractions = st.integers(
    min_value=int(MIN_STOP_FRACTION * 10_000), max_value=int(MAX_STOP_FRACTION * 10_000)
).map(lambda i: Decimal(i).scaleb(-4))
"""Stop distances as a fraction of entry, inside [0.1%, 10%] (four places)."""

_tp_fractions = st.integers(min_value=1, max_value=9_999).map(lambda i: Decimal(i).scaleb(-4))


def float_dicts(max_size: int = 5) -> st.SearchStrategy[dict[str, float]]:
    return st.dictionaries(identifiers(16), finite_floats, max_size=max_size)


# ---------------------------------------------------------------------------
# Market
# ---------------------------------------------------------------------------

_wick = st.integers(min_value=0, max_value=500).map(lambda i: Decimal(i).scaleb(-4))


@st.composite
def bars(draw: st.DrawFn, timeframe: Timeframe | None = None) -> Bar:
    tf = draw(timeframes) if timeframe is None else timeframe
    open_, close = draw(prices()), draw(prices())
    high = max(open_, close) * (1 + draw(_wick))
    low = min(open_, close) * (1 - draw(_wick))
    return Bar(
        symbol=draw(symbols()),
        timeframe=tf,
        ts=draw(on_grid(tf)),
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=draw(non_negative_decimals()),
    )


@st.composite
def quotes(draw: st.DrawFn) -> Quote:
    bid = draw(prices())
    return Quote(
        symbol=draw(symbols()),
        ts=draw(utc_datetimes()),
        bid=bid,
        ask=bid * (1 + draw(_wick)),
        last=draw(prices()),
    )


@st.composite
def bar_frames(draw: st.DrawFn, max_bars: int = 60) -> BarFrame:
    """Valid frames from the seeded builder: any size, start, timeframe and price scale."""
    tf = draw(timeframes)
    return make_bars_frame(
        draw(st.integers(min_value=0, max_value=max_bars)),
        draw(on_grid(tf)),
        tf,
        draw(st.integers(min_value=0, max_value=2**32 - 1)),
        symbol=draw(symbols()),
        start_price=float(draw(prices(Decimal("0.001"), Decimal("100000")))),
        volatility=draw(st.sampled_from([0.0, 0.001, 0.01, 0.05])),
    )


# ---------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------


@st.composite
def indicator_snapshots(
    draw: st.DrawFn,
    symbol: str | None = None,
    timeframe: Timeframe | None = None,
    as_of: datetime | None = None,
) -> IndicatorSnapshot:
    """Snapshots of a closed bar; with ``as_of`` given, of the last bar closed at ``as_of``."""
    tf = draw(timeframes) if timeframe is None else timeframe
    if as_of is None:
        bar_open = draw(on_grid(tf))
        as_of = bar_open + tf.delta + timedelta(seconds=draw(st.integers(0, 3 * tf.seconds)))
    else:
        bar_open = tf.last_closed_open(as_of)
    return IndicatorSnapshot(
        symbol=draw(symbols()) if symbol is None else symbol,
        timeframe=tf,
        as_of=as_of,
        bar_open=bar_open,
        values=draw(float_dicts()),
    )


@st.composite
def pattern_hits(
    draw: st.DrawFn, symbol: str | None = None, timeframe: Timeframe | None = None
) -> PatternHit:
    tf = draw(timeframes) if timeframe is None else timeframe
    stamps = draw(st.lists(on_grid(tf), min_size=1, max_size=5, unique=True))
    return PatternHit(
        symbol=draw(symbols()) if symbol is None else symbol,
        timeframe=tf,
        family=draw(st.sampled_from(list(PatternFamily))),
        name=draw(identifiers(64)),
        bias=draw(biases),
        confidence=draw(confidences),
        bars=tuple(sorted(stamps)),
        level=draw(st.none() | prices()),
        details=draw(float_dicts()),
    )


@st.composite
def regimes(
    draw: st.DrawFn,
    symbol: str | None = None,
    timeframe: Timeframe | None = None,
    as_of: datetime | None = None,
) -> Regime:
    return Regime(
        symbol=draw(symbols()) if symbol is None else symbol,
        timeframe=draw(timeframes) if timeframe is None else timeframe,
        as_of=draw(utc_datetimes()) if as_of is None else as_of,
        kind=draw(st.sampled_from(list(RegimeKind))),
        strength=draw(confidences),
        volatility_percentile=draw(confidences),
        trend_score=draw(signed_unit_floats),
    )


@st.composite
def timeframe_scans(
    draw: st.DrawFn,
    symbol: str | None = None,
    timeframe: Timeframe | None = None,
    as_of: datetime | None = None,
) -> TimeframeScan:
    """One timeframe's scan; its snapshot, patterns and regime share symbol and timeframe."""
    sym = draw(symbols()) if symbol is None else symbol
    tf = draw(timeframes) if timeframe is None else timeframe
    when = draw(utc_datetimes()) if as_of is None else as_of
    return TimeframeScan(
        symbol=sym,
        timeframe=tf,
        as_of=when,
        bars=draw(st.integers(min_value=0, max_value=5000)),
        snapshot=draw(indicator_snapshots(sym, tf, when)),
        patterns=tuple(draw(st.lists(pattern_hits(sym, tf), max_size=3))),
        regime=draw(regimes(sym, tf, when)),
    )


@st.composite
def scan_results(draw: st.DrawFn) -> ScanResult:
    """A multi-timeframe scan: distinct timeframes, all for one symbol at one ``as_of``."""
    symbol = draw(symbols())
    as_of = draw(utc_datetimes())
    chosen = draw(st.lists(timeframes, max_size=3, unique=True))
    return ScanResult(
        symbol=symbol,
        as_of=as_of,
        timeframes=tuple(draw(timeframe_scans(symbol, tf, as_of)) for tf in chosen),
    )


# ---------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------


@st.composite
def agent_opinions(draw: st.DrawFn, has_opinion: bool | None = None) -> AgentOpinion:
    with_stance = draw(st.booleans()) if has_opinion is None else has_opinion
    return AgentOpinion(
        agent=draw(identifiers(64)),
        symbol=draw(symbols()),
        as_of=draw(utc_datetimes()),
        stance=draw(biases) if with_stance else None,
        confidence=draw(confidences) if with_stance else 0.0,
        key_evidence=tuple(draw(st.lists(free_text(80), max_size=4))),
        rationale=draw(free_text()),
        model=draw(st.sampled_from(["", "offline/echo", "openai/gpt-4o-mini"])),
        prompt_version=draw(st.sampled_from(["", "technical-v1", "regime-v2"])),
        no_opinion_reason=None if with_stance else draw(free_text(80).filter(bool)),
    )


@st.composite
def score_components(draw: st.DrawFn) -> ScoreComponent:
    value = draw(signed_unit_floats)
    weight = draw(st.floats(min_value=0.0, max_value=10.0, allow_nan=False))
    return ScoreComponent(
        name=draw(identifiers(120)), value=value, weight=weight, contribution=value * weight
    )


@st.composite
def confluence_scores(draw: st.DrawFn) -> ConfluenceScore:
    return ConfluenceScore(
        symbol=draw(symbols()),
        as_of=draw(utc_datetimes()),
        score=draw(signed_unit_floats),
        probability=draw(st.none() | confidences),
        components=tuple(draw(st.lists(score_components(), max_size=4))),
    )


@st.composite
def protective_levels(
    draw: st.DrawFn, direction: Direction, entry: Decimal, with_take_profit: bool | None = None
) -> tuple[Decimal, Decimal | None]:
    """``(stop_loss, take_profit)`` valid for ``entry``: stop 0.1%..10% away, TP on the win side."""
    sign = 1 if direction is Direction.LONG else -1
    stop = entry * (1 - sign * draw(stop_fractions))
    with_tp = draw(st.booleans()) if with_take_profit is None else with_take_profit
    take_profit = entry * (1 + sign * draw(_tp_fractions)) if with_tp else None
    return stop, take_profit


@st.composite
def signals(draw: st.DrawFn, direction: Direction | None = None) -> Signal:
    side = draw(directions) if direction is None else direction
    entry = draw(prices())
    stop, take_profit = draw(protective_levels(side, entry))
    return Signal(
        run_id=draw(identifiers()),
        strategy=draw(identifiers()),
        symbol=draw(symbols()),
        timeframe=draw(timeframes),
        as_of=draw(utc_datetimes()),
        direction=side,
        entry=entry,
        stop_loss=stop,
        take_profit=take_profit,
        confidence=draw(confidences),
        leverage=draw(leverages),
        explanation=draw(free_text()),
        score=draw(st.none() | confluence_scores()),
    )


@st.composite
def rule_checks(draw: st.DrawFn, passed: bool | None = None) -> RuleCheck:
    return RuleCheck(
        rule=draw(identifiers(80)),
        passed=draw(st.booleans()) if passed is None else passed,
        measured=draw(free_text(20)),
        limit=draw(free_text(20)),
        message=draw(free_text(80)),
    )


@st.composite
def risk_decisions(draw: st.DrawFn, verdict: Verdict | None = None) -> RiskDecision:
    chosen = draw(st.sampled_from(list(Verdict))) if verdict is None else verdict
    checks = draw(st.lists(rule_checks(), max_size=4))
    if chosen is Verdict.REJECTED:
        failed = draw(rule_checks(passed=False))
        position = draw(st.integers(min_value=0, max_value=len(checks)))
        checks.insert(position, failed)
    return RiskDecision(
        symbol=draw(symbols()),
        as_of=draw(utc_datetimes()),
        verdict=chosen,
        quantity=Decimal(0) if chosen is Verdict.REJECTED else draw(quantities()),
        checks=tuple(checks),
        reason=draw(free_text(80)),
    )


# ---------------------------------------------------------------------------
# Orders, fills, positions, journal
# ---------------------------------------------------------------------------

client_order_ids = st.text(alphabet=_HEX, min_size=31, max_size=31).map(lambda s: "q" + s)
"""Well-formed ids of the derived shape (``q`` + 31 hex); not tied to an intent."""


@st.composite
def exit_causes(draw: st.DrawFn) -> ExitCause:
    return ExitCause(
        subject=draw(identifiers()),
        rule=draw(identifiers()),
        generation=draw(st.integers(min_value=0, max_value=10_000)),
    )


@st.composite
def trading_statuses(draw: st.DrawFn) -> TradingStatus:
    return TradingStatus(
        state=draw(st.sampled_from(list(TradingState))),
        by=draw(st.text(max_size=120)),
        reason=draw(st.text(max_size=400)),
        since=draw(st.none() | utc_datetimes()),
        version=draw(st.integers(min_value=0, max_value=10**9)),
    )


@st.composite
def order_intents(draw: st.DrawFn) -> OrderIntent:
    order_type = draw(st.sampled_from(list(OrderType)))
    data: dict[str, Any] = {
        "run_id": draw(identifiers()),
        "strategy": draw(identifiers()),
        "symbol": draw(symbols()),
        "signal_time": draw(utc_datetimes()),
        "side": draw(sides),
        "leg": draw(st.sampled_from(list(OrderLeg))),
        "order_type": order_type,
        "quantity": draw(quantities()),
        "reduce_only": draw(st.booleans()),
    }
    if order_type is OrderType.LIMIT:
        data["price"] = draw(prices())
    if order_type is OrderType.STOP:
        data["stop_price"] = draw(prices())
        data["price"] = draw(st.none() | prices())
    return OrderIntent.model_validate(data)


_PARTIAL = st.integers(min_value=1, max_value=99).map(lambda i: Decimal(i).scaleb(-2))
_FILL_RULES: dict[OrderState, Callable[[st.DrawFn, Decimal], Decimal]] = {
    OrderState.FILLED: lambda draw, q: q,
    OrderState.PARTIALLY_FILLED: lambda draw, q: q * draw(_PARTIAL),
    OrderState.CANCELLED: lambda draw, q: draw(st.just(Decimal(0)) | _PARTIAL.map(q.__mul__)),
    OrderState.EXPIRED: lambda draw, q: draw(st.just(Decimal(0)) | _PARTIAL.map(q.__mul__)),
}


@st.composite
def orders(draw: st.DrawFn, state: OrderState | None = None) -> Order:
    """Orders whose fill progress fits the state (FILLED is full, PARTIALLY_FILLED is 1..99%)."""
    chosen = draw(st.sampled_from(list(OrderState))) if state is None else state
    order_type = draw(st.sampled_from(list(OrderType)))
    quantity = draw(quantities())
    rule = _FILL_RULES.get(chosen)
    filled = rule(draw, quantity) if rule is not None else Decimal(0)
    price = None if order_type is OrderType.MARKET else draw(prices())
    return Order(
        client_order_id=draw(client_order_ids),
        venue_order_id=None if chosen is OrderState.NEW else draw(identifiers()),
        symbol=draw(symbols()),
        side=draw(sides),
        order_type=order_type,
        quantity=quantity,
        price=price,
        state=chosen,
        filled_quantity=filled,
        average_price=draw(prices()) if filled > 0 else None,
        updated_at=draw(utc_datetimes()),
    )


@st.composite
def fills(draw: st.DrawFn) -> Fill:
    return Fill(
        client_order_id=draw(client_order_ids),
        venue_trade_id=draw(identifiers(128)),
        symbol=draw(symbols()),
        side=draw(sides),
        quantity=draw(quantities()),
        price=draw(prices()),
        fee=draw(non_negative_decimals(Decimal("1000"))),
        fee_currency=draw(st.sampled_from(["", "USDT", "BNB", "BTC"])),
        liquidity=draw(st.sampled_from(list(Liquidity))),
        ts=draw(utc_datetimes()),
    )


@st.composite
def positions(draw: st.DrawFn, state: PositionState | None = None) -> Position:
    """Positions consistent with their state: open ones carry quantity and average entry."""
    chosen = draw(st.sampled_from(list(PositionState))) if state is None else state
    direction = draw(directions)
    entry = draw(prices())
    stop, take_profit = draw(protective_levels(direction, entry))
    opened_at = draw(utc_datetimes(max_value=datetime(2035, 1, 1, tzinfo=UTC)))
    holding = chosen in (PositionState.ACTIVE, PositionState.EXITING, PositionState.CLOSED)
    closed_at = None
    if chosen is PositionState.CLOSED:
        closed_at = opened_at + draw(st.timedeltas(timedelta(0), timedelta(days=300)))
    return Position(
        position_id=draw(identifiers()),
        run_id=draw(identifiers()),
        symbol=draw(symbols()),
        direction=direction,
        state=chosen,
        quantity=draw(quantities()) if holding else Decimal(0),
        average_entry=entry if holding else None,
        stop_loss=stop,
        take_profit=take_profit,
        realized_pnl=draw(money()) if chosen is PositionState.CLOSED else Decimal(0),
        fees=draw(non_negative_decimals(Decimal("1000"))) if holding else Decimal(0),
        opened_at=opened_at,
        closed_at=closed_at,
    )


_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | finite_floats
    | free_text(40)
)
json_values = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(identifiers(16), children, max_size=4)
    ),
    max_leaves=12,
)
"""JSON-native payload values (what a journal payload holds after serialisation)."""


@st.composite
def journal_entries(draw: st.DrawFn) -> JournalEntry:
    return JournalEntry(
        seq=draw(st.integers(min_value=1, max_value=2**40)),
        time=draw(utc_datetimes()),
        kind=draw(st.sampled_from(list(JournalKind))),
        actor=draw(identifiers(120)),
        run_id=draw(st.none() | identifiers(64)),
        payload=draw(st.dictionaries(identifiers(16), json_values, max_size=5)),
        prev_hash=draw(hex_digests),
        hash=draw(hex_digests),
    )


# ---------------------------------------------------------------------------
# All models
# ---------------------------------------------------------------------------

MODEL_STRATEGIES: dict[type[DomainModel], st.SearchStrategy[Any]] = {
    Bar: bars(),
    Quote: quotes(),
    IndicatorSnapshot: indicator_snapshots(),
    PatternHit: pattern_hits(),
    Regime: regimes(),
    TimeframeScan: timeframe_scans(),
    ScanResult: scan_results(),
    AgentOpinion: agent_opinions(),
    ScoreComponent: score_components(),
    ConfluenceScore: confluence_scores(),
    Signal: signals(),
    RuleCheck: rule_checks(),
    RiskDecision: risk_decisions(),
    ExitCause: exit_causes(),
    TradingStatus: trading_statuses(),
    OrderIntent: order_intents(),
    Order: orders(),
    Fill: fills(),
    Position: positions(),
    JournalEntry: journal_entries(),
}
"""A strategy of valid instances for every concrete domain model."""


def domain_models() -> st.SearchStrategy[DomainModel]:
    """Any domain model instance."""
    return st.one_of(*MODEL_STRATEGIES.values())


def decimal_fields(model: DomainModel) -> Sequence[tuple[str, Decimal]]:
    """Every ``(dotted.path, Decimal)`` in ``model``, nested models included."""
    found: list[tuple[str, Decimal]] = []

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, Decimal):
            found.append((prefix, value))
        elif isinstance(value, DomainModel):
            for name in type(value).model_fields:
                walk(f"{prefix}.{name}" if prefix else name, getattr(value, name))
        elif isinstance(value, tuple | list):
            for i, item in enumerate(value):
                walk(f"{prefix}[{i}]", item)

    walk("", model)
    return found
