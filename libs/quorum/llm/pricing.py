"""Prices per token, from the registry's override or litellm's bundled price map.

Budgets must never trust a silent zero: litellm prices some current model names at $0
without error, and an unmapped model also costs $0 on a Router deployment. So every
*paid* model needs a non-zero input and output price from the map or an explicit
override, else start-up fails with a :class:`ConfigError` naming the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from quorum.errors import ConfigError
from quorum.llm.money import per_token, to_nano
from quorum.llm.settings import ModelSpec

PriceSource = Literal["override", "litellm", "free"]
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per input and per output token."""

    input_per_token: Decimal
    output_per_token: Decimal
    source: PriceSource

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        return input_tokens * self.input_per_token + output_tokens * self.output_per_token

    def cost_nano(self, input_tokens: int, output_tokens: int) -> int:
        return to_nano(self.cost(input_tokens, output_tokens))

    @property
    def is_free(self) -> bool:
        return self.input_per_token == 0 and self.output_per_token == 0


FREE = ModelPrice(ZERO, ZERO, "free")


@dataclass(frozen=True, slots=True)
class PriceCheck:
    """The start-up check's verdict on one registry entry."""

    name: str
    model: str
    paid: bool
    price: ModelPrice | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _from_map(model: str) -> tuple[Decimal, Decimal] | None:
    from quorum.llm.vendor import litellm

    try:
        info = litellm.get_model_info(model=model)
    except Exception:  # litellm raises a bare Exception subclass for unmapped models
        return None
    raw_in, raw_out = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    return Decimal(str(raw_in or 0)), Decimal(str(raw_out or 0))


def check_price(spec: ModelSpec) -> PriceCheck:
    """The price of ``spec`` and, for a paid model priced at zero or unmapped, the problem."""
    if spec.price is not None:
        price = ModelPrice(
            per_token(spec.price.input_per_mtok), per_token(spec.price.output_per_mtok), "override"
        )
        if spec.paid and (price.input_per_token == 0 or price.output_per_token == 0):
            problem = "paid model with a zero price override (input and output must be > 0)"
            return PriceCheck(spec.name, spec.model, spec.paid, price, problem)
        return PriceCheck(spec.name, spec.model, spec.paid, price, None)
    if not spec.paid:
        return PriceCheck(spec.name, spec.model, spec.paid, FREE, None)
    mapped = _from_map(spec.model)
    if mapped is None:
        problem = "not in litellm's price map; add price: {input_per_mtok, output_per_mtok}"
        return PriceCheck(spec.name, spec.model, spec.paid, None, problem)
    price = ModelPrice(mapped[0], mapped[1], "litellm")
    if price.input_per_token <= 0 or price.output_per_token <= 0:
        problem = (
            f"litellm's price map prices it at input {mapped[0]} / output {mapped[1]} USD per "
            "token; a paid model needs a non-zero price: add a price override"
        )
        return PriceCheck(spec.name, spec.model, spec.paid, price, problem)
    return PriceCheck(spec.name, spec.model, spec.paid, price, None)


def require_prices(checks: Iterable[PriceCheck]) -> None:
    """Raise one :class:`ConfigError` naming every paid model without a trustworthy price."""
    bad = [c for c in checks if not c.ok]
    if bad:
        lines = "\n".join(f"  llm.models[{c.name}] ({c.model}): {c.problem}" for c in bad)
        raise ConfigError(
            f"llm start-up check: {len(bad)} model(s) without a usable price\n{lines}"
        )
