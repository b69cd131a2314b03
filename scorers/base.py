"""The scorer registry: a Protocol, a registering decorator, and lookup by name.

A scorer is built from JSON-able keyword arguments (`args`), which every stored score
records with the scorer's name, so any stored score can be rebuilt and re-run on the stored
findings. Runtime-only objects (an LM client, a judge cache) are passed separately and are
never part of `args`.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

from harness.core.errors import HarnessError
from harness.core.models import Finding

from scorers.gold import GoldSet
from harness.core.scores import ScoreResult, args_hash  # noqa: F401  (args_hash re-exported)


@runtime_checkable
class Scorer(Protocol):
    name: str
    args: dict[str, Any]

    def score(self, gold: GoldSet, predicted: list[Finding]) -> ScoreResult: ...


_REGISTRY: dict[str, Callable[..., Scorer]] = {}


def register(name: str) -> Callable[[Callable[..., Scorer]], Callable[..., Scorer]]:
    """Class decorator: `@register("default") class DefaultScorer: ...`."""

    def deco(factory: Callable[..., Scorer]) -> Callable[..., Scorer]:
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ValueError(f"scorer {name!r} registered twice")
        _REGISTRY[name] = factory
        return factory

    return deco


def get_scorer(name: str = "default", **args: Any) -> Scorer:
    factory = _REGISTRY.get(name)
    if factory is None:
        raise HarnessError(f"unknown scorer {name!r}", hint=f"known: {', '.join(list_scorers())}")
    try:
        return factory(**args)
    except (TypeError, ValueError) as exc:
        raise HarnessError(f"bad arguments for scorer {name!r}: {exc}") from None


def list_scorers() -> list[str]:
    return sorted(_REGISTRY)


