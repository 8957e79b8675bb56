"""Lazy package exports (PEP 562): a package's public names load their submodule on first use.

A package ``__init__`` lists its public names with ``TYPE_CHECKING`` imports (so mypy and
IDEs see them) and, at run time, hands the same names to :func:`attach`::

    if TYPE_CHECKING:
        from quorum.risk.engine import evaluate
    else:
        __getattr__, __dir__ = attach(__name__, {"evaluate": "engine"})

``from quorum.risk import evaluate`` then imports ``quorum.risk.engine`` at that moment, and
``import quorum.risk.settings`` no longer drags in the whole package (pandas, ccxt, LangGraph).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType

_EXPORTS = "__lazy_exports__"


class LazyPackage(ModuleType):
    """A package module whose exported names stay bound to the objects, not to submodules.

    Loading submodule ``pkg.monitor`` makes the import system set attribute ``pkg.monitor``
    to that module. When ``monitor`` is also an exported name (a function of that module),
    the eager ``from pkg.monitor import monitor`` in ``__init__`` used to overwrite it; this
    keeps that: the exported object is bound instead of the submodule.
    """

    def __setattr__(self, name: str, value: object) -> None:
        exports: Mapping[str, str] = self.__dict__.get(_EXPORTS, {})
        if (
            isinstance(value, ModuleType)
            and name in exports
            and value.__name__ == f"{self.__name__}.{name}"
        ):
            value = getattr(importlib.import_module(exports[name]), name)
        super().__setattr__(name, value)


def attach(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: each name in ``exports`` maps to the
    submodule (relative to ``package``) that defines it, imported on first access."""
    module = sys.modules[package]
    sources = {name: f"{package}.{sub}" for name, sub in exports.items()}
    module.__dict__[_EXPORTS] = sources
    module.__class__ = LazyPackage

    def module_getattr(name: str) -> object:
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        setattr(module, name, value)
        return value

    def module_dir() -> list[str]:
        return sorted({*module.__dict__, *sources})

    return module_getattr, module_dir
