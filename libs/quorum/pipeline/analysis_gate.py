"""The ``analysis.enabled`` feature flag ("run scans and agent analysis") in the pipeline.

While the flag is false:

- ``plan`` submits no scans. The scans it found due are counted in its result
  (``skipped``); their scan marks do not move, so once the flag is true again the next
  ``plan`` scans each (symbol, timeframe) at its latest closed bar — the paused bars are
  not replayed as a backlog.
- A ``scan`` submitted before the flip still scans and journals its bar (and moves its
  mark), but a candidate is not handed to ``analyze``: its result says
  ``"analysis": "disabled"`` and its ``scan`` journal entry carries ``analysis_skipped``.
- An ``analyze`` submitted before the flip returns ``status: "disabled"`` without running
  the agents: no model call, no signal, no order. Its key is not claimed.

``monitor``, ``execute``, ``reconcile``, ``daily_reset`` and the kill switch do not read the
flag: open positions keep their stops and exits. The first time the pipeline sees a pause it
journals it once (a ``flag_change`` entry, event ``analysis_paused``), keyed by the flag
store's version so that each flip to false is journaled once across all workers, however
many ``plan`` runs observe it. The flip itself is journaled by the flag store's recorder.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from quorum.domain import JournalKind, format_time
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.runs import TaskRuns

FLAG = "analysis.enabled"
DISABLED = "disabled"
"""The ``analysis`` of a scan result and the ``status`` of an analyze result while paused."""
REASON = f"feature flag {FLAG} is false"


def analysis_enabled(deps: PipelineDeps) -> bool:
    """The flag's effective value now (one flag-store read)."""
    return bool(deps.flags.get(FLAG))


def note_paused(deps: PipelineDeps, runs: TaskRuns, as_of: datetime, skipped_scans: int) -> bool:
    """Journal this pause once (per flag version and run); True when this call journaled it.

    The key ``analysis_paused:<run id>:<flag version>`` is claimed in the transaction that
    appends the entry, so concurrent or repeated observers add nothing more.
    """
    version = deps.flags.version()
    key = f"analysis_paused:{deps.run_id}:{version}"

    def work(session: Session) -> JSON:
        payload: JSON = {
            "event": "analysis_paused",
            "name": FLAG,
            "value": False,
            "flag_version": version,
            "observed_at": format_time(as_of),
            "skipped_scans": skipped_scans,
            "reason": REASON,
        }
        deps.journal.append(
            session,
            JournalKind.FLAG_CHANGE,
            payload,
            actor=deps.settings.actor,
            run_id=deps.run_id,
        )
        return {"status": "done", **payload}

    _, fresh = runs.once("analysis_paused", key, work)
    return fresh
