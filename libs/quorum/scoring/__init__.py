"""Quorum scoring package (see docs/ARCHITECTURE.md)."""
