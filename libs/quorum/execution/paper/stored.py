"""The paper venue with its state in the database: one venue for every process on it.

:class:`StoredPaperVenue` is a :class:`PaperVenue` (same matching and fills) whose state —
balances, open and closed orders, trades, net positions, quotes, the last bar applied per
symbol, id counters, fault settings — lives in the ``paper_*`` tables
(:mod:`quorum.store.tables.paper`). The API process, every worker process and the CLI
therefore see one venue, and it survives restarts.

Every operation that may change the venue runs in one database transaction that first
locks the venue row (SQLite: the ``BEGIN IMMEDIATE`` write lock the engine takes;
PostgreSQL: ``SELECT … FOR UPDATE``), brings this process's copy up to date, applies the
operation and writes back what changed with the next ``version``: concurrent processes
queue, none loses an update, order and trade numbers stay gapless. Reads take no lock;
they reload only when the stored version moved. The copy in memory is a cache of the
database: only the rows changed since the version this process last saw are read.

Bars fed with their open time are applied once per venue (a bar at or before the last one
applied for its symbol is ignored), because every process feeds the same bars. A process
whose clock is more than ``max_clock_lag_s`` behind the latest time a writer had (a replay
over an earlier window against a database whose venue has moved on) is refused with
:class:`PaperClockBehind` instead of trading on quotes from its future.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel

from quorum.clock import Clock
from quorum.domain import format_time
from quorum.errors import BrokerError, ClockError
from quorum.execution.errors import OrderRejected
from quorum.execution.paper.faults import FaultSettings
from quorum.execution.paper.matching import PaperVenue
from quorum.execution.paper.model import PaperOrder, PaperSettings, VenueStats
from quorum.execution.paper.rows import (
    VenueColumns,
    order_changes,
    order_from_row,
    order_row,
    trade_from_row,
    trade_row,
)
from quorum.ports import BrokerOrder, BrokerPosition, BrokerTrade, OrderRequest
from quorum.store import SQLITE_BEGIN_OPTION
from quorum.store.tables.paper import ORDERS_TABLE, TRADES_TABLE, VENUES_TABLE

T = TypeVar("T")
_COUNTERS = ("submits", "duplicates_refused", "late_refused")


class PaperClockBehind(OrderRejected, ClockError):
    """This process's clock is behind the time the shared paper venue has already seen: a
    definitive refusal (nothing was accepted), raised by a bar or an order from its past."""


def _tables() -> tuple[Table, Table, Table]:
    tables = SQLModel.metadata.tables
    return tables[VENUES_TABLE], tables[ORDERS_TABLE], tables[TRADES_TABLE]


@dataclass(frozen=True)
class _Mark:
    """The state before an operation, to find what it changed."""

    open: dict[str, tuple[object, ...]]
    next_id: int
    trades: int
    columns: dict[str, Any]


class StoredPaperVenue(PaperVenue):
    """A :class:`PaperVenue` shared through the database (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: PaperSettings | None = None,
        *,
        name: str = "paper",
        max_clock_lag_s: float = 300.0,
    ) -> None:
        super().__init__(clock, settings)
        self.name = name
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._max_lag = timedelta(seconds=max_clock_lag_s)
        self._venues, self._order_rows, self._trade_rows = _tables()
        self._version = -1  # nothing loaded yet
        self._faults = FaultSettings()
        self._clock_high: datetime | None = None
        self._create_row()

    # -- the shared state ----------------------------------------------------------------

    @property
    def version(self) -> int:
        """The stored version this process's copy reflects (-1: not loaded)."""
        return self._version

    @property
    def stats(self) -> VenueStats:
        """Counters of the whole venue (every process), fresh from the database."""
        return self._read(lambda: self._stats)

    def refresh(self) -> None:
        """Bring this process's copy up to the stored version."""
        self._read(lambda: None)

    def fault_settings(self) -> FaultSettings:
        """The venue's fault settings as of this process's last look (no database read)."""
        return self._faults

    def set_faults(self, settings: FaultSettings) -> None:
        """Switch the fault injection of every process's transport to this venue."""

        def apply() -> None:
            self._faults = settings

        self._write(apply)

    # -- the venue's operations ----------------------------------------------------------

    def set_quote(
        self, symbol: str, bid: Decimal, ask: Decimal, last: Decimal | None = None
    ) -> None:
        self._write(lambda: PaperVenue.set_quote(self, symbol, bid, ask, last))

    def on_bar(
        self,
        symbol: str,
        open_: Decimal,
        high: Decimal,
        low: Decimal,
        close: Decimal,
        *,
        ts: datetime | None = None,
    ) -> bool:
        with self._lock:
            last = self._last_bar.get(symbol)
            if ts is not None and last is not None and ts <= last:
                behind = self._behind(self._clock.now())
                if behind is not None:
                    raise behind
                return False  # the stored mark is at least the one this process saw
            return self._write(
                lambda: PaperVenue.on_bar(self, symbol, open_, high, low, close, ts=ts)
            )

    def submit(self, request: OrderRequest) -> BrokerOrder:
        return self._write(lambda: PaperVenue.submit(self, request))

    def cancel(self, client_order_id: str) -> BrokerOrder:
        return self._write(lambda: PaperVenue.cancel(self, client_order_id))

    def fetch_by_client_id(self, client_order_id: str) -> BrokerOrder:
        return self._read(lambda: PaperVenue.fetch_by_client_id(self, client_order_id))

    def open_orders(self, symbol: str | None = None) -> list[BrokerOrder]:
        return self._read(lambda: PaperVenue.open_orders(self, symbol))

    def trades(self, symbol: str | None = None, since: datetime | None = None) -> list[BrokerTrade]:
        return self._read(lambda: PaperVenue.trades(self, symbol, since))

    def balances(self) -> dict[str, Decimal]:
        return self._read(lambda: PaperVenue.balances(self))

    def positions(self) -> list[BrokerPosition]:
        return self._read(lambda: PaperVenue.positions(self))

    def last_bar(self, symbol: str) -> datetime | None:
        return self._read(lambda: PaperVenue.last_bar(self, symbol))

    def last_price(self, symbol: str) -> Decimal | None:
        return self._read(lambda: PaperVenue.last_price(self, symbol))

    # -- transactions --------------------------------------------------------------------

    def _read(self, operation: Callable[[], T]) -> T:
        with self._lock:
            try:
                with self._engine.connect() as conn:
                    options: dict[str, Any] = {SQLITE_BEGIN_OPTION: "DEFERRED"}
                    if self._postgres:
                        options["isolation_level"] = "REPEATABLE READ"  # one snapshot
                    conn.execution_options(**options)
                    with conn.begin():
                        self._sync(conn, self._row(conn, lock=False))
            except BaseException:
                self._invalidate()
                raise
            return operation()

    def _write(self, operation: Callable[[], T]) -> T:
        """Run ``operation`` on the up-to-date copy under the venue lock and store what it
        changed. A venue refusal (rejected, duplicate, not found, bad quote) is stored too
        (its counters) and raised after the commit; anything else rolls back."""
        with self._lock:
            refusal: Exception | None = None
            result: T | None = None
            try:
                with self._engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE
                    self._sync(conn, self._row(conn, lock=True))
                    refusal = self._advance_clock()
                    if refusal is None:
                        mark = self._mark()
                        try:
                            result = operation()
                        except (BrokerError, ValueError) as exc:
                            refusal = exc
                        self._save(conn, mark)
            except BaseException:
                self._invalidate()
                raise
            if refusal is not None:
                raise refusal
            return result  # type: ignore[return-value]  # set when nothing was refused

    def _row(self, conn: Connection, *, lock: bool) -> dict[str, Any]:
        query = select(self._venues).where(self._venues.c.name == self.name)
        if lock:
            query = query.with_for_update()  # PostgreSQL; SQLite holds the write lock already
        row = conn.execute(query).mappings().first()
        if row is None:
            raise BrokerError(
                f"paper venue {self.name!r}: its row in {VENUES_TABLE} is missing; "
                "expected it to exist since this venue was opened"
            )
        return dict(row)

    def _sync(self, conn: Connection, row: dict[str, Any]) -> None:
        """Load what changed since the version this copy reflects."""
        version = int(row["version"])
        if version == self._version:
            return
        if self._version < 0:
            self._clear()
        orders = conn.execute(
            select(self._order_rows)
            .where(self._order_rows.c.venue == self.name)
            .where(self._order_rows.c.version > self._version)
            .order_by(self._order_rows.c.seq)
        ).mappings()
        for order_data in orders:
            self._adopt(order_from_row(order_data))
        trades = conn.execute(
            select(self._trade_rows)
            .where(self._trade_rows.c.venue == self.name)
            .where(self._trade_rows.c.seq > len(self._trades))
            .order_by(self._trade_rows.c.seq)
        ).mappings()
        self._trades.extend(trade_from_row(t) for t in trades)
        self._apply(VenueColumns.decode(row))
        self._version = version

    def _adopt(self, order: PaperOrder) -> None:
        vid, cid = order.venue_order_id, order.client_order_id
        if vid not in self._orders:
            self._by_client.setdefault(cid, []).append(vid)
            self._stats.accepted[cid] += 1
        self._orders[vid] = order
        if order.status == "open":
            self._open_by_client[cid] = vid
        elif self._open_by_client.get(cid) == vid:
            del self._open_by_client[cid]

    def _behind(self, now: datetime) -> PaperClockBehind | None:
        high = self._clock_high
        if high is None or now >= high - self._max_lag:
            return None
        return PaperClockBehind(
            f"paper venue {self.name!r}: this process's clock is at {format_time(now)} "
            f"but the venue has seen {format_time(high)} (more than "
            f"{self._max_lag.total_seconds():.0f} s later); a replay over an earlier "
            "window needs its own database (QUORUM_DATABASE__URL) or a start after that time"
        )

    def _advance_clock(self) -> PaperClockBehind | None:
        now = self._clock.now()
        behind = self._behind(now)
        if behind is None and (self._clock_high is None or now > self._clock_high):
            self._clock_high = now
        return behind

    def _mark(self) -> _Mark:
        return _Mark(
            open={v: self._orders[v].mutable() for v in self._open_by_client.values()},
            next_id=self._next_id,
            trades=len(self._trades),
            columns=self._columns().encode(),
        )

    def _save(self, conn: Connection, mark: _Mark) -> None:
        columns = self._columns().encode()
        changed = [
            self._orders[v]
            for v, before in mark.open.items()
            if self._orders[v].mutable() != before
        ]
        new = [self._orders[f"P{n}"] for n in range(mark.next_id + 1, self._next_id + 1)]
        trades = self._trades[mark.trades :]
        if not (changed or new or trades) and columns == mark.columns:
            return
        version = self._version + 1
        if new:
            conn.execute(insert(self._order_rows), [order_row(self.name, o, version) for o in new])
        for order in changed:
            conn.execute(
                update(self._order_rows)
                .where(self._order_rows.c.venue == self.name)
                .where(self._order_rows.c.seq == order.seq)
                .values(**order_changes(order, version))
            )
        if trades:
            first = len(self._trades) - len(trades) + 1
            rows = [trade_row(self.name, first + i, t) for i, t in enumerate(trades)]
            conn.execute(insert(self._trade_rows), rows)
        moved = conn.execute(
            update(self._venues)
            .where(self._venues.c.name == self.name)
            .where(self._venues.c.version == self._version)
            .values(version=version, updated_at=self._now_text(), **columns)
        )
        if moved.rowcount != 1:
            raise BrokerError(
                f"paper venue {self.name!r}: version {self._version} changed under the lock"
            )
        self._version = version

    # -- this process's copy -------------------------------------------------------------

    def _columns(self) -> VenueColumns:
        return VenueColumns(
            next_order_id=self._next_id,
            balances=self._balances,
            books=self._books,
            quotes=self._quotes,
            last_bars=self._last_bar,
            counters={name: int(getattr(self._stats, name)) for name in _COUNTERS},
            faults=self._faults.model_dump(mode="json"),
            clock_high=self._clock_high,
        )

    def _apply(self, columns: VenueColumns) -> None:
        self._next_id = columns.next_order_id
        self._balances = columns.balances
        self._books = columns.books
        self._quotes = columns.quotes
        self._last_bar = columns.last_bars
        for name in _COUNTERS:
            setattr(self._stats, name, columns.counters.get(name, 0))
        self._faults = FaultSettings.model_validate(columns.faults)
        self._clock_high = columns.clock_high

    def _clear(self) -> None:
        self._orders.clear()
        self._by_client.clear()
        self._open_by_client.clear()
        self._trades.clear()
        self._stats = VenueStats()

    def _invalidate(self) -> None:
        """After a failed transaction the copy may hold unsaved changes: reload it all."""
        self._version = -1
        self._clear()

    def _now_text(self) -> str:
        return format_time(self._clock.now())

    def _create_row(self) -> None:
        """The venue's row with the initial balances, unless it exists (first one wins)."""
        now = self._now_text()
        columns = VenueColumns(
            next_order_id=0,
            balances=dict(self.settings.initial_balances),
            books={},
            quotes={},
            last_bars={},
            counters=dict.fromkeys(_COUNTERS, 0),
            faults=FaultSettings().model_dump(mode="json"),
            clock_high=None,
        ).encode()
        values = {"name": self.name, "version": 0, "created_at": now, "updated_at": now, **columns}
        make = pg_insert if self._postgres else sqlite_insert
        with self._engine.begin() as conn:
            conn.execute(make(self._venues).values(**values).on_conflict_do_nothing())
