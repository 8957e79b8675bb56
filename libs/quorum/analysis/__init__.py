"""Quorum analysis package (see docs/ARCHITECTURE.md)."""
