"""Routing policies: order the models of a role into a fallback chain, and say why.

litellm routes *within* a model group (replicas of one model) and falls back *across*
groups in a given order; it has no notion of a model's accuracy, or of choosing between
different models per call. So a policy here ranks the registry's models for the request
(pre-selection) and hands litellm the ranked chain as ``model`` + per-request
``fallbacks``; inside each group litellm's own strategy picks the replica
(:data:`GROUP_STRATEGY`: latency_aware asks for ``latency-based-routing``; litellm's
``cost-based-routing`` only works on its async path, and replicas of one model cost the
same anyway, so cost_aware and accuracy_first keep the router's configured strategy).

* ``accuracy_first``: highest accuracy first (cheaper first on ties); the router then
  drops models whose worst case does not fit the remaining budget.
* ``cost_aware``: cheapest expected call among models whose accuracy reaches the floor.
* ``latency_aware``: lowest recent p95 latency; models failing more than half their
  recent calls go last; a model with fewer than ``MIN_HISTORY`` recorded calls is explored
  first (so a new model is measured, not ranked forever behind known ones at an assumed
  latency); a model whose calls left no latency assumes ``assumed_latency_s``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quorum.llm.money import from_nano
from quorum.llm.registry import RegisteredModel
from quorum.llm.settings import PolicyName
from quorum.llm.stats import AccuracyBoard, StatsBoard

GROUP_STRATEGY: dict[PolicyName, str | None] = {
    "accuracy_first": None,
    "cost_aware": None,
    "latency_aware": "latency-based-routing",
}
"""The litellm strategy a policy asks for inside a model group (None: the router's own)."""

MIN_HISTORY = 5
FAILING = 0.5


@dataclass(frozen=True, slots=True)
class Choice:
    chain: tuple[RegisteredModel, ...]
    why: str


@dataclass(frozen=True, slots=True)
class PolicyInputs:
    stats: StatsBoard
    accuracy: AccuracyBoard
    floor: float
    input_tokens: int
    assumed_latency_s: float
    node: str | None = None
    """The asking node: its learned (model, node) accuracy wins over the model's."""


def expected_cost_nano(model: RegisteredModel, inputs: PolicyInputs) -> float:
    """Mean ledger cost when there is history, else the price at this prompt's size."""
    stats = inputs.stats.get(model.name, latency=False)
    if stats.calls >= MIN_HISTORY and stats.mean_cost_nano is not None:
        return stats.mean_cost_nano
    out = stats.mean_output_tokens or model.max_output_tokens
    return float(model.price.cost_nano(inputs.input_tokens, round(out)))


def rank(policy: PolicyName, models: Sequence[RegisteredModel], inputs: PolicyInputs) -> Choice:
    """The fallback chain for ``policy`` (empty when ``models`` is)."""
    if not models:
        return Choice((), f"{policy}: no model available")
    acc = {m.name: inputs.accuracy.get(m.name, inputs.node) for m in models}
    cost = {m.name: expected_cost_nano(m, inputs) for m in models}
    if policy == "accuracy_first":
        chain = sorted(models, key=lambda m: (-acc[m.name], cost[m.name], m.name))
        top = chain[0]
        why = (
            f"accuracy_first: {top.name} has the best accuracy {acc[top.name]:.2f} of {len(chain)}"
        )
        return Choice(tuple(chain), why)
    if policy == "cost_aware":
        eligible = [m for m in models if acc[m.name] >= inputs.floor]
        if not eligible:
            chain = sorted(models, key=lambda m: (-acc[m.name], cost[m.name], m.name))
            why = f"cost_aware: no model reaches accuracy {inputs.floor:.2f}; most accurate first"
            return Choice(tuple(chain), why)
        chain = sorted(eligible, key=lambda m: (cost[m.name], -acc[m.name], m.name))
        top = chain[0]
        why = (
            f"cost_aware: {top.name} is the cheapest (~{from_nano(round(cost[top.name])):.6f} "
            f"USD/call) with accuracy {acc[top.name]:.2f} >= {inputs.floor:.2f}"
        )
        return Choice(tuple(chain), why)
    return _latency_aware(models, inputs)


def _latency_aware(models: Sequence[RegisteredModel], inputs: PolicyInputs) -> Choice:
    """Lowest recent p95 first, failing models last; a model with fewer than
    ``MIN_HISTORY`` recorded calls is explored first (fewest calls first), so a new model
    gets a measured latency instead of never being tried behind faster known ones."""
    p95 = {}
    failing = {}
    calls = {}
    for m in models:
        stats = inputs.stats.get(m.name)
        calls[m.name] = stats.calls
        p95[m.name] = (
            stats.p95_latency_s if stats.p95_latency_s is not None else inputs.assumed_latency_s
        )
        failing[m.name] = stats.calls >= MIN_HISTORY and stats.error_rate > FAILING
    explore = {m.name: calls[m.name] < MIN_HISTORY for m in models}
    chain = sorted(
        models,
        key=lambda m: (
            not explore[m.name],
            failing[m.name],
            calls[m.name] if explore[m.name] else 0,
            p95[m.name],
            m.name,
        ),
    )
    top = chain[0]
    if explore[top.name]:
        why = (
            f"latency_aware: exploring {top.name} ({calls[top.name]} of {MIN_HISTORY} calls "
            f"of latency history) before ranking {len(chain)} by p95"
        )
        return Choice(tuple(chain), why)
    why = (
        f"latency_aware: {top.name} has the lowest p95 latency {p95[top.name]:.3f}s of {len(chain)}"
    )
    return Choice(tuple(chain), why)
