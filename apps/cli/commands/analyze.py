"""`quorum analyze SYMBOL --as-of …`: one multi-timeframe scan → the analysis graph → a Signal.

The deployment's settings, models included, as ``quorum run`` uses them (``--offline``: the
offline analyst only); node events are streamed as they happen, then the Signal (or the
no-trade reason) with the score breakdown and its explanation, and — whenever the offline
analyst answered — how often and why (no model configured for the role, paid models off by
the ``llm.allow_paid`` flag, a budget cap, a fallback). Every scan, opinion, score and
decision goes to the audit journal. The risk gate sizes against a paper account
(``--equity`` USDT, no open positions, default limits).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from apps.bootstrap import (
    Runtime,
    analysis_checkpointer,
    build_router,
    build_runtime,
    run_settings,
    with_min_opinions,
)
from apps.cli.options import parse_symbols, parse_time, parse_timeframes
from quorum.agents import (
    AgentSettings,
    AnalysisOutcome,
    AnalysisServices,
    PortfolioRiskGate,
    TraceEvent,
    build_analysis_graph,
    decision_timeframe,
    stream_analysis,
)
from quorum.analysis.scan import ScanParams
from quorum.clock import Clock, ReplayClock, SystemClock
from quorum.domain import ScanResult, Timeframe
from quorum.errors import QuorumError
from quorum.llm.offline_report import describe_offline, offline_reasons
from quorum.market import open_source
from quorum.pipeline import ScanStage, StageJournal
from quorum.pipeline.leverage import leverage_for
from quorum.pipeline.opinions import learned_accuracy
from quorum.pipeline.options import PipelineOptions, RunSettings
from quorum.risk import MarketInfo, Portfolio, RiskSettings, initial_state, prepare_portfolio

console = Console()

_STYLE = {"ok": "green", "skipped": "yellow", "no_trade": "yellow", "paused": "cyan"}


def analyze(
    symbol: str = typer.Argument(..., help="ccxt symbol, e.g. BTC/USDT."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Analysis time (ISO-8601 UTC). Default: now."
    ),
    data: str = typer.Option(
        "synthetic", help="synthetic[:SEED] | store | csv:PATH | parquet:PATH | ccxt:EXCHANGE"
    ),
    timeframes: str = typer.Option("15m,1h,4h,1d", help="Comma-separated timeframes."),
    base: str = typer.Option("15m", help="Base timeframe the others are resampled from."),
    history: int = typer.Option(500, help="Closed bars per timeframe."),
    decision: str | None = typer.Option(
        None, "--decision-timeframe", help="Timeframe of entry and stop (default: shortest)."
    ),
    debate_rounds: int | None = typer.Option(
        None, min=0, max=5, help="Bull/bear debate rounds (default: the configured agents')."
    ),
    equity: str = typer.Option("10000", help="Paper account equity in USDT for sizing."),
    configured_models: bool = typer.Option(
        True,
        "--configured-models/--offline",
        help="The configured LLM models, as quorum run uses them (paid ones only while "
        "llm.allow_paid is on), or the offline analyst only.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Analyse one symbol: scan, analysts, debate, confluence score, risk gate → Signal."""
    (name,) = parse_symbols(symbol)
    frames = parse_timeframes(timeframes)
    base_tf = parse_timeframes(base)[0]
    chosen = parse_timeframes(decision)[0] if decision else None
    when = parse_time(as_of, "--as-of") if as_of else None
    try:
        account = Decimal(equity)
        if not account.is_finite() or account <= 0:
            raise ValueError
    except (ArithmeticError, ValueError):
        raise typer.BadParameter("must be a positive number", param_hint="--equity") from None
    try:
        runtime = build_runtime()
    except QuorumError as exc:
        console.print(f"[red]start-up refused:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    try:
        agents: dict[str, Any] = {}
        if debate_rounds is not None:
            agents["debate_rounds"] = debate_rounds
        if chosen is not None:
            agents["decision_timeframe"] = chosen.value
        options = PipelineOptions(
            overrides={"agents": agents} if agents else {},
            llm_mode=None if configured_models else "offline",
        )
        settings = run_settings(runtime.settings, options)
        outcome, offline = _analyze(
            runtime, name, frames, base_tf, when, data, history, settings, account, as_json,
        )  # fmt: skip
    except (QuorumError, ValueError) as exc:
        console.print(f"[red]analyze failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    if not configured_models and offline:
        offline = {"offline: --offline asked for the offline analyst only": sum(offline.values())}
    if as_json:
        document = outcome.model_dump(mode="json") | {"offline_answers": offline}
        typer.echo(json.dumps(document, indent=2))
    else:
        _print_outcome(outcome)
        line = describe_offline(offline)
        if line is not None:
            console.print(f"[bold yellow]LLM:[/bold yellow] {escape(line)}")


def _analyze(
    runtime: Runtime,
    symbol: str,
    frames: list[Timeframe],
    base: Timeframe,
    when: datetime | None,
    data: str,
    history: int,
    settings: RunSettings,
    equity: Decimal,
    quiet: bool,
) -> tuple[AnalysisOutcome, dict[str, int]]:
    """The outcome and why the offline analyst answered (``{why: calls}``, from the ledger)."""
    clock: Clock = ReplayClock(when) if when else SystemClock()
    at = when or clock.now()
    loader = open_source(data, clock=clock, base_timeframe=base)
    scan = ScanStage(loader, base, ScanParams(history_bars=history)).scan(symbol, frames, at)
    run_id = f"analyze-{at:%Y%m%dT%H%M%SZ}-{runtime.journal.head().size + 1}"
    journal = StageJournal(runtime.journal, runtime.engine, run_id, actor="quorum analyze")
    journal.scan(scan)
    router = build_router(runtime, settings.llm)
    markets = runtime.settings.execution.markets
    leverage = leverage_for(symbol, markets, settings.risk.portfolio.leverage)
    agents = with_min_opinions(settings.agents.model_copy(update={"leverage": leverage}), router)
    with runtime.engine.connect() as conn:
        accuracy = {k: v.accuracy for k, v in learned_accuracy(conn).items()}
    thread = f"{run_id}:{symbol}"
    try:
        services = AnalysisServices(
            router=router,
            journal=journal,
            risk_gate=paper_risk_gate(scan, agents, equity, settings.risk),
            run_id=run_id,
            scoring=settings.scoring,
            model_accuracy=accuracy,
            settings=agents,
            stop_settings=settings.risk,
            analysis_id=thread,
        )
        checkpointer = analysis_checkpointer(runtime.settings.database.url)
        graph = build_analysis_graph(services, checkpointer)
        run = stream_analysis(graph, scan, at, thread_id=thread)
        if not quiet:
            console.print(f"[bold]Analysing[/bold] {symbol} at {at.isoformat()} (run {run_id})")
        for event in run:
            if not quiet:
                for item in event.events:
                    console.print(_event_line(item))
        outcome = run.outcome
    finally:
        router.close()  # flushes the ledger: every call in it before the process exits
    return outcome, offline_reasons(runtime.engine, run_id)


def paper_risk_gate(
    scan: ScanResult, settings: AgentSettings, equity: Decimal, risk: RiskSettings
) -> PortfolioRiskGate:
    """A paper account with ``equity`` USDT and nothing open; the market from the scan."""
    item = scan.get(decision_timeframe(scan, settings))
    assert item is not None
    close = Decimal(repr(item.snapshot.values.get("close", 0.0)))
    atr = item.snapshot.values.get("atr")
    if close <= 0:
        raise ValueError(f"scan: no close price on {item.timeframe} to size against")
    tick = Decimal(1).scaleb(close.adjusted() - 6)  # 7 significant digits
    market = MarketInfo(
        symbol=scan.symbol,
        amount_step=Decimal("0.00001"),
        price_tick=tick,
        min_notional=Decimal(5),
        reference_price=close,
        atr=Decimal(repr(atr)) if atr and atr > 0 else None,
    )
    account = Portfolio(equity=equity, margin_available=equity)
    state = initial_state(equity, scan.as_of, risk)
    return PortfolioRiskGate(
        portfolio=prepare_portfolio(account, risk, (market,), state),
        market=market,
        rules_state=state,
        settings=risk,
    )


def _event_line(item: TraceEvent) -> str:
    style = _STYLE.get(item.status, "white")
    return f"  [{style}]{item.node:<10}[/{style}] {escape(item.detail)}"


def _print_outcome(outcome: AnalysisOutcome) -> None:
    signal = outcome.signal
    if signal is None:
        console.print(
            f"\n[bold yellow]No trade[/bold yellow]: {escape(outcome.no_trade_reason or '')}"
        )
    else:
        table = Table(title=f"Signal {signal.symbol} {signal.timeframe.value}")
        for column in ("direction", "entry", "stop", "take-profit", "confidence", "quantity"):
            table.add_column(column)
        quantity = outcome.decision.quantity if outcome.decision is not None else None
        table.add_row(
            signal.direction.value,
            _price(signal.entry),
            _price(signal.stop_loss),
            _price(signal.take_profit),
            f"{signal.confidence:.2f}",
            "-" if quantity is None else f"{quantity.normalize():f}",
        )
        console.print(table)
    score = outcome.score or outcome.prefilter
    if score is not None:
        console.print(_breakdown(score.components, score.score, score.probability))
    if signal is not None:
        console.print(f"[bold]Explanation:[/bold] {escape(signal.explanation)}")


def _breakdown(components: Any, score: float, probability: float | None, top: int = 12) -> Table:
    shown = f", p(win) {probability:.2f}" if probability is not None else ""
    table = Table(title=f"Score {score:+.3f}{shown} — top {top} components by |contribution|")
    for column in ("component", "value", "weight", "contribution"):
        table.add_column(column, justify="left" if column == "component" else "right")
    ranked = sorted(components, key=lambda c: (-abs(c.contribution), c.name))[:top]
    for c in ranked:
        table.add_row(c.name, f"{c.value:+.3f}", f"{c.weight:.3f}", f"{c.contribution:+.3f}")
    return table


def _price(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.6g}"


__all__ = ["analyze", "paper_risk_gate"]
