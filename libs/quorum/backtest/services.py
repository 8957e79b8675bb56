"""What a backtest needs from the process: its runtime and its composition root.

``apps.bootstrap.Runtime`` fits: a backtest builds its pipeline through
``Runtime.build_pipeline`` — the same function ``quorum run``, the workers and the API use —
passing its replay venue costs, window market, in-memory checkpoints, LLM mode and
settings overrides as :class:`~quorum.pipeline.options.PipelineOptions`.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.engine import Engine

from quorum.clock import Clock
from quorum.config import AppSettings, FlagStore
from quorum.journal import Journal
from quorum.pipeline import Dispatcher, PipelineTasks
from quorum.pipeline.options import PipelineOptions, PipelineParts
from quorum.ports import SecretsProvider


class Services(Protocol):
    @property
    def settings(self) -> AppSettings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def secrets(self) -> SecretsProvider: ...
    @property
    def engine(self) -> Engine: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def flags(self) -> FlagStore: ...

    def build_pipeline(
        self,
        dispatcher: Dispatcher,
        options: PipelineOptions | None = None,
        *,
        parts: list[PipelineParts] | None = None,
    ) -> PipelineTasks: ...
