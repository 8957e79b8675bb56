"""Quorum agents package (see docs/ARCHITECTURE.md)."""
