"""ccxt configuration shared by the market-data source and the live broker.

:func:`exchange_config` is the non-secret part of a ccxt exchange's config: per-venue
spot defaults and, with ``api_url``, every endpoint of the venue re-based onto that URL
(a testnet such as ``https://testnet.binance.vision``, or ``quorum venue serve``). ccxt
deep-merges ``urls`` and ``options`` given to the constructor over its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import ccxt

SPOT_DEFAULTS: dict[str, dict[str, Any]] = {
    "binance": {
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
        "defaultType": "spot",
    },
}
"""Per-venue ccxt options for spot trading: load only the spot markets and skip the
wallet endpoints (``sapi``) that testnets and the simulator do not serve."""


def rebase(urls: Mapping[str, Any], base: str) -> dict[str, Any]:
    """``urls`` with every URL's scheme and host replaced by ``base`` (paths kept)."""
    out: dict[str, Any] = {}
    for name, url in urls.items():
        if isinstance(url, str):
            out[name] = base.rstrip("/") + urlsplit(url).path
        elif isinstance(url, Mapping):
            out[name] = rebase(url, base)
        else:
            out[name] = url
    return out


def exchange_config(
    exchange_id: str, api_url: str | None = None, options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The non-secret ccxt config of ``exchange_id`` (an unknown id is left to the caller)."""
    config: dict[str, Any] = {
        "enableRateLimit": True,
        "options": {**SPOT_DEFAULTS.get(exchange_id, {}), **dict(options or {})},
    }
    cls = getattr(ccxt, exchange_id, None)
    if api_url is not None and cls is not None:
        urls = dict(cls().urls)
        urls["api"] = rebase(urls["api"], api_url)
        config["urls"] = urls
    return config
