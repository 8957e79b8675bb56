"""Closed trades teach the router and the score which model to trust (#21 item 1).

The pipeline's task bodies (``make_kit``: the composition root's ``build_pipeline``) over a
loopback OpenAI-compatible provider serving two paid models. Seeded outcomes — closed
trades whose stored opinions came from ``alpha`` (always wrong) and ``beta`` (always
right) — go through the ``refresh`` task; the next analysis then asks ``beta`` first
(``accuracy_first`` reads ``llm_model_scores``) and weighs its opinions by the learned
accuracy instead of the 0.5 every model had before.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.integration.llm.llm_loopback import Loopback, http_model
from tests.unit.llm.llm_kit import TEST_KEY_VARIABLE
from tests.unit.pipeline.kit import Kit, make_kit

from quorum.domain import AgentOpinion, Bias, format_time
from quorum.pipeline.opinions import store_opinions
from quorum.pipeline.persistence import Trade, insert_trade
from quorum.store import session_scope

ROLES = dict.fromkeys(("technical", "patterns", "regime", "bull", "bear"), "fast")
PRIOR = {"min_samples": 4, "window": 50, "prior": 0.5, "strength": 2.0}
SHARE = 0.35
CONFIDENCE = 0.7  # the loopback's default answer


def _kit(loopback: Loopback, agents: dict[str, Any] | None = None) -> Kit:
    def entry(name: str, accuracy: float) -> dict[str, Any]:
        return http_model(loopback, name, accuracy)

    llm = {
        "models": [entry("alpha", 0.9), entry("beta", 0.8)],
        "num_retries": 0,
        "budget": {"backend": "memory", "per_day_usd": "5"},
        "cache": {"backend": "none"},
    }
    sections = {
        "llm": llm,
        "agents": {"roles": ROLES, **(agents or {})},
        "scoring": {"llm_share": SHARE, "accuracy": PRIOR},
    }
    kit = make_kit(sections=sections, pipeline={"symbols": ("BTC/USDT", "ETH/USDT")})
    kit.runtime.flags.set("llm.allow_paid", True, "alice", "loopback models")
    return kit


def _seed(kit: Kit, model_name: str, right: bool, count: int, agent: str = "technical") -> None:
    """``count`` closed long trades whose ``agent`` opinion came from ``model_name``:
    bullish on losers (wrong) or bearish on losers (right)."""
    deps = kit.tasks.deps
    at = kit.clock.now() - timedelta(days=2)
    with session_scope(deps.engine) as session:
        for i in range(count):
            sid = f"seed-{model_name}-{agent}-{i}"
            opinion = AgentOpinion(
                agent=agent,
                symbol="BTC/USDT",
                as_of=at,
                stance=Bias.BEARISH if right else Bias.BULLISH,
                confidence=0.9,
                model=model_name,
                prompt_version=f"{agent}@seed",
            )
            store_opinions(session, deps.run_id, sid, [opinion], ROLES)
            insert_trade(
                session,
                Trade(
                    trade_id=f"t-{sid}",
                    run_id=deps.run_id,
                    venue="paper",
                    symbol="SOL/USDT",
                    direction="long",
                    signal_id=sid,
                    state="closed",
                    stop=Decimal(90),
                    initial_stop=Decimal(90),
                    take_profit=None,
                    best_price=None,
                    exit_orders=(),
                    pnl=Decimal(-10),
                    r_multiple=-1.0,
                    learned=False,
                    opened_at=at + timedelta(minutes=i),
                    closed_at=at + timedelta(minutes=i, seconds=30),
                    version=1,
                ),
            )


def _models_by_agent(kit: Kit, signal_id: str) -> dict[str, str]:
    with kit.runtime.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT agent, model FROM pipeline_signal_opinions WHERE signal_id = :s"),
            {"s": signal_id},
        ).all()
    return {str(a): str(m) for a, m in rows}


def _llm_share(kit: Kit, signal_id: str) -> tuple[float, list[str]]:
    """The stored signal's LLM weight over its scan weight, and its opinions' models."""
    with kit.runtime.engine.connect() as conn:
        components = json.loads(
            conn.execute(
                text("SELECT components FROM pipeline_signals WHERE signal_id = :s"),
                {"s": signal_id},
            ).scalar_one()
        )
        models = [
            str(m)
            for (m,) in conn.execute(
                text("SELECT model FROM pipeline_signal_opinions WHERE signal_id = :s"),
                {"s": signal_id},
            )
        ]
    llm = sum(c["weight"] for c in components if c["name"].startswith("llm:"))
    scan = sum(c["weight"] for c in components if not c["name"].startswith("llm:"))
    return llm / scan, models


def test_learned_accuracy_reorders_the_router_and_reweighs_the_opinions(
    loopback: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(TEST_KEY_VARIABLE, "sk-test")  # pragma: allowlist secret
    kit = _kit(loopback)
    try:
        as_of = format_time(kit.clock.now().replace(second=0))
        before = kit.tasks.analyze("BTC/USDT", as_of, "15m")
        assert before.get("signal_id"), before
        assert set(loopback.hit_models()) == {"alpha"}  # the registry's 0.9 beats 0.8
        share, models = _llm_share(kit, str(before["signal_id"]))
        assert set(models) == {"alpha"}
        # every opinion at the default accuracy 0.5
        assert share == pytest.approx(SHARE / (1 - SHARE) * CONFIDENCE * 0.5)

        _seed(kit, "alpha", right=False, count=4)
        _seed(kit, "beta", right=True, count=4)
        refreshed = kit.tasks.refresh()
        alpha, beta = 1 / 6, 5 / 6  # (0 + 2 × 0.5) / (4 + 2) and (4 + 1) / (4 + 2)
        assert refreshed["accuracy"]["alpha"] == pytest.approx(alpha, abs=1e-4)
        assert refreshed["accuracy"]["beta#technical"] == pytest.approx(beta, abs=1e-4)
        with kit.runtime.engine.connect() as conn:
            scores = dict(conn.execute(text("SELECT model, accuracy FROM llm_model_scores")).all())
        assert scores == {
            "alpha": pytest.approx(alpha),
            "beta": pytest.approx(beta),
            "alpha#technical": pytest.approx(alpha),
            "beta#technical": pytest.approx(beta),
        }

        loopback.hits.clear()
        after = kit.tasks.analyze("ETH/USDT", as_of, "15m")
        assert after.get("signal_id"), after
        assert set(loopback.hit_models()) == {"beta"}
        share, models = _llm_share(kit, str(after["signal_id"]))
        assert set(models) == {"beta"}
        assert share == pytest.approx(SHARE / (1 - SHARE) * CONFIDENCE * beta)
    finally:
        kit.close()


@pytest.mark.parametrize(
    ("agents", "status"), [({}, "no_trade"), ({"min_opinions": 0}, "approved")]
)
def test_with_a_paid_model_an_entry_needs_two_valid_opinions_by_default(
    loopback: Loopback,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    agents: dict[str, Any],
    status: str,
) -> None:
    """Every call fails (HTTP 500, no offline fallback): the analysis has no opinion at all.
    Before ``agents.min_opinions`` the quantitative score alone proposed the entry."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(TEST_KEY_VARIABLE, "sk-test")  # pragma: allowlist secret
    loopback.set("alpha", status=500)
    loopback.set("beta", status=500)
    kit = _kit(loopback, agents)
    try:
        as_of = format_time(kit.clock.now().replace(second=0))
        result = kit.tasks.analyze("BTC/USDT", as_of, "15m")
        assert loopback.hits, "the models were asked"
        assert result["status"] == status, result
        if status == "no_trade":
            assert "0 valid opinion(s), agents.min_opinions needs 2" in str(result["reason"])
    finally:
        kit.close()


def test_the_router_ranks_models_per_role_once_a_role_has_a_record(
    loopback: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """alpha (registry 0.9) reads charts well and argues badly: right four times as the
    technical analyst, wrong four times as the bull. After ``refresh`` the technical node
    still asks alpha first (5/6 > beta's 0.8), the bull asks beta (alpha#bull 1/6), and the
    other nodes use alpha's pooled 0.5 < 0.8."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(TEST_KEY_VARIABLE, "sk-test")  # pragma: allowlist secret
    kit = _kit(loopback)
    try:
        _seed(kit, "alpha", right=True, count=4, agent="technical")
        _seed(kit, "alpha", right=False, count=4, agent="bull")
        refreshed = kit.tasks.refresh()
        assert refreshed["accuracy"]["alpha"] == pytest.approx(0.5)
        as_of = format_time(kit.clock.now().replace(second=0))
        result = kit.tasks.analyze("BTC/USDT", as_of, "15m")
        assert result.get("signal_id"), result
        models = _models_by_agent(kit, str(result["signal_id"]))
        assert models == {
            "technical": "alpha",
            "patterns": "beta",
            "regime": "beta",
            "bull": "beta",
            "bear": "beta",
        }
    finally:
        kit.close()
