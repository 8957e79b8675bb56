"""Secret references parse into scheme/target/key; malformed ones never echo a value."""

from __future__ import annotations

import pytest

from quorum.config import parse_ref
from quorum.errors import ConfigError


def test_env_ref_parses_to_the_variable_name() -> None:
    parsed = parse_ref("env:BINANCE_API_KEY")

    assert (parsed.scheme, parsed.target, parsed.key) == ("env", "BINANCE_API_KEY", None)


def test_vault_ref_parses_to_path_and_key() -> None:
    parsed = parse_ref("vault:quorum/exchange/binance#api_key")

    assert (parsed.scheme, parsed.target, parsed.key) == (
        "vault",
        "quorum/exchange/binance",
        "api_key",
    )


@pytest.mark.parametrize("ref", ["vault:path-without-key", "vault:#key", "env:1BAD", "env:"])
def test_malformed_ref_with_known_scheme_is_named(ref: str) -> None:
    with pytest.raises(ConfigError, match="malformed") as caught:
        parse_ref(ref)

    assert repr(ref) in str(caught.value)


@pytest.mark.parametrize("value", ["sk-live-0123456789", "plain:looking:secret", ""])
def test_something_that_is_not_a_ref_is_never_echoed(value: str) -> None:
    with pytest.raises(ConfigError, match="not shown") as caught:
        parse_ref(value)

    if value:
        assert value not in str(caught.value)
