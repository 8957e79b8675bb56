"""``PaperBroker``: the :class:`~quorum.ports.Broker` for a paper exchange over HTTP (httpx).

Errors are translated here, at the edge:

=============================================  =====================  ========================
what happened                                  on ``submit``          on other requests
=============================================  =====================  ========================
200                                            the order              the answer
400 rejected                                   OrderRejected          OrderRejected
404 not found                                  —                      OrderNotFound
409 duplicate client id                        DuplicateClientOrderId —
429 (``Retry-After`` kept)                     VenueRateLimited       VenueRateLimited
503 ``unavailable`` (venue says: not processed) BrokerTransient       BrokerTransient
could not connect (nothing sent)               BrokerTransient        BrokerTransient
timeout, reset, other 5xx, garbled reply       OrderStatusUnknown     BrokerTransient
=============================================  =====================  ========================
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from quorum.domain import format_time
from quorum.errors import BrokerError, BrokerTransient, OrderStatusUnknown
from quorum.execution.errors import (
    DuplicateClientOrderId,
    OrderNotFound,
    OrderRejected,
    VenueRateLimited,
)
from quorum.execution.paper.inprocess import paper_capabilities
from quorum.execution.paper.wire import (
    order_from_json,
    position_from_json,
    request_to_json,
    trade_from_json,
)
from quorum.execution.venues import VenueCapabilities
from quorum.ports import BrokerOrder, BrokerPosition, BrokerTrade, OrderRequest


class PaperBroker:
    def __init__(
        self,
        base_url: str,
        *,
        name: str = "paper",
        timeout_s: float = 2.0,
        recv_window_s: float = 5.0,
        lookup_lag_s: float = 0.0,
        receive_window: bool = True,
        client: httpx.Client | None = None,
    ) -> None:
        self._name = name
        self._recv_window = recv_window_s
        self._capabilities = paper_capabilities(name, receive_window, lookup_lag_s)
        self._client = client or httpx.Client(base_url=base_url, timeout=timeout_s)

    @property
    def name(self) -> str:
        return self._name

    @property
    def recv_window_s(self) -> float:
        return self._recv_window

    @property
    def capabilities(self) -> VenueCapabilities:
        """As the exchange process was started (``--query-lag``, ``--no-recv-window``)."""
        return self._capabilities

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, *, submit: bool = False, **kwargs: Any) -> Any:
        what = f"{self._name} {method} {path}"
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise BrokerTransient(f"{what}: could not connect; nothing sent ({exc})") from exc
        except httpx.HTTPError as exc:
            error = OrderStatusUnknown if submit else BrokerTransient
            raise error(
                f"{what}: {type(exc).__name__} ({exc}); expected a reply"
                + ("; outcome unknown, resolve by client id" if submit else "")
            ) from exc
        return self._answer(what, response, submit)

    def _answer(self, what: str, response: httpx.Response, submit: bool) -> Any:
        status = response.status_code
        try:
            body: Any = response.json()
        except ValueError:
            body = {"code": "garbled", "msg": response.text[:200]}
        code = body.get("code") if isinstance(body, dict) else None
        detail = f"{what}: HTTP {status} {body.get('msg', '') if isinstance(body, dict) else ''}"
        if status == 200 and code is None:
            return body
        if status == 400 and code == "rejected":
            raise OrderRejected(detail)
        if status == 404 and code == "not_found":
            raise OrderNotFound(detail)
        if status == 409 and code == "duplicate":
            raise DuplicateClientOrderId(detail)
        if status == 429:
            retry_after = response.headers.get("Retry-After")
            raise VenueRateLimited(detail, float(retry_after) if retry_after else None)
        if status == 503 and code == "unavailable":
            raise BrokerTransient(detail)
        error: type[BrokerError] = OrderStatusUnknown if submit else BrokerTransient
        raise error(f"{detail}; unexpected reply")

    def submit(self, request: OrderRequest) -> BrokerOrder:
        body = self._call("POST", "/orders", submit=True, json=request_to_json(request))
        return order_from_json(body)

    def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> BrokerOrder:
        return order_from_json(self._call("GET", f"/orders/client/{quote(client_order_id)}"))

    def fetch_open_orders(self, symbol: str | None = None) -> list[BrokerOrder]:
        params = {} if symbol is None else {"symbol": symbol}
        return [order_from_json(o) for o in self._call("GET", "/orders/open", params=params)]

    def fetch_my_trades(self, symbol: str, since: datetime | None = None) -> list[BrokerTrade]:
        params = {"symbol": symbol}
        if since is not None:
            params["since"] = format_time(since)
        return [trade_from_json(t) for t in self._call("GET", "/trades", params=params)]

    def cancel(self, symbol: str, client_order_id: str) -> BrokerOrder:
        return order_from_json(self._call("DELETE", f"/orders/client/{quote(client_order_id)}"))

    def fetch_balance(self) -> dict[str, Decimal]:
        return {str(k): Decimal(str(v)) for k, v in self._call("GET", "/balance").items()}

    def fetch_positions(self) -> list[BrokerPosition]:
        return [position_from_json(p) for p in self._call("GET", "/positions")]

    # -- test and operator controls of the paper venue (not part of the Broker port) --------

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        if body is None:
            return self._call("GET", f"/admin/{path}")
        return self._call("POST", f"/admin/{path}", json=body)
