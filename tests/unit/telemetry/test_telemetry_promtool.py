"""The alert rules pass `promtool check rules` and their unit tests (`promtool test rules`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[3] / "infra" / "prometheus" / "rules"


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("promtool is missing (Debian package prometheus); make test installs it")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def test_promtool_check_rules_accepts_every_rule_file() -> None:
    files = sorted(str(p) for p in RULES.glob("*.yml"))
    assert files, "no rule files in infra/prometheus/rules"
    done = subprocess.run(
        [_promtool(), "check", "rules", *files], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_rule_unit_tests_pass() -> None:
    tests = sorted(str(p) for p in (RULES / "tests").glob("*_test.yml"))
    assert tests, "no rule tests in infra/prometheus/rules/tests"
    done = subprocess.run(
        [_promtool(), "test", "rules", *tests], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_rule_tests_fail_when_an_alert_expectation_is_wrong(tmp_path: Path) -> None:
    source = (RULES / "tests" / "quorum_test.yml").read_text()
    broken = source.replace("../quorum.yml", str(RULES / "quorum.yml")).replace(
        "alertname: QuorumSafeModeTripped\n        exp_alerts:\n",
        "alertname: QuorumSafeModeTripped\n        exp_alerts: []\n        unused:\n",
        1,
    )
    assert broken != source
    path = tmp_path / "broken_test.yml"
    path.write_text(broken)
    done = subprocess.run(
        [_promtool(), "test", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
