"""The paper venue's records as table rows and JSON columns (decimals as exact text, times
as canonical ISO-8601 UTC text), and back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from quorum.domain import Liquidity, OrderType, Side, format_time, parse_time
from quorum.execution.paper.model import Book, PaperOrder, Quote
from quorum.execution.records import dec
from quorum.ports import BrokerTrade


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def order_row(venue: str, order: PaperOrder, version: int) -> dict[str, Any]:
    return {
        "venue": venue,
        "seq": order.seq,
        "venue_order_id": order.venue_order_id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "order_type": order.order_type.value,
        "quantity": str(order.quantity),
        "price": _dec(order.price),
        "stop_price": _dec(order.stop_price),
        "reduce_only": order.reduce_only,
        "status": order.status,
        "filled": str(order.filled),
        "cost": str(order.cost),
        "triggered": order.triggered,
        "created_at": format_time(order.created_at),
        "updated_at": format_time(order.updated_at),
        "version": version,
    }


def order_changes(order: PaperOrder, version: int) -> dict[str, Any]:
    """The columns matching and cancelling change (see :meth:`PaperOrder.mutable`)."""
    return {
        "status": order.status,
        "filled": str(order.filled),
        "cost": str(order.cost),
        "triggered": order.triggered,
        "updated_at": format_time(order.updated_at),
        "version": version,
    }


def order_from_row(row: Mapping[Any, Any]) -> PaperOrder:
    return PaperOrder(
        venue_order_id=row["venue_order_id"],
        client_order_id=row["client_order_id"],
        symbol=row["symbol"],
        side=Side(row["side"]),
        order_type=OrderType(row["order_type"]),
        quantity=Decimal(row["quantity"]),
        price=dec(row["price"]),
        stop_price=dec(row["stop_price"]),
        created_at=parse_time(row["created_at"]),
        updated_at=parse_time(row["updated_at"]),
        status=row["status"],
        reduce_only=bool(row["reduce_only"]),
        filled=Decimal(row["filled"]),
        cost=Decimal(row["cost"]),
        triggered=bool(row["triggered"]),
    )


def trade_row(venue: str, seq: int, trade: BrokerTrade) -> dict[str, Any]:
    """The ``paper_trades`` row of ``trade`` (with the venue and its sequence)."""
    return {
        "venue": venue,
        "seq": seq,
        "venue_trade_id": trade.venue_trade_id,
        "venue_order_id": trade.venue_order_id,
        "client_order_id": trade.client_order_id,
        "symbol": trade.symbol,
        "side": trade.side.value,
        "quantity": str(trade.quantity),
        "price": str(trade.price),
        "fee": str(trade.fee),
        "fee_currency": trade.fee_currency,
        "liquidity": trade.liquidity.value,
        "ts": format_time(trade.ts),
    }


def trade_from_row(row: Mapping[Any, Any]) -> BrokerTrade:
    return BrokerTrade(
        venue_trade_id=str(row["venue_trade_id"]),
        venue_order_id=str(row["venue_order_id"]),
        client_order_id=row["client_order_id"],
        symbol=str(row["symbol"]),
        side=Side(row["side"]),
        quantity=Decimal(row["quantity"]),
        price=Decimal(row["price"]),
        fee=Decimal(row["fee"]),
        fee_currency=str(row["fee_currency"]),
        liquidity=Liquidity(row["liquidity"]),
        ts=parse_time(row["ts"]),
    )


@dataclass
class VenueColumns:
    """The venue row's state columns, decoded."""

    next_order_id: int
    balances: dict[str, Decimal]
    books: dict[str, Book]
    quotes: dict[str, Quote]
    last_bars: dict[str, datetime]
    counters: dict[str, int]
    faults: dict[str, Any]
    clock_high: datetime | None

    def encode(self) -> dict[str, Any]:
        return {
            "next_order_id": self.next_order_id,
            "balances": _json({k: str(v) for k, v in self.balances.items()}),
            "books": _json({s: [str(b.quantity), _dec(b.entry)] for s, b in self.books.items()}),
            "quotes": _json(
                {s: [str(q.bid), str(q.ask), str(q.last)] for s, q in self.quotes.items()}
            ),
            "last_bars": _json({s: format_time(t) for s, t in self.last_bars.items()}),
            "counters": _json(self.counters),
            "faults": _json(self.faults),
            "clock_high": None if self.clock_high is None else format_time(self.clock_high),
        }

    @classmethod
    def decode(cls, row: Mapping[str, Any]) -> VenueColumns:
        books = json.loads(row["books"])
        quotes = json.loads(row["quotes"])
        return cls(
            next_order_id=int(row["next_order_id"]),
            balances={k: Decimal(v) for k, v in json.loads(row["balances"]).items()},
            books={s: Book(Decimal(q), dec(e)) for s, (q, e) in books.items()},
            quotes={
                s: Quote(Decimal(b), Decimal(a), Decimal(x)) for s, (b, a, x) in quotes.items()
            },
            last_bars={s: parse_time(t) for s, t in json.loads(row["last_bars"]).items()},
            counters={k: int(v) for k, v in json.loads(row["counters"]).items()},
            faults=dict(json.loads(row["faults"])),
            clock_high=None if row["clock_high"] is None else parse_time(row["clock_high"]),
        )


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
