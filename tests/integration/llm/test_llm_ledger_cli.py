"""`quorum analyze` and `quorum run` against the loopback provider: the cost ledger equals
the provider's own request log call by call (a retry, a repair and a fallback included;
the analysts run concurrently, so as the same calls in any order),
every row carries its run and analysis ids, and `quorum llm spend --by trade` joins the
calls to the trades their signals opened."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from prometheus_client import REGISTRY
from sqlalchemy import select
from tests.integration.llm.llm_loopback import Loopback
from tests.integration.llm.test_llm_accounting import assert_ledger_equals_provider_log
from tests.unit.llm.llm_kit import GOOD_ANSWER
from typer.testing import CliRunner

from apps.cli.commands.analyze import analyze
from apps.cli.commands.llm import app as llm_app
from apps.cli.main import app as main_app
from quorum.llm.ledger import recent_calls
from quorum.store import create_engine_for
from quorum.store.tables.llm import llm_table
from quorum.store.tables.pipeline import TRADES_TABLE

runner = CliRunner()
KEY = "QUORUM_TEST_LOOPBACK_KEY"


def _model(name: str, role: str, loopback: Loopback) -> str:
    return (
        f"    - name: {name}\n"
        f"      role: {role}\n"
        f"      model: openai/{name}\n"
        f"      api_base: {loopback.base_url}\n"
        f"      key_ref: env:{KEY}\n"
        "      price: {input_per_mtok: '1.00', output_per_mtok: '4.00'}\n"
        "      context_window: 128000\n"
        "      max_output_tokens: 400\n"
        "      accuracy: 0.7\n"
    )


def _configure(loopback: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deployment with two paid models on the loopback server: `alpha` serves the
    analysts (role fast, asked concurrently), `beta` the debate (role deep, sequential)."""
    config = tmp_path / "quorum.yaml"
    config.write_text(
        "llm:\n"
        "  num_retries: 1\n"
        "  allowed_fails: 20\n"
        "  offline: {fallback: true}\n"
        "  budget: {backend: memory}\n"
        "  models:\n" + _model("alpha", "fast", loopback) + _model("beta", "deep", loopback)
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUORUM_CONFIG", str(config))
    monkeypatch.setenv(KEY, "sk-loopback")  # pragma: allowlist secret
    monkeypatch.setenv("QUORUM_FLAG_LLM__ALLOW_PAID", "true")


def _analyze_app() -> typer.Typer:
    app = typer.Typer()
    app.command("analyze")(analyze)
    app.command("version")(lambda: None)
    return app


def test_quorum_analyze_ledgers_every_provider_call(
    loopback: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(loopback, tmp_path, monkeypatch)
    # the three analysts: each call and its retry fail, the offline analyst falls in; the
    # bull answers prose and is repaired, the bear answers.
    loopback.set("alpha", status=500)
    loopback.set("beta", contents=["Bullish, clearly."])
    args = ["analyze", "BTC/USDT", "--as-of", "2025-01-19T00:00:00Z", "--configured-models"]
    result = runner.invoke(_analyze_app(), [*args, "--json"])
    assert result.exit_code == 0, result.output

    engine = create_engine_for(f"sqlite:///{tmp_path / 'var' / 'quorum.db'}")
    rows = assert_ledger_equals_provider_log(engine, loopback, ordered=False)
    kinds = sorted((r.model, r.call_kind) for r in rows)
    assert kinds == [
        *[("alpha", "call")] * 3,
        *[("alpha", "retry")] * 3,
        ("beta", "call"),
        ("beta", "call"),
        ("beta", "repair"),
    ]
    everything = recent_calls(engine, 1000)
    fell_back = [r for r in everything if r.provider == "quorum-local"]
    assert [r.call_kind for r in fell_back] == ["fallback"] * 3
    assert len({r.analysis_id for r in everything}) == 1
    assert everything[0].analysis_id is not None
    assert everything[0].analysis_id.startswith(everything[0].run_id or "-")
    billed = sum(
        (Decimal(h.usage[0] + 4 * h.usage[1]) / 10**6 for h in loopback.hits if h.usage),
        start=Decimal(0),
    )
    assert sum((r.cost_usd for r in everything), start=Decimal(0)) == billed


def _approved_spend() -> tuple[float, float]:
    """``quorum_llm_analysis_spend_usd{verdict="approved"}``: (sum, count) in this process."""
    labels = {"verdict": "approved"}
    total = REGISTRY.get_sample_value("quorum_llm_analysis_spend_usd_sum", labels)
    count = REGISTRY.get_sample_value("quorum_llm_analysis_spend_usd_count", labels)
    return total or 0.0, count or 0.0


def _spend(db: Path, by: str) -> dict[str, Any]:
    out = runner.invoke(llm_app, ["spend", "--by", by, "--db", f"sqlite:///{db}", "--json"])
    assert out.exit_code == 0, out.output
    payload: dict[str, Any] = json.loads(out.stdout)
    return payload


def test_quorum_run_ledgers_every_call_with_its_ids_and_joins_spend_to_trades(
    loopback: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(loopback, tmp_path, monkeypatch)
    # the debate model (asked sequentially): a 500 and the retry, prose and its repair,
    # then a call and its retry fail and the offline analyst falls in; then healthy
    loopback.set(
        "beta",
        statuses=[500, 200, 200, 500, 500],
        contents=[GOOD_ANSWER, "Bullish!", GOOD_ANSWER],
    )
    args = ["run", "--steps", "6", "--symbols", "BTC/USDT,ETH/USDT", "--json"]
    before = _approved_spend()
    result = runner.invoke(main_app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    db = tmp_path / summary["database"].removeprefix("sqlite:///")
    engine = create_engine_for(f"sqlite:///{db}")

    rows = assert_ledger_equals_provider_log(engine, loopback, ordered=False)
    kinds = {r.call_kind for r in rows}
    assert {"call", "retry", "repair"} <= kinds, kinds
    everything = recent_calls(engine, 10_000)
    assert summary["llm"]["calls"] == len(everything)
    assert {r.run_id for r in everything} == {summary["run_id"]}
    assert all(r.analysis_id and r.signal_id for r in everything)
    assert any(r.provider == "quorum-local" and r.call_kind == "fallback" for r in everything)

    trades = llm_table(TRADES_TABLE)
    with engine.connect() as conn:
        traded = set(conn.execute(select(trades.c.signal_id)).scalars())
    from quorum.llm.ledger import spend_per_outcome

    by_trade = _spend(db, "trade")
    joined = {r.signal_id: 0 for r in everything if r.signal_id in traded}
    assert len(by_trade["rows"]) == len(joined)
    outcome = spend_per_outcome(engine)
    assert outcome.trades == len(traded)
    expected = sum((r.cost_usd for r in everything if r.signal_id in traded), start=0)
    assert outcome.trades_usd == expected
    assert outcome.trades > 0, "the scripted run opens trades"
    per_trade = sum((Decimal(r["cost_usd"]) for r in by_trade["rows"]), start=Decimal(0))
    assert per_trade == expected
    assert Decimal(by_trade["summary"]["per_trade_usd"]) == expected / outcome.trades
    assert Decimal(summary["llm"]["spend_per_trade_usd"]) == expected / outcome.trades
    spent, count = (after - was for after, was in zip(_approved_spend(), before, strict=True))
    assert count == outcome.approved_signals  # one observation per approved analysis
    assert spent == pytest.approx(float(outcome.approved_usd))
    assert _spend(db, "role")["rows"][0]["role"] == "fast"
