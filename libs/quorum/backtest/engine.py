"""``run_backtest``: one backtest run end to end, recorded in ``runs``, as a BacktestResult.

The real pipeline (scan → agents → scoring → risk → execution on the paper exchange →
journal, or a rule strategy through risk → execution → journal) built by the process's
composition root (``services.build_pipeline``: the deployment's settings with the spec's
overrides) and replayed over recorded bars on a ReplayClock by the pipeline's one bar
driver (:mod:`quorum.pipeline.driver`, the one ``quorum run`` drives) on the replay venue
(:mod:`quorum.execution.paper.replay`). The backtest adds only what it measures: the run
records, the equity curve and the result.
Run it on a fresh database: calibration and adaptive weights are learned from the closed
trades the database holds, so a shared database would let one run teach another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from quorum.backtest.collect import closed_trades
from quorum.backtest.frames import run_market
from quorum.backtest.records import finish_run, git_sha, start_run
from quorum.backtest.results import (
    BacktestResult,
    DataQuality,
    EquityPoint,
    LeakageFlag,
    LlmSpend,
    LlmStats,
    PriceSeries,
    SignalOutcome,
    Trade,
)
from quorum.backtest.services import Services
from quorum.backtest.spec import BacktestSpec
from quorum.backtest.spend import merge_spend, model_role_spend
from quorum.clock import ReplayClock
from quorum.config.settings.pipeline import PipelineSettings
from quorum.domain import BarFrame, JournalKind, Timeframe, split_symbol
from quorum.errors import ConfigError
from quorum.execution import ReplayVenue
from quorum.llm.ledger import spend_per_outcome
from quorum.market import open_source
from quorum.pipeline import EmbeddedDispatcher, PipelineTasks
from quorum.pipeline.accounting import equity, positions_now
from quorum.pipeline.driver import replay
from quorum.pipeline.options import PipelineOptions, PipelineParts, ReplayCosts
from quorum.pipeline.summary import run_counts
from quorum.store import session_scope


@dataclass
class BacktestOutcome:
    result: BacktestResult
    result_hash: str
    """SHA-256 of the result without its run id: equal for equal data, config and seed."""
    tally: dict[str, Any] = field(default_factory=dict)


def leakage(spec: BacktestSpec, services: Services) -> list[LeakageFlag]:
    """A flag per model the run may consult (the offline analyst never: it learned nothing).
    A model without a declared ``training_cutoff`` is assumed contaminated."""
    if spec.llm == "offline" or spec.rule is not None:
        return []
    flags = []
    for model in services.settings.llm.models:
        if not model.enabled:
            continue
        cutoff = model.training_cutoff
        at = (
            datetime.combine(cutoff, time(0), tzinfo=UTC)
            if cutoff
            else datetime.max.replace(tzinfo=UTC)
        )
        flags.append(
            LeakageFlag(
                model=model.name,
                training_cutoff=at,
                window_start=spec.start,
                contaminated=cutoff is None or at >= spec.start,
            )
        )
    return flags


def result_hash(result: BacktestResult) -> str:
    data = result.model_dump(mode="json", exclude={"run_id", "git_sha"})
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pipeline_settings(
    spec: BacktestSpec, symbols: tuple[str, ...], capital: Decimal
) -> PipelineSettings:
    """What the run's pipeline watches and trades: the spec's symbols, timeframes, data
    and history; the rule strategy's name (or ``agents``); the part's capital."""
    return PipelineSettings(
        symbols=symbols,
        timeframes=spec.timeframes,
        base=spec.base,
        data=spec.data,
        history_bars=spec.history_bars,
        strategy="agents" if spec.rule is None else spec.rule.name[:64],
        actor="backtest",
        paper_equity=capital,
    )


def options(
    spec: BacktestSpec,
    run_id: str,
    symbols: tuple[str, ...],
    capital: Decimal,
    clock: ReplayClock,
    market: Any = None,
) -> PipelineOptions:
    """What this backtest asks of the composition root: the replay venue with the spec's
    costs, the run's window market on its clock, in-memory analysis checkpoints, the LLM
    mode, and the spec's settings overrides over the deployment's."""
    return PipelineOptions(
        run_id=run_id,
        clock=clock,
        market=market or run_market(spec, clock),
        settings=pipeline_settings(spec, symbols, capital),
        replay=ReplayCosts(fee=spec.fee, slippage=spec.slippage, seed=spec.seed),
        overrides=spec.overrides(),
        llm_mode="offline" if spec.rule is not None else spec.llm,
        memory_checkpoints=True,
        publish_gauges=False,
    )


class EquityRecorder:
    """The run's equity curve: one mark per base-bar close (the driver's ``on_step``), the
    last one taken again after the end-of-run flatten."""

    def __init__(
        self,
        tasks: PipelineTasks,
        venue: ReplayVenue,
        clock: ReplayClock,
        progress: Callable[[int], None],
    ) -> None:
        self.tasks, self.venue, self.clock, self.progress = tasks, venue, clock, progress
        self.delay = timedelta(seconds=tasks.deps.settings.finalization_delay_s)
        self.curve: list[tuple[Any, Decimal]] = []

    def step(self, done: int, _tally: Any) -> None:
        self.curve.append((self.clock.now() - self.delay, mark_equity(self.tasks, self.venue)))
        self.progress(done)

    def finish(self) -> list[tuple[Any, Decimal]]:
        if self.curve:
            self.curve[-1] = (self.curve[-1][0], mark_equity(self.tasks, self.venue))
        return self.curve


def mark_equity(tasks: PipelineTasks, venue: ReplayVenue) -> Decimal:
    """Starting equity + closed trades + open positions at the last fed close."""
    deps = tasks.deps
    held = positions_now(deps)
    marks = {}
    for p in held:
        bar = venue.last_fed_bar(p.symbol)
        if bar is not None:
            marks[p.symbol] = bar.close
    with deps.engine.connect() as conn:
        total, _ = equity(deps, conn, held, marks)
    return total


def load_frames(
    spec: BacktestSpec, symbols: tuple[str, ...], market: Any = None
) -> dict[str, BarFrame]:
    """The window's base bars, loaded once through a loader whose clock stands at the
    window's end (every bar closed). The loop feeds each bar only once its close has
    passed and the rule strategy's indicators are causal, so no decision sees a later bar."""
    source = market or open_source(
        spec.data, clock=ReplayClock(spec.end), seed=spec.seed, base_timeframe=spec.base_timeframe
    )
    return {s: source.fetch_bars(s, spec.base_timeframe, spec.start, spec.end) for s in symbols}


def run_backtest(
    spec: BacktestSpec,
    services: Services,
    *,
    run_id: str | None = None,
    mode: str = "backtest",
    market: Any = None,
    on_step: Callable[[int], None] | None = None,
    dispatcher_factory: Callable[[], EmbeddedDispatcher] | None = None,
) -> BacktestOutcome:
    """Run ``spec`` over ``services`` (a runtime on a fresh database); see module doc.

    ``market`` (a ``MarketData``) replaces ``spec.data`` (e.g. an in-memory frame source);
    ``on_step(done)`` is called after every base bar (progress, counted over all parts);
    ``dispatcher_factory`` builds each part's dispatcher (default: an EmbeddedDispatcher).
    Raises ConfigError under ``strict_leakage`` when a model may have seen the window.
    """
    flags = leakage(spec, services)
    bad = [f.model for f in flags if f.contaminated]
    if spec.strict_leakage and bad:
        raise ConfigError(
            f"--strict-leakage: models {bad} have a training cutoff on or after the window "
            f"start {spec.start.isoformat()} (or none declared); expected cutoffs before it"
        )
    digest = spec.config_hash()
    run_id = run_id or f"bt-{digest[:12]}-{services.clock.now():%Y%m%dT%H%M%S}"
    parts: list[tuple[str, tuple[str, ...], Decimal]]
    if spec.capital_mode == "portfolio" or len(spec.symbols) == 1:
        parts = [(run_id, spec.symbols, spec.capital)]
    else:
        parts = [(f"{run_id}.{i}", (s,), spec.capital) for i, s in enumerate(spec.symbols, 1)]
    sha = git_sha()

    def begin(record_id: str, symbols: tuple[str, ...], notes: str) -> None:
        start_run(
            services.engine,
            run_id=record_id,
            mode="replay",
            capital_mode=spec.capital_mode,
            config_hash=digest,
            symbols=list(symbols),
            start=spec.start,
            end=spec.end,
            started_at=services.clock.now(),
            sha=sha,
            notes=notes,
        )

    if len(parts) > 1:
        begin(run_id, spec.symbols, f"{mode}; parts {', '.join(p[0] for p in parts)}")
    trades: list[Trade] = []
    outcomes: list[SignalOutcome] = []
    curves: list[list[tuple[Any, Decimal]]] = []
    prices: list[PriceSeries] = []
    tally: dict[str, Any] = {}
    calls = hits = traded = 0
    spend = trade_spend = Decimal(0)
    spends: list[LlmSpend] = []
    still_open = 0
    done = 0
    quality = DataQuality()

    settings_hash: str | None = None

    def progress(_step: int) -> None:
        nonlocal done
        done += 1
        if on_step is not None:
            on_step(done)

    for part_id, symbols, capital in parts:
        begin(part_id, symbols, mode if part_id == run_id else f"{mode}; part of {run_id}")
        try:
            dispatcher = (
                EmbeddedDispatcher() if dispatcher_factory is None else dispatcher_factory()
            )
            clock = ReplayClock(spec.start)
            built: list[PipelineParts] = []
            tasks = services.build_pipeline(
                dispatcher, options(spec, part_id, symbols, capital, clock, market), parts=built
            )
            venue, chosen = built[0].venue, built[0].settings
            assert isinstance(venue, ReplayVenue)
            recorder = EquityRecorder(tasks, venue, clock, progress)
            frames = load_frames(spec, symbols, market)
            _journal(
                services,
                part_id,
                {
                    "event": "started",
                    "spec": spec.model_dump(mode="json"),
                    "settings_hash": chosen.digest(),
                },
            )
            part_tally = replay(
                tasks,
                dispatcher,
                clock,
                venue,
                spec.steps,
                strategy=None if spec.rule is None else spec.rule.build(),
                refresh_every=spec.refresh_every if spec.refresh else None,
                on_step=recorder.step,
                end_reason="end of backtest",
            )
            curve = recorder.finish()
            settings_hash = chosen.digest()
            _release(tasks.deps.router)
        except Exception as exc:
            finish_run(
                services.engine,
                part_id,
                completed_at=services.clock.now(),
                status="failed",
                data_ok=False,
                trades_opened=0,
                trades_closed=0,
                result_hash=None,
                notes=f"failed: {type(exc).__name__}: {exc}"[:2000],
            )
            raise
        part_trades, part_outcomes, part_open = closed_trades(services.engine, part_id, venue)
        counts = run_counts(services.engine, part_id)
        with services.engine.connect() as conn:
            spends += model_role_spend(conn, part_id)
        trades += part_trades
        outcomes += part_outcomes
        still_open += part_open
        curves.append(curve)
        calls += counts["llm"]["calls"]
        hits += counts["llm"]["cache_hits"]
        spend += Decimal(str(counts["llm"]["spend_usd"]))
        joined = spend_per_outcome(services.engine, part_id)
        traded += joined.trades
        trade_spend += joined.trades_usd
        tally[part_id] = {**part_tally.as_dict(), **counts}
        for symbol, frame in frames.items():
            quality = _quality(quality, frame, spec)
            prices.append(_prices(symbol, frame))
        opened = sum(counts["trades"].values()) - counts["trades"].get("cancelled", 0)
        _journal(services, part_id, {"event": "completed", "trades": len(part_trades)})
        finish_run(
            services.engine,
            part_id,
            completed_at=services.clock.now(),
            status="completed",
            data_ok=True,
            trades_opened=opened,
            trades_closed=len(part_trades),
            result_hash=None,
            notes=mode,
            settings_hash=settings_hash,
        )
    trades.sort(key=lambda t: (t.exit_time, t.symbol, t.entry_time))
    outcomes.sort(key=lambda s: (s.time, s.symbol))
    quote = split_symbol(spec.symbols[0])[1]
    result = BacktestResult(
        run_id=run_id,
        mode=mode,
        llm_mode=spec.llm if spec.rule is None else "none",
        capital_mode=spec.capital_mode,
        symbols=spec.symbols,
        timeframes=tuple(Timeframe(tf) for tf in spec.timeframes),
        start=spec.start,
        end=spec.end,
        seed=spec.seed,
        config_hash=digest,
        settings_hash=settings_hash,
        git_sha=sha,
        quote_currency=quote,
        initial_capital=spec.capital * len(parts),
        trades=tuple(trades),
        open_positions_at_end=still_open,
        equity_curve=tuple(_sum_curves(curves)),
        signals=tuple(outcomes),
        leakage=tuple(flags),
        llm=LlmStats(
            calls=calls,
            cache_hits=min(hits, calls),
            spend_usd=spend,
            by_model_role=merge_spend(spends),
            trades=traded,
            trade_spend_usd=trade_spend,
        ),
        data_quality=quality,
        prices=tuple(prices),
        warnings=tuple(_warnings(spec, flags)),
    )
    digest_out = result_hash(result)
    finish_run(
        services.engine,
        run_id,
        completed_at=services.clock.now(),
        status="completed",
        data_ok=True,
        trades_opened=sum(1 for _ in trades) + still_open,
        trades_closed=len(trades),
        result_hash=digest_out,
        notes=mode,
        settings_hash=settings_hash,
    )
    return BacktestOutcome(result, digest_out, tally)


def _release(router: Any) -> None:
    """Write the router's buffered LLM ledger rows before the run is counted (the ledger
    flushes by batch size or elapsed wall time, so an unflushed count would depend on
    timing) and release its process-wide litellm callbacks."""
    ledger = getattr(router, "ledger", None)
    if ledger is not None:
        ledger.flush()
    close = getattr(router, "close", None)
    if callable(close):  # the LLMRouter port itself has neither
        close()


def _journal(services: Services, run_id: str, payload: dict[str, Any]) -> None:
    with session_scope(services.engine) as session:
        services.journal.append(session, JournalKind.RUN, payload, actor="backtest", run_id=run_id)


def _quality(before: DataQuality, frame: BarFrame, spec: BacktestSpec) -> DataQuality:
    df = frame.df
    expected = spec.steps
    return DataQuality(
        bars_processed=before.bars_processed + len(df),
        gaps=before.gaps + max(0, expected - len(df)),
        zero_volume_bars=before.zero_volume_bars + int((df["volume"] == 0).sum()),
    )


def _prices(symbol: str, frame: BarFrame) -> PriceSeries:
    delta = frame.timeframe.delta
    return PriceSeries(
        symbol=symbol,
        timeframe=frame.timeframe,
        times=tuple(ts.to_pydatetime() + delta for ts in frame.df.index),
        closes=tuple(Decimal(repr(float(c))) for c in frame.df["close"]),
    )


def _sum_curves(curves: list[list[tuple[Any, Decimal]]]) -> list[EquityPoint]:
    """One account curve: independent parts are summed point by point (same grid)."""
    if not curves:
        return []
    total: dict[Any, Decimal] = {}
    for curve in curves:
        for when, value in curve:
            total[when] = total.get(when, Decimal(0)) + value
    return [EquityPoint(time=t, equity=v) for t, v in sorted(total.items())]


def _warnings(spec: BacktestSpec, flags: list[LeakageFlag]) -> list[str]:
    out = []
    bad = [f.model for f in flags if f.contaminated]
    if bad:
        out.append(
            f"LEAKAGE: models {', '.join(bad)} may have been trained on data from the backtest "
            f"window (starting {spec.start.date()}); their opinions are possibly contaminated "
            "by hindsight. Re-run with --llm offline or --strict-leakage."
        )
    if spec.rule is None and spec.llm == "offline":
        out.append("LLM: offline analyst only (deterministic, no model knowledge).")
    return out
