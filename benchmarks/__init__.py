"""`quorum bench …` scenarios. Each module exposes ``run(...) -> dict`` (JSON-ready)."""
