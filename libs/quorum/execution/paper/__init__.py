"""The paper exchange: a matching engine (in memory, or shared through the database), fault
injection, an HTTP server and its clients."""

from quorum.execution.paper.faults import AMBIGUOUS_KINDS, Faults, FaultSettings, StoredFaults
from quorum.execution.paper.inprocess import InProcessPaperBroker
from quorum.execution.paper.matching import PaperSettings, PaperVenue, VenueStats
from quorum.execution.paper.replay import FillNote, ReplayVenue
from quorum.execution.paper.stored import PaperClockBehind, StoredPaperVenue

__all__ = [
    "AMBIGUOUS_KINDS",
    "FaultSettings",
    "Faults",
    "FillNote",
    "InProcessPaperBroker",
    "PaperClockBehind",
    "PaperSettings",
    "PaperVenue",
    "ReplayVenue",
    "StoredFaults",
    "StoredPaperVenue",
    "VenueStats",
]
