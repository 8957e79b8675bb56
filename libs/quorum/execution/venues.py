"""What each venue can promise about an order we cannot see: the capability table.

The resend rule (:mod:`quorum.execution.executor`) may treat "not found" as conclusive —
and resend under the same client id — only where two things hold:

- **a receive window**: the venue refuses a request that reaches it later than the
  window after the time it was signed (Binance ``recvWindow``, Bybit
  ``X-BAPI-RECV-WINDOW``), so once that deadline has passed the earlier request can no
  longer be accepted;
- **lookup by client id**: we can ask the venue for the order under our id.

and only once the venue's read path has caught up: a lookup made less than
``max_lookup_lag_s`` after the deadline may miss an order the venue did accept.
Where either is missing, an order in doubt stays ``unknown`` (alerted, entries on its
symbol refused) until reconciliation finds it in the venue's open orders or trades.

Facts as ccxt 4.5 implements them (read in its sources, not guessed):

- binance, binanceusdm: ``recvWindow`` (5 s); lookup by ``origClientOrderId``; ``sign``
  stamps ``timestamp = nonce()`` unless the request gives one — we give our ``sent_at``;
- bybit: ``X-BAPI-RECV-WINDOW`` (5 s), stamped by ccxt (``nonce()``); ``fetchOrder``
  sends ``orderId`` only (no ``orderLinkId``): no lookup by client id;
- okx: lookup by ``clOrdId``; ccxt sends no ``expTime`` on orders: no receive window;
- kraken: a nonce, no receive window; ``fetchOrder`` maps a client id to ``userref``, an
  integer: no lookup by our (string) id;
- coinbase: no receive window; ``fetchOrder`` takes the venue's id only;
- paper: follows :class:`~quorum.execution.paper.PaperSettings` (its clock is ours).

``max_lookup_lag_s`` is not published by any venue; the table's values are assumptions
to override (``execution.lookup_lag_s``) from what the venue is observed to do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["CAPABILITIES", "VenueCapabilities", "capabilities_for"]


@dataclass(frozen=True, slots=True)
class VenueCapabilities:
    venue: str
    receive_window: bool
    """A request signed at T that reaches the venue after T + window is refused."""
    lookup_by_client_id: bool
    server_time: bool
    """The venue tells its time (ccxt ``fetch_time``): signed times map to its clock."""
    stamps_our_time: bool
    """The time the request is signed with is the ``sent_at`` we give it; otherwise the
    adapter stamps it while sending (some time before the call returns)."""
    default_recv_window_s: float | None
    max_lookup_lag_s: float
    """How long after accepting an order the venue's lookups may still miss it."""
    note: str = ""
    trades_page: int = 100
    """The most trades one "my trades" request returns (the adapter pages past it)."""

    @property
    def not_found_conclusive(self) -> bool:
        """Can "not found" ever prove that the venue will not accept the request?"""
        return self.receive_window and self.lookup_by_client_id

    def why_inconclusive(self) -> str:
        missing = []
        if not self.receive_window:
            missing.append("it has no receive window (a late request may still be accepted)")
        if not self.lookup_by_client_id:
            missing.append("it cannot look orders up by our client id")
        return f"venue {self.venue}: 'not found' is never conclusive: " + " and ".join(missing)


def _cap(
    venue: str,
    window: float | None,
    by_client_id: bool,
    stamps: bool,
    note: str,
    lag: float = 10.0,
    page: int = 100,
) -> VenueCapabilities:
    return VenueCapabilities(
        venue=venue,
        receive_window=window is not None,
        lookup_by_client_id=by_client_id,
        server_time=True,
        stamps_our_time=stamps,
        default_recv_window_s=window,
        max_lookup_lag_s=lag,
        note=note,
        trades_page=page,
    )


CAPABILITIES: dict[str, VenueCapabilities] = {
    c.venue: c
    for c in (
        _cap(
            "binance",
            5.0,
            True,
            True,
            "recvWindow; timestamp param overrides ccxt's nonce; myTrades ≤ 1000",
            page=1000,
        ),
        _cap(
            "binanceusdm",
            5.0,
            True,
            True,
            "recvWindow; timestamp param overrides the nonce; userTrades ≤ 1000",
            page=1000,
        ),
        _cap(
            "bybit",
            5.0,
            False,
            False,
            "X-BAPI-RECV-WINDOW, stamped by ccxt; fetchOrder maps no client id to orderLinkId",
        ),
        _cap("okx", None, True, False, "no expTime sent by ccxt on orders"),
        _cap(
            "kraken",
            None,
            False,
            False,
            "nonce only; client id lookup maps to userref (int)",
            page=50,
        ),
        _cap("coinbase", None, False, False, "no window; fetchOrder by venue id only"),
    )
}


def capabilities_for(
    venue: str, *, recv_window_s: float | None = None, lookup_lag_s: float | None = None
) -> VenueCapabilities:
    """The capabilities of a ccxt exchange id; an id not in the table gets none of them
    (never conclusive: the safe default). ``recv_window_s`` and ``lookup_lag_s`` override
    the table's window and lag."""
    known = CAPABILITIES.get(venue)
    if known is None:
        known = VenueCapabilities(
            venue=venue,
            receive_window=False,
            lookup_by_client_id=False,
            server_time=False,
            stamps_our_time=False,
            default_recv_window_s=None,
            max_lookup_lag_s=10.0,
            note="not in the capability table",
        )
    if known.receive_window and recv_window_s is not None:
        known = replace(known, default_recv_window_s=recv_window_s)
    if lookup_lag_s is not None:
        known = replace(known, max_lookup_lag_s=lookup_lag_s)
    return known
