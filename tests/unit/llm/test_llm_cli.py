"""`quorum llm spend` and `quorum llm models` (the Typer sub-app, run in-process)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from tests.unit.llm.llm_kit import EXAMPLE_CONFIG
from typer.testing import CliRunner

from apps.cli.commands.llm import app
from quorum.clock import ReplayClock
from quorum.llm import CallRecord, LedgerWriter

RUNNER = CliRunner()


def _fill(engine: Engine, clock: ReplayClock) -> None:
    writer = LedgerWriter(engine, clock)
    for node, model, nano in (
        ("technical", "mini", 100),
        ("regime", "big", 900),
        ("regime", "mini", 50),
    ):
        writer.write(
            CallRecord(
                time="2025-03-01T12:00:00+00:00",
                day="2025-03-01",
                node=node,
                role="fast",
                symbol=None,
                run_id=None,
                policy="cost_aware",
                model=model,
                provider="openai",
                why="",
                fallbacks="",
                latency_ms=10.0,
                input_tokens=10,
                output_tokens=5,
                cost_nano=nano,
                cache_hit=False,
                outcome="ok",
                prompt_version="technical/1",
                schema_version="analyst-answer/1",
                repairs=0,
            )
        )
    writer.close()


def test_spend_by_node_prints_json_with_exact_usd(engine: Engine, clock: ReplayClock) -> None:
    _fill(engine, clock)

    out = RUNNER.invoke(app, ["spend", "--by", "node", "--db", str(engine.url), "--json"])

    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)["rows"]
    assert rows[0] == {
        "node": "regime",
        "calls": 2,
        "cache_hits": 0,
        "input_tokens": 20,
        "output_tokens": 10,
        "cost_usd": "0.00000095",
        "mean_latency_ms": 10.0,
    }


def test_spend_by_model_prints_a_table(engine: Engine, clock: ReplayClock) -> None:
    _fill(engine, clock)

    out = RUNNER.invoke(app, ["spend", "--by", "model", "--db", str(engine.url)])

    assert out.exit_code == 0, out.output
    assert "LLM spend by model" in out.output
    assert "big" in out.output


def test_spend_refuses_an_unknown_grouping_and_a_missing_database(tmp_path: Path) -> None:
    bad = RUNNER.invoke(app, ["spend", "--by", "symbol", "--db", "sqlite:///x.db"])
    missing = RUNNER.invoke(app, ["spend", "--db", f"sqlite:///{tmp_path / 'none.db'}"])

    assert bad.exit_code == 2
    assert missing.exit_code == 2
    assert "no database" in missing.output


def test_models_lists_the_registry_with_prices_and_the_check_result() -> None:
    out = RUNNER.invoke(app, ["models", "--config", str(EXAMPLE_CONFIG), "--json"], env={})

    assert out.exit_code == 0, out.output
    listing = json.loads(out.output)
    assert listing["startup_check"] == "ok"
    by_name = {m["name"]: m for m in listing["models"]}
    assert by_name["claude-sonnet-4"]["price_source"] == "override"
    assert by_name["gpt-4o-mini"]["input_usd_per_mtok"] == "0.15"
    assert by_name["offline"]["available"] is True


def test_models_exits_1_when_a_paid_model_has_no_price(tmp_path: Path) -> None:
    config = tmp_path / "llm.yaml"
    config.write_text(
        "llm:\n  models:\n    - {name: sonnet4, role: deep, "
        "model: anthropic/claude-sonnet-4-20250514, context_window: 200000, accuracy: 0.7}\n"
    )

    out = RUNNER.invoke(app, ["models", "--config", str(config)])

    assert out.exit_code == 1
    assert "FAILED" in out.output
