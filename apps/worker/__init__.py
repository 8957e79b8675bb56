"""Celery worker and beat: thin wrappers over ``quorum.pipeline.PipelineTasks``.

``celery -A apps.worker worker|beat`` (or ``quorum worker`` / ``quorum beat``) reads
``apps.worker.app``, which is built on first access from ``load_settings()``: importing
this package creates nothing.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery


@cache
def get_app() -> Celery:
    """The process's Celery app, configured from the environment and ``QUORUM_CONFIG``."""
    from apps.worker.factory import create_app

    return create_app()


def __getattr__(name: str) -> Any:
    if name == "app":
        return get_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["get_app"]
