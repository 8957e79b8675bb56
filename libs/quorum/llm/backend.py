"""The litellm edge: the registry as a ``litellm.Router``, one typed call, typed failures.

litellm does the per-call timeout, retries with exponential backoff and jitter
(``num_retries``, ``retry_after``), fallbacks across model groups in the order we pass,
cooldown of failing deployments and replica choice inside a group. Two settings matter:

* every registry entry is its own model group (``model_name`` = registry name, deployment
  id = the name, or ``name#i`` for replicas), so a policy's chain maps 1:1 to
  ``model`` + per-request ``fallbacks``;
* an ``allowed_fails_policy`` is always set: litellm's default cooldown logic never cools
  down a *single-deployment* group, so a dead model would be retried slowly on every
  request; with a policy, ``allowed_fails`` failures of a deployment cool it down too.

Nothing of litellm's untyped surface leaks past this module: a call returns a
:class:`Completion` or raises :class:`ProviderCallFailed`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from quorum.llm.completion import Completion, FailedCall, OnFailure, ProviderCallFailed
from quorum.llm.offline_provider import register_offline_provider
from quorum.llm.registry import ModelRegistry, RegisteredModel
from quorum.llm.settings import LLMSettings
from quorum.llm.vendor import (
    AllowedFailsPolicy,
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ModelResponse,
    RateLimitError,
    Router,
    RouterRateLimitError,
    Timeout,
    get_cooldown_deployments,
    litellm,
)


def _failure_hook(
    on_failure: OnFailure, head: str
) -> Callable[[dict[str, Any], object, datetime, datetime], None]:
    """A per-request litellm ``failure_callback``: litellm runs it synchronously, in the
    calling thread, once for every failed deployment call (retries and fallbacks too)."""

    def hook(kwargs: dict[str, Any], _response: object, start: datetime, end: datetime) -> None:
        params = kwargs.get("litellm_params") or {}
        metadata = params.get("metadata") or {}
        exc = kwargs.get("exception")
        on_failure(
            FailedCall(
                group=str(metadata.get("model_group") or head),
                kind=failure_kind(exc) if isinstance(exc, BaseException) else "error",
                detail=str(exc)[:200],
                latency_ms=(end - start).total_seconds() * 1000.0,
            )
        )

    return hook


def failure_kind(exc: BaseException) -> str:
    """A short, bounded classification of a litellm exception."""
    if isinstance(exc, Timeout):
        return "timeout"
    if isinstance(exc, RouterRateLimitError):
        return "cooling_down"
    if isinstance(exc, RateLimitError):
        return "rate_limited"
    if isinstance(exc, AuthenticationError):
        return "auth"
    if isinstance(exc, BadRequestError):
        return "bad_request"
    if isinstance(exc, APIConnectionError):
        return "connection"
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 500:
        return "server_error"
    return "error"


def _deployments(model: RegisteredModel, default_timeout_s: float) -> list[dict[str, Any]]:
    # The timeout goes on every deployment: litellm's Router-level ``timeout`` does not cut
    # a synchronous call short (1.106: a 2 s answer under a 0.6 s Router timeout raised
    # only after 2.4 s); the deployment's is handed to the HTTP client.
    params: dict[str, Any] = {"model": model.model, "timeout": model.timeout_s or default_timeout_s}
    if model.api_key is not None:
        params["api_key"] = model.api_key.get_secret_value()
    elif model.api_base is not None and not model.paid:
        # OpenAI-compatible local servers ignore the key; the OpenAI SDK insists on one.
        params["api_key"] = "local"  # pragma: allowlist secret
    if model.mock_response is not None:
        params["mock_response"] = model.mock_response
    bases: list[str | None] = [model.api_base, *model.replica_api_bases]
    out = []
    for i, base in enumerate(bases):
        deployment_id = model.name if i == 0 else f"{model.name}#{i}"
        replica = dict(params, api_base=base) if base is not None else dict(params)
        out.append(
            {
                "model_name": model.name,
                "litellm_params": replica,
                "model_info": {"id": deployment_id},
            }
        )
    return out


def _register_overrides(registry: ModelRegistry) -> None:
    """Tell litellm the override prices once, so its own logs and hidden params agree.

    Not as per-deployment ``input_cost_per_token``: litellm then re-registers the model
    and rebuilds its whole price index on every request (about 1 ms a call, measured).
    """
    updates = {
        m.model: {
            "input_cost_per_token": float(m.price.input_per_token),
            "output_cost_per_token": float(m.price.output_per_token),
            "litellm_provider": m.provider,
            "mode": "chat",
        }
        for m in registry
        if m.price.source == "override" and not m.is_offline
    }
    if updates:
        litellm.register_model(updates)


def _shared_cooldowns(settings: LLMSettings) -> dict[str, Any]:
    """litellm.Router's own Redis cache for cooldowns (cluster mode), namespaced.

    With ``redis_url`` the Router's ``DualCache`` writes each cooldown to memory and Redis
    and reads a key missing from memory back from Redis (at most once a second per key):
    a deployment one process cooled down is skipped by every process on that Redis.
    ``cache_responses`` stays off, so no answer is cached there (our cache does that)."""
    if settings.cooldown_redis_url is None:
        return {}
    return {
        "redis_url": settings.cooldown_redis_url,
        "cache_kwargs": {"namespace": settings.cooldown_key_prefix},
    }


class LiteLLMBackend:
    def __init__(self, registry: ModelRegistry, settings: LLMSettings) -> None:
        offline = settings.offline
        register_offline_provider(
            registry.offline.model, offline.context_window, offline.max_output_tokens
        )
        _register_overrides(registry)
        model_list: list[dict[str, Any]] = []
        for model in registry:
            if model.enabled:
                model_list += _deployments(model, settings.timeout_s)
        self._group_of = {d["model_info"]["id"]: d["model_name"] for d in model_list}
        self._ids_of: dict[str, list[str]] = {}
        for deployment_id, group in self._group_of.items():
            self._ids_of.setdefault(group, []).append(deployment_id)
        fails = settings.allowed_fails
        policy = AllowedFailsPolicy(
            AuthenticationErrorAllowedFails=fails,
            TimeoutErrorAllowedFails=fails,
            RateLimitErrorAllowedFails=fails,
            InternalServerErrorAllowedFails=fails,
            ServiceUnavailableErrorAllowedFails=fails,
            BadGatewayErrorAllowedFails=fails,
            NotFoundErrorAllowedFails=fails,
        )
        self.router = Router(
            model_list=model_list,
            routing_strategy=settings.group_strategy,
            num_retries=settings.num_retries,
            timeout=settings.timeout_s,
            retry_after=settings.retry_after_s,
            cooldown_time=settings.cooldown_s,
            allowed_fails=fails,
            allowed_fails_policy=policy,
            cache_responses=False,
            **_shared_cooldowns(settings),
        )
        self._default_strategy = settings.group_strategy

    def close(self) -> None:
        """Unhook the litellm.Router's callbacks from litellm's global lists.

        Every Router adds its deployment callbacks to process-wide lists and never removes
        them; a process that rebuilds its router (config hot reload, tests) would keep the
        old ones alive and, past litellm's MAX_CALLBACKS, warn on every new router."""
        self.router.discard()  # type: ignore[no-untyped-call]  # litellm leaves it untyped

    def cooling_down(self) -> frozenset[str]:
        """Model groups whose every deployment is in litellm's cooldown right now."""
        cooled = set(get_cooldown_deployments(self.router, None))
        if not cooled:
            return frozenset()
        return frozenset(
            group for group, ids in self._ids_of.items() if all(i in cooled for i in ids)
        )

    def complete(
        self,
        chain: Sequence[str],
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        group_strategy: str | None = None,
        response_format: dict[str, Any] | None = None,
        on_failure: OnFailure | None = None,
    ) -> Completion:
        """Call ``chain[0]``, falling back along ``chain[1:]``; raise ProviderCallFailed.

        ``on_failure`` hears of every failed provider call on the way (litellm's retries and
        fallbacks), before this returns."""
        head = chain[0]
        kwargs: dict[str, Any] = {
            "fallbacks": [{head: list(chain[1:])}] if len(chain) > 1 else [],
            "max_tokens": max_tokens,
            "drop_params": True,
        }
        if on_failure is not None:
            kwargs["failure_callback"] = [_failure_hook(on_failure, head)]
        if group_strategy is not None and group_strategy != self._default_strategy:
            kwargs["routing_strategy"] = group_strategy
        if response_format is not None:
            kwargs["response_format"] = response_format
        try:
            response = self.router.completion(model=head, messages=messages, **kwargs)
        except Exception as exc:  # litellm raises many unrelated classes; classify, never leak
            raise ProviderCallFailed(chain, failure_kind(exc), str(exc)) from exc
        if not isinstance(response, ModelResponse):
            raise ProviderCallFailed(chain, "error", f"unexpected {type(response).__name__}")
        return self._completion(response, head)

    def _completion(self, response: ModelResponse, head: str) -> Completion:
        hidden: dict[str, Any] = getattr(response, "_hidden_params", None) or {}
        deployment_id = str(hidden.get("model_id") or "")
        headers = hidden.get("additional_headers") or {}
        group = self._group_of.get(deployment_id) or str(
            headers.get("x-litellm-model-group") or head
        )
        content = ""
        if response.choices:
            message = getattr(response.choices[0], "message", None)
            text = getattr(message, "content", None)
            content = text if isinstance(text, str) else ""
        usage = getattr(response, "usage", None)
        tokens_in = getattr(usage, "prompt_tokens", None)
        tokens_out = getattr(usage, "completion_tokens", None)
        provider_ms = hidden.get("_response_ms")
        return Completion(
            group=group,
            deployment_id=deployment_id,
            content=content,
            input_tokens=tokens_in if isinstance(tokens_in, int) else None,
            output_tokens=tokens_out if isinstance(tokens_out, int) else None,
            provider_ms=float(provider_ms) if isinstance(provider_ms, int | float) else None,
        )
