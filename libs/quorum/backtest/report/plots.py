"""The report's figures as inline SVG text (matplotlib, no pyplot, no files).

Output is deterministic: a fixed ``svg.hashsalt`` per figure (so clip-path ids are
stable and distinct between figures), no date in the metadata, text kept as text
(``svg.fonttype = none``), and long series thinned to at most ``MAX_POINTS`` points
by a fixed stride. The XML prolog and DOCTYPE are dropped so the SVG can sit inside
HTML, and so is the RDF metadata block; the only URLs left are XML namespace names
(``xmlns``), which load nothing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from quorum.backtest.report.drawdown import drawdown_series
from quorum.backtest.report.metrics import Metrics
from quorum.backtest.results import BacktestResult
from quorum.scoring.reliability import ReliabilityReport

__all__ = ["MAX_POINTS", "MAX_PRICE_PLOTS", "calibration_svg", "equity_svg", "price_svgs"]

MAX_POINTS = 2000
MAX_PRICE_PLOTS = 6
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # matplotlib's default date epoch
_PROLOG = re.compile(r"\A.*?(?=<svg)", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def _x(times: Sequence[datetime]) -> list[float]:
    """Times as matplotlib date numbers (days since 1970-01-01 UTC)."""
    return [(t - _EPOCH).total_seconds() / 86_400 for t in times]


def _thin[T](values: Sequence[T]) -> list[T]:
    step = max(1, -(-len(values) // MAX_POINTS))
    out = list(values[::step])
    if values and (len(values) - 1) % step:
        out.append(values[-1])
    return out


def _to_svg(fig: Figure, name: str) -> str:
    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": f"quorum-report-{name}", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _PROLOG.sub("", buffer.getvalue(), count=1)
    return _METADATA.sub("", svg, count=1)


def _date_axis(ax: Axes) -> None:
    locator = AutoDateLocator(tz=UTC)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=UTC))  # type: ignore[no-untyped-call]


def _empty(fig: Figure, text: str) -> None:
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, text, ha="center", va="center")
    ax.set_axis_off()


def equity_svg(result: BacktestResult, metrics: Metrics) -> str:
    """Equity (and the buy-and-hold baseline) over a drawdown panel."""
    fig = Figure(figsize=(9, 5), layout="constrained")
    if not metrics.equity_times:
        _empty(fig, "no equity curve")
        return _to_svg(fig, "equity")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    pairs = _thin(list(zip(metrics.equity_times, metrics.equity, strict=True)))
    times = _x([t for t, _ in pairs])
    top.plot(times, [float(v) for _, v in pairs], color="#1f5fa8", label="strategy")
    if metrics.baseline.times:
        base = _thin(list(zip(metrics.baseline.times, metrics.baseline.equity, strict=True)))
        top.plot(
            _x([t for t, _ in base]),
            [float(v) for _, v in base],
            color="#888888",
            linestyle="--",
            label="buy & hold",
        )
    top.set_ylabel(f"equity ({result.quote_currency})")
    top.legend(loc="upper left")
    top.grid(alpha=0.3)
    dd = [-100 * f for _, f in drawdown_series([v for _, v in pairs])]
    bottom.fill_between(times, dd, 0, color="#c0392b", alpha=0.5, step="post")
    bottom.set_ylabel("drawdown %")
    bottom.grid(alpha=0.3)
    _date_axis(bottom)
    return _to_svg(fig, "equity")


def _price_svg(
    result: BacktestResult, symbol: str, times: list[datetime], closes: list[Decimal]
) -> str:
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    ax = fig.add_subplot()
    pairs = _thin(list(zip(times, closes, strict=True)))
    ax.plot(_x([t for t, _ in pairs]), [float(c) for _, c in pairs], color="#333333", lw=0.8)
    trades = [t for t in result.trades if t.symbol == symbol]
    ax.scatter(
        _x([t.entry_time for t in trades]),
        [float(t.entry_price) for t in trades],
        marker="^",
        color="#27ae60",
        s=24,
        label=f"entries ({len(trades)})",
        zorder=3,
    )
    ax.scatter(
        _x([t.exit_time for t in trades]),
        [float(t.exit_price) for t in trades],
        marker="v",
        color="#c0392b",
        s=24,
        label="exits",
        zorder=3,
    )
    ax.set_title(symbol)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    _date_axis(ax)
    return _to_svg(fig, f"price-{symbol}")


def price_svgs(result: BacktestResult) -> list[tuple[str, str]]:
    """``(symbol, svg)`` for the first :data:`MAX_PRICE_PLOTS` symbols with prices."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for series in sorted(result.prices, key=lambda s: (s.symbol, s.timeframe.seconds)):
        if series.symbol in seen or len(out) >= MAX_PRICE_PLOTS:
            continue
        seen.add(series.symbol)
        window = [
            (t, c)
            for t, c in zip(series.times, series.closes, strict=True)
            if result.start <= t <= result.end
        ]
        if window:
            times, closes = [t for t, _ in window], [c for _, c in window]
            out.append((series.symbol, _price_svg(result, series.symbol, times, closes)))
    return out


def calibration_svg(report: ReliabilityReport) -> str:
    """Observed win rate against mean predicted probability per bin, with the diagonal."""
    fig = Figure(figsize=(4.5, 4.5), layout="constrained")
    if not report.rows:
        _empty(fig, "no signals with outcomes")
        return _to_svg(fig, "calibration")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="#999999", linestyle=":", label="perfect")
    ax.plot(
        [r.mean_predicted for r in report.rows],
        [r.observed_win_rate for r in report.rows],
        marker="o",
        color="#1f5fa8",
        label="observed",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return _to_svg(fig, "calibration")
