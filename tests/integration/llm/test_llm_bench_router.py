"""`quorum bench router --json`: the real prompt templates, the default budget backend
(in-process, seeded from the cost ledger, in embedded mode), wall and CPU time."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from apps.cli.commands.bench import app


def test_bench_router_measures_the_default_budget_backend_with_real_templates() -> None:
    args = ["router", "--calls", "12", "--sql-calls", "12", "--bars", "3", "--json"]
    out = CliRunner().invoke(app, args)

    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    default, sql = report["overhead"], report["overhead_sql_budget"]
    assert default["budget_ledger"] == "MemoryBudgetLedger"
    assert sql["budget_ledger"] == "SqlBudgetLedger"
    assert default["outcomes"] == {"ok": 12}
    for run in (default, sql):
        assert set(run["cpu_ms_per_call"]) == {"bare", "quorum", "extra"}
        assert run["quorum_router_ms"]["p50"] > 0
    assert report["cache"]["second_run_hit_rate"] == 1.0
    assert {"uname", "load_average", "cores"} <= set(report["machine"])
