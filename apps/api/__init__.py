"""The FastAPI service: health, status, positions, orders, signals, LLM spend, flags, the
kill switch and /metrics. ``apps.api.app.create_app`` is the factory; ``quorum api``
serves it.

This package exports nothing itself, so ``quorum api token`` (which imports
``apps.api.auth``) does not load the pipeline (LangGraph, the agents) just to sign a token.
"""
