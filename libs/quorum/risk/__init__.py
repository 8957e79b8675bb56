"""Quorum risk package (see docs/ARCHITECTURE.md)."""
