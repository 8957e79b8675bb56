"""Quorum telemetry package (see docs/ARCHITECTURE.md)."""
