"""Review programs by name, their content hash, and saved (tuned) programs in the store.

A program is built from a registry name plus JSON-able options; its identity is the hash of
(name, options, DSPy state without LM settings), so a fresh `cot` always has the same hash and a
tuned one is stored and loaded under its own (`saved:HASH`).
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import dspy

from harness.core.errors import HarnessError, NotFound
from harness.core.hashing import content_hash

_REGISTRY: dict[str, type[dspy.Module]] = {}
SAVED_PREFIX = "saved:"


def register(name: str) -> Callable[[type[dspy.Module]], type[dspy.Module]]:
    """Class decorator: make a review program buildable by `get_program(name)`."""

    def deco(cls: type[dspy.Module]) -> type[dspy.Module]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise HarnessError(f"review program {name!r} registered twice")
        _REGISTRY[name] = cls
        cls.program_name = name
        return cls

    return deco


def program_names() -> list[str]:
    return sorted(_REGISTRY)


def build(name: str, **config: Any) -> dspy.Module:
    cls = _REGISTRY.get(name)
    if cls is None:
        raise NotFound(f"no review program {name!r}", hint=f"known: {', '.join(sorted(_REGISTRY))}, or saved:HASH")
    module = cls(**config)
    module.program_config = dict(config)
    return module


def get_program(name: str, store: Any = None, **config: Any) -> dspy.Module:
    """A registry program (`single`, `cot`, ...) or a saved one (`saved:HASH`, a unique hash prefix)."""
    if not name.startswith(SAVED_PREFIX):
        return build(name, **config)
    from harness.store import Store
    from harness.store import programs as sql

    st = store if store is not None else Store()
    saved = sql.find_program(st, name[len(SAVED_PREFIX):])
    module = build(saved["base"], **saved["config"])
    try:
        module.load_state(saved["state"])
    except Exception as exc:  # state of another shape: a program changed since it was saved
        raise HarnessError(f"saved program {saved['hash'][:12]} does not fit program "
                           f"{saved['base']!r}: {exc}") from None
    module.saved_hash = saved["hash"]
    return module


def program_state(module: dspy.Module) -> dict:
    """DSPy JSON state without per-predictor LM settings (endpoints and keys never get stored)."""
    state = copy.deepcopy(module.dump_state())
    for value in state.values():
        if isinstance(value, dict) and "lm" in value:
            value["lm"] = None
    return state


def _identity(module: dspy.Module) -> dict:
    name = getattr(module, "program_name", None)
    if name is None:
        raise HarnessError(f"{type(module).__name__} is not a registered review program")
    return {"base": name, "config": getattr(module, "program_config", {}), "state": program_state(module)}


def program_hash(module: dspy.Module) -> str:
    return content_hash(_identity(module))


def save_program(store: Any, module: dspy.Module, name: str, lineage: dict | None = None) -> str:
    """Store the program's state under its content hash (saving it twice is a no-op); the hash."""
    from harness.store import programs as sql

    ident = _identity(module)
    h = content_hash(ident)
    sql.put_program(store, h, name, ident["base"], ident["config"], ident["state"], lineage or {})
    return h
