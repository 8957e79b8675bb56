"""open_source: source specs to loaders, with ccxt imported only when asked for."""

from __future__ import annotations

import ast
import sys
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import quorum.market
from quorum.clock import ReplayClock
from quorum.domain import Timeframe
from quorum.errors import ConfigError
from quorum.market import (
    FileSource,
    MarketDataLoader,
    StoreBackedSource,
    StoreSource,
    SyntheticSource,
    open_source,
)

CLOCK = ReplayClock(datetime(2024, 6, 1, tzinfo=UTC))


def test_synthetic_specs_use_the_default_or_the_given_seed() -> None:
    default = open_source("synthetic", clock=CLOCK, seed=5, base_timeframe=Timeframe.H1)
    seeded = open_source("synthetic:42", clock=CLOCK)
    assert isinstance(default, MarketDataLoader)
    assert isinstance(default.source, SyntheticSource)
    assert isinstance(seeded.source, SyntheticSource)
    assert (default.source.seed, seeded.source.seed) == (5, 42)
    assert default.source.base_timeframe is Timeframe.H1
    assert seeded.source.base_timeframe is Timeframe.M15
    since = datetime(2024, 5, 1, tzinfo=UTC)
    bars = seeded.fetch_bars("BTC/USDT", Timeframe.H1, since, since + timedelta(days=1))
    direct = SyntheticSource(42).fetch_raw(
        "BTC/USDT", Timeframe.H1, since, since + timedelta(days=1)
    )
    pd.testing.assert_frame_equal(bars.df, direct, check_freq=False)


def test_file_and_store_specs(tmp_path: Path) -> None:
    csv = tmp_path / "bars.csv"
    csv.write_text("timestamp,open,high,low,close,volume\n")
    loader = open_source(f"csv:{csv}", clock=CLOCK)
    assert isinstance(loader.source, FileSource)
    assert loader.source.kind == "csv"
    store = open_source("store", clock=CLOCK, store_root=tmp_path)
    assert isinstance(store.source, StoreSource)


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("yahoo", "unknown source"),
        ("synthetic:abc", "seed 'abc' is not an integer"),
        ("store", "store needs its directory: store:DIR"),
        ("store:/nonexistent/store", "store directory /nonexistent/store does not exist"),
        ("csv:/nonexistent/bars.csv", "does not exist"),
        ("parquet:", "parquet needs a file path"),
        ("ccxt:", "ccxt needs an exchange id"),
    ],
)
def test_bad_specs_are_refused_naming_the_allowed_forms(spec: str, why: str) -> None:
    with pytest.raises(ConfigError) as caught:
        open_source(spec, clock=CLOCK)
    assert why in str(caught.value)
    assert (
        "synthetic, synthetic:SEED, store:DIR, store, csv:PATH, parquet:PATH, ccxt:EXCHANGE"
        in str(caught.value)
    )


def test_ccxt_is_imported_lazily_and_put_behind_the_store_when_one_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[tuple[str, object]] = []

    class FakeCcxtSource:
        def __init__(self, exchange_id: str, clock: object, config: object = None) -> None:
            made.append((exchange_id, clock))

        def fetch_raw(
            self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
        ) -> pd.DataFrame:
            raise AssertionError("not called")

    fake = types.ModuleType("quorum.market.ccxt_source")
    fake.CcxtSource = FakeCcxtSource  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "quorum.market.ccxt_source", fake)
    plain = open_source("ccxt:binance", clock=CLOCK)
    assert isinstance(plain.source, FakeCcxtSource)
    stored = open_source("ccxt:kraken", clock=CLOCK, store_root=tmp_path)
    assert isinstance(stored.source, StoreBackedSource)
    assert isinstance(stored.source.upstream, FakeCcxtSource)
    assert made == [("binance", CLOCK), ("kraken", CLOCK)]


def test_only_the_ccxt_adapter_modules_import_ccxt() -> None:
    """So `import quorum.market` never pulls ccxt in: the adapter is imported lazily."""
    package = Path(quorum.market.__file__).parent
    offenders = []
    for path in sorted(package.glob("*.py")):
        if path.name.startswith("ccxt"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [f"{path.name}: {n}" for n in names if "ccxt" in n]
    assert offenders == []
