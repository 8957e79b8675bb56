"""What one answered provider call is charged: the reported usage, unless it cannot be true.

litellm fills a missing ``usage`` block with zeros, so "no usage" shows up as 0 / 0 tokens,
not as ``None``. A paid answer is charged its reported tokens at the model's price only
when they are plausible:

* ``missing`` — no usage, or 0 input and 0 output tokens;
* ``implausible`` — 0 input tokens, more input tokens than the prompt's hard bound (its
  UTF-8 bytes plus framing, and the structured-output schema), or more output tokens than
  the ``max_tokens`` asked for.

Either is charged the reserved worst case (the budget hold; the model's own worst case
when nothing was held) and flagged. A plausible charge above the reservation (possible
with ``budget.input_tokens: tokenizer``, whose estimate is not a bound) is clipped to it
and flagged ``clipped``. Free models (the offline analyst, local servers) are ``free``.
"""

from __future__ import annotations

from dataclasses import dataclass

from quorum.llm.completion import Completion
from quorum.llm.money import from_nano
from quorum.llm.registry import RegisteredModel


@dataclass(frozen=True, slots=True)
class Limit:
    """What a call was allowed: its budget hold, input-token bound and output allowance."""

    reserved_nano: int
    input_bound: int
    max_tokens: int


@dataclass(frozen=True, slots=True)
class Charge:
    cost_nano: int
    usage: str
    """reported | missing | implausible | clipped | free"""
    anomaly: str | None = None


def _verdict(done: Completion, limit: Limit) -> str:
    tokens_in, tokens_out = done.input_tokens, done.output_tokens
    if tokens_in is None or tokens_out is None or (tokens_in == 0 and tokens_out == 0):
        return "missing"
    if not (0 < tokens_in <= limit.input_bound and 0 <= tokens_out <= limit.max_tokens):
        return "implausible"
    return "reported"


def charge_for(model: RegisteredModel, done: Completion, limit: Limit) -> Charge:
    """The charge of ``done`` answered by ``model`` within ``limit`` (see module doc)."""
    if model.price.is_free:
        return Charge(0, "free")
    worst = limit.reserved_nano or model.worst_case_nano(limit.input_bound, limit.max_tokens)
    verdict = _verdict(done, limit)
    reported = f"{done.input_tokens} in / {done.output_tokens} out"
    if verdict == "missing":
        anomaly = f"{model.name} reported no usage; charged the reserved worst case"
        return Charge(worst, verdict, f"{anomaly} {from_nano(worst)} USD")
    if verdict == "implausible":
        return Charge(
            worst,
            verdict,
            f"{model.name} reported implausible usage ({reported} tokens; bound "
            f"{limit.input_bound} in / {limit.max_tokens} out); charged the reserved worst "
            f"case {from_nano(worst)} USD",
        )
    assert done.input_tokens is not None
    assert done.output_tokens is not None
    cost = model.price.cost_nano(done.input_tokens, done.output_tokens)
    if cost > worst:
        return Charge(
            worst,
            "clipped",
            f"{model.name} charge {from_nano(cost)} USD ({reported} tokens) is above the "
            f"reservation; clipped to {from_nano(worst)} USD",
        )
    return Charge(cost, verdict)
