"""The declared flag schema refuses unknown names and wrong types, naming allowed values."""

from __future__ import annotations

import pytest

from quorum.config import FLAG_SPECS, flag_spec
from quorum.config.flags.spec import validate_defaults
from quorum.errors import ConfigError


def test_schema_declares_the_required_flags_with_safe_defaults() -> None:
    defaults = {name: spec.default for name, spec in FLAG_SPECS.items()}

    assert defaults == {
        "trading.mode": "paper",
        "trading.live_confirm": False,
        "kill_switch": False,
        "analysis.enabled": True,
        "llm.allow_paid": False,
    }
    assert FLAG_SPECS["trading.mode"].allowed == ("paper", "live")


def test_unknown_flag_is_refused_listing_the_known_flags() -> None:
    with pytest.raises(ConfigError) as caught:
        flag_spec("kill_swtich")

    message = str(caught.value)
    assert "unknown flag 'kill_swtich'" in message
    for name in FLAG_SPECS:
        assert name in message


def test_value_outside_allowed_values_is_refused_naming_them() -> None:
    with pytest.raises(ConfigError) as caught:
        flag_spec("trading.mode").validate("lve")

    assert str(caught.value) == "flag 'trading.mode': expected one of 'paper', 'live' (got 'lve')"


@pytest.mark.parametrize("value", ["true", 1, 0, None, "yes"])
def test_boolean_flag_refuses_non_booleans(value: object) -> None:
    with pytest.raises(
        ConfigError, match=r"flag 'kill_switch': expected a boolean \(true or false\)"
    ):
        flag_spec("kill_switch").validate(value)


def test_string_flag_refuses_a_boolean() -> None:
    with pytest.raises(ConfigError, match=r"flag 'trading\.mode'"):
        flag_spec("trading.mode").validate(True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("ON", True), ("1", True), ("yes", True), ("false", False), ("off", False)],
)
def test_text_is_parsed_for_boolean_flags(text: str, expected: bool) -> None:
    assert flag_spec("llm.allow_paid").parse(text) is expected


def test_unparsable_text_names_the_source() -> None:
    with pytest.raises(ConfigError, match=r"\(got 'maybe'\) \[env QUORUM_FLAG_KILL_SWITCH\]"):
        flag_spec("kill_switch").parse("maybe", "env QUORUM_FLAG_KILL_SWITCH")


def test_env_variable_names_replace_dots_with_double_underscore() -> None:
    assert flag_spec("trading.mode").env_var == "QUORUM_FLAG_TRADING__MODE"
    assert flag_spec("kill_switch").env_var == "QUORUM_FLAG_KILL_SWITCH"
    assert flag_spec("llm.allow_paid").env_var == "QUORUM_FLAG_LLM__ALLOW_PAID"


def test_defaults_override_is_validated() -> None:
    assert validate_defaults({"trading.mode": "live"})["trading.mode"] == "live"
    with pytest.raises(ConfigError, match=r"\[defaults\]"):
        validate_defaults({"trading.mode": "lve"})
