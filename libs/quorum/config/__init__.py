"""Settings (pydantic-settings), feature flags and secrets."""
