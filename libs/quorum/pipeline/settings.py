"""The pipeline's settings model (defined with the configuration so loading it stays light)."""

from quorum.config.settings.pipeline import PipelineSettings, TimeframeText

__all__ = ["PipelineSettings", "TimeframeText"]
