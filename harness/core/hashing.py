"""Content-hash ids over canonical JSON, so re-runs are idempotent and cache hits are exact."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel


def _default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not canonicalisable: {type(obj).__name__}")


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: equal values give equal strings."""
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json", by_alias=True)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def content_hash(obj: Any, length: int | None = None) -> str:
    """sha256 of the canonical JSON (or of the bytes/str given), hex, optionally truncated."""
    if isinstance(obj, bytes):
        data = obj
    elif isinstance(obj, str):
        data = obj.encode("utf-8")
    else:
        data = canonical_json(obj).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    return digest[:length] if length else digest


def key_id(key: str) -> int:
    """A cache key's 64-bit id: the first 16 hex digits of its sha256, as an unsigned integer.

    The cache tables are indexed by it (a small index in memory; migration 0016 computes the
    same in SQL: `('0x' || left(sha256(key), 16))::UBIGINT`). Lookups compare the key too.
    """
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16)
