"""Build a market-data loader from a source spec string (settings, CLI flags)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quorum.clock import Clock
from quorum.domain import Timeframe
from quorum.errors import ConfigError
from quorum.market.files import FileSource
from quorum.market.loader import MarketDataLoader
from quorum.market.parquet_store import ParquetBarStore, StoreBackedSource, StoreSource
from quorum.market.quality import QualityPolicy
from quorum.market.source import RawBarSource
from quorum.market.synthetic import SyntheticSource

__all__ = ["SOURCE_SPECS", "open_source"]

SOURCE_SPECS = (
    "synthetic",
    "synthetic:SEED",
    "store:DIR",
    "store",
    "csv:PATH",
    "parquet:PATH",
    "ccxt:EXCHANGE",
)


def _refuse(spec: str, why: str) -> ConfigError:
    return ConfigError(f"market source {spec!r}: {why}; expected one of {', '.join(SOURCE_SPECS)}")


def open_source(
    spec: str,
    *,
    clock: Clock,
    seed: int = 7,
    store_root: Path | None = None,
    policy: QualityPolicy | None = None,
    base_timeframe: Timeframe = Timeframe.M15,
    ccxt_config: Mapping[str, Any] | None = None,
) -> MarketDataLoader:
    """A :class:`MarketDataLoader` for ``spec``.

    ``synthetic`` / ``synthetic:SEED`` — the seeded generator (``seed`` by default);
    ``store:DIR`` — the local Parquet store in directory DIR (as written by
    ``quorum data import --store DIR``), read-only; ``store`` — the one at ``store_root``;
    ``csv:PATH`` / ``parquet:PATH`` — a user file;
    ``ccxt:EXCHANGE`` — a live exchange, behind the local store when ``store_root`` is given
    (``ccxt_config``: the exchange's non-secret ccxt config, e.g. a testnet or simulator URL).

    ``base_timeframe`` is the timeframe the synthetic generator works in (higher
    timeframes are aggregated from it); file, store and exchange sources serve the
    timeframe they hold.
    """
    kind, _, arg = spec.strip().partition(":")
    kind = kind.lower()
    source: RawBarSource
    if kind == "synthetic":
        if arg:
            try:
                seed = int(arg)
            except ValueError:
                raise _refuse(spec, f"seed {arg!r} is not an integer") from None
        source = SyntheticSource(seed, base_timeframe=base_timeframe)
    elif kind == "store":
        root = Path(arg) if arg else store_root
        if root is None:
            raise _refuse(spec, "store needs its directory: store:DIR")
        if not root.is_dir():
            raise _refuse(spec, f"store directory {root} does not exist")
        source = StoreSource(ParquetBarStore(root), clock=clock)
    elif kind in ("csv", "parquet"):
        if not arg:
            raise _refuse(spec, f"{kind} needs a file path")
        path = Path(arg)
        if not path.is_file():
            raise _refuse(spec, f"file {path} does not exist")
        source = FileSource(path, kind="csv" if kind == "csv" else "parquet")
    elif kind == "ccxt":
        if not arg:
            raise _refuse(spec, "ccxt needs an exchange id, e.g. ccxt:binance")
        module = importlib.import_module("quorum.market.ccxt_source")
        source = module.CcxtSource(arg, clock=clock, config=ccxt_config)
        if store_root is not None:
            source = StoreBackedSource(ParquetBarStore(store_root), source, policy, clock=clock)
    else:
        raise _refuse(spec, "unknown source")
    return MarketDataLoader(source, clock, policy)
