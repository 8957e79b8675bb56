"""Quorum store package (see docs/ARCHITECTURE.md)."""
