"""Agent names: family from a full model name, and `[A, B]` / `[A][B]` attribution groups."""

from __future__ import annotations

import re
from functools import lru_cache

_LINK_TARGET = re.compile(r"\((?:[a-z]+://|/|#|\.)")
_PAREN_GROUP = re.compile(r"\([^)]*\)")
_AGENT_SEP = re.compile(r",|;|\+|&|\band\b")

# Families we know without being told; a report's own reviewer list extends this per report.
KNOWN_FAMILIES = ("Claude", "Codex", "Gemini", "GPT", "Grok", "Llama", "Mistral", "Qwen", "DeepSeek", "Copilot")
_FAMILY_ALIASES = {"openai": "Codex", "anthropic": "Claude", "google": "Gemini"}


@lru_cache(maxsize=4096)
def agent_family(name: str) -> str:
    """`Claude Opus 4.7` -> `Claude`, `[Codex GPT 5.5]` -> `Codex`; unknown names -> first word."""
    text = re.sub(r"[\[\]*_`~]", " ", name).strip()
    text = re.sub(r"\(.*?\)", " ", text).strip()
    if not text:
        return ""
    first = re.split(r"[\s:,/—–-]+", text, maxsplit=1)[0]
    for fam in KNOWN_FAMILIES:
        if first.lower() == fam.lower():
            return fam
    return _FAMILY_ALIASES.get(first.lower(), first)


@lru_cache(maxsize=4096)
def clean_model(name: str) -> str:
    """Full model name as printed, without brackets, emphasis or parentheticals."""
    text = re.sub(r"\(.*?\)", " ", name)
    text = re.sub(r"[\[\]*_`~]", " ", text)
    return " ".join(text.split())


_BRACKET = re.compile(r"\[([^\[\]]+)\]")


def looks_like_agent(name: str, families) -> bool:
    return _looks_like_agent(name, frozenset(f.lower() for f in families))


@lru_cache(maxsize=8192)
def _looks_like_agent(name: str, families: frozenset[str]) -> bool:
    name = clean_model(name)
    if not name or len(name) > 40:
        return False
    fam = agent_family(name)
    if fam.lower() in families:
        return True
    # An unknown reviewer printed like a model: "Word Word 1.2" / "Word 3".
    return bool(re.fullmatch(r"[A-Z][\w.-]*(?: [A-Za-z][\w.-]*){0,3} \d+(?:\.\d+)*(?: [A-Z][\w-]*)?", name))


def split_agent_group(inner: str, families) -> list[str] | None:
    """`Claude Opus 4.6 (as S5), Codex GPT 5.4` -> ["Claude", "Codex"]; None if not an agent group."""
    inner = _PAREN_GROUP.sub("", inner)
    parts = [p.strip() for p in _AGENT_SEP.split(inner) if p.strip()]
    agents = [agent_family(p) for p in parts if looks_like_agent(p, families)]
    if not agents:
        return None
    return agents


def find_agent_groups(text: str, families) -> tuple[list[str], list[tuple[int, int]]]:
    """Every agent named in bracket groups of `text`, in order, deduplicated; plus their spans."""
    agents: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _BRACKET.finditer(text):
        # a markdown link [text](url) is not an attribution
        if _LINK_TARGET.match(text[m.end():m.end() + 12]):
            continue
        got = split_agent_group(m.group(1), families)
        if got is None:
            continue
        spans.append(m.span())
        for a in got:
            if a not in agents:
                agents.append(a)
    return agents, spans
