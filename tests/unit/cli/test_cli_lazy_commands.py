"""``quorum`` loads a sub-command's module only when that sub-command runs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import COMMANDS, app, load_command

REPO = Path(__file__).resolve().parents[3]
HEAVY = ("langgraph", "litellm", "numba", "psycopg", "pandas", "sqlalchemy", "celery")
"""Libraries that cost ~0.3–3 s of import each: `quorum --help` loads none of them (#22)."""


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_static_help_of_each_command_is_the_commands_own(name: str) -> None:
    command = load_command(name)

    own = (command.short_help or command.help or "").split("\n\n")[0]

    assert COMMANDS[name].help == own


def test_help_lists_every_command_with_its_help() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    for name, entry in COMMANDS.items():
        assert name in result.output
        assert entry.help.split("\n")[0] in result.output


def test_help_imports_no_sub_command_module_and_no_library() -> None:
    code = (
        "import sys\n"
        "from apps.cli.main import main\n"
        "sys.argv = ['quorum', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "ours = ('apps.cli.commands', 'quorum')\n"
        f"heavy = {HEAVY!r}\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(ours) or m in heavy)\n"
        "print('LOADED', loaded)"
    )
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'libs'}"}

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"


def test_a_sub_command_runs_after_loading_its_module() -> None:
    result = CliRunner().invoke(app, ["version"])

    assert result.exit_code == 0, result.output
    assert result.output.strip()


def test_quorum_runs_modules_leave_out_plots_and_postgres() -> None:
    """`quorum run` on SQLite draws no report and opens no PostgreSQL connection: neither
    matplotlib (~0.3 s of import) nor psycopg (~0.2 s) is loaded by what it imports."""
    code = (
        "import sys\n"
        "import apps.cli.commands.run, quorum.pipeline, quorum.pipeline.driver\n"
        "import quorum.backtest.records\n"
        "print('LOADED', sorted(m for m in ('matplotlib', 'psycopg') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'libs'}"}

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"


def test_an_offline_quorum_run_never_imports_litellm(tmp_path: Path) -> None:
    """With the offline analyst alone (the embedded default) every answer comes without a
    litellm round trip, so litellm (~2.7 s CPU of import) is never loaded (#22 item 4)."""
    code = (
        "import sys\n"
        "from apps.cli.main import main\n"
        "sys.argv = ['quorum', 'run', '--steps', '2', '--symbols', 'BTC/USDT', '--json']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print('LITELLM', 'litellm' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'libs'}"}
    env.pop("QUORUM_CONFIG", None)

    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    (db,) = (tmp_path / "var" / "runs").glob("*.db")
    with closing(sqlite3.connect(db)) as conn:
        kinds = conn.execute("SELECT call_kind, model, count(*) FROM llm_calls GROUP BY 1, 2")
        assert [(kind, model) for kind, model, _ in kinds] == [("offline", "offline")]
    assert result.stdout.strip().splitlines()[-1] == "LITELLM False"
