"""Token estimate of a text: cl100k_base tokens from the BPE file litellm ships, else chars/4."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Callable


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


# -- the model's own tokenizer, where litellm ships it ----------------------------------------

def _tiktoken_cache() -> Path | None:
    spec = find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    cache = Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"
    return cache if cache.is_dir() else None


@lru_cache(maxsize=8)
def _tiktoken(name: str):
    """A tiktoken encoding from the files litellm ships (never downloaded), or None."""
    cache = _tiktoken_cache()
    if cache is None:
        return None
    try:
        import tiktoken
    except ImportError:
        return None
    old = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    try:
        import tiktoken.load

        real = tiktoken.load.read_file

        def offline(blobpath: str) -> bytes:  # a file not in litellm's cache must not be fetched
            if blobpath.startswith(("http://", "https://")):
                raise OSError(f"not shipped with litellm: {blobpath}")
            return real(blobpath)

        tiktoken.load.read_file = offline
        try:
            return tiktoken.get_encoding(name)
        finally:
            tiktoken.load.read_file = real
    except Exception:  # noqa: BLE001 - not shipped: the caller falls back
        return None
    finally:
        if old is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old


@lru_cache(maxsize=1)
def _anthropic():
    cache = _tiktoken_cache()
    path = cache / "anthropic_tokenizer.json" if cache is not None else None
    if path is None or not path.is_file():
        return None
    try:
        from tokenizers import Tokenizer

        return Tokenizer.from_file(str(path))
    except Exception:  # noqa: BLE001
        return None


def model_tokenizer(model: str) -> tuple[str, Callable[[str], int]]:
    """(name, count) of the tokenizer litellm would use for `model`, from the files it ships:
    tiktoken's encoding for OpenAI model names (o200k_base for gpt-4o, ...), the Anthropic
    tokenizer for Claude models; else cl100k_base, named as the fallback; else chars/4."""
    name = model.split("/", 1)[-1]
    provider = model.split("/", 1)[0] if "/" in model else ""
    if provider in ("", "openai", "azure") or name.startswith(("gpt-", "o1", "o3", "o4", "text-embedding")):
        try:
            from tiktoken.model import encoding_name_for_model

            enc_name = encoding_name_for_model(name)
        except (ImportError, KeyError):
            enc_name = None
        enc = _tiktoken(enc_name) if enc_name else None
        if enc is not None:
            return f"tiktoken:{enc_name} ({name})", lambda t: len(enc.encode(t, disallowed_special=()))
    if provider == "anthropic" or "claude" in name:
        tok = _anthropic()
        if tok is not None:
            return "anthropic tokenizer (litellm's anthropic_tokenizer.json)", lambda t: len(tok.encode(t).ids)
    enc = _tiktoken("cl100k_base")
    if enc is not None:
        return ("tiktoken:cl100k_base (fallback: litellm knows no tokenizer for this model)",
                lambda t: len(enc.encode(t, disallowed_special=())))
    return "chars/4 (no tokenizer installed)", lambda t: (len(t) + 3) // 4
