"""The FastAPI service: health, status, positions, orders, signals, LLM spend, flags, the
kill switch and /metrics. ``create_app`` is the factory; ``quorum api`` serves it.

``create_app`` is imported on first use, so ``quorum api token`` does not load the
pipeline (LangGraph, the agents) just to sign a token.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apps.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from apps.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
