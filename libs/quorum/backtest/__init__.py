"""Quorum backtest package (see docs/ARCHITECTURE.md)."""
