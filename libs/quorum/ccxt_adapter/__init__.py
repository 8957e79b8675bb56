"""What the ccxt adapters (market data, orders) share: ccxt's error tables.

Imported only by ``quorum.market.ccxt_source`` and ``quorum.execution.ccxt_broker``;
importing it loads ccxt.
"""
