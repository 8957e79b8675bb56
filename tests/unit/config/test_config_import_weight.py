"""Loading the settings stays light: ``quorum.config.settings`` is a leaf.

Every component's settings model (risk, execution, llm, agents, scoring …) is defined in
``quorum.config.settings`` and imports only pydantic, the stdlib and the domain, so
loading the configuration never pulls in a capability package or its heavy libraries
(pandas, ccxt, LangGraph, litellm, SQLAlchemy). The packages' ``__init__`` import their
names eagerly; each public name is exported by one ``__init__`` import and ``__all__``.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
HEAVY = (
    "pandas",
    "numpy",
    "numba",
    "ccxt",
    "langgraph",
    "litellm",
    "sqlalchemy",
    "psycopg",
    "celery",
)
PACKAGES = (
    "quorum.domain",
    "quorum.risk",
    "quorum.execution",
    "quorum.agents",
    "quorum.scoring",
    "quorum.llm",
    "quorum.config",
)


def imported_after(code: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'libs'}"}
    probe = f"{code}\nimport sys; print(sorted(set({HEAVY!r}) & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return [name.strip("' ") for name in result.stdout.strip().strip("[]").split(",") if name]


def test_importing_quorum_config_loads_no_heavy_library() -> None:
    assert imported_after("import quorum.config") == []


def test_loading_the_settings_loads_no_heavy_library() -> None:
    code = (
        "from quorum.config import load_settings\n"
        "s = load_settings(env={'QUORUM_RISK__ACCOUNT__RESET_TIME': '17:30'})\n"
        "assert str(s.risk.account.reset_time) == '17:30:00', s.risk.account.reset_time"
    )

    assert imported_after(code) == []


def test_the_settings_package_is_a_leaf_that_imports_no_capability_package() -> None:
    code = (
        "import sys, quorum.config.settings\n"
        "allowed = ('quorum.config', 'quorum.domain', 'quorum.errors', 'quorum.clock',"
        " 'quorum.ports')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('quorum.')"
        " and not m.startswith(allowed))\n"
        "assert loaded == [], loaded"
    )

    assert imported_after(code) == []


def test_importing_the_domain_loads_no_heavy_library() -> None:
    assert imported_after("import quorum.domain") == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_bound_by_an_eager_import(package: str) -> None:
    module = importlib.import_module(package)

    assert len(set(module.__all__)) == len(module.__all__), package
    for name in module.__all__:
        assert name in module.__dict__, f"{package}.{name}"
    assert "__getattr__" not in module.__dict__, package


def test_name_shared_with_its_submodule_stays_the_function_after_the_submodule_loads() -> None:
    code = (
        "import quorum.risk.monitor, quorum.scoring.explain, quorum.scoring.reliability\n"
        "import quorum.risk, quorum.scoring\n"
        "from quorum.risk import monitor\n"
        "from quorum.scoring import explain, reliability\n"
        "assert callable(monitor) and monitor.__module__ == 'quorum.risk.monitor', monitor\n"
        "assert quorum.risk.monitor is monitor\n"
        "assert callable(explain) and callable(reliability), (explain, reliability)\n"
        "assert quorum.scoring.explain is explain"
    )

    imported_after(code)  # fails (non-zero exit) when an assertion in the child fails
