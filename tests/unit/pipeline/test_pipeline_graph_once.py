"""The analysis graph is compiled once per pipeline (process), not once per analysis (#22
item 4): each analysis hands its own services to the run as LangGraph's runtime context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph.graph import StateGraph
from tests.unit.pipeline.kit import make_kit

from quorum.domain import format_time


def test_two_analyses_share_one_compiled_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    compiles: list[str | None] = []
    real = StateGraph.compile

    def counted(self: StateGraph[Any], *args: Any, **kwargs: Any) -> Any:
        compiles.append(kwargs.get("name"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(StateGraph, "compile", counted)
    kit = make_kit(pipeline={"symbols": ("BTC/USDT", "ETH/USDT")})
    try:
        at = format_time(kit.clock.now().replace(second=0))
        first = kit.tasks.analyze("BTC/USDT", at, "15m")
        second = kit.tasks.analyze("ETH/USDT", at, "15m")
    finally:
        kit.close()

    ran = {"approved", "rejected", "no_trade"}  # both went through the graph
    assert first["status"] in ran, first
    assert second["status"] in ran, second
    assert compiles == ["quorum-analysis"]
