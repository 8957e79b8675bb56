"""A portfolio snapshot prepared once for the risk gate.

Everything :func:`~quorum.risk.evaluate` derives from the portfolio, the settings, the
traded markets and the rules state alone — totals, per-symbol sides, position and exposure
limits in money with their texts, each strategy's Kelly cap, each given market's
correlation buckets, per-order limits, blocked-symbol and open-session checks, and the
state's drawdown and daily-limit checks — is computed by :func:`prepare_portfolio`, a pure
function, into a frozen :class:`PreparedPortfolio`. A caller builds it once per snapshot
and hands it to every ``evaluate`` against that snapshot; nothing is remembered between
calls. A market or rules state that was not given to :func:`prepare_portfolio` (or differs
from the one given, e.g. after the daily reset) is worked out during the call that needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from quorum.domain import Direction, RuleCheck
from quorum.risk import account, drawdown
from quorum.risk.inputs import MarketInfo, Portfolio, SideTotals, aggregate
from quorum.risk.money import ZERO, pct, show
from quorum.risk.portfolio import SidePlan, side_plan
from quorum.risk.settings import RiskSettings
from quorum.risk.sizing import kelly_cap
from quorum.risk.state import RulesState
from quorum.risk.venue import OrderLimits, order_limits


@dataclass(frozen=True, slots=True)
class KellyCap:
    """A strategy's Kelly cap as a fraction of equity (None: no usable statistics)."""

    cap: Decimal | None
    text: str


NO_STATISTICS: Final = KellyCap(None, "")


@dataclass(frozen=True, slots=True)
class MarketPlan:
    """What a new position in ``market`` meets against the portfolio, whatever its prices:
    its correlation bucket in each direction and the per-order limits."""

    market: MarketInfo
    long: SidePlan
    short: SidePlan
    order: OrderLimits
    blocked: RuleCheck
    """The blocked-symbol check (passing or failing)."""
    session_open: RuleCheck
    """The session check whenever the symbol's session is open."""

    def side(self, direction: Direction) -> SidePlan:
        return self.long if direction is Direction.LONG else self.short


def plan_market(
    sides: Mapping[str, SideTotals], market: MarketInfo, settings: RiskSettings
) -> MarketPlan:
    limits = settings.portfolio
    return MarketPlan(
        market=market,
        long=side_plan(sides, market, Direction.LONG, limits),
        short=side_plan(sides, market, Direction.SHORT, limits),
        order=order_limits(market, settings.venue),
        blocked=account.check_blocked_symbol(market.symbol, settings.account),
        session_open=account.session_open_check(market.symbol, settings.account),
    )


@dataclass(frozen=True, slots=True)
class StateGates:
    """The gates that depend only on a rules state, the portfolio and the settings:
    drawdowns (stopping at the first breach), then the daily realized loss, the daily
    floating loss and the profit target."""

    state: RulesState
    drawdowns: tuple[RuleCheck, ...]
    limits: tuple[RuleCheck, ...]


def state_gates(
    state: RulesState, equity: Decimal, unrealized: Decimal, settings: RiskSettings
) -> StateGates:
    acct = settings.account
    return StateGates(
        state=state,
        drawdowns=drawdown.check_drawdowns(state, equity, settings.drawdown),
        limits=(
            account.check_daily_realized_loss(state, acct),
            account.check_daily_unrealized_loss(unrealized, state, acct),
            account.check_profit_target(state, acct),
        ),
    )


@dataclass(frozen=True, slots=True)
class PreparedPortfolio:
    """A :class:`Portfolio` with what the gate derives from it, the settings and markets."""

    portfolio: Portfolio
    settings: RiskSettings
    total_notional: Decimal
    total_unrealized: Decimal
    sides: Mapping[str, SideTotals]
    """``symbol -> open exposure by side`` (read-only)."""
    kelly: Mapping[str, KellyCap]
    """``strategy -> Kelly cap`` for every strategy with statistics (read-only)."""
    markets: Mapping[str, MarketPlan]
    """``symbol -> plan`` for the markets given to :func:`prepare_portfolio` (read-only)."""
    gates: StateGates | None
    """The rules state's gates, when a state was given to :func:`prepare_portfolio`."""
    risk_limit: Decimal
    notional_limit: Decimal
    total_limit: Decimal
    risk_text: str
    notional_text: str
    total_text: str
    margin_text: str

    @property
    def equity(self) -> Decimal:
        return self.portfolio.equity

    @property
    def margin_available(self) -> Decimal:
        return self.portfolio.margin_available

    def symbol_totals(self, symbol: str) -> tuple[Decimal, Decimal]:
        """``(notional, risk)`` open in ``symbol`` over both sides (zeros when none)."""
        side = self.sides.get(symbol)
        return (ZERO, ZERO) if side is None else side.totals()

    def kelly_for(self, strategy: str) -> KellyCap:
        return self.kelly.get(strategy, NO_STATISTICS)

    def plan_for(self, market: MarketInfo) -> MarketPlan | None:
        """The plan :func:`prepare_portfolio` made for ``market`` (the same object or an
        equal one), else None."""
        plan = self.markets.get(market.symbol)
        if plan is not None and _same(plan.market, market):
            return plan
        return None

    def gates_for(self, state: RulesState) -> StateGates:
        """The gates of ``state``: prepared when it is the state given to
        :func:`prepare_portfolio` (or an equal one), else computed now."""
        gates = self.gates
        if gates is not None and _same(gates.state, state):
            return gates
        return state_gates(state, self.equity, self.total_unrealized, self.settings)


def _same(a: object, b: object) -> bool:
    return a is b or a == b


def prepare_portfolio(
    portfolio: Portfolio,
    settings: RiskSettings,
    markets: Iterable[MarketInfo] = (),
    rules_state: RulesState | None = None,
) -> PreparedPortfolio:
    """The :class:`PreparedPortfolio` of ``portfolio`` under ``settings``, with a plan for
    each of ``markets`` (the markets its signals will trade) and the gates of
    ``rules_state`` (the state read with the portfolio); both optional. Pure."""
    totals = aggregate(portfolio.exposures)
    sides = MappingProxyType(totals.sides)
    limits = settings.portfolio
    equity = portfolio.equity
    margin = portfolio.margin_available
    kelly = {}
    for strategy, stats in portfolio.strategy_stats.items():
        cap = kelly_cap(stats, settings.sizing)
        kelly[strategy] = KellyCap(cap, "" if cap is None else pct(cap))
    return PreparedPortfolio(
        portfolio=portfolio,
        settings=settings,
        total_notional=totals.notional,
        total_unrealized=totals.unrealized,
        sides=sides,
        kelly=MappingProxyType(kelly),
        markets=MappingProxyType({m.symbol: plan_market(sides, m, settings) for m in markets}),
        gates=None
        if rules_state is None
        else state_gates(rules_state, equity, totals.unrealized, settings),
        risk_limit=equity * limits.max_position_risk_fraction,
        notional_limit=equity * limits.max_position_notional_fraction,
        total_limit=equity * limits.max_total_exposure_fraction,
        risk_text=pct(limits.max_position_risk_fraction),
        notional_text=pct(limits.max_position_notional_fraction),
        total_text=pct(limits.max_total_exposure_fraction),
        margin_text="unlimited" if margin.is_infinite() else show(margin),
    )


def prepared_for(
    portfolio: Portfolio | PreparedPortfolio, settings: RiskSettings
) -> PreparedPortfolio:
    """``portfolio`` itself when prepared under ``settings``; a plain one prepared now.

    Raises ValueError for a portfolio prepared under other settings."""
    if isinstance(portfolio, Portfolio):
        return prepare_portfolio(portfolio, settings)
    if not _same(portfolio.settings, settings):
        raise ValueError(
            "portfolio: prepared under other risk settings than the ones given; prepare it "
            "again with prepare_portfolio(portfolio, settings)"
        )
    return portfolio
