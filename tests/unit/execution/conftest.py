"""Opt-in for tests that run their own scripted venue on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def allow_loopback_orders(live_order_guard: object) -> Iterator[None]:
    guard = live_order_guard
    guard.loopback_allowed = True  # type: ignore[attr-defined]
    try:
        yield
    finally:
        guard.loopback_allowed = False  # type: ignore[attr-defined]
