"""load_settings: defaults, YAML file, env over file, QUORUM_CONFIG, nothing built at import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from quorum.config import AppSettings, TradingSettings, load_settings

REPO = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str, name: str = "quorum.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_load_without_env_or_file_gives_paper_defaults() -> None:
    settings = load_settings(env={})

    assert settings.trading.mode == "paper"
    assert settings.trading.live_confirm is False
    assert settings.database.url == "sqlite:///var/quorum.db"
    assert settings.broker_url is None
    assert settings.secrets.backend == "env"
    assert settings.flags.backend == "file"
    assert settings.flags.file_path == "var/flags.json"
    assert settings.flags.audit_path == "var/flag-audit.jsonl"
    assert settings.logging.level == "INFO"
    assert settings.logging.json_lines is False


def test_nested_env_variable_sets_a_component_key() -> None:
    settings = load_settings(
        env={
            "QUORUM_TRADING__MODE": "live",
            "QUORUM_TRADING__EXCHANGE__ID": "kraken",
            "QUORUM_LOGGING__JSON": "true",
            "quorum_logging__level": "debug",
        }
    )

    assert settings.trading.mode == "live"
    assert settings.trading.exchange.id == "kraken"
    assert settings.logging.json_lines is True
    assert settings.logging.level == "DEBUG"


def test_file_values_are_loaded_and_env_wins_over_file_key_by_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "trading:\n  mode: paper\n  exchange:\n    id: binance\n"
        "database:\n  url: postgresql://db/quorum\n",
    )

    settings = load_settings(env={"QUORUM_TRADING__MODE": "live"}, config_path=path)

    assert settings.trading.mode == "live"
    assert settings.trading.exchange.id == "binance"
    assert settings.database.url == "postgresql://db/quorum"


def test_quorum_config_variable_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "broker_url: redis://broker:6379/1\n")

    settings = load_settings(env={"QUORUM_CONFIG": path})

    assert settings.broker_url == "redis://broker:6379/1"


def test_argument_path_wins_over_quorum_config_variable(tmp_path: Path) -> None:
    from_env = write(tmp_path, "logging:\n  level: ERROR\n", "env.yaml")
    from_arg = write(tmp_path, "logging:\n  level: WARNING\n", "arg.yaml")

    settings = load_settings(env={"QUORUM_CONFIG": from_env}, config_path=from_arg)

    assert settings.logging.level == "WARNING"


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(env={}, config_path=write(tmp_path, "")) == load_settings(env={})


def test_yaml_values_are_expanded_from_the_given_env(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "trading:\n  exchange:\n    id: ${VENUE}\n    api_key_ref: env:${KEY_VAR:-BINANCE_KEY}\n"
        "database:\n  url: ${DATABASE_URL:-sqlite:///var/other.db}\n",
    )

    settings = load_settings(env={"VENUE": "bybit"}, config_path=path)

    assert settings.trading.exchange.id == "bybit"
    assert settings.trading.exchange.api_key_ref == "env:BINANCE_KEY"
    assert settings.database.url == "sqlite:///var/other.db"


def test_env_none_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUORUM_TRADING__EXCHANGE__ID", "okx")

    assert load_settings().trading.exchange.id == "okx"


def test_flag_and_unrelated_quorum_variables_are_not_settings() -> None:
    settings = load_settings(
        env={"QUORUM_FLAG_KILL_SWITCH": "true", "QUORUM_TEST_REDIS_URL": "redis://x"}
    )

    assert settings == load_settings(env={})


def test_settings_are_frozen() -> None:
    settings = load_settings(env={})

    with pytest.raises(ValidationError):
        settings.trading.mode = "live"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        settings.trading = TradingSettings()  # type: ignore[misc]


def test_example_config_file_loads_and_documents_every_current_key() -> None:
    example = REPO / "config" / "quorum.example.yaml"
    settings = load_settings(env={}, config_path=str(example))
    text = example.read_text(encoding="utf-8")

    assert settings.trading.mode == "paper"
    for component, model in AppSettings.model_fields.items():
        assert model.annotation is not None
        if not hasattr(model.annotation, "model_fields"):  # a scalar such as broker_url
            assert f"\n{component}: " in text, component
            continue
        assert f"\n{component}:\n" in text, component
        for field, info in model.annotation.model_fields.items():
            assert f" {info.alias or field}:" in text, f"{component}.{field}"


def test_importing_the_package_builds_nothing_and_loads_no_backend_client() -> None:
    env = {
        **os.environ,
        "QUORUM_TRADING__MODE": "not-a-mode",
        "QUORUM_CONFIG": "/nonexistent/quorum.yaml",
        "QUORUM_FLAG_KILL_SWITCH": "not-a-bool",
        "PYTHONPATH": f"{REPO / 'libs'}",
    }
    code = (
        "import sys, quorum.config, quorum.config.settings, quorum.config.flags, "
        "quorum.config.secrets; print(sorted({'redis', 'hvac', 'requests'} & set(sys.modules)))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
