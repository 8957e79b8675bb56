"""The live-trading guard: live needs an explicit confirmation and resolvable credentials.

Called at start-up (:func:`check_live_allowed`) and on every runtime flip of
``trading.mode`` to ``live`` (:func:`make_live_guard`, handed to the flag store).
Messages name the setting and the secret *reference*, never a secret value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from quorum.config.flags import FlagValue, LiveGuard
from quorum.config.settings import AppSettings, TradingSettings
from quorum.errors import ConfigError

if TYPE_CHECKING:
    from quorum.ports import SecretsProvider

_REQUIRED_REFS = ("api_key_ref", "api_secret_ref")


def check_live_allowed(settings: AppSettings, secrets: SecretsProvider) -> None:
    """Refuse (ConfigError) when ``trading.mode`` is live but live trading is not allowed."""
    check_trading_live_allowed(settings.trading, secrets)


def check_trading_live_allowed(trading: TradingSettings, secrets: SecretsProvider) -> None:
    """The rules, on the trading component alone. Paper mode always passes."""
    if trading.mode != "live":
        return
    problems: list[str] = []
    if trading.live_confirm is not True:
        problems.append(
            "trading.live_confirm must be true to trade real funds (got false); "
            "set it explicitly to confirm"
        )
    exchange = trading.exchange
    if exchange.id is None:
        problems.append("trading.exchange.id is required (e.g. binance)")
    refs = {name: getattr(exchange, name) for name in _REQUIRED_REFS}
    if exchange.password_ref is not None:
        refs["password_ref"] = exchange.password_ref
    for name, ref in refs.items():
        if ref is None:
            problems.append(f"trading.exchange.{name} is required (an env:NAME or vault: ref)")
            continue
        try:
            secrets.get(ref)
        except ConfigError as exc:
            problems.append(f"trading.exchange.{name}: cannot resolve {ref!r} ({exc})")
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise ConfigError(f"live trading refused (trading.mode=live):\n{listed}")


def make_live_guard(settings: AppSettings, secrets: SecretsProvider) -> LiveGuard:
    """A guard for flag stores: checks the settings with the flags' mode and confirmation."""

    def guard(flags: Mapping[str, FlagValue]) -> None:
        trading = settings.trading.model_copy(
            update={
                "mode": flags.get("trading.mode", settings.trading.mode),
                "live_confirm": flags.get("trading.live_confirm", settings.trading.live_confirm),
            }
        )
        check_trading_live_allowed(trading, secrets)

    return guard
