"""Risk settings per backtest spec: a strict override of RiskSettings, in the config hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from apps.cli.commands.backtest_walkforward import load_risk_config
from quorum.backtest import BacktestSpec
from quorum.errors import ConfigError
from quorum.risk import RiskSettings


def spec(**changes: Any) -> BacktestSpec:
    return BacktestSpec(
        symbols=("BTC/USDT",),
        start=datetime(2025, 1, 1, tzinfo=UTC),
        end=datetime(2025, 1, 2, tzinfo=UTC),
        **changes,
    )


def test_override_changes_only_the_given_fields() -> None:
    s = spec(risk={"account": {"max_trades": None}, "sizing": {"max_risk_fraction": "0.01"}})
    got = s.risk_settings()
    assert got.account.max_trades is None
    assert got.sizing.max_risk_fraction == Decimal("0.01")
    default = RiskSettings()
    assert got.account.daily_realized_loss_fraction == default.account.daily_realized_loss_fraction
    assert got.drawdown == default.drawdown


def test_no_override_gives_the_default_risk_settings() -> None:
    assert spec().risk_settings() == RiskSettings()


def test_override_is_kept_in_canonical_form_with_only_the_keys_given() -> None:
    s = spec(risk={"sizing": {"max_risk_fraction": Decimal("0.010")}})
    assert s.risk == {"sizing": {"max_risk_fraction": "0.010"}}


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"account": {"max_tradez": 3}}, "risk.account.max_tradez: unknown key"),
        ({"acount": {}}, "risk.acount: unknown key"),
        ({"sizing": {"max_risk_fraction": "5"}}, "risk.sizing.max_risk_fraction: "),
    ],
)
def test_bad_override_is_refused_naming_the_key(override: dict[str, Any], key: str) -> None:
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        spec(risk=override)


def test_unknown_key_error_lists_the_keys_its_section_takes() -> None:
    with pytest.raises(ValueError, match=r"expected one of: .*max_trades"):
        spec(risk={"account": {"max_tradez": 3}})


def test_override_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ValueError, match=r"risk: expected a mapping"):
        spec(risk=["account"])


def test_config_hash_without_override_is_the_hash_of_the_spec_without_the_field() -> None:
    s = spec()
    data = s.model_dump(mode="json")
    del data["risk"]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    assert s.config_hash() == hashlib.sha256(text.encode()).hexdigest()


def test_config_hash_includes_the_override() -> None:
    plain = spec().config_hash()
    a = spec(risk={"account": {"max_trades": 5}}).config_hash()
    b = spec(risk={"account": {"max_trades": 6}}).config_hash()
    assert len({plain, a, b}) == 3
    assert a == spec(risk={"account": {"max_trades": "5"}}).config_hash()


def test_risk_config_file_is_read_and_validated(tmp_path: Path) -> None:
    path = tmp_path / "risk.yaml"
    path.write_text("account:\n  max_trades: null\ndrawdown:\n  loss_streak_count: 10\n")
    assert load_risk_config(path) == {
        "account": {"max_trades": None},
        "drawdown": {"loss_streak_count": 10},
    }


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("monitor:\n  trail_after: 3\n", r"risk\.monitor\.trail_after: unknown key"),
        ("- a\n- b\n", r"risk: expected a mapping"),
        ("account: [unclosed\n", r"cannot read a YAML mapping"),
    ],
)
def test_bad_risk_config_file_is_refused_naming_file_and_key(
    tmp_path: Path, text: str, match: str
) -> None:
    path = tmp_path / "risk.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match) as err:
        load_risk_config(path)
    assert str(path) in str(err.value)
