"""Trading settings: paper or live, the live confirmation, and the exchange's credential refs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from quorum.config.settings.base import ComponentSettings
from quorum.config.settings.refs import SecretRef

TradingMode = Literal["paper", "live"]


class ExchangeSettings(ComponentSettings):
    """The venue and *references* to its credentials (never the credentials themselves)."""

    id: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    """The ccxt exchange id, e.g. ``binance``."""
    api_key_ref: SecretRef | None = None
    api_secret_ref: SecretRef | None = None
    password_ref: SecretRef | None = None
    """Only for venues that need a passphrase (e.g. OKX, KuCoin)."""
    api_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(:\d+)?/?$")
    """Base URL replacing the scheme and host of every ccxt endpoint of the venue: a testnet
    (``https://testnet.binance.vision``) or a local simulator (``quorum venue serve``)."""
    recv_window_s: float = Field(default=5.0, gt=0, le=60)
    """The receive window every signed request carries (Binance ``recvWindow``)."""
    ccxt_options: dict[str, Any] = Field(default_factory=dict)
    """Extra ccxt ``options`` (never credentials), e.g. ``{defaultType: spot}``."""


class TradingSettings(ComponentSettings):
    """``mode`` starts at ``paper``; ``live`` also needs ``live_confirm`` and credentials."""

    mode: TradingMode = "paper"
    live_confirm: bool = False
    exchange: ExchangeSettings = Field(default_factory=ExchangeSettings)
