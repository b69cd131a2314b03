"""Per-call CPU that DSPy spends recomputing constants, memoised (behaviour unchanged).

DSPy's chat adapter writes the JSON schema of every structured output field into each
prompt's system message, regenerating it with `pydantic.TypeAdapter(T).json_schema()` on
every call: for `list[Finding]` that is about a fifth of a case's CPU in a cold run. The
schema of a type does not change while the process runs, so `install()` wraps DSPy's
`_get_json_schema` in a memo keyed by the type. Its only caller (`translate_field_type`)
serialises the result at once; a copy is returned anyway so that no caller can alter the
memo. Unhashable annotations go through unmemoised.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_lock = threading.Lock()
_installed = False


def install() -> None:
    """Idempotent; called when the harness builds its first dspy.LM."""
    global _installed
    if _installed:
        return
    with _lock:
        if _installed:
            return
        from dspy.adapters import utils

        original = utils._get_json_schema
        memo: dict[Any, Any] = {}

        def get_json_schema(field_type: Any) -> Any:
            try:
                schema = memo.get(field_type)
            except TypeError:  # unhashable annotation
                return original(field_type)
            if schema is None:
                schema = original(field_type)
                if len(memo) < 1024:
                    memo[field_type] = schema
            return copy.deepcopy(schema)

        get_json_schema.__wrapped__ = original  # type: ignore[attr-defined]
        utils._get_json_schema = get_json_schema
        _installed = True
