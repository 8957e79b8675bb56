"""A resolved secret never appears in a log line, a repr, a str or an error message."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from quorum.config import (
    REDACTED,
    EnvSecrets,
    RedactingFilter,
    build_secrets_provider,
    check_live_allowed,
    load_settings,
)
from quorum.errors import ConfigError

SECRET = "s3cr3t-Value-42"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, RedactingFilter]]:
    logger = logging.getLogger("quorum.tests.config.redaction")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(api_key)s"))
    logger.addHandler(handler)
    redactor = RedactingFilter()
    redactor.attach(logger)
    try:
        yield logger, stream, redactor
    finally:
        logger.removeHandler(handler)


def test_resolved_secret_is_redacted_from_every_part_of_a_log_line(
    captured: tuple[logging.Logger, io.StringIO, RedactingFilter],
) -> None:
    logger, stream, redactor = captured
    secret = EnvSecrets({"API_KEY": SECRET}, sink=redactor).get("env:API_KEY")
    value = secret.get_secret_value()

    logger.info("args %s", value, extra={"api_key": value})
    logger.info(f"inline {value}", extra={"api_key": "-"})
    try:
        raise RuntimeError(f"venue said: bad key {value}")
    except RuntimeError:
        logger.exception("failed", extra={"api_key": "-"})
    logger.warning("stack", stack_info=True, extra={"api_key": value})

    output = stream.getvalue()
    assert SECRET not in output
    assert output.count(REDACTED) >= 5
    assert "venue said: bad key ***" in output


def test_values_that_were_never_resolved_are_left_alone(
    captured: tuple[logging.Logger, io.StringIO, RedactingFilter],
) -> None:
    logger, stream, _ = captured

    logger.info("plain %s", SECRET, extra={"api_key": "-"})

    assert SECRET in stream.getvalue()


def test_overlapping_secrets_are_fully_redacted() -> None:
    redactor = RedactingFilter()
    redactor.register("abc")
    redactor.register("abcdef-long")
    redactor.register("")

    assert redactor.redact("x abcdef-long y abc") == "x *** y ***"
    assert "abc" not in repr(redactor)


def test_a_record_with_broken_arguments_is_still_redacted() -> None:
    redactor = RedactingFilter()
    redactor.register(SECRET)
    record = logging.LogRecord("n", logging.INFO, "p", 1, "%s %s", (SECRET,), None)

    assert redactor.filter(record) is True
    assert SECRET not in record.getMessage()


def test_secret_is_absent_from_reprs_and_strs_of_providers_and_settings() -> None:
    env = {"API_KEY": SECRET, "QUORUM_DATABASE__URL": f"postgresql://quorum:{SECRET}@db/q"}
    settings = load_settings(env=env)
    provider = build_secrets_provider(settings, env=env)
    resolved = provider.get("env:API_KEY")

    for text in (repr(provider), str(provider), repr(resolved), str(resolved)):
        assert SECRET not in text
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert SECRET not in repr(settings.database)


def test_secret_is_absent_from_error_messages() -> None:
    env = {
        "API_KEY": SECRET,
        "QUORUM_TRADING__MODE": "live",
        "QUORUM_TRADING__EXCHANGE__API_KEY_REF": "env:API_KEY",
        "QUORUM_TRADING__EXCHANGE__API_SECRET_REF": "env:MISSING",
    }
    settings = load_settings(env=env)

    with pytest.raises(ConfigError) as caught:
        check_live_allowed(settings, EnvSecrets(env))
    with pytest.raises(ConfigError) as bad_settings:
        load_settings(env={**env, "QUORUM_TRADING__EXCHANGE__API_SECRET_REF": SECRET})

    assert SECRET not in str(caught.value)
    assert SECRET not in str(bad_settings.value)
    assert bad_settings.value.__cause__ is None
    assert bad_settings.value.__context__ is None
