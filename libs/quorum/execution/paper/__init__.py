"""The paper exchange: one matching engine (in memory, or shared through the database) with
fault injection, used in process (``InProcessPaperBroker``) or behind Binance spot's REST
protocol (``paper.binance``, reached through ccxt) — one venue simulator, not two."""

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
