"""Live policy inputs: rolling latency, error rate and cost per model, and accuracy scores.

:class:`StatsBoard` keeps the last ``window`` outcomes of each model in this process,
seeded from the cost ledger at start-up (:meth:`StatsBoard.seed`) and fed by every call.
:class:`AccuracyBoard` holds each model's accuracy score: the registry's value until the
scoring stage records one from trade outcomes (``llm_model_scores``, re-read every
``refresh_s`` seconds), per model and per (model, role) under ``model#role``
(:func:`quorum.scoring.accuracy_key`; the role is the node that asks).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from quorum.clock import Clock
from quorum.llm.ledger import CallRecord
from quorum.scoring import accuracy_key
from quorum.store.tables.llm import LLM_MODEL_SCORES_TABLE, llm_table


@dataclass(frozen=True, slots=True)
class Sample:
    ok: bool
    latency_s: float | None
    cost_nano: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class ModelStats:
    """A summary of one model's recent calls."""

    calls: int
    p95_latency_s: float | None
    error_rate: float
    mean_cost_nano: float | None
    mean_output_tokens: float | None


_EMPTY = ModelStats(0, None, 0.0, None, None)


class _Window:
    """The last ``size`` samples of one model with running sums (O(1) per record)."""

    def __init__(self, size: int) -> None:
        self.samples: deque[Sample] = deque()
        self.size = size
        self.ok = 0
        self.cost_nano = 0
        self.output_tokens = 0
        self.p95: float | None = None
        self.p95_stale = True

    def _count(self, sample: Sample, sign: int) -> None:
        if sample.ok:
            self.ok += sign
            self.cost_nano += sign * sample.cost_nano
            self.output_tokens += sign * sample.output_tokens

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)
        self._count(sample, 1)
        if len(self.samples) > self.size:
            self._count(self.samples.popleft(), -1)
        self.p95_stale = True

    def summary(self, latency: bool) -> ModelStats:
        if latency and self.p95_stale:
            latencies = sorted(
                s.latency_s for s in self.samples if s.ok and s.latency_s is not None
            )
            index = min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))
            self.p95 = latencies[index] if latencies else None
            self.p95_stale = False
        calls = len(self.samples)
        return ModelStats(
            calls=calls,
            p95_latency_s=self.p95 if latency else None,
            error_rate=1.0 - self.ok / calls if calls else 0.0,
            mean_cost_nano=self.cost_nano / self.ok if self.ok else None,
            mean_output_tokens=self.output_tokens / self.ok if self.ok else None,
        )


class StatsBoard:
    def __init__(self, window: int = 200) -> None:
        self._window = window
        self._models: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def record(self, model: str, sample: Sample) -> None:
        with self._lock:
            window = self._models.get(model)
            if window is None:
                window = self._models[model] = _Window(self._window)
            window.add(sample)

    def get(self, model: str, *, latency: bool = True) -> ModelStats:
        """The summary of ``model``; ``latency=False`` skips the p95 (which needs a sort)."""
        with self._lock:
            window = self._models.get(model)
            return _EMPTY if window is None else window.summary(latency)

    def seed(self, records: Iterable[CallRecord]) -> int:
        """Replay ledger rows: one row per provider call (a failed or invalid call is a
        failure of its model); rows written before per-call rows (no ``request_id``) stand
        for a request: the answering model succeeded, each fallback failed."""
        count = 0
        for record in records:
            if not record.request_id:
                for failed in filter(None, record.fallbacks.split(",")):
                    self.record(failed, Sample(False, None, 0, 0))
            elif record.model and record.outcome in ("failed", "invalid_output"):
                self.record(record.model, Sample(False, None, 0, 0))
            if record.model and not record.cache_hit and record.outcome in ("ok", "repaired"):
                self.record(
                    record.model,
                    Sample(
                        True, record.latency_ms / 1000.0, record.cost_nano, record.output_tokens
                    ),
                )
            count += 1
        return count


class AccuracyBoard:
    """Accuracy per model: registry defaults, overridden by scores in ``llm_model_scores``."""

    def __init__(
        self,
        defaults: Mapping[str, float],
        clock: Clock,
        engine: Engine | None = None,
        refresh_s: float = 60.0,
    ) -> None:
        self._defaults = dict(defaults)
        self._scores: dict[str, float] = {}
        self._clock = clock
        self._engine = engine
        self._refresh_s = refresh_s
        self._next_refresh = clock.monotonic()
        self._lock = threading.Lock()

    def get(self, model: str, role: str | None = None) -> float:
        """The learned (model, role) score, else the model's, else the registry's."""
        if self._engine is not None and self._clock.monotonic() >= self._next_refresh:
            self.refresh()
        with self._lock:
            fallback = self._scores.get(model, self._defaults.get(model, 0.0))
            return (
                fallback if role is None else self._scores.get(accuracy_key(model, role), fallback)
            )

    def update(self, model: str, accuracy: float) -> None:
        """Use ``accuracy`` for ``model`` in this process (see :func:`save_accuracy`)."""
        if not 0.0 <= accuracy <= 1.0:
            raise ValueError(f"accuracy of {model}: must be in [0, 1] (got {accuracy})")
        with self._lock:
            self._scores[model] = accuracy

    def refresh(self) -> None:
        self._next_refresh = self._clock.monotonic() + self._refresh_s
        if self._engine is None:
            return
        table = llm_table(LLM_MODEL_SCORES_TABLE)
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(select(table.c.model, table.c.accuracy)).all()
        except SQLAlchemyError:
            return  # keep the scores we have
        with self._lock:
            self._scores.update({str(m): float(a) for m, a in rows})


def save_accuracy(engine: Engine, clock: Clock, model: str, accuracy: float, source: str) -> None:
    """Record ``model``'s accuracy from trade outcomes (called by the scoring stage)."""
    if not 0.0 <= accuracy <= 1.0:
        raise ValueError(f"accuracy of {model}: must be in [0, 1] (got {accuracy})")
    table = llm_table(LLM_MODEL_SCORES_TABLE)
    module = postgresql if engine.dialect.name == "postgresql" else sqlite
    values = {
        "model": model,
        "accuracy": accuracy,
        "updated_at": clock.now().isoformat(),
        "source": source,
    }
    insert = module.insert(table).values(**values)
    upsert = insert.on_conflict_do_update(
        index_elements=["model"],
        set_={k: insert.excluded[k] for k in ("accuracy", "updated_at", "source")},
    )
    with engine.begin() as conn:
        conn.execute(upsert)
