"""AppSettings carries the risk, execution, agents and scoring components: YAML, env, errors."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from quorum.agents import AgentSettings
from quorum.config import AppSettings, load_settings
from quorum.domain import Liquidity, Timeframe
from quorum.errors import ConfigError
from quorum.execution import ExecutionSettings
from quorum.risk import BreachAction, RiskSettings
from quorum.scoring import ScoringSettings

REPO = Path(__file__).resolve().parents[3]

COMPONENTS: dict[str, type[BaseModel]] = {
    "risk": RiskSettings,
    "execution": ExecutionSettings,
    "agents": AgentSettings,
    "scoring": ScoringSettings,
}


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "quorum.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_components_default_to_their_own_models_defaults() -> None:
    settings = load_settings(env={})

    for name, model in COMPONENTS.items():
        assert AppSettings.model_fields[name].annotation is model
        assert getattr(settings, name) == model()


def test_yaml_file_sets_risk_execution_agents_and_scoring_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "risk:\n"
        "  sizing: {min_risk_fraction: '0.001', max_risk_fraction: '0.005'}\n"
        "  expectancy: {entry_liquidity: maker}\n"
        "  account:\n"
        "    reset_time: '17:30'\n"
        "    timezone: America/New_York\n"
        "    daily_realized_loss_action: reject_entries\n"
        "    cooldown_tiers: [{min_loss_fraction: '0.01', pause: PT45M}]\n"
        "execution:\n"
        "  resolve_lookups: 5\n"
        "  markets: {BTC/USDT: {symbol: BTC/USDT, max_quantity: '2'}}\n"
        "agents:\n"
        "  debate_rounds: 0\n"
        "  decision_timeframe: 4h\n"
        "  retry: {max_attempts: 5}\n"
        "scoring:\n"
        "  llm_weight: 2.5\n"
        "  timeframe_weights: {1h: 1.0, 1d: 2.0}\n",
    )

    settings = load_settings(env={}, config_path=path)

    assert settings.risk.sizing.max_risk_fraction == Decimal("0.005")
    assert settings.risk.sizing.min_risk_fraction == Decimal("0.001")
    assert settings.risk.expectancy.entry_liquidity is Liquidity.MAKER
    assert settings.risk.account.reset_time == time(17, 30)
    assert settings.risk.account.tz.key == "America/New_York"
    assert settings.risk.account.daily_realized_loss_action is BreachAction.REJECT_ENTRIES
    assert settings.risk.account.cooldown_tiers[0].pause == timedelta(minutes=45)
    assert settings.risk.portfolio == RiskSettings().portfolio  # untouched sections keep defaults
    assert settings.execution.resolve_lookups == 5
    assert settings.execution.markets["BTC/USDT"].max_quantity == Decimal(2)
    assert settings.agents.debate_rounds == 0
    assert settings.agents.decision_timeframe is Timeframe.H4
    assert settings.agents.retry.max_attempts == 5
    assert settings.scoring.llm_weight == 2.5
    assert settings.scoring.timeframe_weight(Timeframe.D1) == 2.0
    assert settings.scoring.timeframe_weight(Timeframe.M1) == 0.0


def test_nested_env_variables_set_component_keys_and_win_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "risk:\n  account: {reset_time: '08:00', max_trades: 7}\n")

    settings = load_settings(
        env={
            "QUORUM_RISK__ACCOUNT__RESET_TIME": "17:30",
            "QUORUM_RISK__SIZING__MAX_RISK_FRACTION": "0.01",
            "QUORUM_EXECUTION__HOLD_NEW_WHILE_UNKNOWN": "false",
            "QUORUM_AGENTS__RETRY__MAX_ATTEMPTS": "4",
            "QUORUM_SCORING__REGIME_WEIGHT": "0.25",
        },
        config_path=path,
    )

    assert settings.risk.account.reset_time == time(17, 30)
    assert settings.risk.account.max_trades == 7  # the file's other key in the same section
    assert settings.risk.sizing.max_risk_fraction == Decimal("0.01")
    assert settings.execution.hold_new_while_unknown is False
    assert settings.agents.retry.max_attempts == 4
    assert settings.scoring.regime_weight == 0.25


def test_bad_component_values_are_reported_by_dotted_key_and_source(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "risk:\n"
        "  sizing: {min_risk_fraction: '0.05', max_risk_fraction: '0.01'}\n"
        "  account: {surprise: 1}\n"
        "agents:\n"
        "  roles: {technical: fast}\n"
        "scoring:\n"
        "  llm_weight: -1\n",
    )

    with pytest.raises(ConfigError) as caught:
        load_settings(
            env={
                "QUORUM_RISK__ACCOUNT__RESET_TIME": "25:00",
                "QUORUM_EXECUTION__RESOLVE_LOOKUPS": "many",
            },
            config_path=path,
        )

    lines = str(caught.value).splitlines()

    def line(key: str) -> str:
        found = [text for text in lines if text.startswith(f"  - {key}:")]
        assert found, f"no problem reported for {key}: {lines}"
        return found[0]

    assert "min_risk_fraction: must be <= max_risk_fraction" in line("risk.sizing")
    assert "[file " in line("risk.sizing")
    assert "unknown key" in line("risk.account.surprise")
    assert "[env QUORUM_RISK__ACCOUNT__RESET_TIME]" in line("risk.account.reset_time")
    assert "[env QUORUM_EXECUTION__RESOLVE_LOOKUPS]" in line("execution.resolve_lookups")
    assert "missing the LLM role" in line("agents")
    assert "greater than or equal to 0" in line("scoring.llm_weight")


def test_unknown_env_key_inside_a_component_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"risk\.stops\.max_stop_pct: unknown key"):
        load_settings(env={"QUORUM_RISK__STOPS__MAX_STOP_PCT": "0.1"})


def test_bad_time_zone_names_the_account_section() -> None:
    with pytest.raises(
        ConfigError, match=r"risk\.account: .*unknown IANA time zone 'Mars/Olympus'"
    ):
        load_settings(env={"QUORUM_RISK__ACCOUNT__TIMEZONE": "Mars/Olympus"})


def test_component_settings_are_frozen() -> None:
    settings = load_settings(env={})

    with pytest.raises(ValidationError):
        settings.risk = RiskSettings()  # type: ignore[misc]
    with pytest.raises(ValidationError):
        settings.risk.account.reset_time = time(1, 0)  # type: ignore[misc]
    with pytest.raises(ValidationError):
        settings.execution.resolve_lookups = 9  # type: ignore[misc]
    with pytest.raises(ValidationError):
        settings.agents.debate_rounds = 3  # type: ignore[misc]
    with pytest.raises(ValidationError):
        settings.scoring.llm_weight = 3.0  # type: ignore[misc]


def test_example_file_documents_the_components_with_their_defaults() -> None:
    example = REPO / "config" / "quorum.example.yaml"

    settings = load_settings(env={}, config_path=str(example))

    text = example.read_text(encoding="utf-8")
    for name, model in COMPONENTS.items():
        assert f"\n{name}:\n" in text, name
        for field in model.model_fields:
            assert f" {field}:" in text, f"{name}.{field}"
        assert getattr(settings, name) == model(), name
