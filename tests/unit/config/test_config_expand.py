"""${VAR} / ${VAR:-default} expansion of YAML string values."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quorum.config.settings.expand import dotted, expand_string, expand_tree
from quorum.errors import ConfigError

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)


def test_variable_is_replaced_by_its_value() -> None:
    assert expand_string("http://${HOST}:${PORT}/x", {"HOST": "h", "PORT": "1"}, ()) == (
        "http://h:1/x"
    )


def test_default_applies_when_unset_or_empty() -> None:
    assert expand_string("${A:-fallback}", {}, ()) == "fallback"
    assert expand_string("${A:-fallback}", {"A": ""}, ()) == "fallback"
    assert expand_string("${A:-fallback}", {"A": "set"}, ()) == "set"
    assert expand_string("${A:-}", {}, ()) == ""


def test_set_but_empty_variable_without_default_expands_to_empty() -> None:
    assert expand_string("x${A}y", {"A": ""}, ()) == "xy"


def test_double_dollar_brace_is_a_literal() -> None:
    assert expand_string("$${A} costs $5", {"A": "no"}, ()) == "${A} costs $5"


def test_undefined_variable_names_the_key_path_and_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        expand_tree({"trading": {"exchange": {"id": "${VENUE}"}}}, {})

    message = str(caught.value)
    assert message.startswith("trading.exchange.id: environment variable VENUE is not set")
    assert "${VENUE:-default}" in message


def test_malformed_reference_is_refused_with_its_path() -> None:
    with pytest.raises(ConfigError, match=r"hosts\[1\]: malformed variable reference '\$\{1BAD\}'"):
        expand_tree({"hosts": ["ok", "${1BAD}"]}, {})
    with pytest.raises(ConfigError, match="malformed variable reference"):
        expand_string("${UNCLOSED", {"UNCLOSED": "x"}, ("k",))


def test_non_string_values_and_lists_are_walked_but_not_changed() -> None:
    tree = {"a": 1, "b": True, "c": None, "d": ["${X}", 2.5], "e": {"f": "${X}"}}

    assert expand_tree(tree, {"X": "v"}) == {
        "a": 1,
        "b": True,
        "c": None,
        "d": ["v", 2.5],
        "e": {"f": "v"},
    }


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"trading: keys must be strings \(got int 1\)"):
        expand_tree({"trading": {1: "x"}}, {})


def test_dotted_formats_nested_paths() -> None:
    assert dotted(("a", "b", 0, "c")) == "a.b[0].c"
    assert dotted(()) == "(top level)"


@settings(max_examples=60, deadline=None)
@given(st.text().filter(lambda text: "$" not in text))
def test_text_without_dollar_is_unchanged(text: str) -> None:
    assert expand_string(text, {}, ()) == text


@settings(max_examples=60, deadline=None)
@given(NAMES, st.text())
def test_value_is_inserted_verbatim_and_never_re_expanded(name: str, value: str) -> None:
    assert expand_string(f"<${{{name}}}>", {name: value, "OTHER": "x"}, ()) == f"<{value}>"
