"""The learned scoring state the analyze task uses: calibration and adaptive weights."""

from __future__ import annotations

from quorum.pipeline.persistence import Reader, load_scoring
from quorum.scoring import Calibrator, EvidenceWeights

CALIBRATION = "calibration"
WEIGHTS = "weights"


def learned_scoring(db: Reader) -> tuple[Calibrator, EvidenceWeights | None]:
    """The persisted calibrator (prior-only until refreshed) and weights (None: neutral)."""
    calibration, _ = load_scoring(db, CALIBRATION)
    weights, _ = load_scoring(db, WEIGHTS)
    return (
        Calibrator.model_validate(calibration) if calibration else Calibrator.prior_only(),
        EvidenceWeights.model_validate(weights) if weights else None,
    )
