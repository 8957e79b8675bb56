"""Loading the settings stays light: the domain packages' ``__init__`` load their names lazily.

``quorum.config`` builds AppSettings from the risk, execution, agents and scoring settings
modules; importing those must not pull in the packages' heavy parts (pandas via the domain,
ccxt via execution, LangGraph via agents, litellm via the LLM router).
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
HEAVY = ("pandas", "numpy", "ccxt", "langgraph", "litellm", "sqlalchemy", "celery")
LAZY_PACKAGES = (
    "quorum.domain",
    "quorum.risk",
    "quorum.execution",
    "quorum.agents",
    "quorum.scoring",
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
        " 'quorum.ports', 'quorum.lazy')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('quorum.')"
        " and not m.startswith(allowed))\n"
        "assert loaded == [], loaded"
    )

    assert imported_after(code) == []


def test_a_public_name_still_loads_its_heavy_module_on_first_use() -> None:
    assert "sqlalchemy" in imported_after("from quorum.execution import ExecutionService")
    assert "langgraph" in imported_after("from quorum.agents import build_analysis_graph")


def typing_imports(package: str) -> dict[str, str]:
    """``name -> submodule`` from the ``if TYPE_CHECKING:`` imports of ``package``."""
    module = importlib.import_module(package)
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom), ast.unparse(stmt)
                assert stmt.module is not None
                for alias in stmt.names:
                    names[alias.asname or alias.name] = stmt.module.removeprefix(package + ".")
    return names


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_lazy_map_matches_the_typed_imports_and_all(package: str) -> None:
    module = importlib.import_module(package)
    lazy = module.__dict__["__lazy_exports__"]

    typed = typing_imports(package)

    assert typed, package
    assert {name: f"{package}.{sub}" for name, sub in typed.items()} == lazy
    assert sorted(module.__all__) == sorted(typed)
    assert set(module.__all__) <= set(dir(module))


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_public_name_resolves_to_its_submodule_object(package: str) -> None:
    module = importlib.import_module(package)
    lazy = module.__dict__["__lazy_exports__"]

    for name in module.__all__:
        assert getattr(module, name) is getattr(importlib.import_module(lazy[name]), name), name


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_unknown_name_raises_attribute_error(package: str) -> None:
    module = importlib.import_module(package)

    with pytest.raises(AttributeError, match=r"has no attribute 'no_such_name'"):
        module.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {package} import no_such_name", {})


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
