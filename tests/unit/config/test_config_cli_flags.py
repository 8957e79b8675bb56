"""`quorum flags get|set`: reads and flips through load_settings; errors in red, exit 1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.commands.flags import app
from quorum.config import JsonlFlagAuditLog


@pytest.fixture
def flag_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("QUORUM_") and not name.startswith("QUORUM_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("QUORUM_FLAGS__FILE_PATH", str(tmp_path / "flags.json"))
    monkeypatch.setenv("QUORUM_FLAGS__AUDIT_PATH", str(tmp_path / "audit.jsonl"))
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_get_lists_every_flag_in_a_table(flag_dir: Path) -> None:
    code, out, _ = run("get")

    assert code == 0
    for name in ("trading.mode", "trading.live_confirm", "kill_switch", "analysis.enabled"):
        assert name in out
    assert "version 0" in out


def test_set_flips_a_flag_audits_it_and_get_json_shows_it(flag_dir: Path) -> None:
    code, out, _ = run("set", "kill_switch", "true", "--actor", "ops:bob", "--reason", "drill")

    assert code == 0
    assert "kill_switch: false → true (version 1, by ops:bob)" in out
    code, out, _ = run("get", "kill_switch", "--json")
    assert code == 0
    assert json.loads(out) == {
        "version": 1,
        "flags": [
            {
                "name": "kill_switch",
                "value": True,
                "default": False,
                "source": f"file {flag_dir / 'flags.json'}",
            }
        ],
    }
    [change] = JsonlFlagAuditLog(flag_dir / "audit.jsonl").entries()
    assert (change.actor, change.reason, change.new) == ("ops:bob", "drill", True)


def test_unknown_flag_is_an_error_with_exit_code_one(flag_dir: Path) -> None:
    code, _, err = run("set", "kill_swich", "true", "--actor", "a", "--reason", "r")

    assert code == 1
    assert "error:" in err
    assert "unknown flag 'kill_swich'" in err


def test_bad_value_is_an_error_naming_allowed_values(flag_dir: Path) -> None:
    code, _, err = run("set", "trading.mode", "yolo", "--actor", "a", "--reason", "r")

    assert code == 1
    assert "expected one of 'paper', 'live'" in err


def test_flip_to_live_without_confirmation_is_refused_and_nothing_is_written(
    flag_dir: Path,
) -> None:
    code, _, err = run("set", "trading.mode", "live", "--actor", "a", "--reason", "r")

    assert code == 1
    assert "live trading refused" in err
    assert "trading.live_confirm must be true" in err
    assert not (flag_dir / "flags.json").exists()
    assert not (flag_dir / "audit.jsonl").exists()


def test_invalid_settings_are_reported_with_the_key(
    flag_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUORUM_TRADING__MODE", "lve")

    code, _, err = run("get")

    assert code == 1
    assert "trading.mode: Input should be 'paper' or 'live'" in err


def test_set_requires_actor_and_reason(flag_dir: Path) -> None:
    code, _, _ = run("set", "kill_switch", "true")

    assert code == 2
