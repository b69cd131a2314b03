"""The scorer registry: a Protocol, a registering decorator, and lookup by name.

A scorer is built from JSON-able keyword arguments (`args`), which every stored score
records with the scorer's name, so any stored score can be rebuilt and re-run on the stored
findings. Runtime-only objects (an LM client, a judge cache) are passed separately and are
never part of `args`.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

from harness.errors import HarnessError
from harness.hashing import content_hash
from harness.models import Finding

from scorers.gold import GoldSet
from scorers.result import ScoreResult


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


def _load_builtin() -> None:
    import scorers.default  # noqa: F401  (registers "default")
    import scorers.judge  # noqa: F401  (registers "judge")
    import scorers.consolidation  # noqa: F401  (registers "consolidation")


def get_scorer(name: str = "default", **args: Any) -> Scorer:
    _load_builtin()
    factory = _REGISTRY.get(name)
    if factory is None:
        raise HarnessError(f"unknown scorer {name!r}", hint=f"known: {', '.join(list_scorers())}")
    try:
        return factory(**args)
    except (TypeError, ValueError) as exc:
        raise HarnessError(f"bad arguments for scorer {name!r}: {exc}") from None


def list_scorers() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def args_hash(args: dict[str, Any]) -> str:
    return content_hash(args, 16)
