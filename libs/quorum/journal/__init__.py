"""Quorum journal package (see docs/ARCHITECTURE.md)."""
