"""Quorum execution package (see docs/ARCHITECTURE.md)."""
