"""Token estimate of a text: cl100k_base tokens from the BPE file litellm ships, else chars/4."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path


@lru_cache(maxsize=1)
def _encoder():
    """cl100k_base from the BPE file litellm ships (no download), or None -> chars/4."""
    spec = find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    cache = Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"
    try:
        import tiktoken
    except ImportError:
        return None
    if not cache.is_dir():
        return None
    old = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    try:
        return tiktoken.get_encoding("cl100k_base")
    except Exception:  # file absent -> tiktoken would try the network; fall back instead
        return None
    finally:
        if old is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old


def token_method() -> str:
    return "tiktoken:cl100k_base" if _encoder() is not None else "chars/4"


def count_tokens(text: str) -> int:
    """Cheap size estimate: cl100k_base tokens when available, else len/4 (see `token_method`)."""
    enc = _encoder()
    if enc is None:
        return (len(text) + 3) // 4
    return len(enc.encode(text, disallowed_special=()))
