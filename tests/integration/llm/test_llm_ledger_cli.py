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


def _configure(loopback: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deployment whose `fast` role is one paid model on the loopback server."""
    config = tmp_path / "quorum.yaml"
    config.write_text(
        "llm:\n"
        "  num_retries: 1\n"
        "  allowed_fails: 5\n"
        "  offline: {fallback: true}\n"
        "  budget: {backend: memory}\n"
        "  models:\n"
        "    - name: alpha\n"
        "      role: fast\n"
        "      model: openai/alpha\n"
        f"      api_base: {loopback.base_url}\n"
        f"      key_ref: env:{KEY}\n"
        "      price: {input_per_mtok: '1.00', output_per_mtok: '4.00'}\n"
        "      context_window: 128000\n"
        "      max_output_tokens: 400\n"
        "      accuracy: 0.7\n"
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
    # technical: a 500 then the retry; patterns: prose, then the repair; regime: two 500s
    # (litellm's retry fails too) and the offline analyst falls in; then healthy.
    loopback.set(
        "alpha",
        statuses=[500, 200, 200, 200, 500, 500],
        contents=[GOOD_ANSWER, GOOD_ANSWER, "Bullish, clearly.", GOOD_ANSWER],
    )
    args = ["analyze", "BTC/USDT", "--as-of", "2025-01-19T00:00:00Z", "--configured-models"]
    result = runner.invoke(_analyze_app(), [*args, "--json"])
    assert result.exit_code == 0, result.output

    engine = create_engine_for(f"sqlite:///{tmp_path / 'var' / 'quorum.db'}")
    rows = assert_ledger_equals_provider_log(engine, loopback, ordered=False)
    kinds = [r.call_kind for r in rows]
    assert {"retry", "repair"} <= set(kinds), kinds
    everything = recent_calls(engine, 1000)
    assert any(r.provider == "quorum-local" and r.call_kind == "fallback" for r in everything)
    assert len({r.analysis_id for r in everything}) == 1
    assert everything[0].analysis_id is not None
    assert everything[0].analysis_id.startswith(everything[0].run_id or "-")
    outcome = json.loads(result.stdout)
    spent = sum(float(e["data"].get("cost_usd", 0)) for e in outcome["trace"] if e["data"])
    assert sum(float(r.cost_usd) for r in everything) == pytest.approx(spent)


def _spend(db: Path, by: str) -> dict[str, Any]:
    out = runner.invoke(llm_app, ["spend", "--by", by, "--db", f"sqlite:///{db}", "--json"])
    assert out.exit_code == 0, out.output
    payload: dict[str, Any] = json.loads(out.stdout)
    return payload


def test_quorum_run_ledgers_every_call_with_its_ids_and_joins_spend_to_trades(
    loopback: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(loopback, tmp_path, monkeypatch)
    loopback.set("alpha", statuses=[500, 200, 200, 500, 500], contents=["", "", "Bullish!"])
    args = ["run", "--steps", "6", "--symbols", "BTC/USDT,ETH/USDT", "--json"]
    result = runner.invoke(main_app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    db = tmp_path / summary["database"].removeprefix("sqlite:///")
    engine = create_engine_for(f"sqlite:///{db}")

    rows = assert_ledger_equals_provider_log(engine, loopback, ordered=False)
    assert rows, "the run asked the paid model"
    everything = recent_calls(engine, 10_000)
    assert summary["llm"]["calls"] == len(everything)
    assert {r.run_id for r in everything} == {summary["run_id"]}
    assert all(r.analysis_id and r.signal_id for r in everything)

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
    assert _spend(db, "role")["rows"][0]["role"] == "fast"
