"""The paper exchange: a matching engine, fault injection, an HTTP server and its clients."""

from quorum.execution.paper.faults import AMBIGUOUS_KINDS, Faults, FaultSettings
from quorum.execution.paper.inprocess import InProcessPaperBroker
from quorum.execution.paper.venue import PaperSettings, PaperVenue, VenueStats

__all__ = [
    "AMBIGUOUS_KINDS",
    "FaultSettings",
    "Faults",
    "InProcessPaperBroker",
    "PaperSettings",
    "PaperVenue",
    "VenueStats",
]
