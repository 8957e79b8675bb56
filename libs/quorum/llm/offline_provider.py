"""The offline analyst as a litellm custom provider (``quorum-local/…``).

Registered through ``litellm.custom_provider_map`` when a provider backend is built, so an
offline link at the end of a provider chain takes the same path as a real one (Router,
retries, fallbacks, cooldowns, hidden params) and is priced at zero. The answer itself is
:func:`quorum.llm.offline.offline_reply` — the same function the router calls directly
when the offline analyst is the chosen model.
"""

from __future__ import annotations

import threading
from typing import Any

from quorum.llm.offline import offline_reply
from quorum.llm.settings import OFFLINE_MODEL, OFFLINE_PROVIDER
from quorum.llm.vendor import CustomLLM, ModelResponse, litellm

_lock = threading.Lock()


class OfflineAnalystLLM(CustomLLM):
    """litellm handler of ``quorum-local/*`` models."""

    def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        model = str(kwargs.get("model") or OFFLINE_MODEL.split("/", 1)[1])
        reply = offline_reply(list(kwargs.get("messages") or []))
        return ModelResponse(
            model=f"{OFFLINE_PROVIDER}/{model}",
            choices=[
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": reply.text},
                }
            ],
            usage={
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            },
        )

    async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self.completion(*args, **kwargs)


def register_offline_provider(
    model: str = OFFLINE_MODEL, context_window: int = 32_000, max_output_tokens: int = 800
) -> None:
    """Register the provider and ``model`` at price zero with litellm (idempotent)."""
    with _lock:
        if not any(item["provider"] == OFFLINE_PROVIDER for item in litellm.custom_provider_map):
            litellm.custom_provider_map = [
                *litellm.custom_provider_map,
                {"provider": OFFLINE_PROVIDER, "custom_handler": OfflineAnalystLLM()},
            ]
        if model not in litellm.model_cost:
            litellm.register_model(
                {
                    model: {
                        "input_cost_per_token": 0.0,
                        "output_cost_per_token": 0.0,
                        "cache_read_input_token_cost": 0.0,
                        "cache_creation_input_token_cost": 0.0,
                        "litellm_provider": OFFLINE_PROVIDER,
                        "mode": "chat",
                        "max_tokens": max_output_tokens,
                        "max_input_tokens": context_window,
                        "max_output_tokens": max_output_tokens,
                    }
                }
            )
