"""Read endpoints against a real temporary SQLite database: orders and positions through
the paper venue, signals from a real analyze run, the LLM ledger, status and metrics."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from tests.unit.api.api_kit import SYMBOL, ApiEnv, api_env

from quorum.domain import OrderState, Side


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    with pytest.MonkeyPatch.context() as mp, api_env(tmp_path_factory.mktemp("reads"), mp) as e:
        e.filled_order(1, quantity=Decimal("0.5"))
        e.filled_order(2, quantity=Decimal("0.2"), side=Side.SELL)
        e.ledger("technical", "gpt-x", "2025-01-01", "0.25")
        e.ledger("technical", "gpt-x", "2025-01-02", "0.50")
        e.ledger("debate", "claude-y", "2025-01-02", "1.00", tokens=400)
        yield e


def test_positions_show_the_net_position_the_paper_fills_left(env: ApiEnv) -> None:
    response = env.get("/positions")

    assert response.status_code == 200
    [position] = response.json()
    assert position["venue"] == "paper"
    assert position["symbol"] == SYMBOL
    assert position["direction"] == "long"
    assert position["quantity"] == "0.3"  # bought 0.5 at the ask, sold 0.2 at the bid
    assert position["average_entry"] == "100.5"
    assert env.get("/positions", params={"venue": "elsewhere"}).json() == []


def test_orders_list_every_order_and_filter_by_state(env: ApiEnv) -> None:
    orders = env.get("/orders").json()
    stored = env.pipeline.deps.execution.orders()

    assert [o["client_order_id"] for o in orders] == [o.client_order_id for o in stored]
    assert [(o["side"], o["state"], o["filled_quantity"]) for o in orders] == [
        ("buy", "filled", "0.5"),
        ("sell", "filled", "0.2"),
    ]
    assert orders[0]["average_price"] == "100.5"
    assert orders[1]["average_price"] == "99.5"
    filled = env.get("/orders", params={"state": ["filled", "new"], "limit": 1}).json()
    assert len(filled) == 1
    assert env.get("/orders", params={"state": OrderState.ACKNOWLEDGED.value}).json() == []


def test_an_unknown_order_state_is_422_naming_the_parameter(env: ApiEnv) -> None:
    response = env.get("/orders", params={"state": "teleported"})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "state", 0]
    assert "filled" in error["msg"]


def test_a_limit_out_of_range_is_422_naming_the_parameter(env: ApiEnv) -> None:
    response = env.get("/orders", params={"limit": 0})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_signals_carry_their_explanation_and_score_components(env: ApiEnv) -> None:
    result = env.pipeline.analyze(SYMBOL, "2025-01-01T04:00:00+00:00", "1h")

    signals = env.get("/signals").json()

    [signal] = [s for s in signals if s["signal_id"] == result["signal_id"]]
    assert signal["symbol"] == SYMBOL
    assert signal["verdict"] == result["status"]
    assert signal["explanation"]
    assert signal["components"]
    assert {"name", "value", "weight", "contribution"} <= set(signal["components"][0])
    stored = env.pipeline.signals()
    assert [s["signal_id"] for s in signals] == [s.signal_id for s in stored]


def test_signals_since_a_later_time_are_empty_and_a_naive_time_is_422(env: ApiEnv) -> None:
    later = env.get("/signals", params={"since": "2999-01-01T00:00:00Z"})
    naive = env.get("/signals", params={"since": "2025-01-01T00:00:00"})

    assert later.json() == []
    assert naive.status_code == 422
    assert naive.json()["detail"][0]["loc"] == ["query", "since"]


def test_llm_spend_sums_the_cost_ledger_by_model_node_and_day(env: ApiEnv) -> None:
    by_model = env.get("/llm/spend").json()
    by_node = env.get("/llm/spend", params={"by": "node", "since": "2025-01-02"}).json()
    by_day = env.get("/llm/spend", params={"by": "day"}).json()

    models = {r["key"]: r for r in by_model["rows"]}
    assert models["claude-y"]["cost_usd"] == "1"
    assert models["gpt-x"]["cost_usd"] == "0.75"
    assert models["gpt-x"]["calls"] == 2
    assert models["claude-y"]["input_tokens"] == 400
    assert Decimal(by_model["total_usd"]) >= Decimal("1.75")
    nodes = {r["key"]: r["cost_usd"] for r in by_node["rows"]}
    # the analyze test may add offline rows of today; 2025-01-01's technical row is out
    assert (nodes["debate"], nodes["technical"]) == ("1", "0.5")
    assert by_node["since"] == "2025-01-02"
    days = [r["key"] for r in by_day["rows"]]
    assert days[:2] == ["2025-01-01", "2025-01-02"]


def test_llm_spend_refuses_an_unknown_grouping_or_a_bad_day_naming_the_parameter(
    env: ApiEnv,
) -> None:
    grouping = env.get("/llm/spend", params={"by": "colour"})
    day = env.get("/llm/spend", params={"since": "yesterday"})

    assert (grouping.status_code, day.status_code) == (422, 422)
    assert grouping.json()["detail"][0]["loc"] == ["query", "by"]
    assert day.json()["detail"][0]["loc"] == ["query", "since"]


def test_status_reports_positions_pnl_and_the_kill_switch(env: ApiEnv) -> None:
    status = env.get("/status").json()

    assert status["trading_mode"] == "paper"
    assert status["kill_switch"]["engaged"] is False
    assert [(p["symbol"], p["quantity"]) for p in status["positions"]] == [(SYMBOL, "0.3")]
    assert set(status["pnl"]) == {"realized_today", "unrealized", "day_start_equity", "equity"}


def test_metrics_expose_the_default_prometheus_registry(env: ApiEnv) -> None:
    response = env.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    assert "python_info{" in response.text
    assert env.client.get("/metrics").status_code == 401
