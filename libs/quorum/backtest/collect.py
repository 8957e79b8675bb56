"""Fill a :class:`BacktestResult` from what the run wrote (database rows, venue notes)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from quorum.backtest.results import SignalOutcome, Trade, TradeOpinion
from quorum.domain import Bias, Direction, parse_time
from quorum.execution import ReplayVenue
from quorum.pipeline.opinions import signal_opinions
from quorum.scoring import stance_was_right
from quorum.store.tables.execution import FILLS_TABLE, ORDERS_TABLE
from quorum.store.tables.pipeline import SIGNALS_TABLE, TRADES_TABLE

_T = SQLModel.metadata.tables
ZERO = Decimal(0)
_EXIT_REASON = {"stop": "stop_loss", "target": "take_profit", "last_close": "end_of_run"}


def closed_trades(
    engine: Engine, run_id: str, venue: ReplayVenue
) -> tuple[list[Trade], list[SignalOutcome], int]:
    """Closed round trips in exit order, the signal outcomes, and trades still open."""
    trades_t, orders, fills, signals = (
        _T[TRADES_TABLE],
        _T[ORDERS_TABLE],
        _T[FILLS_TABLE],
        _T[SIGNALS_TABLE],
    )
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(trades_t).where(trades_t.c.run_id == run_id).order_by(trades_t.c.opened_at)
            )
            .mappings()
            .all()
        )
        order_rows = conn.execute(
            select(orders.c.client_order_id, orders.c.symbol, orders.c.leg).where(
                orders.c.run_id == run_id
            )
        ).all()
        fill_rows = (
            conn.execute(
                select(fills).where(fills.c.client_order_id.in_([o[0] for o in order_rows]))
            )
            .mappings()
            .all()
        )
        signal_rows = {
            r["signal_id"]: r
            for r in conn.execute(select(signals).where(signals.c.run_id == run_id)).mappings()
        }
        opinion_rows = signal_opinions(conn, signal_rows)
    legs = {o[0]: o[2] for o in order_rows}
    by_symbol: dict[str, list[Any]] = {}
    for f in sorted(fill_rows, key=lambda f: (f["ts"], f["venue_trade_id"])):
        by_symbol.setdefault(f["symbol"], []).append(f)
    out: list[Trade] = []
    outcomes: list[SignalOutcome] = []
    still_open = 0
    for row in rows:
        if row["state"] in ("pending", "open"):
            still_open += int(row["state"] == "open")
            continue
        if row["state"] != "closed":
            continue
        opened, closed = parse_time(row["opened_at"]), parse_time(row["closed_at"])
        entry = [
            f for f in by_symbol.get(row["symbol"], []) if f["client_order_id"] == row["trade_id"]
        ]
        exits = [
            f
            for f in by_symbol.get(row["symbol"], [])
            if f["client_order_id"] != row["trade_id"]
            and opened <= parse_time(f["ts"]) <= closed
            and legs.get(f["client_order_id"]) != "entry"
        ]
        if not entry or not exits:
            continue
        qty = sum((Decimal(f["quantity"]) for f in entry), ZERO)
        notes = venue.fill_notes
        signal = signal_rows.get(row["signal_id"])
        components = json.loads(signal["components"]) if signal is not None else []
        last_exit = exits[-1]
        reason = (
            _EXIT_REASON.get(notes[last_exit["venue_trade_id"]].rule)
            if last_exit["venue_trade_id"] in notes
            else None
        )
        trade = Trade(
            symbol=row["symbol"],
            direction=Direction(row["direction"]),
            entry_time=_market_time(entry[0], notes),
            exit_time=_market_time(last_exit, notes),
            entry_price=_vwap(entry),
            exit_price=_vwap(exits),
            quantity=qty,
            fees=sum((Decimal(f["fee"]) for f in (*entry, *exits)), ZERO),
            slippage=sum(
                (
                    notes[f["venue_trade_id"]].slippage
                    for f in (*entry, *exits)
                    if f["venue_trade_id"] in notes
                ),
                ZERO,
            ),
            pnl=Decimal(row["pnl"]),
            r_multiple=row["r_multiple"],
            patterns=_patterns(components),
            analysts=_analysts(components),
            models=tuple(sorted({str(o["model"]) for o in opinion_rows.get(row["signal_id"], [])})),
            confidence=None if signal is None else signal["confidence"],
            exit_reason=reason or legs.get(last_exit["client_order_id"]),
            opinions=_opinions(
                opinion_rows.get(row["signal_id"], []), Direction(row["direction"]), row["pnl"]
            ),
        )
        out.append(trade)
        if signal is not None and signal["probability"] is not None:
            outcomes.append(
                SignalOutcome(
                    time=parse_time(signal["as_of"]),
                    symbol=row["symbol"],
                    probability=float(signal["probability"]),
                    outcome=trade.pnl > 0,
                )
            )
    out.sort(key=lambda t: (t.exit_time, t.symbol, t.entry_time))
    outcomes.sort(key=lambda s: (s.time, s.symbol))
    return out, outcomes, still_open


def _patterns(components: list[dict[str, Any]]) -> tuple[str, ...]:
    """``family:name`` of the pattern components (``{tf}:pattern:{family}:{name}[#n]``)."""
    names = (str(c.get("name", "")) for c in components)
    return tuple(
        sorted({n.split(":pattern:", 1)[1].split("#", 1)[0] for n in names if ":pattern:" in n})
    )


def _analysts(components: list[dict[str, Any]]) -> tuple[str, ...]:
    """The analysts whose opinion weighed in the score (``llm:{agent}`` components)."""
    names = (str(c.get("name", "")) for c in components)
    return tuple(sorted({n[4:].split("#", 1)[0] for n in names if n.startswith("llm:")}))


def _opinions(
    rows: list[dict[str, Any]], direction: Direction, pnl: str
) -> tuple[TradeOpinion, ...]:
    won = Decimal(pnl) > 0
    out = []
    for r in rows:
        stance = None if r["stance"] is None else Bias(str(r["stance"]))
        out.append(
            TradeOpinion(
                model=str(r["model"]),
                role=str(r["agent"]),
                stance=None if stance is None else stance.value,
                confidence=float(r["confidence"]),
                right=stance_was_right(stance, direction, won),
            )
        )
    return tuple(out)


def _market_time(fill: Any, notes: dict[str, Any]) -> datetime:
    note = notes.get(fill["venue_trade_id"])
    return note.market_time if note is not None else parse_time(fill["ts"])


def _vwap(fills: list[Any]) -> Decimal:
    qty = sum((Decimal(f["quantity"]) for f in fills), ZERO)
    return sum((Decimal(f["quantity"]) * Decimal(f["price"]) for f in fills), ZERO) / qty
