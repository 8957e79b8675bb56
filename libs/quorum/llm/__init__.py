"""Quorum llm package (see docs/ARCHITECTURE.md)."""
