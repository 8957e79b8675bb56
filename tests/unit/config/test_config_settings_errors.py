"""load_settings refuses bad input with a ConfigError naming each key, its rule and source."""

from __future__ import annotations

from pathlib import Path

import pytest

from quorum.config import FlagsSettings, SecretsSettings, VaultSettings, load_settings
from quorum.errors import ConfigError


def load_error(env: dict[str, str], yaml_text: str | None = None, tmp: Path | None = None) -> str:
    path = None
    if yaml_text is not None:
        assert tmp is not None
        path = str(tmp / "quorum.yaml")
        Path(path).write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(env=env, config_path=path)
    return str(caught.value)


def test_bad_literal_from_env_names_key_expectation_value_and_variable() -> None:
    message = load_error({"QUORUM_TRADING__MODE": "lve"})

    assert "trading.mode: Input should be 'paper' or 'live' (got 'lve')" in message
    assert "[env QUORUM_TRADING__MODE]" in message


def test_bad_value_from_file_names_the_file(tmp_path: Path) -> None:
    message = load_error({}, "logging:\n  level: LOUD\n", tmp_path)

    assert "logging.level: Input should be" in message
    assert "(got 'LOUD')" in message
    assert f"[file {tmp_path / 'quorum.yaml'}]" in message


def test_unknown_key_in_file_is_refused_with_its_dotted_path(tmp_path: Path) -> None:
    message = load_error({}, "trading:\n  exchange:\n    idd: binance\n", tmp_path)

    assert "trading.exchange.idd: unknown key" in message


def test_unknown_component_in_file_is_refused(tmp_path: Path) -> None:
    message = load_error({}, "tradnig:\n  mode: live\n", tmp_path)

    assert "tradnig: unknown key" in message


def test_unknown_nested_env_key_is_refused_naming_the_variable() -> None:
    message = load_error({"QUORUM_TRADING__MODEE": "live"})

    assert "trading.modee: unknown key" in message
    assert "[env QUORUM_TRADING__MODEE]" in message


def test_unknown_component_env_variable_is_refused() -> None:
    message = load_error({"QUORUM_TRADNG__MODE": "live"})

    assert "tradng: unknown key" in message
    assert "QUORUM_TRADNG__MODE" in message


def test_every_problem_is_listed_in_one_error(tmp_path: Path) -> None:
    message = load_error(
        {"QUORUM_TRADING__MODE": "lve"}, "logging:\n  json: maybe\nflags:\n  bogus: 1\n", tmp_path
    )

    assert "invalid configuration (3 problems)" in message
    assert "trading.mode" in message
    assert "logging.json" in message
    assert "flags.bogus: unknown key" in message


def test_component_given_as_invalid_json_variable_is_refused() -> None:
    message = load_error({"QUORUM_TRADING": "{not json"})

    assert "trading: value is not valid JSON" in message
    assert "QUORUM_TRADING" in message


def test_malformed_secret_ref_is_refused_without_echoing_the_value() -> None:
    message = load_error({"QUORUM_TRADING__EXCHANGE__API_KEY_REF": "sk-live-123456"})

    assert "trading.exchange.api_key_ref: not a secret reference" in message
    assert "sk-live-123456" not in message


def test_url_password_is_masked_in_error_messages() -> None:
    message = load_error({"QUORUM_FLAGS__REDIS_URL": "http://user:hunter2@redis:6379"})

    assert "flags.redis_url" in message
    assert "hunter2" not in message
    assert "user:***@redis" in message


def test_missing_yaml_file_is_refused_naming_path_and_origin(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")

    with pytest.raises(ConfigError, match=r"nope\.yaml \(from QUORUM_CONFIG\): not found"):
        load_settings(env={"QUORUM_CONFIG": missing})


def test_invalid_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    message = load_error({}, "trading:\n  mode: [paper\n", tmp_path)

    assert "invalid YAML at line" in message


def test_yaml_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    message = load_error({}, "- trading\n", tmp_path)

    assert "top level must be a mapping" in message


def test_undefined_variable_names_the_key_path_and_the_variable(tmp_path: Path) -> None:
    message = load_error({}, "trading:\n  exchange:\n    id: ${VENUE}\n", tmp_path)

    assert "trading.exchange.id: environment variable VENUE is not set" in message
    assert "quorum.yaml" in message


def test_vault_backend_without_vault_block_is_refused() -> None:
    message = load_error({"QUORUM_SECRETS__BACKEND": "vault"})

    assert "secrets: vault (url, auth, …) is required when backend is 'vault'" in message


def test_vault_approle_without_its_refs_is_refused() -> None:
    with pytest.raises(ValueError, match="role_id_ref and secret_id_ref are required"):
        VaultSettings(url="http://vault:8200", auth="approle")


def test_vault_token_auth_needs_a_token_ref() -> None:
    with pytest.raises(ValueError, match="token_ref is required"):
        VaultSettings(url="http://vault:8200")


def test_vault_credentials_must_be_env_refs() -> None:
    with pytest.raises(ValueError, match="expected 'env:NAME'"):
        VaultSettings(url="http://vault:8200", token_ref="vault:a#b")


def test_redis_flag_backend_needs_a_url() -> None:
    with pytest.raises(ValueError, match="redis_url is required"):
        FlagsSettings(backend="redis")


def test_valid_vault_settings_are_accepted() -> None:
    vault = VaultSettings(
        url="https://vault:8200", auth="approle", role_id_ref="env:R", secret_id_ref="env:S"
    )

    assert SecretsSettings(backend="vault", vault=vault).vault == vault
    assert vault.kv_mount == "secret"
