"""Lower bounds for a backtest through the live code path, measured on this machine.

``quorum bench backtest --floors`` reports two costs that a replay cannot avoid while it
runs the live pipeline on every bar, with everything else (database, journal, dispatcher,
risk, execution, LLM) taken away:

- **scan floor**: every scan the run's plan submits over the window — the plan's own
  :func:`~quorum.pipeline.planning.due_scans` at each base-bar close, over scan marks kept
  in a dict as ``put_scan_mark`` would store them — through the live
  :class:`~quorum.pipeline.ScanStage` over the run's own in-memory
  :class:`~quorum.backtest.WindowMarket` (bars loaded and validated once, before timing).
  Only the pure scan is timed: indicators, volume profile, patterns, regime and the
  ``ScanResult``. ``base_bars / seconds`` is the most base bars per second any such
  replay can reach here; ``candidates`` counts the scans :func:`candidate_reason` sends to
  analysis.
- **graph floor**: LangGraph's own cost for one analysis. The analysis graph's node
  names and shape (:data:`quorum.agents.NODES`; analysts in one parallel superstep) with
  nodes that return nothing, over the real :class:`~quorum.agents.AnalysisState` holding
  a real scan, compiled with the backtest's checkpointer and streamed as
  :class:`quorum.agents.AnalysisRun` streams it (``updates`` and ``values``,
  ``durability="sync"``). ``shortest`` is the path of an analysis the prefilter stops
  (context → prefilter → decide), ``full`` the path through every node.

From these, ``year`` (scaled to 365 days): ``scan_s``, the scans alone — a strict lower
bound for any pass, since every pass makes these scans; ``scan_and_candidate_graphs_s``,
the scans plus one shortest-path graph run per candidate — an over-estimate of the floor,
because a candidate whose symbol already has a trade is skipped before the graph; and,
when the ``offline`` pass ran in the same invocation, ``scan_and_graph_runs_s``: the scans
plus one shortest-path graph run per analysis that reached the graph in that pass (its
analyses less the skipped ones) — the floor of the analysis pipeline on this data.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta
from typing import Any

from langgraph.graph import END, START, StateGraph

from quorum.agents import ANALYSTS, AnalysisState, memory_checkpointer
from quorum.analysis.scan import ScanParams
from quorum.backtest.engine import pipeline_settings
from quorum.backtest.frames import run_market
from quorum.clock import ReplayClock
from quorum.domain import ScanResult
from quorum.pipeline import ScanStage
from quorum.pipeline.planning import due_scans
from quorum.pipeline.scan_task import candidate_reason, scan_volatility

FULL_PATH = ("context", "prefilter", *ANALYSTS, "debate", "score", "risk_gate", "decide")
SHORTEST_PATH = ("context", "prefilter", "decide")


def scan_floor(spec: Any) -> dict[str, Any]:
    """Time the plan's scans of ``spec``'s window through the live scan stage (module doc)."""
    settings = pipeline_settings(spec, spec.symbols, spec.capital)
    clock = ReplayClock(spec.start)
    market = run_market(spec, clock)
    stage = ScanStage(market, spec.base_timeframe, ScanParams(history_bars=spec.history_bars))
    for symbol in spec.symbols:  # load and validate the window before timing
        stage.scan(symbol, [spec.base_timeframe], spec.start)
    delay = timedelta(seconds=settings.finalization_delay_s)
    marks: dict[tuple[str, str], tuple[datetime, float | None]] = {}
    scans = candidates = 0
    seconds = 0.0
    sample: ScanResult | None = None
    for step in range(1, spec.steps + 1):
        now = spec.start + spec.base_timeframe.delta * step + delay
        clock.set(now)
        for due in due_scans(now, settings, marks):
            started = time.perf_counter()
            result = stage.scan(due.symbol, [due.timeframe], due.bar_close)
            seconds += time.perf_counter() - started
            scans += 1
            marks[(due.symbol, due.timeframe.value)] = (
                due.bar_close,
                scan_volatility(result, settings.base_timeframe),
            )
            if candidate_reason(result, settings.candidate_min_regime_strength) is not None:
                candidates += 1
            sample = sample or result
    bars = spec.steps * len(spec.symbols)
    return {
        "base_bars": bars,
        "scans": scans,
        "candidates": candidates,
        "scan_s": round(seconds, 3),
        "per_scan_ms": round(1000 * seconds / max(scans, 1), 4),
        "ceiling_base_bars_per_s": round(bars / seconds, 1) if seconds else None,
        "_sample": sample,
    }


def _graph(path: tuple[str, ...]) -> Any:
    builder = StateGraph(AnalysisState)

    def nothing(state: AnalysisState) -> dict[str, Any]:
        del state  # a node that does nothing: LangGraph's own cost is what is measured
        return {}

    for name in path:
        builder.add_node(name, nothing)
    builder.add_edge(START, path[0])
    analysts = [a for a in ANALYSTS if a in path]
    previous: str | list[str] = path[0]
    for name in path[1:]:
        if name in analysts:
            continue
        if analysts and previous == "prefilter":
            for analyst in analysts:
                builder.add_edge("prefilter", analyst)
            previous = analysts
        builder.add_edge(previous, name)
        previous = name
    builder.add_edge(path[-1], END)
    return builder.compile(checkpointer=memory_checkpointer(), name="floor")


def graph_floor(scan: ScanResult, runs: int = 500) -> dict[str, Any]:
    """Median and p95 wall ms of one streamed run per path (module doc)."""
    out: dict[str, Any] = {"runs": runs}
    for name, path in (("shortest", SHORTEST_PATH), ("full", FULL_PATH)):
        graph = _graph(path)
        samples = []
        for i in range(runs + 20):
            state = AnalysisState(scan=scan, as_of=scan.as_of)
            config = {"configurable": {"thread_id": f"floor-{name}-{i}"}}
            started = time.perf_counter()
            for _chunk in graph.stream(
                state, config, stream_mode=["updates", "values"], durability="sync"
            ):
                pass
            samples.append(time.perf_counter() - started)
        kept = sorted(samples[20:])
        out[name] = {
            "nodes": list(path),
            "median_ms": round(1000 * statistics.median(kept), 3),
            "p95_ms": round(1000 * kept[int(0.95 * (len(kept) - 1))], 3),
        }
    return out


def floors(
    spec: Any, graph_runs: int = 500, offline: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Both floors for ``spec`` and what they imply for a 365-day year (module doc);
    ``offline`` is the same window's ``offline`` pass result, when it ran."""
    scan = scan_floor(spec)
    sample = scan.pop("_sample")
    graph = graph_floor(sample, graph_runs) if sample is not None else None
    days = (spec.end - spec.start) / timedelta(days=1)
    scale = 365 / days
    year: dict[str, Any] = {"scan_s": round(scan["scan_s"] * scale, 1)}
    if graph is not None:
        per = graph["shortest"]["median_ms"] / 1000
        year["scan_and_candidate_graphs_s"] = round(
            (scan["scan_s"] + scan["candidates"] * per) * scale, 1
        )
        if offline is not None:
            outcomes = offline["analysis_outcomes"]
            reached = sum(outcomes.values()) - outcomes.get("skipped", 0)
            year["graph_runs"] = round(reached * scale)
            year["scan_and_graph_runs_s"] = round((scan["scan_s"] + reached * per) * scale, 1)
    return {"scan": scan, "graph": graph, "year": year}
