"""The one decision-commit path: a proposed entry signal and its risk decision become a
stored signal row, and — when approved — a stored intent, a pending trade and the rules
state's order record, all in the caller's transaction (the one that claims the task key).

Used by the ``analyze`` task (LangGraph agents) and by every rule strategy
(:mod:`quorum.pipeline.rules_task`): whatever proposed the signal, what it commits, how
its ids are derived and how it is journaled are the same. The commit re-reads the account
(:func:`~quorum.pipeline.accounting.account_now`: positions, working entries, equity, trade
statistics) and the rules state in its own transaction; when either differs from the
decision's snapshot (another worker stored or filled an order, or moved the state since
``seen_version``), the decision is taken again on the current ones through the same risk
gate before anything is stored.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sqlalchemy.orm import Session

from quorum.domain import (
    Direction,
    JournalKind,
    OrderIntent,
    OrderLeg,
    OrderType,
    RiskDecision,
    Signal,
    format_time,
)
from quorum.pipeline.accounting import account_now, commit_rules, correlations, rules_state
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.persistence import Trade, insert_signal, insert_trade
from quorum.risk import MarketInfo, PreparedPortfolio, evaluate, prepare_portfolio, record_order

BPS = Decimal(10000)


def signal_id(key: str) -> str:
    """The stored signal's id, derived from the decision's task key."""
    return "s" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:31]


def commit_decision(
    deps: PipelineDeps,
    session: Session,
    key: str,
    signal: Signal,
    decision: RiskDecision | None,
    account: PreparedPortfolio,
    market: MarketInfo,
    seen_version: int,
    *,
    journal: bool = False,
) -> JSON:
    """Commit ``signal`` under ``key`` (see module doc); returns the task result.

    ``decision`` is the risk gate's verdict on ``account`` and the rules state at
    ``seen_version`` (None: not decided yet); it is re-evaluated against the current
    account and state when either moved (the account is re-read here, its symbol marked at
    ``market.reference_price`` as the snapshot was). The final
    signal and decision are journaled (kind ``signal``) in this transaction when
    ``journal`` is set (a rule strategy: nothing journaled them yet) or when the decision
    was taken again here (the graph journaled the earlier one).
    """
    state, version = rules_state(deps, session)
    current = account_now(deps, session, signal.as_of, {market.symbol: market.reference_price})
    moved = current != account.portfolio
    again = decision is None or version != seen_version or moved
    if decision is None or again:
        if moved:
            held = {e.symbol for e in current.exposures}
            if held - set(market.correlations) - {market.symbol}:
                market = market.model_copy(
                    update={"correlations": correlations(deps, market.symbol, held, signal.as_of)}
                )
        if moved or version != seen_version:
            account = prepare_portfolio(current, deps.risk, (market,), state)
        decision = evaluate(signal, account, market, state, signal.as_of, deps.risk)
    if journal or again:
        deps.journal.append(
            session,
            JournalKind.SIGNAL,
            {
                "signal": signal.model_dump(mode="json"),
                "decision": decision.model_dump(mode="json"),
                **({"re_evaluated": True} if again and not journal else {}),
            },
            actor=deps.settings.actor,
            run_id=deps.run_id,
        )
    sid = signal_id(key)
    cid = None
    status = "approved" if decision.approved else "rejected"
    reason = decision.reason
    if decision.approved:
        intent = entry_intent(deps, signal, decision, market)
        stored = deps.execution.store_intent(session, intent, decision)
        if stored.status == "refused":
            status, reason = "refused", stored.reason
        else:
            cid = intent.client_order_id
            update = record_order(state, cid, deps.clock.now(), deps.risk)
            commit_rules(deps, session, update, version, deps.run_id)
            venue = stored.order.venue if stored.order is not None else deps.trading_mode
            insert_trade(session, pending_trade(signal, cid, sid, venue, deps.run_id))
    insert_signal(
        session,
        signal_row(deps.run_id, sid, key, signal, decision, status, reason, cid, deps.clock.now()),
    )
    return {
        "symbol": signal.symbol,
        "as_of": format_time(signal.as_of),
        "key": key,
        "status": status,
        "signal_id": sid,
        "direction": signal.direction.value,
        "timeframe": signal.timeframe.value,
        "quantity": str(decision.quantity),
        "reason": reason,
        "rule": failed_rule(decision),
        "client_order_id": cid,
        "score": None if signal.score is None else signal.score.score,
    }


def failed_rule(decision: RiskDecision) -> str | None:
    failed = [c.rule for c in decision.checks if not c.passed]
    return failed[-1] if failed else None


def entry_intent(
    deps: PipelineDeps, signal: Signal, decision: RiskDecision, market: MarketInfo
) -> OrderIntent:
    """The entry order an approved signal sends (its client id derived from the signal): a
    marketable LIMIT at :func:`entry_limit_price` (a MARKET order when
    ``execution.entry_protection_bps`` is None)."""
    bps = deps.execution.settings.entry_protection_bps
    limit = None if bps is None else entry_limit_price(signal.direction, market, bps)
    return OrderIntent(
        run_id=deps.run_id,
        strategy=deps.settings.strategy,
        symbol=signal.symbol,
        signal_time=signal.as_of,
        side=signal.direction.entry_side,
        leg=OrderLeg.ENTRY,
        order_type=OrderType.MARKET if limit is None else OrderType.LIMIT,
        price=limit,
        quantity=decision.quantity,
    )


def entry_limit_price(direction: Direction, market: MarketInfo, bps: Decimal) -> Decimal:
    """The venue's last price (``market.reference_price``) moved against the order by
    ``execution.entry_protection_bps`` — a buy at ``last·(1+band)``, a sell at
    ``last·(1−band)`` — on the market's price tick, rounded towards the last price (the
    fill never pays more than the band)."""
    band = bps / BPS
    last = market.reference_price
    long = direction is Direction.LONG
    raw = last * (1 + band) if long else last * (1 - band)
    tick = market.price_tick
    steps = (raw / tick).to_integral_value(rounding=ROUND_FLOOR if long else ROUND_CEILING)
    return max(steps * tick, tick)


def pending_trade(signal: Signal, cid: str, sid: str, venue: str, run_id: str) -> Trade:
    """The trade row an approved signal opens (pending until its entry fills)."""
    return Trade(
        trade_id=cid,
        run_id=run_id,
        venue=venue,
        symbol=signal.symbol,
        direction=signal.direction.value,
        signal_id=sid,
        state="pending",
        stop=signal.stop_loss,
        initial_stop=signal.stop_loss,
        take_profit=signal.take_profit,
        best_price=None,
        exit_orders=(),
        pnl=None,
        r_multiple=None,
        learned=False,
        opened_at=signal.as_of,
        closed_at=None,
        version=1,
    )


def signal_row(
    run_id: str,
    sid: str,
    key: str,
    signal: Signal,
    decision: RiskDecision,
    status: str,
    reason: str,
    cid: str | None,
    now: datetime,
) -> dict[str, object]:
    """The stored signal with its score breakdown, explanation and risk verdict."""
    score = signal.score
    components = [] if score is None else [c.model_dump(mode="json") for c in score.components]
    return {
        "signal_id": sid,
        "run_id": run_id,
        "task_key": key,
        "symbol": signal.symbol,
        "timeframe": signal.timeframe.value,
        "as_of": format_time(signal.as_of),
        "direction": signal.direction.value,
        "entry": str(signal.entry),
        "stop_loss": str(signal.stop_loss),
        "take_profit": None if signal.take_profit is None else str(signal.take_profit),
        "confidence": signal.confidence,
        "score": None if score is None else score.score,
        "probability": None if score is None else score.probability,
        "components": json.dumps(components),
        "explanation": signal.explanation,
        "verdict": status,
        "quantity": str(decision.quantity),
        "reason": reason,
        "client_order_id": cid,
        "created_at": format_time(now),
    }
