"""Market data: sources (ccxt, local store, CSV / Parquet, synthetic), quality gates,
timeframe alignment, and the loader that implements the ``MarketData`` port.

The ccxt adapter lives in ``quorum.market.ccxt_source`` and is imported lazily
(by :func:`open_source` for ``ccxt:EXCHANGE`` specs) so that nothing here
imports ccxt.
"""

from quorum.market.align import (
    IncompleteBar,
    ResampleReport,
    aggregate_ohlcv,
    align_timeframes,
    resample,
    resample_with_report,
)
from quorum.market.files import TIMESTAMP_COLUMNS, FileSource, infer_timeframe, read_bar_file
from quorum.market.layout import TIMESTAMP_CONVENTIONS, TimestampConvention, conform_bars
from quorum.market.loader import MarketDataLoader
from quorum.market.parquet_store import ParquetBarStore, StoreBackedSource, StoreSource
from quorum.market.quality import QualityPolicy, check_bars, guard_exchange_time
from quorum.market.report import Gap, Problem, QualityRejected, QualityReport, RepairedRow
from quorum.market.source import (
    SOURCE_ROW,
    BoundedSource,
    RawBarSource,
    check_window,
    empty_raw_frame,
)
from quorum.market.sources import SOURCE_SPECS, open_source
from quorum.market.synthetic import SyntheticParams, SyntheticSource

__all__ = [
    "SOURCE_ROW",
    "SOURCE_SPECS",
    "TIMESTAMP_COLUMNS",
    "TIMESTAMP_CONVENTIONS",
    "BoundedSource",
    "FileSource",
    "Gap",
    "IncompleteBar",
    "MarketDataLoader",
    "ParquetBarStore",
    "Problem",
    "QualityPolicy",
    "QualityRejected",
    "QualityReport",
    "RawBarSource",
    "RepairedRow",
    "ResampleReport",
    "StoreBackedSource",
    "StoreSource",
    "SyntheticParams",
    "SyntheticSource",
    "TimestampConvention",
    "aggregate_ohlcv",
    "align_timeframes",
    "check_bars",
    "check_window",
    "conform_bars",
    "empty_raw_frame",
    "guard_exchange_time",
    "infer_timeframe",
    "open_source",
    "read_bar_file",
    "resample",
    "resample_with_report",
]
