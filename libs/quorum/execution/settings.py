"""The execution package's settings, defined with the configuration
(``quorum.config.settings.execution``)."""

from quorum.config.settings.execution import ExecutionSettings, MarketLimits

__all__ = ["ExecutionSettings", "MarketLimits"]
