"""The risk core holds no process-global mutable state: no memo caches, no ``lru_cache`` /
``cache`` decorators, no module- or class-level mutable containers, no ``global`` writes.

Two scans over every module of ``quorum.risk``: the source (AST), and the imported
modules' namespaces. Module-level values must be immutable (tuples, frozensets, read-only
mappings, frozen models); a ``Final`` annotation does not make a dict immutable. The scanner
is first shown sources that break each rule, so it is known to be able to fail.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import quorum.risk

MUTABLE_CALLS = frozenset(
    {
        "dict",
        "list",
        "set",
        "bytearray",
        "defaultdict",
        "OrderedDict",
        "Counter",
        "deque",
        "ChainMap",
        "WeakValueDictionary",
        "WeakKeyDictionary",
        "WeakSet",
        "SimpleNamespace",
        "IdentityMemo",
    }
)
CACHING_DECORATORS = frozenset({"lru_cache", "cache", "cached"})
MUTABLE_LITERALS = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)


def _name(node: ast.expr) -> str:
    """The last dotted part of a name or attribute (``functools.lru_cache`` → ``lru_cache``)."""
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _mutable(value: ast.expr | None) -> bool:
    if value is None:
        return False
    if isinstance(value, MUTABLE_LITERALS):
        return True
    if isinstance(value, ast.Call):
        name = _name(value.func)
        return name in MUTABLE_CALLS or name.endswith(("Memo", "Cache"))
    return False


def _assignments(body: list[ast.stmt]) -> list[ast.stmt]:
    """Assignments made when a module or class body runs (through ``if`` / ``try`` / ``with``
    blocks, not into functions or nested classes)."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            out.append(stmt)
        elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for block in ("body", "orelse", "finalbody"):
                out.extend(_assignments(getattr(stmt, block, [])))
            for handler in getattr(stmt, "handlers", []):
                out.extend(_assignments(handler.body))
    return out


def violations(source: str, filename: str = "<source>") -> list[str]:
    """Every way ``source`` holds or builds process-global mutable state, one line each."""
    tree = ast.parse(source, filename)
    found: list[str] = []

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            report(node, f"global statement ({', '.join(node.names)})")
        elif isinstance(node, ast.ImportFrom) and node.module == "functools":
            for alias in node.names:
                if alias.name in CACHING_DECORATORS:
                    report(node, f"imports functools.{alias.name}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").endswith(".memo"):
            report(node, f"imports {node.module}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                if _name(decorator) in CACHING_DECORATORS:
                    report(decorator, f"@{_name(decorator)} on {node.name}")
    scopes: list[tuple[str, list[ast.stmt]]] = [("module", tree.body)]
    scopes += [(f"class {n.name}", n.body) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    for scope, body in scopes:
        for stmt in _assignments(body):
            if isinstance(stmt, ast.AugAssign):
                report(stmt, f"{scope}-level augmented assignment")
            elif _mutable(stmt.value):
                report(stmt, f"{scope}-level mutable value ({ast.unparse(stmt.value)[:40]})")
    return found


def risk_modules() -> list[ModuleType]:
    package = Path(quorum.risk.__file__).parent
    names = [info.name for info in pkgutil.iter_modules([str(package)])]
    return [quorum.risk, *(importlib.import_module(f"quorum.risk.{n}") for n in names)]


BROKEN = {
    "lru_cache": "from functools import lru_cache\n@lru_cache(maxsize=8)\ndef f(x): return x\n",
    "functools.cache": "import functools\n@functools.cache\ndef f(x): return x\n",
    "memo": "from quorum.risk.memo import IdentityMemo\n_M = IdentityMemo(maxsize=4)\n",
    "final dict": "from typing import Final\n_NAMES: Final = {1: 'a'}\n",
    "dict comprehension": "_NAMES = {k: k for k in range(3)}\n",
    "list under if": "import sys\nif sys:\n    _SEEN = []\n",
    "class cache": "class A:\n    _memo: dict[int, int] = dict()\n",
    "global write": "_N = 0\ndef bump():\n    global _N\n    _N = 1\n",
    "augmented": "_ALL = ()\n_ALL += (1,)\n",
    "custom cache": "_PLANS = PlanCache(64)\n",
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_scanner_reports_each_kind_of_module_state(case: str) -> None:
    assert violations(BROKEN[case]), case


def test_the_scanner_accepts_immutable_module_constants() -> None:
    clean = (
        "from types import MappingProxyType\nfrom typing import Final\n"
        "ZERO: Final = 0\nNAMES: Final = MappingProxyType({1: 'a'})\n"
        "KINDS = frozenset({'a'})\n__all__ = ('ZERO',)\n"
        "def f() -> dict[str, int]:\n    out = {}\n    out['a'] = 1\n    return out\n"
    )
    assert violations(clean) == []


def test_no_risk_module_source_holds_mutable_module_state() -> None:
    found = []
    for module in risk_modules():
        path = Path(str(module.__file__))
        found += violations(path.read_text(encoding="utf-8"), path.name)
    assert found == []


def test_no_risk_module_namespace_holds_a_mutable_value_or_a_cached_function() -> None:
    found = []
    for module in risk_modules():
        for name, value in vars(module).items():
            if name.startswith("__") and name.endswith("__"):
                continue
            if isinstance(value, (dict, list, set, bytearray)):
                found.append(f"{module.__name__}.{name}: {type(value).__name__}")
            elif hasattr(value, "cache_info") or type(value).__name__.endswith("Memo"):
                found.append(f"{module.__name__}.{name}: cached ({type(value).__name__})")
    assert found == []
    assert len(risk_modules()) > 20  # the scan saw the whole package
