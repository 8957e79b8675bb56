"""The account as the risk engine sees it: rules state, equity, exposures, market info.

The rules state is read with its version and written back by compare-and-set; every
event a state update produced is journaled in the same transaction as the write.

:func:`account_now` is the snapshot every decision is taken on (and re-read at its commit):
equity, the filled positions *and* the entry orders still working (stored, submitting,
acknowledged, partially filled or unknown — their unfilled rest counts toward the
position, correlation, total-exposure and margin caps), marked at the latest closed base
bar, and each strategy's closed-trade statistics (win rate and payoff, the Kelly cap's
input).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from quorum.domain import Direction, OrderLeg, OrderState, ScanResult, Side, Timeframe, format_time
from quorum.errors import QuorumError
from quorum.execution import NetPosition
from quorum.execution.trading import read_trading_status
from quorum.pipeline.deps import PipelineDeps
from quorum.pipeline.persistence import (
    TRADES,
    Reader,
    Trade,
    load_rules,
    save_rules,
    trades,
)
from quorum.pipeline.prices import latest_bar, venue_price
from quorum.risk import (
    Exposure,
    MarketInfo,
    Portfolio,
    RulesState,
    StateUpdate,
    TradeStats,
    initial_state,
    with_trading_state,
)
from quorum.store import session_scope
from quorum.store.tables.execution import FILLS_TABLE, ORDERS_TABLE

T = TypeVar("T")
FILLS = SQLModel.metadata.tables[FILLS_TABLE]
ORDERS = SQLModel.metadata.tables[ORDERS_TABLE]
ZERO = Decimal(0)
WORKING_ENTRY_STATES = (
    OrderState.NEW,
    OrderState.SUBMITTING,
    OrderState.ACKNOWLEDGED,
    OrderState.PARTIALLY_FILLED,
    OrderState.UNKNOWN,
)
"""An entry order in one of these states may still fill: its unfilled rest is exposure."""
PAYOFF_BOUNDS = (Decimal("1e-6"), Decimal("1e6"))
MAX_SLIPPAGE = Decimal("0.0999")
"""The risk gate takes slippage below 10 % of price; an estimate beyond is clipped to it."""
MIN_COMMON_RETURNS = 10
PAPER = "paper"


class RulesConflict(QuorumError):
    """Another worker wrote the rules state first; re-read and decide again."""


def rules_state(deps: PipelineDeps, db: Reader) -> tuple[RulesState, int]:
    """The run's stored rules state under the one trading state (read in the same
    transaction: the risk gate refuses entries unless trading is ``active``)."""
    state, version = load_rules(db, deps.run_id)
    if state is None:
        state = initial_state(deps.settings.paper_equity, deps.clock.now(), deps.risk)
    return with_trading_state(state, read_trading_status(db)), version


def commit_rules(
    deps: PipelineDeps, session: Session, update: StateUpdate, version: int, run_id: str
) -> None:
    """Persist ``update.state`` over ``version`` and journal its events (same transaction)."""
    if not save_rules(session, update.state, version, deps.clock.now(), deps.run_id):
        raise RulesConflict(f"rules state: version {version} was replaced by another writer")
    for event in update.events:
        deps.journal.append(
            session,
            event.journal_kind,
            event.model_dump(mode="json"),
            actor=deps.settings.actor,
            run_id=run_id,
        )


def with_rules[T](
    deps: PipelineDeps, work: Callable[[Session, RulesState, int], T], attempts: int = 5
) -> T:
    """Run ``work`` in one transaction with the current rules state; retry on conflict."""
    for attempt in range(attempts):
        try:
            with session_scope(deps.engine) as session:
                state, version = rules_state(deps, session)
                return work(session, state, version)
        except RulesConflict:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def trade_pnl(db: Reader, trade: Trade) -> Decimal:
    """Net cash of the trade's fills, fees included: every fill of this run's orders in the
    trade's symbol since its entry (one trade per symbol at a time, so these are its entry
    and every exit, whoever sent them — monitor, kill switch, end of replay)."""
    ids = select(ORDERS.c.client_order_id).where(
        ORDERS.c.run_id == trade.run_id, ORDERS.c.symbol == trade.symbol
    )
    rows = db.execute(
        select(FILLS.c.side, FILLS.c.quantity, FILLS.c.price, FILLS.c.fee).where(
            FILLS.c.venue == trade.venue,
            FILLS.c.symbol == trade.symbol,
            FILLS.c.ts >= format_time(trade.opened_at),
            FILLS.c.client_order_id.in_(ids),
        )
    ).all()
    cash = ZERO
    for side, quantity, price, fee in rows:
        flow = Decimal(quantity) * Decimal(price)
        cash += (flow if side == "sell" else -flow) - Decimal(fee)
    return cash


def equity(
    deps: PipelineDeps,
    db: Reader,
    positions: list[NetPosition],
    marks: Mapping[str, Decimal],
) -> tuple[Decimal, Decimal]:
    """``(equity, unrealized)``: starting equity + closed trades + open positions at mark."""
    closed = sum((t.pnl or ZERO for t in trades(db, states=["closed"], run_id=deps.run_id)), ZERO)
    unrealized = ZERO
    open_realized = ZERO
    for p in positions:
        mark = marks.get(p.symbol)
        open_realized += p.realized_pnl
        if mark is not None:
            unrealized += p.unrealized_pnl(mark)
    return deps.settings.paper_equity + closed + open_realized + unrealized, unrealized


@dataclass(frozen=True, slots=True)
class WorkingEntry:
    """The unfilled rest of an entry order that may still fill."""

    client_order_id: str
    symbol: str
    direction: Direction
    remaining: Decimal
    price: Decimal | None
    """The order's limit price (None: a market order)."""


def working_entries(db: Reader) -> list[WorkingEntry]:
    """Every entry order not yet filled, cancelled, rejected or expired, oldest first."""
    rows = db.execute(
        select(
            ORDERS.c.client_order_id,
            ORDERS.c.symbol,
            ORDERS.c.side,
            ORDERS.c.quantity,
            ORDERS.c.filled_quantity,
            ORDERS.c.price,
        )
        .where(
            ORDERS.c.leg == OrderLeg.ENTRY.value,
            ORDERS.c.state.in_([s.value for s in WORKING_ENTRY_STATES]),
        )
        .order_by(ORDERS.c.created_at, ORDERS.c.client_order_id)
    ).all()
    out = []
    for cid, symbol, side, quantity, filled, price in rows:
        remaining = Decimal(quantity) - Decimal(filled)
        if remaining > 0:
            direction = Direction.LONG if side == Side.BUY.value else Direction.SHORT
            limit = None if price is None else Decimal(price)
            out.append(WorkingEntry(cid, symbol, direction, remaining, limit))
    return out


def strategy_stats(db: Reader, run_id: str) -> dict[str, TradeStats]:
    """Each strategy's closed trades of this run (a trade's strategy is its entry order's):
    win rate (net P&L > 0) and payoff ratio (average win / average loss). When a side is
    empty the ratio cannot be measured and does not move the Kelly fraction (a win rate of
    0 or 1 decides it alone), so it is 1 then; it is clipped to the domain's bounds."""
    rows = db.execute(
        select(ORDERS.c.strategy, TRADES.c.pnl)
        .select_from(TRADES.join(ORDERS, ORDERS.c.client_order_id == TRADES.c.trade_id))
        .where(TRADES.c.run_id == run_id, TRADES.c.state == "closed", TRADES.c.pnl.is_not(None))
        .order_by(TRADES.c.closed_at, TRADES.c.trade_id)
    ).all()
    outcomes: dict[str, list[Decimal]] = {}
    for strategy, pnl in rows:
        outcomes.setdefault(str(strategy), []).append(Decimal(pnl))
    return {name: trade_stats(pnls) for name, pnls in outcomes.items()}


def trade_stats(pnls: Iterable[Decimal]) -> TradeStats:
    """:class:`TradeStats` of closed trades' net P&L (see :func:`strategy_stats`)."""
    values = list(pnls)
    wins = [p for p in values if p > 0]
    losses = [-p for p in values if p <= 0]
    payoff = Decimal(1)
    if wins and losses and sum(losses, ZERO) > 0:
        average_win = sum(wins, ZERO) / len(wins)
        average_loss = sum(losses, ZERO) / len(losses)
        low, high = PAYOFF_BOUNDS
        payoff = min(max(average_win / average_loss, low), high)
    return TradeStats(
        trades=len(values),
        win_rate=len(wins) / len(values) if values else 0.0,
        payoff_ratio=payoff,
    )


def portfolio(
    deps: PipelineDeps,
    db: Reader,
    positions: list[NetPosition],
    marks: Mapping[str, Decimal],
    working: Iterable[WorkingEntry] = (),
) -> Portfolio:
    """Equity, the filled positions and the ``working`` entries at ``marks`` (a working
    limit order at its limit price), each with the loss to its stop, and the run's
    closed-trade statistics per strategy."""
    live = trades(db, states=["pending", "open"], run_id=deps.run_id)
    stops = {t.symbol: t.stop for t in live}  # a trade per symbol at a time
    entry_stops = {t.trade_id: t.stop for t in live}  # by its entry order's client id
    exposures = []
    for p in positions:
        if p.quantity == 0:
            continue
        mark = marks.get(p.symbol, p.average_entry or ZERO)
        exposures.append(
            _exposure(
                p.symbol,
                Direction.LONG if p.quantity > 0 else Direction.SHORT,
                abs(p.quantity),
                mark,
                stops.get(p.symbol),
                p.unrealized_pnl(mark),
            )
        )
    for w in working:
        price = w.price if w.price is not None else marks.get(w.symbol)
        if price is None:
            raise ValueError(
                f"working entry {w.client_order_id} in {w.symbol}: no price to value it at "
                "(no limit price and no closed bar)"
            )
        exposures.append(
            _exposure(w.symbol, w.direction, w.remaining, price, entry_stops.get(w.client_order_id))
        )
    total, _ = equity(deps, db, positions, marks)
    total = max(total, Decimal("0.01"))
    used = sum((e.notional for e in exposures), ZERO)
    return Portfolio(
        equity=total,
        margin_available=max(ZERO, total - used),
        exposures=tuple(exposures),
        strategy_stats=strategy_stats(db, deps.run_id),
    )


def _exposure(
    symbol: str,
    direction: Direction,
    quantity: Decimal,
    mark: Decimal,
    stop: Decimal | None,
    unrealized: Decimal = ZERO,
) -> Exposure:
    risk = quantity * abs(mark - stop) if stop is not None else quantity * mark
    return Exposure(
        symbol=symbol,
        direction=direction,
        notional=quantity * mark,
        risk=risk,
        unrealized_pnl=unrealized,
    )


def account_now(
    deps: PipelineDeps, db: Reader, as_of: datetime, marks: Mapping[str, Decimal]
) -> Portfolio:
    """The account now: :func:`portfolio` of the current positions and working entries,
    each symbol marked at ``marks`` or else at its latest base bar closed at ``as_of``."""
    held = positions_now(deps)
    working = working_entries(db)
    known = dict(marks)
    for symbol in [p.symbol for p in held] + [w.symbol for w in working]:
        if symbol not in known:
            bar = latest_bar(deps.market, symbol, deps.settings.base_timeframe, as_of)
            if bar is not None:
                known[symbol] = bar.close
    return portfolio(deps, db, held, known, working)


def market_info(
    deps: PipelineDeps,
    scan: ScanResult,
    timeframe: Timeframe,
    held: Iterable[str] = (),
    price: Decimal | None = None,
) -> MarketInfo:
    """The traded market when the decision is taken: the reference price is
    :func:`reference_price` (the venue's last price now — not the decision timeframe's close
    the signal enters at, so the price collar measures how far the market has left the
    entry, and the entry limit is anchored to it), the ATR is the decision timeframe's;
    costs, limits and correlations as in :func:`market_for`. ``price``: that reference
    when the caller already read it."""
    item = scan.get(timeframe) or scan.timeframes[0]
    close = reference_price(deps, scan) if price is None else price
    atr = item.snapshot.values.get("atr")
    tick = Decimal(1).scaleb(close.adjusted() - 6)  # 7 significant digits
    return market_for(
        deps,
        scan.symbol,
        close,
        tick,
        Decimal(repr(atr)) if atr and atr > 0 else None,
        scan.as_of,
        held,
    )


def reference_price(deps: PipelineDeps, scan: ScanResult) -> Decimal:
    """The venue's last price of the scan's symbol now (:func:`~quorum.pipeline.prices.venue_price`:
    the paper venue's quote, or the latest base close at the clock in a replay); the scan's
    :func:`reference_close` when the venue knows none."""
    base = deps.settings.base_timeframe
    now = deps.clock.now()
    last = venue_price(deps.quotes, deps.market, scan.symbol, base, now)
    return last if last is not None and last > 0 else reference_close(deps, scan)


def reference_close(deps: PipelineDeps, scan: ScanResult) -> Decimal:
    """The close of the latest base bar closed at the scan's time: the scan's base-timeframe
    snapshot when it has one, else the market's latest closed base bar."""
    base = deps.settings.base_timeframe
    item = scan.get(base)
    value = None if item is None else item.snapshot.values.get("close")
    if value is not None and value > 0:
        return Decimal(repr(value))
    bar = latest_bar(deps.market, scan.symbol, base, scan.as_of)
    if bar is None or bar.close <= 0:
        raise ValueError(f"scan {scan.symbol}: no closed {base.value} bar to size against")
    return bar.close


def market_for(
    deps: PipelineDeps,
    symbol: str,
    price: Decimal,
    tick: Decimal,
    atr: Decimal | None,
    as_of: datetime,
    held: Iterable[str] = (),
) -> MarketInfo:
    """What the risk gate is told about ``symbol`` at ``as_of``:

    * slippage: ``pipeline.slippage_atr_fraction × ATR / price``, at least the paper
      venue's own slippage in paper mode;
    * fees, amount step and maximum order quantity: the paper venue's specification in
      paper mode (the step is the coarser of it and ``pipeline.amount_step``), and the
      configured market limit (``execution.markets``) when tighter;
    * correlations: with every symbol in ``held`` (see :func:`correlations`).
    """
    settings = deps.settings
    slippage = ZERO if atr is None else settings.slippage_atr_fraction * atr / price
    step = settings.amount_step
    max_quantity: Decimal | None = None
    fees: dict[str, Decimal] = {}
    spec = deps.venue_spec if deps.trading_mode == PAPER else None
    if spec is not None:
        slippage = max(slippage, spec.slippage)
        step = max(step, spec.amount_step)
        max_quantity = spec.max_quantity
        fees = {"maker_fee": spec.maker_fee, "taker_fee": spec.taker_fee}
    configured = deps.execution.settings.markets.get(symbol)
    if configured is not None and configured.max_quantity is not None:
        limit = configured.max_quantity
        max_quantity = limit if max_quantity is None else min(max_quantity, limit)
    return MarketInfo(
        symbol=symbol,
        amount_step=step,
        price_tick=tick,
        min_notional=settings.min_notional,
        reference_price=price,
        atr=atr,
        slippage=min(slippage, MAX_SLIPPAGE),
        correlations=correlations(deps, symbol, held, as_of),
        max_order_quantity=max_quantity,
        **fees,
    )


def correlations(
    deps: PipelineDeps, symbol: str, others: Iterable[str], as_of: datetime
) -> dict[str, float]:
    """Pearson correlation of ``symbol``'s close-to-close base-bar returns with each of
    ``others`` over the last ``pipeline.correlation_window_bars`` bars closed at ``as_of``
    (bars matched by open time). A pair with fewer than ten common returns, or a flat
    series, is left out: the gate treats it as ``risk.portfolio.unknown_correlation``."""
    peers = sorted(set(others) - {symbol})
    if not peers:
        return {}
    window = deps.settings.correlation_window_bars
    base = deps.settings.base_timeframe
    end = base.floor(as_of)
    since = end - base.delta * (window + 1)

    def returns(name: str) -> pd.Series:
        frame = deps.market.fetch_bars(name, base, since, end).closed_at(as_of).tail(window + 1)
        return frame.df["close"].pct_change().iloc[1:]

    own = returns(symbol)
    out: dict[str, float] = {}
    for peer in peers:
        pair = pd.concat([own, returns(peer)], axis=1, join="inner").dropna()
        if len(pair) < MIN_COMMON_RETURNS:
            continue
        value = float(pair.iloc[:, 0].corr(pair.iloc[:, 1]))
        if math.isfinite(value):
            out[peer] = round(min(1.0, max(-1.0, value)), 6)
    return out


def positions_now(deps: PipelineDeps) -> list[NetPosition]:
    return [p for p in deps.execution.positions() if p.quantity != 0]
