"""Agent names: family from a full model name, and `[A, B]` / `[A][B]` attribution groups."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from harness.core.models import model_family

_LINK_TARGET = re.compile(r"\((?:[a-z]+://|/|#|\.)")
_PAREN_GROUP = re.compile(r"\([^)]*\)")
_AGENT_SEP = re.compile(r",|;|\+|&|\band\b")

# Families we recognise in text before any reviewer list is known (reports without a header,
# standalone reviews); a report's own reviewer list is always the authority (see `Roster`).
KNOWN_FAMILIES = ("Claude", "Codex", "Gemini", "GPT", "Grok", "Llama", "Mistral", "Qwen", "DeepSeek", "Copilot")
_KNOWN = {f.lower(): f for f in KNOWN_FAMILIES}


@lru_cache(maxsize=4096)
def agent_family(name: str) -> str:
    """`Claude Opus 4.7` -> `Claude`, `[Codex GPT 5.5]` -> `Codex`, `Gemma4 31B` -> `Gemma`."""
    fam = model_family(name)
    return _KNOWN.get(fam.lower(), fam)


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
    """`Claude Opus 4.6 (as S5), Codex GPT 5.4` -> ["Claude Opus 4.6", "Codex GPT 5.4"] (names as
    printed; `Roster.resolve` maps them to the report's reviewers); None if not an agent group."""
    inner = _PAREN_GROUP.sub("", inner)
    parts = [p.strip() for p in _AGENT_SEP.split(inner) if p.strip()]
    agents = [clean_model(p) for p in parts if looks_like_agent(p, families)]
    if not agents:
        return None
    return agents


def find_agent_groups(text: str, families) -> tuple[list[str], list[tuple[int, int]]]:
    """Every agent name in bracket groups of `text`, in order, deduplicated; plus their spans."""
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


# -- the report's reviewers as the authority on names ---------------------------------------

#: names that mean "no reviewer" in an attribution: the consolidation itself
NO_REVIEWER = frozenset({"consolidator", "consolidation", "orchestrator", "coordinator", "lead", "synthesis"})
# words too common in prose to stand for a model on their own
_PLAIN_WORDS = frozenset({"pro", "max", "mini", "plus", "ultra", "lite", "turbo", "preview", "next", "large",
                          "small", "medium", "base", "chat", "instruct", "coder", "code", "high", "low", "fast",
                          "latest", "review", "reviewer", "model", "agent", "sonnet", "haiku", "opus"})
_TOKEN = re.compile(r"[^\s\-_/]+")
_VERSIONISH = re.compile(r"^[\d.]+[a-z]?$|^v\d")


def _tokens(name: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(clean_model(name)) if t.strip(".,:;'")]


def _token_ok(t: str, label_tokens: list[str]) -> bool:
    for lt in label_tokens:
        if t == lt:
            return True
        # `Gemma` for `Gemma4`, `Qwen` for `Qwen3`: a word glued to its version
        if t.isalpha() and lt.startswith(t) and _VERSIONISH.match(lt[len(t):] or "x") and len(t) >= 3:
            return True
    return False


@dataclass
class Roster:
    """The reviewers of one report (model labels in header order) and how body text names them.

    `listed`: the labels come from the header's Reviewers row, so nothing else may become a
    reviewer. Body names resolve to one label by the whole label, by family when it is unique in
    the report, by the words of a label (`Flash`, `Gemini 3.1`, `GPT 5.5`) or by a prefix glued to
    a version (`Qwen` -> `Qwen3 Coder Next`, `Gemma` -> `Gemma4 31B`)."""

    labels: list[str] = field(default_factory=list)
    families: dict[str, str] = field(default_factory=dict)  # label -> family
    listed: bool = False

    @classmethod
    def from_labels(cls, labels, listed: bool = True) -> "Roster":
        labels = list(dict.fromkeys(x for x in labels if x))
        return cls(labels, {x: agent_family(x) for x in labels}, listed)

    @classmethod
    def of(cls, report) -> "Roster":
        """The roster of a parsed (or hand-built) Report: its reviewers, else its reviews' agents."""
        if report.reviewers:
            r = cls([x.agent for x in report.reviewers], {x.agent: x.family or agent_family(x.agent)
                                                         for x in report.reviewers}, True)
            r.labels = list(dict.fromkeys(r.labels))
            return r
        return cls.from_labels([a.agent for a in report.agent_reviews], listed=False)

    def add(self, label: str) -> str:
        if label not in self.families:
            self.labels.append(label)
            self.families[label] = agent_family(label)
        return label

    def candidates(self, name: str, strict: bool = False) -> list[str]:
        """Every label `name` may mean (one: resolved; several: ambiguous; none: not a reviewer).
        `strict`: every word of `name` must be in the label (no fallback to the family alone, which
        lets `Claude Opus 4.6` in the body find the header's `Claude Opus 4.7`)."""
        return list(self._candidates(clean_model(name).strip(" .,:;'"), strict))

    def _candidates(self, clean: str, strict: bool = False) -> tuple[str, ...]:
        if not clean:
            return ()
        low = re.sub(r"['’]s$", "", clean.lower())
        if low in NO_REVIEWER:
            return ()
        for x in self.labels:
            if x.lower() == low:
                return (x,)
        toks = _tokens(low)
        fam = agent_family(low).lower()
        got = tuple(x for x in self.labels if toks and all(_token_ok(t, _tokens(x)) for t in toks))
        if not got and not strict:  # "Claude Opus 4.6" in the body of a header's "Claude Opus 4.7"
            got = tuple(x for x in self.labels if self.families[x].lower() == fam)
        return got

    def resolve(self, name: str) -> str | None:
        got = self.candidates(name)
        return got[0] if len(got) == 1 else None

    def ambiguous(self, name: str) -> list[str]:
        got = self.candidates(name)
        return got if len(got) > 1 else []

    def family_of(self, label: str) -> str:
        return self.families.get(label) or agent_family(label)

    def words(self) -> frozenset[str]:
        """Lower-case first words that may open a reviewer name in this report (for detection)."""
        out = {f.lower() for f in KNOWN_FAMILIES}
        for a in self.names():
            out.add(agent_family(a).lower())
        return frozenset(out)

    def names(self) -> list[str]:
        """Every way body text may name a reviewer of this report, longest first: the labels, their
        families, the label's leading words (`Gemini 3.1`), a glued family word (`Gemma4`) and a
        distinctive word (`Flash`) when it names one model only."""
        out: set[str] = set()
        word_owner: dict[str, set[str]] = {}
        for x in self.labels:
            out.add(x)
            fam = self.family_of(x)
            out.add(fam)
            words = clean_model(x).split()
            for i in range(1, len(words)):
                out.add(" ".join(words[:i]))
            if words and words[0].lower() != fam.lower():
                out.add(words[0])
            for w in words[1:]:
                if w.isalpha() and len(w) >= 4 and w.lower() not in _PLAIN_WORDS:
                    word_owner.setdefault(w, set()).add(x)
        out |= {w for w, owners in word_owner.items() if len(owners) == 1}
        return sorted((n for n in out if n), key=lambda n: (-len(n), n))
