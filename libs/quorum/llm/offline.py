"""The offline provider: a litellm custom provider (``quorum-local/…``) running the analyst.

Registered through ``litellm.custom_provider_map``, so an offline call takes the same
path as a real one (Router, retries, fallbacks, cooldowns, hidden params). It reads the
fenced market context of the prompt, answers in exactly the JSON schema real models must
produce (:class:`~quorum.llm.schema.AnalystAnswer`), reports deterministic token counts
(:func:`~quorum.llm.tokens.offline_token_count`) and is registered at price zero.
"""

from __future__ import annotations

import threading
from typing import Any

from quorum.llm.analyst import analyse, no_context_answer
from quorum.llm.prompts import extract_market_context
from quorum.llm.settings import OFFLINE_MODEL, OFFLINE_PROVIDER
from quorum.llm.tokens import offline_prompt_tokens, offline_token_count
from quorum.llm.vendor import CustomLLM, ModelResponse, litellm

_lock = threading.Lock()


def _content(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def offline_answer_text(messages: list[Any]) -> str:
    """The analyst's JSON answer to ``messages`` (the newest context block wins)."""
    for message in reversed(messages):
        context = extract_market_context(_content(message))
        if context is not None:
            return analyse(context).model_dump_json()
    return no_context_answer().model_dump_json()


class OfflineAnalystLLM(CustomLLM):
    """litellm handler of ``quorum-local/*`` models."""

    def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        messages = list(kwargs.get("messages") or [])
        model = str(kwargs.get("model") or OFFLINE_MODEL.split("/", 1)[1])
        text = offline_answer_text(messages)
        prompt_tokens = offline_prompt_tokens([{"content": _content(m)} for m in messages])
        completion_tokens = offline_token_count(text)
        return ModelResponse(
            model=f"{OFFLINE_PROVIDER}/{model}",
            choices=[
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            usage={
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
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
