"""The risk gate's settings, defined with the configuration (``quorum.config.settings.risk``)."""

from quorum.config.settings.risk import (
    AccountSettings,
    CooldownTier,
    DrawdownSettings,
    ExpectancySettings,
    FeeRate,
    Fraction,
    MonitorSettings,
    PortfolioSettings,
    Positive,
    PositiveDuration,
    RiskSettings,
    SizingSettings,
    StopSettings,
    VenueSettings,
)

__all__ = (
    "AccountSettings",
    "CooldownTier",
    "DrawdownSettings",
    "ExpectancySettings",
    "FeeRate",
    "Fraction",
    "MonitorSettings",
    "PortfolioSettings",
    "Positive",
    "PositiveDuration",
    "RiskSettings",
    "SizingSettings",
    "StopSettings",
    "VenueSettings",
)
