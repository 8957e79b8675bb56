"""The live broker: ccxt's own exchange class, built from ``trading.exchange`` and secrets.

:func:`build_live_broker` is what the composition root calls when an exchange is
configured. Credentials come only from the secrets layer (``env:`` / ``vault:`` refs) and
never reach a log line; ``api_url`` points every endpoint of the venue at a testnet or at
the local simulator (``quorum venue serve``); ccxt's rate limiter is on and the receive
window is ``recv_window_s``. :func:`check_credentials` makes a wrong key a clear start-up
error (Binance ``-2015`` / ``-1022``) instead of a traceback on the first order.
"""

from __future__ import annotations

from typing import Any

import ccxt

from quorum.ccxt_adapter.config import exchange_config
from quorum.clock import Clock
from quorum.config.settings.trading import ExchangeSettings
from quorum.errors import BrokerError, ConfigError
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.execution.venues import capabilities_for
from quorum.ports import SecretsProvider


def build_live_broker(
    exchange: ExchangeSettings, secrets: SecretsProvider, clock: Clock
) -> CcxtBroker:
    """The venue's ccxt exchange behind a :class:`CcxtBroker` (no request is made here)."""
    if exchange.id is None:
        raise ConfigError("trading.exchange.id: required for live trading (e.g. binance)")
    cls = getattr(ccxt, exchange.id, None)
    if cls is None:
        raise ConfigError(f"trading.exchange.id: {exchange.id!r} is not a ccxt exchange id")
    venue_caps = capabilities_for(exchange.id)
    if not venue_caps.lookup_by_client_id:
        raise ConfigError(
            f"trading.exchange.id: live trading on {exchange.id} is refused: ccxt cannot look "
            "its orders up by our client id, so an order whose submit reply was lost could "
            f"never be found again ({venue_caps.note or venue_caps.why_inconclusive()})"
        )
    if exchange.api_key_ref is None or exchange.api_secret_ref is None:
        raise ConfigError("trading.exchange: api_key_ref and api_secret_ref are required")
    config: dict[str, Any] = {
        **exchange_config(exchange.id, exchange.api_url, exchange.ccxt_options),
        "apiKey": secrets.get(exchange.api_key_ref).get_secret_value(),
        "secret": secrets.get(exchange.api_secret_ref).get_secret_value(),
    }
    if exchange.password_ref is not None:
        config["password"] = secrets.get(exchange.password_ref).get_secret_value()
    venue = cls(config)
    return CcxtBroker(exchange.id, clock, exchange=venue, recv_window_s=exchange.recv_window_s)


def check_credentials(broker: CcxtBroker) -> None:
    """One signed read (the balance): a refused key is a :class:`ConfigError` naming the
    venue's answer; anything else (network) is left to the caller's retry policy."""
    try:
        broker.fetch_balance()
    except BrokerError as exc:
        cause = exc.__cause__
        if isinstance(cause, ccxt.AuthenticationError | ccxt.PermissionDenied):
            raise ConfigError(
                f"trading.exchange: {broker.exchange_id} refused the credentials "
                f"(trading.exchange.api_key_ref / api_secret_ref): {cause}"
            ) from None
        raise
