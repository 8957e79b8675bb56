"""differing_decisions: the analyses the LLM opinions changed, with the opinions behind them."""

from __future__ import annotations

from quorum.backtest.ablation import Decision, differing_decisions


def _d(decision: str, status: str, opinions: tuple[str, ...] = ()) -> Decision:
    return Decision("BTC/USDT", "t", decision, status, 0.2, None, opinions)


def test_only_differing_decisions_are_listed_with_the_opinions_of_the_llm_arm() -> None:
    bear = ("technical=bearish 0.90 (m)",)
    with_llm = {
        ("BTC/USDT", "t1"): _d("none", "no_trade", bear),
        ("BTC/USDT", "t2"): _d("long", "approved", ("technical=bullish 0.70 (m)",)),
        ("ETH/USDT", "t3"): _d("short", "approved", bear),
    }
    without = {
        ("BTC/USDT", "t1"): _d("long", "approved"),
        ("BTC/USDT", "t2"): _d("long", "approved"),
    }
    rows = differing_decisions(with_llm, without)
    assert [(r["symbol"], r["as_of"]) for r in rows] == [("BTC/USDT", "t1"), ("ETH/USDT", "t3")]
    assert rows[0]["opinions"] == list(bear)
    assert rows[0]["with_llm"]["decision"] == "none"
    assert rows[0]["without_llm"]["decision"] == "long"
    assert rows[1]["without_llm"]["status"] == "not analysed"
