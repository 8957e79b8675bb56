"""The self-contained HTML page: the JSON document rendered by a Jinja2 template with
the figures inlined as SVG (no scripts, fonts, stylesheets or images loaded from anywhere)."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from jinja2 import Environment, StrictUndefined

from quorum.backtest.report.metrics import Metrics
from quorum.backtest.results import BacktestResult

__all__ = ["render_html"]

_TEMPLATE = "report.html.j2"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f}%"


def _pp(value: float | None) -> str:
    """A value already in percent points."""
    return "n/a" if value is None else f"{value:.2f}%"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _money(value: str | None) -> str:
    if value is None:
        return "n/a"
    whole, _, frac = value.partition(".")
    frac = frac.rstrip("0")
    return f"{whole}.{frac[:2].ljust(2, '0')}" if len(frac) <= 2 else f"{whole}.{frac}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    days, rest = divmod(round(seconds), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"


def _environment() -> Environment:
    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters.update(pct=_pct, pp=_pp, num=_num, money=_money, duration=_duration)
    return env


def render_html(
    result: BacktestResult, metrics: Metrics, document: dict[str, Any], content_hash: str
) -> str:
    # matplotlib (~0.3 s of import) only when a report is drawn: `quorum run` imports
    # quorum.backtest for its run records and draws nothing
    from quorum.backtest.report.plots import calibration_svg, equity_svg, price_svgs

    source = files("quorum.backtest.report").joinpath(_TEMPLATE).read_text(encoding="utf-8")
    template = _environment().from_string(source)
    return template.render(
        doc=document,
        content_hash=content_hash,
        equity_svg=equity_svg(result, metrics),
        price_svgs=price_svgs(result),
        calibration_svg=calibration_svg(metrics.calibration),
    )
