"""`quorum bench backtest` on a short window: every pass runs and reports what it claims."""

from benchmarks.backtest import TARGETS, reachable, run
from benchmarks.backtest_floor import FULL_PATH, SHORTEST_PATH


def test_bench_backtest_short_window_reports_passes_targets_and_flags() -> None:
    out = run(days=0.25, passes=("no_candidates", "cached_warm"))
    passes = out["passes"]
    assert list(passes) == ["no_candidates", "cached_cold", "cached_warm"]
    quiet = passes["no_candidates"]
    assert quiet["base_bars"] == 4 * 24
    assert quiet["scans"] > 0
    assert quiet["candidates"] > 0, "the dropped analyze follow-ups are counted"
    assert quiet["analyses"] == 0
    assert quiet["trades"] == 0
    assert quiet["base_bars_per_s"] > 0
    assert len(quiet["result_hash"]) == 64
    cold, warm = passes["cached_cold"], passes["cached_warm"]
    assert cold["llm_cache_hits"] == 0
    assert warm["cache_rows_copied"] > 0
    assert warm["llm_cache_hits"] > 0, "the warm pass must be answered from the copied cache"
    assert warm["analyses"] == cold["analyses"]
    assert out["targets"] == TARGETS
    assert out["met"]["no_candidates_bars_per_s"] is (
        quiet["base_bars_per_s"] >= TARGETS["no_candidates_bars_per_s"]
    )
    assert out["met"]["analysis_year_s"] is None, "no offline pass, nothing to judge"
    assert {"cpu", "cores", "load_average"} <= set(out["machine"])


def test_bench_backtest_floors_time_exactly_the_scans_the_run_makes() -> None:
    """The scan floor replays the plan's schedule without the pipeline: it must meet the
    same scans and the same candidates as the real run over the same window."""
    out = run(days=0.5, passes=("no_candidates", "offline", "floors"))
    quiet, floor = out["passes"]["no_candidates"], out["passes"]["floors"]
    scan = floor["scan"]
    assert scan["scans"] == quiet["scans"] > 0
    assert scan["candidates"] == quiet["candidates"] > 0
    assert scan["base_bars"] == quiet["base_bars"]
    ceiling = scan["ceiling_base_bars_per_s"]
    assert abs(ceiling - scan["base_bars"] / scan["scan_s"]) <= 0.01 * ceiling
    graph = floor["graph"]
    assert graph["shortest"]["nodes"] == list(SHORTEST_PATH)
    assert graph["full"]["nodes"] == list(FULL_PATH)
    assert 0 < graph["shortest"]["median_ms"] <= graph["shortest"]["p95_ms"]
    year = floor["year"]
    assert abs(year["scan_s"] - scan["scan_s"] * 365 / 0.5) <= 0.01 * year["scan_s"]
    assert year["scan_and_candidate_graphs_s"] > year["scan_s"]
    offline = out["passes"]["offline"]
    reached = offline["analyses"] - offline["analysis_outcomes"].get("skipped", 0)
    assert 0 < reached <= scan["candidates"] == offline["candidates"]
    assert year["graph_runs"] == round(reached * 365 / 0.5)
    assert year["scan_s"] < year["scan_and_graph_runs_s"] <= year["scan_and_candidate_graphs_s"]
    assert out["reachable"] == reachable(floor)
    assert out["reachable"]["no_candidates_bars_per_s"] is (
        scan["ceiling_base_bars_per_s"] >= TARGETS["no_candidates_bars_per_s"]
    )


def test_reachable_judges_each_target_from_the_floors() -> None:
    def floor(ceiling: float, scans: float, runs: float | None = None) -> dict[str, object]:
        year: dict[str, float] = {"scan_s": scans, "scan_and_candidate_graphs_s": 10_000.0}
        if runs is not None:
            year["scan_and_graph_runs_s"] = runs
        return {"scan": {"ceiling_base_bars_per_s": ceiling}, "year": year}

    assert reachable(None) == {"no_candidates_bars_per_s": None, "analysis_year_s": None}
    assert reachable(floor(630.0, 241.0)) == {
        "no_candidates_bars_per_s": False,
        "analysis_year_s": False,
    }
    # the over-estimate (every candidate through the graph) never decides
    assert reachable(floor(25_000.0, 90.0)) == {
        "no_candidates_bars_per_s": True,
        "analysis_year_s": True,
    }
    assert reachable(floor(25_000.0, 90.0, runs=130.0))["analysis_year_s"] is False
    assert reachable(floor(25_000.0, 90.0, runs=110.0))["analysis_year_s"] is True
