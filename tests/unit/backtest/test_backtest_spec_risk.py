"""Risk settings per backtest spec: a strict override of RiskSettings, in the config hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from apps.bootstrap import run_settings
from apps.cli.commands.backtest_walkforward import load_overrides, load_risk_config
from quorum.backtest import BacktestSpec
from quorum.config import AppSettings
from quorum.errors import ConfigError
from quorum.pipeline.options import PipelineOptions, RunSettings
from quorum.risk import RiskSettings


def spec(**changes: Any) -> BacktestSpec:
    return BacktestSpec(
        symbols=("BTC/USDT",),
        start=datetime(2025, 1, 1, tzinfo=UTC),
        end=datetime(2025, 1, 2, tzinfo=UTC),
        **changes,
    )


def effective(s: BacktestSpec, app: AppSettings | None = None) -> RunSettings:
    """The settings the composition root gives the run: the deployment's plus overrides."""
    return run_settings(app or AppSettings(), PipelineOptions(overrides=s.overrides()))


def test_override_changes_only_the_given_fields() -> None:
    s = spec(risk={"account": {"max_trades": None}, "sizing": {"max_risk_fraction": "0.01"}})
    got = effective(s).risk
    assert got.account.max_trades is None
    assert got.sizing.max_risk_fraction == Decimal("0.01")
    default = RiskSettings()
    assert got.account.daily_realized_loss_fraction == default.account.daily_realized_loss_fraction
    assert got.drawdown == default.drawdown


def test_no_override_gives_the_deployments_settings() -> None:
    deployment = AppSettings(risk={"account": {"max_trades": 3}}, agents={"debate_rounds": 2})
    got = effective(spec(), deployment)
    assert got.risk == deployment.risk
    assert got.agents == deployment.agents
    assert got.risk != RiskSettings()


def test_override_is_merged_over_the_deployments_settings_not_the_defaults() -> None:
    deployment = AppSettings(risk={"account": {"max_trades": 3}})
    got = effective(spec(risk={"sizing": {"max_risk_fraction": "0.01"}}), deployment)
    assert got.risk.account.max_trades == 3
    assert got.risk.sizing.max_risk_fraction == Decimal("0.01")


def test_agents_and_scoring_overrides_are_validated_and_hashed() -> None:
    a = spec(agents={"debate_rounds": 3}, scoring={"llm_weight": 3.0})
    assert effective(a).agents.debate_rounds == 3
    assert a.config_hash() != spec().config_hash()
    assert effective(a).digest() != effective(spec()).digest()
    with pytest.raises(ValueError, match=r"agents\.debate_roundz: unknown key"):
        spec(agents={"debate_roundz": 3})
    with pytest.raises(ValueError, match=r"scoring: expected a mapping"):
        spec(scoring=[1])


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
    for name in ("risk", "agents", "scoring", "llm_settings"):
        del data[name]
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


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("agents:\n  debate_rounds: 2\nrisky: {}\n", r"unknown sections \['risky'\]"),
        ("- agents\n", r"expected a mapping of \['agents', 'llm', 'risk', 'scoring'\]"),
        ("scoring:\n  llm_weight: -1\n", r"scoring\.llm_weight: "),
        ("agents: [\n", r"cannot read a YAML mapping"),
    ],
)
def test_overrides_file_is_refused_naming_the_problem(
    tmp_path: Path, text: str, match: str
) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_overrides(path)


def test_overrides_file_gives_each_section_validated(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text("agents:\n  debate_rounds: 2\nrisk:\n  account:\n    max_trades: 4\n")
    assert load_overrides(path) == {
        "agents": {"debate_rounds": 2},
        "risk": {"account": {"max_trades": 4}},
    }
