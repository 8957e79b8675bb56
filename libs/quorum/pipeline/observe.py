"""Trading state as Prometheus gauges, recomputed from the database after each ``monitor``.

Everything here is read from what the pipeline stored (the status report, the trades and
orders of the run, the signals' score components), so any process that runs ``monitor``
publishes the same values; under multiprocess mode the most recent one wins.

Windows (``7d``, ``30d``) hold the trades whose exit is inside the window, by the
pipeline's clock:

- win rate: share of trades with P&L > 0 (after fees);
- expectancy: mean R multiple;
- Sharpe: mean / sample standard deviation of the R multiples (per trade, not annualized);
- MAR: the window's return on the starting paper equity, annualized (× 365 / window days),
  over the largest peak-to-trough fall of the closed-trade equity curve in the window;
- cost per trade: fees of the trade's own orders (entry and exits) per trade.

Hit rate per pattern family and per analyst: among the 30-day trades an arm supported
(net signed contribution toward the trade > 0), the share that won.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from quorum.domain import Direction, OrderState
from quorum.pipeline.accounting import FILLS, ORDERS
from quorum.pipeline.deps import PipelineDeps
from quorum.pipeline.persistence import Reader, Trade, get_signal, trades
from quorum.pipeline.status import build_status
from quorum.risk import Rule
from quorum.scoring import arm_of
from quorum.telemetry.metrics import WINDOWS, QuorumMetrics, metrics

_DAYS = {"7d": 7, "30d": 30}
_ARMS = {"pattern:": "pattern", "llm:": "analyst"}


def publish_trading(deps: PipelineDeps, target: QuorumMetrics | None = None) -> None:
    """Set every trading gauge from the current state of ``deps``' run."""
    m = target or metrics()
    report = build_status(deps)
    m.open_positions.set(len([p for p in report.positions if p.quantity != 0]))
    m.exposure.set(
        float(sum((abs(p.quantity) * p.mark for p in report.positions if p.mark), Decimal(0)))
    )
    m.equity.set(float(report.pnl.equity))
    m.pnl_unrealized.set(float(report.pnl.unrealized))
    m.pnl_today.set(float(report.pnl.realized_today))
    m.safe_mode.set(1 if report.safe_mode is not None else 0)
    m.kill_switch.set(1 if report.kill_switch.engaged else 0)
    active = {lock.rule for lock in report.lockouts}
    for rule in Rule:
        m.lockout.labels(rule.value).set(1 if rule.value in active else 0)
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        _drawdowns(deps, conn, m, float(report.pnl.equity))
        _orders(deps, conn, m)
        closed = [t for t in trades(conn, states=["closed"], run_id=deps.run_id) if t.pnl]
        m.pnl_realized.set(float(sum((t.pnl or Decimal(0) for t in closed), Decimal(0))))
        for window in WINDOWS:
            since = now - timedelta(days=_DAYS[window])
            inside = sorted(
                (t for t in closed if t.closed_at is not None and t.closed_at >= since),
                key=lambda t: (t.closed_at, t.trade_id),
            )
            _window(deps, conn, m, window, inside)
            if window == "30d":
                _hit_rates(conn, m, inside)


def _drawdowns(deps: PipelineDeps, conn: Any, m: QuorumMetrics, equity: float) -> None:
    from quorum.pipeline.accounting import rules_state

    state, _ = rules_state(deps, conn)
    for period, peak in (("day", state.day_peak_equity), ("month", state.month_peak_equity)):
        top = max(float(peak), equity)
        m.drawdown.labels(period).set((top - equity) / top if top > 0 else 0.0)


def _orders(deps: PipelineDeps, conn: Any, m: QuorumMetrics) -> None:
    rows = conn.execute(
        select(ORDERS.c.state, func.count())
        .where(ORDERS.c.run_id == deps.run_id)
        .group_by(ORDERS.c.state)
    ).all()
    counts = {str(state): int(n) for state, n in rows}
    for state in OrderState:
        m.orders.labels(state.value).set(counts.get(state.value, 0))


def _window(
    deps: PipelineDeps, conn: Reader, m: QuorumMetrics, window: str, inside: list[Trade]
) -> None:
    m.closed_in_window.labels(window).set(len(inside))
    r = [t.r_multiple or 0.0 for t in inside]
    wins = sum(1 for t in inside if (t.pnl or 0) > 0)
    m.win_rate.labels(window).set(wins / len(inside) if inside else 0.0)
    m.expectancy.labels(window).set(statistics.fmean(r) if r else 0.0)
    spread = statistics.stdev(r) if len(r) >= 2 else 0.0
    m.sharpe.labels(window).set(statistics.fmean(r) / spread if spread > 0 else 0.0)
    base = float(deps.settings.paper_equity)
    curve, peak, worst = base, base, 0.0
    for t in inside:
        curve += float(t.pnl or 0)
        peak = max(peak, curve)
        worst = max(worst, (peak - curve) / peak if peak > 0 else 0.0)
    annual = (curve - base) / base * 365 / _DAYS[window] if base > 0 else 0.0
    m.mar.labels(window).set(annual / worst if worst > 0 else 0.0)
    fees = sum((_fees(conn, t) for t in inside), Decimal(0))
    m.cost_per_trade.labels(window).set(float(fees) / len(inside) if inside else 0.0)


def _fees(conn: Reader, trade: Trade) -> Decimal:
    ids = (trade.trade_id, *trade.exit_orders)
    rows = conn.execute(select(FILLS.c.fee).where(FILLS.c.client_order_id.in_(ids))).all()
    return sum((Decimal(fee) for (fee,) in rows), Decimal(0))


def _hit_rates(conn: Reader, m: QuorumMetrics, inside: list[Trade]) -> None:
    supported: Counter[tuple[str, str]] = Counter()
    hits: Counter[tuple[str, str]] = Counter()
    for trade in inside:
        signal = get_signal(conn, trade.signal_id)
        if signal is None:
            continue
        sign = 1.0 if trade.direction == Direction.LONG.value else -1.0
        net: dict[tuple[str, str], float] = {}
        for component in signal.components:
            arm = arm_of(component.name)
            if arm is None or not component.contribution:
                continue
            prefix = next((p for p in _ARMS if arm.startswith(p)), None)
            if prefix is None:
                continue
            key = (_ARMS[prefix], arm.removeprefix(prefix)[:48])
            net[key] = net.get(key, 0.0) + sign * component.contribution
        for key, value in net.items():
            if value > 0:
                supported[key] += 1
                hits[key] += int((trade.pnl or 0) > 0)
    for (kind, name), n in supported.items():
        m.hit_rate.labels(kind, name).set(hits[(kind, name)] / n)


__all__ = ["publish_trading"]
