"""Stage services: compose the I/O edges and the pure core into the pipeline's stages.

The Celery tasks, ``quorum run`` and the backtester call these, so every entry point
runs the same code; they take their adapters (ports) as arguments and read no clock.
"""

from quorum.pipeline.journaling import StageJournal, scan_payload
from quorum.pipeline.scan import ScanStage, history_start

__all__ = ["ScanStage", "StageJournal", "history_start", "scan_payload"]
