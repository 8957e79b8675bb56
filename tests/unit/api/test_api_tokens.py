"""Bearer tokens: minted with a role and an expiry, verified against the injected clock."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from apps.api.auth import Role, TokenInvalid, build_token_authority, parse_ttl
from quorum.clock import ReplayClock
from quorum.config import AppSettings, EnvSecrets
from quorum.config.settings.api import ApiSettings
from quorum.errors import ConfigError

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
SECRET = "x" * 48  # pragma: allowlist secret


def _settings(tmp_path: Path, **overrides: object) -> ApiSettings:
    return ApiSettings(local_key_path=str(tmp_path / "api.key"), **overrides)  # type: ignore[arg-type]


def test_the_api_binds_to_loopback_unless_configured_otherwise() -> None:
    assert ApiSettings().host == "127.0.0.1"
    assert AppSettings().api.host == "127.0.0.1"


def test_a_minted_token_verifies_with_its_subject_role_and_expiry(tmp_path: Path) -> None:
    clock = ReplayClock(T0)
    authority = build_token_authority(_settings(tmp_path), EnvSecrets({}), clock)

    caller = authority.verify(authority.mint("alice", Role.OPERATOR, timedelta(hours=1)))

    assert (caller.subject, caller.role, caller.actor) == ("alice", Role.OPERATOR, "api:alice")
    assert caller.expires_at == T0 + timedelta(hours=1)


def test_a_token_is_refused_once_the_clock_passes_its_expiry(tmp_path: Path) -> None:
    clock = ReplayClock(T0)
    authority = build_token_authority(_settings(tmp_path), EnvSecrets({}), clock)
    token = authority.mint("alice", Role.VIEWER, timedelta(minutes=5))
    clock.advance(timedelta(minutes=4, seconds=59))
    authority.verify(token)

    clock.advance(timedelta(seconds=1))

    with pytest.raises(TokenInvalid, match="expired"):
        authority.verify(token)


def test_a_token_signed_with_another_key_is_refused(tmp_path: Path) -> None:
    clock = ReplayClock(T0)
    ours = build_token_authority(_settings(tmp_path / "a"), EnvSecrets({}), clock)
    theirs = build_token_authority(_settings(tmp_path / "b"), EnvSecrets({}), clock)

    with pytest.raises(TokenInvalid, match="Signature verification failed"):
        ours.verify(theirs.mint("mallory", Role.ADMIN, timedelta(hours=1)))


def test_an_unsigned_or_tampered_token_is_refused(tmp_path: Path) -> None:
    clock = ReplayClock(T0)
    authority = build_token_authority(_settings(tmp_path), EnvSecrets({}), clock)
    claims = {"sub": "eve", "role": "admin", "iss": "quorum", "iat": 0, "exp": 2**40}
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    header, _, signature = authority.mint("eve", Role.VIEWER, timedelta(hours=1)).rpartition(".")
    forged_payload = unsigned.split(".")[1]
    tampered = f"{header.split('.')[0]}.{forged_payload}.{signature}"

    for token in (unsigned, tampered, "not-a-jwt"):
        with pytest.raises(TokenInvalid):
            authority.verify(token)


def test_a_token_without_a_role_or_with_an_unknown_role_is_refused(tmp_path: Path) -> None:
    clock = ReplayClock(T0)
    settings = _settings(tmp_path, token_secret_ref="env:API_SECRET")
    authority = build_token_authority(settings, EnvSecrets({"API_SECRET": SECRET}), clock)
    base = {"sub": "eve", "iss": "quorum", "iat": int(T0.timestamp())}
    exp = int((T0 + timedelta(hours=1)).timestamp())

    no_role = jwt.encode({**base, "exp": exp}, SECRET, algorithm="HS256")
    bad_role = jwt.encode({**base, "exp": exp, "role": "root"}, SECRET, algorithm="HS256")
    other_issuer = jwt.encode(
        {**base, "exp": exp, "role": "admin", "iss": "x"}, SECRET, algorithm="HS256"
    )

    with pytest.raises(TokenInvalid, match="role"):
        authority.verify(no_role)
    with pytest.raises(TokenInvalid, match="role"):
        authority.verify(bad_role)
    with pytest.raises(TokenInvalid, match="issuer"):
        authority.verify(other_issuer)


def test_the_secret_comes_from_the_secrets_provider_when_a_reference_is_set(
    tmp_path: Path,
) -> None:
    clock = ReplayClock(T0)
    settings = _settings(tmp_path, token_secret_ref="env:QUORUM_API_TOKEN_SECRET")
    authority = build_token_authority(
        settings, EnvSecrets({"QUORUM_API_TOKEN_SECRET": SECRET}), clock
    )

    token = authority.mint("bob", Role.ADMIN, timedelta(hours=1))

    assert (
        jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})["role"]
        == "admin"
    )
    assert not (tmp_path / "api.key").exists()


def test_a_short_hmac_secret_is_refused_naming_the_reference(tmp_path: Path) -> None:
    settings = _settings(tmp_path, token_secret_ref="env:SHORT")

    with pytest.raises(ConfigError, match=r"api.token_secret_ref env:SHORT: .*32 bytes"):
        build_token_authority(settings, EnvSecrets({"SHORT": "abc"}), ReplayClock(T0))


def test_the_embedded_key_file_is_created_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    clock = ReplayClock(T0)
    settings = _settings(tmp_path)
    first = build_token_authority(settings, EnvSecrets({}), clock)
    key = tmp_path / "api.key"
    content = key.read_text()

    second = build_token_authority(settings, EnvSecrets({}), clock)

    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text() == content
    assert second.verify(first.mint("alice", Role.VIEWER, timedelta(hours=1))).subject == "alice"
    assert list(tmp_path.iterdir()) == [key]


def test_eddsa_tokens_verify_with_the_public_half_of_the_configured_key(tmp_path: Path) -> None:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings = _settings(tmp_path, signing_algorithm="EdDSA", token_secret_ref="env:ED_KEY")
    authority = build_token_authority(settings, EnvSecrets({"ED_KEY": pem}), ReplayClock(T0))

    token = authority.mint("carol", Role.OPERATOR, timedelta(hours=1))

    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    claims = jwt.decode(
        token, private.public_key(), algorithms=["EdDSA"], options={"verify_exp": False}
    )
    assert claims["sub"] == "carol"
    assert authority.verify(token).role is Role.OPERATOR


def test_an_hs256_token_is_refused_by_an_eddsa_authority(tmp_path: Path) -> None:
    clock = ReplayClock(T0)
    hs = build_token_authority(_settings(tmp_path / "hs"), EnvSecrets({}), clock)
    ed = build_token_authority(
        _settings(tmp_path / "ed", signing_algorithm="EdDSA"), EnvSecrets({}), clock
    )

    with pytest.raises(TokenInvalid, match="alg value is not allowed"):
        ed.verify(hs.mint("alice", Role.ADMIN, timedelta(hours=1)))


def test_minting_refuses_a_ttl_above_the_configured_maximum(tmp_path: Path) -> None:
    authority = build_token_authority(
        _settings(tmp_path, max_token_ttl_s=3600), EnvSecrets({}), ReplayClock(T0)
    )

    with pytest.raises(ConfigError, match=r"ttl: expected at most api.max_token_ttl_s=3600"):
        authority.mint("alice", Role.VIEWER, timedelta(hours=2))


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("7d", 604800), ("42", 42)]
)
def test_ttl_text_parses_to_seconds(text: str, seconds: int) -> None:
    assert parse_ttl(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "0h", "-1h", "1w", "h"])
def test_bad_ttl_text_is_a_config_error_naming_the_field(text: str) -> None:
    with pytest.raises(ConfigError, match="ttl: expected a positive duration"):
        parse_ttl(text)


def test_roles_are_ordered_and_parse_case_insensitively() -> None:
    assert Role.VIEWER < Role.OPERATOR < Role.ADMIN
    assert Role.parse(" Operator ") is Role.OPERATOR
    with pytest.raises(ConfigError, match="role: expected one of viewer, operator, admin"):
        Role.parse("root")


def test_a_bad_rate_limit_in_the_settings_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        ApiSettings(rate_limit="lots")
