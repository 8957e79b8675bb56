"""EnvSecrets, routing by scheme, and build_secrets_provider."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from quorum.config import (
    EnvSecrets,
    SecretsSettings,
    VaultSettings,
    build_secrets_provider,
    load_settings,
)
from quorum.errors import ConfigError, SecretNotFound


def test_env_ref_resolves_to_a_secret_str() -> None:
    value = EnvSecrets({"API_KEY": "k-123"}).get("env:API_KEY")

    assert isinstance(value, SecretStr)
    assert value.get_secret_value() == "k-123"
    assert "k-123" not in repr(value)
    assert "k-123" not in str(value)


def test_env_secrets_read_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QUORUM_TEST_SECRET_X", "from-process")

    assert EnvSecrets().get("env:QUORUM_TEST_SECRET_X").get_secret_value() == "from-process"


def test_unset_variable_raises_secret_not_found_naming_ref_and_variable() -> None:
    with pytest.raises(SecretNotFound) as caught:
        EnvSecrets({}).get("env:API_KEY")

    assert str(caught.value) == "secret ref 'env:API_KEY': environment variable API_KEY is not set"
    assert isinstance(caught.value, ConfigError)


def test_empty_variable_is_not_a_secret() -> None:
    with pytest.raises(SecretNotFound, match="API_KEY is empty"):
        EnvSecrets({"API_KEY": ""}).get("env:API_KEY")


def test_env_provider_refuses_vault_refs() -> None:
    with pytest.raises(ConfigError, match="resolves env:NAME only"):
        EnvSecrets({}).get("vault:a/b#c")


def test_env_backend_resolves_env_refs_and_refuses_vault_refs() -> None:
    provider = build_secrets_provider(load_settings(env={}), env={"K": "v"})

    assert provider.get("env:K").get_secret_value() == "v"
    with pytest.raises(ConfigError, match=r"vault: refs need secrets\.backend: vault"):
        provider.get("vault:quorum/exchange#api_key")


def test_vault_backend_still_resolves_env_refs_locally() -> None:
    vault = VaultSettings(url="http://127.0.0.1:9", token_ref="env:VAULT_TOKEN")
    provider = build_secrets_provider(
        SecretsSettings(backend="vault", vault=vault), env={"K": "v", "VAULT_TOKEN": "tok-1"}
    )

    assert provider.get("env:K").get_secret_value() == "v"
    assert "tok-1" not in repr(provider)
    assert "vault" in repr(provider)
