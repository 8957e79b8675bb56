"""`quorum bench backtest` on a short window: every pass runs and reports what it claims."""

from benchmarks.backtest import TARGETS, run


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
