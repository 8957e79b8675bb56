"""The offline analyst's answer to a prompt — one code path, two transports.

It reads the fenced market context of the prompt, answers in exactly the JSON schema real
models must produce (:class:`~quorum.llm.schema.AnalystAnswer`) and reports deterministic
token counts (:func:`~quorum.llm.tokens.offline_token_count`). The router calls
:func:`offline_reply` directly when the offline analyst is the chosen model (no litellm
import, no litellm round trip); inside a provider chain litellm reaches the same function
through the ``quorum-local/…`` custom provider (:mod:`quorum.llm.offline_provider`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quorum.llm.analyst import analyse, no_context_answer
from quorum.llm.prompts import extract_market_context
from quorum.llm.tokens import offline_prompt_tokens, offline_token_count


@dataclass(frozen=True, slots=True)
class OfflineReply:
    """The analyst's JSON answer and the token counts it reports."""

    text: str
    prompt_tokens: int
    completion_tokens: int


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


def offline_reply(messages: list[Any]) -> OfflineReply:
    """What the offline analyst answers to ``messages``, with its token counts."""
    text = offline_answer_text(messages)
    prompt_tokens = offline_prompt_tokens([{"content": _content(m)} for m in messages])
    return OfflineReply(text, prompt_tokens, offline_token_count(text))
