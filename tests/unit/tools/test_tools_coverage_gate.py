"""The coverage gate (tools/coverage_gate.py) holds each gated package at its floor on its
own: a covered package cannot hide an uncovered one, and a package measured not at all
fails too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GATE = ROOT / "tools" / "coverage_gate.py"
PACKAGES = ("risk", "scoring", "execution")
MODULE = "def pick(flag):\n    if flag:\n        return 1\n    return 2\n"
PYPROJECT = '[tool.coverage.run]\nsource = ["libs/quorum"]\nbranch = true\n'


def _project(
    tmp_path: Path, calls: dict[str, list[bool]], packages: tuple[str, ...] = PACKAGES
) -> Path:
    """A tiny project whose packages each hold ``pick``; run it under coverage, calling
    ``pick`` of each package with the given flags."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    base = tmp_path / "libs" / "quorum"
    base.mkdir(parents=True)
    (base / "__init__.py").write_text("", encoding="utf-8")
    lines = ["import sys", "sys.path.insert(0, 'libs')"]
    for package in packages:
        (base / package).mkdir()
        (base / package / "__init__.py").write_text("", encoding="utf-8")
        (base / package / "logic.py").write_text(MODULE, encoding="utf-8")
        lines.append(f"from quorum.{package} import logic as {package}")
        lines += [f"{package}.pick({flag})" for flag in calls.get(package, [])]
    (tmp_path / "drive.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "drive.py"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    return tmp_path


def _gate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(GATE), "--root", str(root), "--data-file", str(root / ".coverage")]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, check=False)


def test_coverage_gate_passes_when_every_gated_package_is_fully_covered(tmp_path: Path) -> None:
    root = _project(tmp_path, {p: [True, False] for p in PACKAGES})

    result = _gate(root)

    assert result.returncode == 0, result.stderr
    for package in PACKAGES:
        assert f"ok   quorum.{package}: 100.0 % (floor 90 %)" in result.stdout


def test_coverage_gate_fails_on_one_package_below_the_floor_naming_it_and_its_gaps(
    tmp_path: Path,
) -> None:
    root = _project(
        tmp_path, {"risk": [True, False], "scoring": [True, False], "execution": [True]}
    )

    result = _gate(root)

    assert result.returncode == 1
    assert "ok   quorum.risk: 100.0 %" in result.stdout
    assert "FAIL quorum.execution: 66.7 % covered, below 90 %" in result.stderr
    assert "libs/quorum/execution/logic.py" in result.stderr
    assert "error: coverage below the floor in quorum.execution" in result.stderr


def test_coverage_gate_floor_is_configurable_and_compares_the_unrounded_percentage(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {"risk": [True], "scoring": [True], "execution": [True]})

    assert _gate(root, "--fail-under", "66.6").returncode == 0
    assert _gate(root, "--fail-under", "66.7").returncode == 1


def test_coverage_gate_fails_when_a_gated_package_was_not_measured(tmp_path: Path) -> None:
    root = _project(tmp_path, {p: [True, False] for p in PACKAGES}, ("risk", "execution"))

    result = _gate(root)

    assert result.returncode == 1
    assert "FAIL quorum.scoring: nothing measured under libs/quorum/scoring/" in result.stderr


def test_coverage_gate_fails_without_a_data_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")

    result = _gate(tmp_path)

    assert result.returncode == 1
