"""README's "Connect an LLM provider", driven through `quorum` with a loopback provider.

The YAML block of that section is the configuration under test: it must validate as
written (`quorum llm models`), its local OpenAI-compatible entry must answer `quorum
analyze` over HTTP with no key and no flag, and its paid OpenAI entry must stay unused —
the output saying why the offline analyst answered instead — until `llm.allow_paid` is on.
The loopback server speaks OpenAI's wire format, so it stands in for OpenAI, Ollama or vLLM.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.integration.llm.llm_loopback import Loopback
from typer.testing import CliRunner

from apps.cli.main import app

REPO = Path(__file__).resolve().parents[3]
ANALYZE = ["analyze", "BTC/USDT", "--as-of", "2025-01-19T00:00:00Z", "--data", "synthetic"]
runner = CliRunner()


def _readme_models() -> dict[str, dict[str, Any]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Connect an LLM provider", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the section shows its configuration as a yaml block"
    models = yaml.safe_load(block.group(1))["llm"]["models"]
    return {m["name"]: m for m in models}


def _configure(tmp: Path, monkeypatch: pytest.MonkeyPatch, models: list[dict[str, Any]]) -> None:
    monkeypatch.chdir(tmp)
    config = tmp / "quorum.yaml"
    config.write_text(yaml.safe_dump({"llm": {"models": models}}), encoding="utf-8")
    monkeypatch.setenv("QUORUM_CONFIG", str(config))
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps at the terminal width otherwise
    monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")  # pragma: allowlist secret
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-loopback")  # pragma: allowlist secret


def _analyze(*extra: str) -> str:
    result = runner.invoke(app, [*ANALYZE, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def _calls(tmp: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(tmp / "var" / "quorum.db") as db:
        return db.execute("SELECT node, model, cost_nano FROM llm_calls ORDER BY id").fetchall()


def test_the_readme_configuration_validates_and_lists_its_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(tmp_path, monkeypatch, list(_readme_models().values()))
    result = runner.invoke(app, ["llm", "models", "--json"])
    assert result.exit_code == 0, result.output
    assert "gpt-4o-mini" in result.output
    assert "claude-sonnet" in result.output
    assert "local-llama" in result.output


def test_a_local_openai_compatible_server_answers_without_key_or_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loopback: Loopback
) -> None:
    local = _readme_models()["local-llama"] | {"api_base": loopback.base_url}
    _configure(tmp_path, monkeypatch, [local])

    output = _analyze()

    assert loopback.hit_models() == ["llama3.1:8b"] * 3, "the three analysts (role fast)"
    assert "(local-llama, ok)" in output
    # bull and bear ask for role "deep", which nothing configured serves: said, with why
    assert "no configured model with a usable key serves role 'deep'" in output
    assert "LLM: 2 answer(s) by the offline analyst" in output
    assert [model for _, model, _ in _calls(tmp_path)].count("local-llama") == 3


def test_a_paid_model_waits_for_the_flag_and_the_output_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loopback: Loopback
) -> None:
    models = _readme_models()
    openai = models["gpt-4o-mini"] | {"api_base": loopback.base_url}
    deep = openai | {"name": "gpt-4o-mini-deep", "role": "deep"}
    _configure(tmp_path, monkeypatch, [openai, deep])

    off = _analyze("--json")
    document = json.loads(off)
    assert loopback.hit_models() == []
    assert document["offline_answers"] == {"offline: paid models are off (flag llm.allow_paid)": 5}
    text = _analyze()
    assert "offline, ok; offline: paid models are off (flag llm.allow_paid)" in text
    assert "LLM: 5 answer(s) by the offline analyst" in text

    monkeypatch.setenv("QUORUM_FLAG_LLM__ALLOW_PAID", "true")
    on = _analyze()
    assert loopback.hit_models() == ["gpt-4o-mini"] * 5
    assert "(gpt-4o-mini, ok)" in on
    assert "(gpt-4o-mini-deep, ok)" in on
    assert "offline analyst" not in on
    paid = [cost for _, model, cost in _calls(tmp_path) if model.startswith("gpt-4o-mini")]
    assert len(paid) == 5
    assert all(cost > 0 for cost in paid)


def test_offline_asked_for_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _configure(tmp_path, monkeypatch, [_readme_models()["gpt-4o-mini"]])
    output = _analyze("--offline")
    assert "LLM: 5 answer(s) by the offline analyst: offline: --offline asked" in output


def test_a_backtest_says_why_the_offline_analyst_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loopback: Loopback
) -> None:
    openai = _readme_models()["gpt-4o-mini"] | {"api_base": loopback.base_url}
    _configure(tmp_path, monkeypatch, [openai, openai | {"name": "deep", "role": "deep"}])
    window = ["--start", "2025-01-01", "--end", "2025-01-02"]
    args = ["backtest", "--symbols", "BTC/USDT", "--timeframes", "15m,1h,4h", *window]
    args += ["--db", str(tmp_path / "b.db")]

    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])

    assert loopback.hit_models() == []
    offline = summary["offline_answers"]
    assert list(offline) == ["offline: paid models are off (flag llm.allow_paid)"]
    assert sum(offline.values()) > 0
