"""The outbox: an approved intent is stored once per derived client id, in the caller's
transaction, journaled; refusals and duplicates are values with a journaled reason."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.unit.execution.execution_kit import SYMBOL, T0, approve, intent_at, make_env

from quorum.domain import JournalKind, OrderState, RiskDecision, RuleCheck, Verdict
from quorum.execution import ExecutionSettings, MarketLimits
from quorum.execution.repo import ORDERS
from quorum.store import session_scope
from quorum.testing import make_order_intent


def _order_count(env: Any) -> int:
    with env.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ORDERS)).scalar_one())


def test_storing_an_intent_writes_one_new_order_and_its_intent_entry(tmp_path: Path) -> None:
    env = make_env(tmp_path)

    outcome = env.store(**intent_at(1))

    assert outcome.status == "stored"
    assert outcome.order is not None
    assert outcome.order.state is OrderState.NEW
    assert outcome.order.client_order_id == make_order_intent(**intent_at(1)).client_order_id
    entries = env.journal.read(kinds=[JournalKind.INTENT])
    assert entries[-1].payload["status"] == "stored"
    assert env.venue.stats.submits == 0  # storing never sends


def test_storing_the_same_intent_twice_returns_the_existing_record(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    first = env.store(**intent_at(1))

    second = env.store(**intent_at(1))

    assert second.status == "duplicate"
    assert second.order == first.order
    assert _order_count(env) == 1
    assert "duplicate intent" in env.journal.read(kinds=[JournalKind.INTENT])[-1].payload["reason"]


def test_the_unique_constraint_not_a_lookup_decides_a_concurrent_duplicate(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    intent = make_order_intent(**intent_at(1))
    env.store(**intent_at(1))
    # a writer that did not see the row (stale read) still cannot insert a second one
    from quorum.execution import repo
    from quorum.execution.records import ExecOrder

    with session_scope(env.engine) as session:
        inserted = repo.insert_order(session, ExecOrder.from_intent(intent, "paper", T0))

    assert inserted is False
    assert _order_count(env) == 1


def test_the_intent_commits_or_rolls_back_with_the_callers_risk_decision(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    intent = make_order_intent(**intent_at(1))
    decision = approve(intent)

    def approve_then_fail() -> None:
        with session_scope(env.engine) as session:
            env.journal.append(session, JournalKind.RISK_DECISION, {"verdict": "ok"}, "risk")
            env.service.store_intent(session, intent, decision)
            raise RuntimeError("the caller's transaction fails after the risk approval")

    with pytest.raises(RuntimeError):
        approve_then_fail()

    assert _order_count(env) == 0
    assert env.journal.read(kinds=[JournalKind.RISK_DECISION]) == []
    with session_scope(env.engine) as session:
        env.journal.append(session, JournalKind.RISK_DECISION, {"verdict": "approved"}, "risk")
        env.service.store_intent(session, intent, decision)
    kinds = [e.kind for e in env.journal.read()][-2:]
    assert kinds == [JournalKind.RISK_DECISION, JournalKind.INTENT]
    assert _order_count(env) == 1


def test_a_rejected_risk_decision_or_a_larger_quantity_is_refused(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    intent = make_order_intent(**intent_at(1))
    rejected = RiskDecision(
        symbol=SYMBOL,
        as_of=T0,
        verdict=Verdict.REJECTED,
        quantity=Decimal(0),
        checks=(RuleCheck(rule="kill_switch", passed=False),),
        reason="kill switch",
    )
    with session_scope(env.engine) as session:
        refused = env.service.store_intent(session, intent, rejected)
        smaller = env.service.store_intent(session, intent, approve(intent, Decimal("0.1")))

    assert refused.status == smaller.status == "refused"
    assert "rejected" in refused.reason
    assert "exceeds the approved quantity" in smaller.reason
    assert _order_count(env) == 0


FUZZ_MARKETS = {
    SYMBOL: MarketLimits(
        symbol=SYMBOL,
        max_quantity=Decimal(10),
        reference_price=Decimal(100),
        collar_fraction=Decimal("0.05"),
    )
}

_BAD_NUMBERS = st.sampled_from(
    [math.nan, math.inf, -math.inf, "NaN", "Infinity", "-1", "0", -5.0, "abc", None]
)


@st.composite
def _bad_intents(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    i = draw(st.integers(0, 10_000))
    base: dict[str, Any] = {**intent_at(i), "run_id": "run-1", "strategy": "s", "symbol": SYMBOL}
    base.update(side="buy", leg="entry", order_type="market", quantity=Decimal("0.5"))
    kind = draw(st.sampled_from(["number", "symbol", "size", "collar"]))
    if kind == "number":
        field = draw(st.sampled_from(["quantity", "price", "stop_price"]))
        base[field] = draw(_BAD_NUMBERS)
        if field == "price":
            base["order_type"] = "limit"
        elif field == "stop_price":
            base["order_type"] = "stop"
        return base, "invalid intent"
    if kind == "symbol":
        base["symbol"] = draw(st.sampled_from(["ETH/USDT", "DOGE/BTC", "XRP/EUR"]))
        return base, "not a known market"
    if kind == "size":
        base["quantity"] = draw(
            st.decimals(min_value=Decimal("10.01"), max_value=Decimal(10**6), places=2)
        )
        return base, "above the maximum"
    base["order_type"] = "limit"
    base["price"] = draw(
        st.one_of(
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("94.99"), places=2),
            st.decimals(min_value=Decimal("105.01"), max_value=Decimal(10**5), places=2),
        )
    )
    return base, "collar"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=_bad_intents())
def test_pre_trade_fuzz_refuses_before_any_network_call_and_journals_the_reason(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[dict[str, Any], str]
) -> None:
    raw, expected = case
    env = _FUZZ_ENV.get("env")
    if env is None:
        env = make_env(
            tmp_path_factory.mktemp("fuzz"), settings=ExecutionSettings(markets=FUZZ_MARKETS)
        )
        _FUZZ_ENV["env"] = env
    decision = approve(make_order_intent(**intent_at(0)), Decimal(10**7))
    before = env.venue.stats.submits

    with session_scope(env.engine) as session:
        outcome = env.service.store_intent(session, raw, decision.evolve(symbol=raw["symbol"]))  # type: ignore[arg-type]

    assert outcome.status == "refused"
    assert expected in outcome.reason
    entry = env.journal.read(kinds=[JournalKind.INTENT], newest_first=True, limit=1)[0]
    assert entry.payload["status"] == "refused"
    assert expected in entry.payload["reason"]
    assert env.venue.stats.submits == before
    assert _order_count(env) == 0


_FUZZ_ENV: dict[str, Any] = {}


def test_kill_switch_refuses_new_entries_at_store_time(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    env.service.engage_kill_switch("alice", "drill")

    outcome = env.store(**intent_at(1))

    assert outcome.status == "refused"
    assert "kill switch" in outcome.reason


def test_the_trading_mode_at_store_time_fixes_the_venue_of_an_intent(tmp_path: Path) -> None:
    mode = {"value": "paper"}
    env = make_env(tmp_path, mode=lambda: mode["value"])
    first = env.stored(**intent_at(1))
    mode["value"] = "live"

    second = env.store(**intent_at(2))

    assert first.venue == "paper"
    assert second.status == "refused"  # no live broker configured: never falls back to paper
    assert "no live broker" in second.reason
    assert env.service.order(first.client_order_id).venue == "paper"
