"""Quorum testing package (see docs/ARCHITECTURE.md)."""
