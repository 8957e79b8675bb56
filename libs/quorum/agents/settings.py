"""The analysis graph's settings, defined with the configuration
(``quorum.config.settings.agents``)."""

from quorum.config.settings.agents import (
    ANALYSTS,
    DEBATERS,
    AgentSettings,
    NodeRetry,
    Unit,
    resolve_min_opinions,
)

__all__ = ["ANALYSTS", "DEBATERS", "AgentSettings", "NodeRetry", "Unit", "resolve_min_opinions"]
