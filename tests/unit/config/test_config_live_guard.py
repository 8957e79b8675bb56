"""The live guard refuses live trading without confirmation or resolvable credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from tests.unit.config.config_fakes import ListRecorder

from quorum.clock import ReplayClock
from quorum.config import (
    AppSettings,
    EnvSecrets,
    FileFlagStore,
    check_live_allowed,
    load_settings,
    make_live_guard,
)
from quorum.errors import ConfigError

CREDENTIALS = {"BINANCE_KEY": "key-value-7f3a", "BINANCE_SECRET": "secret-value-9c1d"}
LIVE = {
    "QUORUM_TRADING__MODE": "live",
    "QUORUM_TRADING__LIVE_CONFIRM": "true",
    "QUORUM_TRADING__EXCHANGE__ID": "binance",
    "QUORUM_TRADING__EXCHANGE__API_KEY_REF": "env:BINANCE_KEY",
    "QUORUM_TRADING__EXCHANGE__API_SECRET_REF": "env:BINANCE_SECRET",
}


class NoSecrets:
    def get(self, ref: str) -> SecretStr:
        raise AssertionError(f"paper mode must not resolve {ref}")


def settings(**changes: str) -> AppSettings:
    env = {key: value for key, value in {**LIVE, **changes}.items() if value != ""}
    return load_settings(env=env)


def refusal(app: AppSettings, secrets: EnvSecrets) -> str:
    with pytest.raises(ConfigError) as caught:
        check_live_allowed(app, secrets)
    message = str(caught.value)
    for value in CREDENTIALS.values():
        assert value not in message
    return message


def test_paper_mode_passes_without_touching_secrets() -> None:
    check_live_allowed(load_settings(env={}), NoSecrets())


def test_live_with_confirmation_and_resolvable_credentials_passes() -> None:
    check_live_allowed(settings(), EnvSecrets(CREDENTIALS))


def test_live_without_confirmation_is_refused_with_a_clear_message() -> None:
    message = refusal(settings(QUORUM_TRADING__LIVE_CONFIRM=""), EnvSecrets(CREDENTIALS))

    assert message.startswith("live trading refused (trading.mode=live):")
    assert "trading.live_confirm must be true to trade real funds (got false)" in message


def test_live_without_exchange_id_or_refs_lists_every_missing_key() -> None:
    app = settings(
        QUORUM_TRADING__EXCHANGE__ID="",
        QUORUM_TRADING__EXCHANGE__API_KEY_REF="",
        QUORUM_TRADING__EXCHANGE__API_SECRET_REF="",
    )

    message = refusal(app, EnvSecrets(CREDENTIALS))

    assert "trading.exchange.id is required" in message
    assert "trading.exchange.api_key_ref is required" in message
    assert "trading.exchange.api_secret_ref is required" in message


def test_unresolvable_ref_is_named_but_no_value_is_shown() -> None:
    message = refusal(settings(), EnvSecrets({"BINANCE_KEY": CREDENTIALS["BINANCE_KEY"]}))

    assert "trading.exchange.api_secret_ref: cannot resolve 'env:BINANCE_SECRET'" in message
    assert "environment variable BINANCE_SECRET is not set" in message
    assert "api_key_ref" not in message


def test_password_ref_is_checked_when_configured() -> None:
    app = settings(QUORUM_TRADING__EXCHANGE__PASSWORD_REF="env:OKX_PASSPHRASE")

    message = refusal(app, EnvSecrets(CREDENTIALS))

    assert "trading.exchange.password_ref: cannot resolve 'env:OKX_PASSPHRASE'" in message


def test_runtime_guard_uses_the_flags_mode_and_confirmation() -> None:
    paper = settings(QUORUM_TRADING__MODE="paper", QUORUM_TRADING__LIVE_CONFIRM="")
    guard = make_live_guard(paper, EnvSecrets(CREDENTIALS))

    guard({"trading.mode": "paper", "trading.live_confirm": False})
    guard({"trading.mode": "live", "trading.live_confirm": True})
    with pytest.raises(ConfigError, match=r"trading\.live_confirm must be true"):
        guard({"trading.mode": "live", "trading.live_confirm": False})


def test_flip_to_live_through_the_real_guard_is_refused_and_writes_nothing(
    tmp_path: Path, clock: ReplayClock
) -> None:
    app = settings(QUORUM_TRADING__MODE="paper", QUORUM_TRADING__LIVE_CONFIRM="")
    recorder = ListRecorder()
    store = FileFlagStore(
        tmp_path / "flags.json",
        clock=clock,
        guard=make_live_guard(app, EnvSecrets({})),
        recorder=recorder,
        env={},
        defaults={"trading.mode": app.trading.mode},
    )

    with pytest.raises(ConfigError) as caught:
        store.set("trading.mode", "live", "ops", "go live")

    assert "trading.live_confirm must be true" in str(caught.value)
    assert "cannot resolve 'env:BINANCE_KEY'" in str(caught.value)
    assert not (tmp_path / "flags.json").exists()
    assert recorder.changes == []
    assert store.get("trading.mode") == "paper"
