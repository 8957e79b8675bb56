"""VaultSecrets through hvac against a loopback fake Vault: auth, KV v2 reads, renewal."""

from __future__ import annotations

import io
import logging
import socket
from datetime import timedelta

import pytest
from tests.integration.config.config_vault_fake import FakeVault

from quorum.clock import ReplayClock
from quorum.config import (
    EnvSecrets,
    RedactingFilter,
    SecretsSettings,
    VaultSettings,
    build_secrets_provider,
)
from quorum.config.secrets.vault import VaultSecrets
from quorum.errors import ConfigError, SecretNotFound

API_KEY = "binance-key-5b2e"  # pragma: allowlist secret
API_SECRET = "binance-secret-c8a1"  # pragma: allowlist secret
ROLE_ID, SECRET_ID = "role-1f0c", "secret-id-77d4"
LOGIN = ("POST", "/v1/auth/approle/login")
LOOKUP = ("GET", "/v1/auth/token/lookup-self")
RENEW = ("POST", "/v1/auth/token/renew-self")
READ = ("GET", "/v1/secret/data/quorum/exchange")


@pytest.fixture(autouse=True)
def exchange_secret(fake_vault: FakeVault) -> None:
    fake_vault.secrets["quorum/exchange"] = {"api_key": API_KEY, "api_secret": API_SECRET}
    fake_vault.approle = (ROLE_ID, SECRET_ID)


def token_vault(
    fake_vault: FakeVault, clock: ReplayClock, token: str, **settings: object
) -> VaultSecrets:
    vault_settings = VaultSettings.model_validate(
        {"url": fake_vault.url, "auth": "token", "token_ref": "env:VAULT_TOKEN", **settings}
    )
    bootstrap = EnvSecrets({"VAULT_TOKEN": token})
    return VaultSecrets(vault_settings, bootstrap=bootstrap, clock=clock)


def approle_vault(
    fake_vault: FakeVault, clock: ReplayClock, sink: RedactingFilter | None = None
) -> VaultSecrets:
    vault_settings = VaultSettings(
        url=fake_vault.url,
        auth="approle",
        role_id_ref="env:VAULT_ROLE_ID",
        secret_id_ref="env:VAULT_SECRET_ID",
        renew_before_seconds=120,
    )
    bootstrap = EnvSecrets({"VAULT_ROLE_ID": ROLE_ID, "VAULT_SECRET_ID": SECRET_ID}, sink=sink)
    return VaultSecrets(vault_settings, bootstrap=bootstrap, clock=clock, sink=sink)


def test_token_auth_reads_a_kv_v2_key(fake_vault: FakeVault, vault_clock: ReplayClock) -> None:
    token = fake_vault.issue_token(ttl=3600)
    vault = token_vault(fake_vault, vault_clock, token)

    value = vault.get("vault:quorum/exchange#api_key")

    assert value.get_secret_value() == API_KEY
    assert fake_vault.count(*LOOKUP) == 1
    assert fake_vault.count(*READ) == 1
    assert vault.session.expires_at == vault_clock.now() + timedelta(seconds=3600)


def test_approle_logs_in_once_and_reads(fake_vault: FakeVault, vault_clock: ReplayClock) -> None:
    vault = approle_vault(fake_vault, vault_clock)

    assert vault.get("vault:quorum/exchange#api_key").get_secret_value() == API_KEY
    assert vault.get("vault:quorum/exchange#api_secret").get_secret_value() == API_SECRET
    assert fake_vault.count(*LOGIN) == 1
    assert fake_vault.count(*READ) == 2


def test_no_renewal_while_ttl_is_above_the_threshold(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    vault = token_vault(fake_vault, vault_clock, fake_vault.issue_token(ttl=600))
    vault.get("vault:quorum/exchange#api_key")

    vault_clock.advance(timedelta(seconds=200))
    vault.get("vault:quorum/exchange#api_key")

    assert fake_vault.count(*RENEW) == 0
    assert fake_vault.count(*LOOKUP) == 1


def test_token_is_renewed_when_remaining_ttl_drops_below_the_threshold(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    vault = token_vault(fake_vault, vault_clock, fake_vault.issue_token(ttl=600))
    vault.get("vault:quorum/exchange#api_key")

    vault_clock.advance(timedelta(seconds=400))
    assert vault.get("vault:quorum/exchange#api_key").get_secret_value() == API_KEY

    assert fake_vault.count(*LOOKUP) == 2
    assert fake_vault.count(*RENEW) == 1
    assert vault.session.expires_at == vault_clock.now() + timedelta(seconds=600)


def test_approle_logs_in_again_when_renewal_is_refused(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    vault = approle_vault(fake_vault, vault_clock)
    vault.get("vault:quorum/exchange#api_key")
    fake_vault.refuse_renewal = True

    vault_clock.advance(timedelta(seconds=550))
    assert vault.get("vault:quorum/exchange#api_key").get_secret_value() == API_KEY

    assert fake_vault.count(*RENEW) == 1
    assert fake_vault.count(*LOGIN) == 2
    assert vault.session.expires_at == vault_clock.now() + timedelta(seconds=600)


def test_approle_logs_in_again_after_the_token_expired(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    vault = approle_vault(fake_vault, vault_clock)
    vault.get("vault:quorum/exchange#api_key")

    vault_clock.advance(timedelta(seconds=900))
    assert vault.get("vault:quorum/exchange#api_key").get_secret_value() == API_KEY

    assert fake_vault.count(*LOGIN) == 2
    assert fake_vault.count(*RENEW) == 0


def test_approle_logs_in_again_when_a_read_is_refused(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    vault = approle_vault(fake_vault, vault_clock)
    vault.get("vault:quorum/exchange#api_key")
    fake_vault.tokens.clear()

    assert vault.get("vault:quorum/exchange#api_secret").get_secret_value() == API_SECRET
    assert fake_vault.count(*LOGIN) == 2


def test_token_auth_keeps_a_valid_token_when_renewal_is_refused(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    token = fake_vault.issue_token(ttl=600)
    vault = token_vault(fake_vault, vault_clock, token)
    vault.get("vault:quorum/exchange#api_key")
    fake_vault.refuse_renewal = True

    vault_clock.advance(timedelta(seconds=450))
    assert vault.get("vault:quorum/exchange#api_key").get_secret_value() == API_KEY
    assert fake_vault.count(*RENEW) == 1

    vault_clock.advance(timedelta(seconds=200))
    with pytest.raises(ConfigError) as caught:
        vault.get("vault:quorum/exchange#api_key")
    message = str(caught.value)
    assert "the token from env:VAULT_TOKEN was refused by lookup-self" in message
    assert "expired or been revoked" in message
    assert token not in message


def test_non_renewable_token_is_not_renewed_and_is_used_until_expiry(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    vault = token_vault(fake_vault, vault_clock, fake_vault.issue_token(ttl=600, renewable=False))
    vault.get("vault:quorum/exchange#api_key")

    vault_clock.advance(timedelta(seconds=450))
    assert vault.get("vault:quorum/exchange#api_key").get_secret_value() == API_KEY

    assert fake_vault.count(*RENEW) == 0


def test_approle_logs_in_again_when_renewal_cannot_extend_past_the_window(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    vault = approle_vault(fake_vault, vault_clock)
    vault.get("vault:quorum/exchange#api_key")
    fake_vault.renew_grant = 60

    vault_clock.advance(timedelta(seconds=500))
    assert vault.get("vault:quorum/exchange#api_key").get_secret_value() == API_KEY

    assert fake_vault.count(*RENEW) == 1
    assert fake_vault.count(*LOGIN) == 2


def test_missing_key_names_the_ref(fake_vault: FakeVault, vault_clock: ReplayClock) -> None:
    vault = token_vault(fake_vault, vault_clock, fake_vault.issue_token(ttl=3600))

    with pytest.raises(SecretNotFound) as caught:
        vault.get("vault:quorum/exchange#passphrase")

    message = str(caught.value)
    assert "secret ref 'vault:quorum/exchange#passphrase'" in message
    assert "key 'passphrase' not found in secret/quorum/exchange" in message
    assert API_KEY not in message
    assert API_SECRET not in message


def test_missing_path_names_the_ref_and_path(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    vault = token_vault(fake_vault, vault_clock, fake_vault.issue_token(ttl=3600))

    with pytest.raises(SecretNotFound, match=r"'vault:quorum/nowhere#k': no secret at secret/"):
        vault.get("vault:quorum/nowhere#k")


def test_non_string_value_is_refused_without_showing_it(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    fake_vault.secrets["quorum/odd"] = {"pin": 123456}
    vault = token_vault(fake_vault, vault_clock, fake_vault.issue_token(ttl=3600))

    with pytest.raises(
        SecretNotFound, match=r"must hold a non-empty string \(holds int\)"
    ) as caught:
        vault.get("vault:quorum/odd#pin")

    assert "123456" not in str(caught.value)


def test_refused_token_is_a_config_error_without_the_token(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    vault = token_vault(fake_vault, vault_clock, "hvs.revoked-token")

    with pytest.raises(ConfigError) as caught:
        vault.get("vault:quorum/exchange#api_key")

    assert "env:VAULT_TOKEN was refused by lookup-self (Forbidden: permission denied)" in str(
        caught.value
    )
    assert "hvs.revoked-token" not in str(caught.value)


def test_bad_approle_credentials_name_the_refs_not_the_values(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    fake_vault.approle = ("other-role", "other-secret")
    vault = approle_vault(fake_vault, vault_clock)

    with pytest.raises(ConfigError) as caught:
        vault.get("vault:quorum/exchange#api_key")

    message = str(caught.value)
    assert "AppRole login refused (InvalidRequest: invalid role or secret ID)" in message
    assert "env:VAULT_ROLE_ID" in message
    assert "env:VAULT_SECRET_ID" in message
    assert ROLE_ID not in message
    assert SECRET_ID not in message


def test_namespace_is_sent_with_every_request(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    token = fake_vault.issue_token(ttl=3600)
    vault = token_vault(fake_vault, vault_clock, token, namespace="team-quant")

    vault.get("vault:quorum/exchange#api_key")

    assert fake_vault.namespaces == ["team-quant", "team-quant"]


def test_unreachable_vault_is_a_config_error(vault_clock: ReplayClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = VaultSettings(url=f"http://127.0.0.1:{port}", token_ref="env:T", timeout_seconds=2)
    vault = VaultSecrets(settings, bootstrap=EnvSecrets({"T": "x"}), clock=vault_clock)

    with pytest.raises(ConfigError, match="unreachable"):
        vault.get("vault:quorum/exchange#api_key")


def test_built_provider_routes_vault_and_env_refs(
    fake_vault: FakeVault, vault_clock: ReplayClock
) -> None:
    token = fake_vault.issue_token(ttl=3600)
    settings = SecretsSettings(
        backend="vault", vault=VaultSettings(url=fake_vault.url, token_ref="env:VAULT_TOKEN")
    )
    provider = build_secrets_provider(
        settings, clock=vault_clock, env={"VAULT_TOKEN": token, "LOCAL": "local-value"}
    )

    assert provider.get("vault:quorum/exchange#api_secret").get_secret_value() == API_SECRET
    assert provider.get("env:LOCAL").get_secret_value() == "local-value"


def test_vault_values_and_tokens_never_reach_logs_reprs_or_errors(
    fake_vault: FakeVault, vault_clock: ReplayClock, caplog: pytest.LogCaptureFixture
) -> None:
    redactor = RedactingFilter()
    caplog.handler.addFilter(redactor)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redactor)
    logging.getLogger().addHandler(handler)
    try:
        vault = approle_vault(fake_vault, vault_clock, sink=redactor)
        secret = vault.get("vault:quorum/exchange#api_secret")
        fake_vault.refuse_renewal = True
        vault_clock.advance(timedelta(seconds=550))
        vault.get("vault:quorum/exchange#api_key")
        token = next(iter(fake_vault.tokens))
        logging.getLogger("quorum.tests.vault").warning(
            "using %s with %s / %s", secret.get_secret_value(), token, ROLE_ID
        )
    finally:
        logging.getLogger().removeHandler(handler)

    logged = stream.getvalue() + caplog.text
    assert "renew-self refused" in logged
    for value in (API_KEY, API_SECRET, ROLE_ID, SECRET_ID, *fake_vault.tokens):
        assert value not in logged
        assert value not in repr(vault)
        assert value not in str(vault)
        assert value not in repr(vault.session)
        assert value not in repr(secret)
