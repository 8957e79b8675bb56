"""The cyclic collector around a command (#22 item 5): paused while `quorum run` starts up,
settled (start-up frozen) once it is wired, everything thawed when it ends; `quorum`'s
``main`` freezes what is left before the interpreter's teardown walks it."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli import collector
from apps.cli.main import app

REPO = Path(__file__).resolve().parents[3]


def test_main_freezes_what_is_left_before_the_interpreter_tears_down() -> None:
    code = (
        "import atexit, gc, sys\n"
        "start = gc.get_freeze_count()\n"  # the interpreter may freeze a few of its own
        "atexit.register(lambda: print('FROZEN', gc.get_freeze_count() > start + 1000))\n"
        "from apps.cli.main import main\n"
        "sys.argv = ['quorum', 'version']\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'libs'}"}

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "FROZEN True"


def test_run_starts_up_paused_settles_once_and_leaves_everything_collectable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    seen: list[bool] = []
    real = collector.settle

    def settle() -> None:
        seen.append(gc.isenabled())
        real()

    monkeypatch.setattr(collector, "settle", settle)
    args = ["run", "--symbols", "BTC/USDT", "--timeframes", "15m", "--steps", "2", "--json"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    assert seen == [False]  # start-up ran with the collector paused, settled once
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_run_refused_after_start_up_began_turns_the_collector_back_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["run", "--symbols", "BTC/USDT", "--timeframes", "15m", "--history", "1", "--json"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 2, result.output
    assert "run refused" in result.output
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
