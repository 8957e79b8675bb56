"""Budget ledgers (in-process and SQL): atomic reserve, settle, expiry, the tightest cap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from tests.unit.llm.llm_kit import START

from quorum.llm import (
    BudgetDenied,
    BudgetLedger,
    BudgetScope,
    BudgetSettings,
    MemoryBudgetLedger,
    SqlBudgetLedger,
    scopes_for,
    to_nano,
)

DAY = BudgetScope("day:2025-03-01", to_nano(Decimal("1.00")), 3600)
RUN = BudgetScope("run:r1", to_nano(Decimal("0.30")), 3600)
CENT = to_nano(Decimal("0.01"))


@pytest.fixture(params=["memory", "sql"])
def ledger(request: pytest.FixtureRequest, engine: Engine) -> BudgetLedger:
    factories: dict[str, Callable[[], BudgetLedger]] = {
        "memory": MemoryBudgetLedger,
        "sql": lambda: SqlBudgetLedger(engine),
    }
    return factories[request.param]()


def test_a_reservation_holds_until_settled_with_the_real_cost(ledger: BudgetLedger) -> None:
    held = ledger.reserve([DAY, RUN], 20 * CENT, START, 60)

    assert held.headroom_nano == (80 * CENT, 10 * CENT)
    with pytest.raises(BudgetDenied):
        ledger.reserve([DAY, RUN], 11 * CENT, START, 60)

    ledger.settle(held, 3 * CENT, START)

    assert ledger.spent_nano(DAY.key) == 3 * CENT
    assert ledger.spent_nano(RUN.key) == 3 * CENT
    ledger.reserve([DAY, RUN], 27 * CENT, START, 60)


def test_a_denial_names_the_tightest_scope_and_what_is_left(ledger: BudgetLedger) -> None:
    ledger.settle(ledger.reserve([DAY, RUN], 25 * CENT, START, 60), 25 * CENT, START)

    with pytest.raises(BudgetDenied, match=r"run:r1 \(0.3 USD; 0.050000 USD left\)") as denied:
        ledger.reserve([DAY, RUN], 6 * CENT, START, 60)

    assert denied.value.scope == "run:r1"
    assert denied.value.headroom == Decimal("0.05")


def test_an_unsettled_hold_stops_counting_after_its_ttl(ledger: BudgetLedger) -> None:
    ledger.reserve([RUN], 30 * CENT, START, 60)
    with pytest.raises(BudgetDenied):
        ledger.reserve([RUN], CENT, START + timedelta(seconds=59), 60)

    ledger.reserve([RUN], 30 * CENT, START + timedelta(seconds=60), 60)


def test_releasing_a_reservation_frees_it_without_spend(ledger: BudgetLedger) -> None:
    held = ledger.reserve([RUN], 30 * CENT, START, 60)

    ledger.settle(held, 0, START)

    assert ledger.spent_nano(RUN.key) == 0
    ledger.reserve([RUN], 30 * CENT, START, 60)


def test_a_real_cost_above_the_reservation_is_still_counted(ledger: BudgetLedger) -> None:
    held = ledger.reserve([RUN], CENT, START, 60)

    ledger.settle(held, 2 * CENT, START)

    assert ledger.spent_nano(RUN.key) == 2 * CENT


def test_scopes_cover_day_run_and_symbol_day_only_when_capped() -> None:
    capped = BudgetSettings(
        per_day_usd=Decimal(5), per_run_usd=Decimal(1), per_symbol_usd=Decimal("0.5")
    )

    keys = [s.key for s in scopes_for(capped, START, "r1", "BTC/USDT")]

    assert keys == ["day:2025-03-01", "run:r1", "symbol:BTC/USDT:2025-03-01"]
    assert [s.key for s in scopes_for(BudgetSettings(per_day_usd=None), START, "r1", "X/Y")] == []
    assert len(scopes_for(capped, START, None, None)) == 1


def test_money_rounds_up_to_the_nano_dollar() -> None:
    assert to_nano(Decimal("0.0000000001")) == 1
    assert to_nano(Decimal("1.5")) == 1_500_000_000


def test_the_embedded_default_budget_carries_spend_across_processes(engine: Engine) -> None:
    """backend auto on SQLite: an in-process ledger seeded from the cost ledger, so a
    second process on the same database sees the day's spend (and degrades when the cap
    would be passed) without a database round trip per call."""
    from tests.unit.llm.llm_kit import model, request

    from quorum.clock import ReplayClock
    from quorum.config import EnvSecrets
    from quorum.llm import LLMSettings, build_llm_router

    paid = model(
        "best", litellm_model="openai/quorum-budget-test", key_ref="env:K", price=("0.001", "10")
    )
    llm = LLMSettings.model_validate(  # worst case ~0.0040 (400 out), a real call ~0.0002
        {"models": [paid], "budget": {"per_day_usd": "0.0041"}, "num_retries": 0}
    )
    assert llm.budget.backend == "auto"

    def process() -> str:
        router = build_llm_router(
            llm, clock=ReplayClock(START), secrets=EnvSecrets({"K": "x"}), flags=None, engine=engine
        )
        assert isinstance(router.budget.ledger, MemoryBudgetLedger)
        outcome = router.complete(request(symbol="BTC/USDT")).outcome
        router.close()
        return outcome

    assert process() == "ok"  # the worst case fits; the real cost is settled
    assert process() == "budget_offline"  # the first process spent part of today's cap
