"""Token counts: the offline analyst's own deterministic count, and the budget's estimate.

* :func:`offline_token_count` is what the offline provider reports: one token per run of
  word characters and one per other non-space character (so ``"rsi":55.5`` is 7 tokens).
  It needs no tokenizer files, never changes between versions and is close to real BPE
  counts for numeric JSON.
* :func:`prompt_token_bound` is the input side of a budget reservation. By default the
  UTF-8 byte count plus a per-message allowance: byte-level BPE and byte-fallback
  tokenizers (OpenAI, Anthropic, Gemini, Llama, Mistral) never emit more tokens than
  bytes, so this is a true upper bound, and it costs nothing to compute (litellm's
  ``token_counter`` costs ~0.2 ms a call). It over-reserves prose about 4x and numeric
  JSON about 2x; the hold is released at settlement, so only calls near a cap notice.
  :func:`estimate_prompt_tokens` (``budget.input_tokens: tokenizer``) counts with litellm's
  bundled tokenizers instead, times a safety factor — tighter, not a guarantee.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

_TOKEN = re.compile(r"\w+|[^\w\s]")
MESSAGE_OVERHEAD = 4
"""Tokens per message for role markers and separators (OpenAI's chat framing)."""


def offline_token_count(text: str) -> int:
    return len(_TOKEN.findall(text))


def offline_prompt_tokens(messages: Sequence[dict[str, str]]) -> int:
    return sum(offline_token_count(m.get("content", "")) + MESSAGE_OVERHEAD for m in messages)


def prompt_token_bound(messages: Sequence[dict[str, str]]) -> int:
    """An upper bound of ``messages``' input tokens for byte-level tokenizers."""
    return sum(len(m.get("content", "").encode("utf-8")) + 2 * MESSAGE_OVERHEAD for m in messages)


def estimate_prompt_tokens(model: str, messages: Sequence[dict[str, str]], safety: float) -> int:
    """An upper estimate of ``messages``' input tokens on ``model`` (used to reserve budget)."""
    from quorum.llm.vendor import litellm

    try:
        counted = int(litellm.token_counter(model=model, messages=list(messages)))
    except Exception:  # an unknown tokenizer must not block the call: fall back
        counted = offline_prompt_tokens(messages)
    counted = max(counted, 1) + MESSAGE_OVERHEAD * len(messages)
    return math.ceil(counted * safety)
