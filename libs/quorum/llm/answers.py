"""The answer cache as one request sees it: keyed per model, served only to that model.

An answer is stored under the model that gave it (``cache_key`` includes the model) and
looked up under the model the request would ask first. An offline or fallback answer is
thus never served when a paid model is asked (a backtest replaying ``--llm cached`` after
keys came back asks the paid model, not the heuristic that stood in for it).
"""

from __future__ import annotations

from pydantic import BaseModel

from quorum.llm.attempt import Attempt
from quorum.llm.cache import CachedAnswer, ResponseCache, cache_key
from quorum.llm.registry import RegisteredModel
from quorum.llm.schema import parse_structured
from quorum.ports import LLMRequest, LLMResult


class Answers[T: BaseModel]:
    def __init__(
        self, cache: ResponseCache, request: LLMRequest[T], attempt: Attempt[T], prompt: str
    ) -> None:
        self.cache = cache
        self.request = request
        self.attempt = attempt
        self.prompt = prompt

    def _key(self, model: str) -> str:
        request = self.request
        return cache_key(
            model, request.role, self.prompt, request.schema_version, self.attempt.prompt_version
        )

    def get(self, model: RegisteredModel) -> LLMResult[T] | None:
        """``model``'s cached answer to this prompt, as a cache-hit result (or None)."""
        cached = self.cache.get(self._key(model.name))
        if cached is None or cached.model != model.name:
            return None
        parsed = parse_structured(cached.output_json, self.request.schema)
        if parsed.value is None:
            return None
        self.attempt.why = f"cache hit (answered by {cached.model})"
        self.attempt.cache_hit = True
        return self.attempt.answer(parsed.value, cached.model, cached.provider, "cache_hit")

    def put(self, result: LLMResult[T]) -> None:
        """Store ``result`` under the model that answered it."""
        if result.output is None or result.cache_hit or not result.model:
            return
        self.cache.put(
            self._key(result.model),
            CachedAnswer(
                result.output.model_dump_json(),
                result.model,
                result.provider,
                result.input_tokens,
                result.output_tokens,
            ),
        )
