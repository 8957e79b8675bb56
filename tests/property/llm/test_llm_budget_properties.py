"""Hypothesis: across random call sequences no cap is ever passed.

Two levels: the budget ledgers themselves (random reserve / settle / release / time
steps, real cost never above the hold), and the whole router on litellm mock responses
(random caps, prompts, symbols and runs), where the cost ledger must stay under every cap.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before anything imports litellm

import contextlib
import itertools
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from tests.unit.llm.llm_kit import START, context, migrated_sqlite, model, request, router
from tests.unit.llm.llm_kit import settings as llm_settings

from quorum.clock import ReplayClock
from quorum.llm import (
    BudgetDenied,
    BudgetLedger,
    BudgetScope,
    MemoryBudgetLedger,
    Reservation,
    SqlBudgetLedger,
    to_nano,
)

PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_EXAMPLE = itertools.count()

operations = st.lists(
    st.one_of(
        st.tuples(st.just("reserve"), st.integers(1, 400), st.sets(st.integers(0, 2), min_size=1)),
        st.tuples(st.just("settle"), st.integers(0, 50), st.floats(0.0, 1.0)),
        st.tuples(st.just("wait"), st.integers(1, 90), st.just(0.0)),
    ),
    min_size=1,
    max_size=40,
)
caps = st.lists(st.integers(50, 1500), min_size=3, max_size=3)


@pytest.fixture(scope="module")
def sql_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return migrated_sqlite(Path(tmp_path_factory.mktemp("llm-budget")) / "b.db")


def _run(ledger: BudgetLedger, cap_list: list[int], ops: list[tuple[str, int, object]]) -> None:
    tag = next(_EXAMPLE)
    scopes = [BudgetScope(f"s{i}:{tag}", cap, 3600) for i, cap in enumerate(cap_list)]
    clock = ReplayClock(START)
    live: list[Reservation] = []
    spent = defaultdict(int)
    for op, number, extra in ops:
        if op == "reserve":
            chosen = [scopes[i] for i in sorted(extra)]  # type: ignore[union-attr]
            with contextlib.suppress(BudgetDenied):
                live.append(ledger.reserve(chosen, number, clock.now(), 60))
        elif op == "settle" and live:
            held = live.pop(number % len(live))
            actual = int(held.amount_nano * float(extra))  # type: ignore[arg-type]
            ledger.settle(held, actual, clock.now())
            for scope in held.scopes:
                spent[scope.key] += actual
        elif op == "wait":
            clock.advance(timedelta(seconds=number))
        for scope in scopes:
            assert ledger.spent_nano(scope.key) == spent[scope.key]
            assert spent[scope.key] <= scope.cap_nano, f"{scope.key} passed its cap"


@PROPERTY
@given(cap_list=caps, ops=operations)
def test_the_memory_ledger_never_passes_a_cap(cap_list: list[int], ops: list) -> None:  # type: ignore[type-arg]
    _run(MemoryBudgetLedger(), cap_list, ops)


@PROPERTY
@given(cap_list=caps, ops=operations)
def test_the_sql_ledger_never_passes_a_cap(
    sql_engine: Engine,
    cap_list: list[int],
    ops: list,  # type: ignore[type-arg]
) -> None:
    _run(SqlBudgetLedger(sql_engine), cap_list, ops)


calls = st.lists(
    st.tuples(
        st.sampled_from(["BTC/USDT", "ETH/USDT", "SOL/USDT"]),
        st.sampled_from(["run-a", "run-b"]),
        st.integers(60, 400),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    day=st.decimals(Decimal("0.0005"), Decimal("0.01"), places=4),
    run=st.decimals(Decimal("0.0003"), Decimal("0.006"), places=4),
    symbol=st.decimals(Decimal("0.0002"), Decimal("0.004"), places=4),
    sequence=calls,
)
def test_the_router_never_spends_past_any_cap(
    day: Decimal, run: Decimal, symbol: Decimal, sequence: list[tuple[str, str, int]]
) -> None:
    budget = MemoryBudgetLedger()
    s = llm_settings(
        [
            model("best", accuracy=0.9, litellm_model="openai/gpt-4o"),
            model("cheap", accuracy=0.6, litellm_model="openai/gpt-4o-mini"),
        ],
        budget={"per_day_usd": str(day), "per_run_usd": str(run), "per_symbol_usd": str(symbol)},
        cache={"backend": "none"},
    )
    r = router(s, budget=budget)
    by_run: dict[str, Decimal] = defaultdict(Decimal)
    by_symbol: dict[str, Decimal] = defaultdict(Decimal)
    total = Decimal(0)
    for sym, run_id, max_out in sequence:
        result = r.complete(
            request(symbol=sym, run_id=run_id, ctx=context(sym), max_output_tokens=max_out)
        )
        assert result.output is not None  # degraded to offline, never failed
        total += result.cost_usd
        by_run[run_id] += result.cost_usd
        by_symbol[sym] += result.cost_usd

    assert total <= day
    assert all(spent <= run for spent in by_run.values())
    assert all(spent <= symbol for spent in by_symbol.values())
    assert budget.spent_nano("day:2025-03-01") == to_nano(total)
