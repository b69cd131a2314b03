"""A deterministic, offline "model" for the demo: a pattern-matching reviewer behind litellm.

THIS IS A BASELINE, NOT A LANGUAGE MODEL. It reads the unified diff out of the prompt a review
program sends, flags added lines that match a dozen generic patterns (a discarded error, an
unbounded retry loop, SQL built by concatenation, a whole-file read, a wall-clock sleep in a
test, a secret in a log line, a time-unit mix-up, an unvalidated size setting, ...) and answers
in the DSPy chat format with those findings. The same diff always gets the same answer.

It is registered as a litellm custom provider, so `offline/heuristic-reviewer` goes through
exactly the path a real model takes: DSPy adapter -> harness.lm engine -> model-call cache ->
litellm.completion -> (here) this handler; tokens are counted with the project's tokenizer and
the cost is $0 (litellm has no price for it). `harness demo` uses it so the whole pipeline runs
with no API key and no network.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

PROVIDER = "offline"
MODEL = f"{PROVIDER}/heuristic-reviewer"
MAX_FINDINGS = 8
_SEV_ORDER = {"critical": 0, "important": 1, "suggestion": 2}


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    severity: str
    title: str  # may use {code}: the matched text
    category: str
    why: str
    tests_only: bool = False  # only in test files
    skip_tests: bool = False  # never in test files
    unless_near: re.Pattern[str] | None = None  # not when this appears within 6 added lines below


def _r(p: str) -> re.Pattern[str]:
    return re.compile(p)


# the first matching rule of a line wins: specific patterns before generic ones
RULES: tuple[Rule, ...] = (
    Rule("sql-concat", _r(r"(?i)\"(?:select|insert|update|delete)\b[^\"]*\"\s*(?:\+|%)|"
                          r"'(?:select|insert|update|delete)\b[^']*'\s*(?:\+|%)|"
                          r"f[\"'](?:select|insert|update|delete)\b[^\"']*\{"),
         "critical", "SQL built by string concatenation", "security",
         "Values are spliced into the SQL text; use bound parameters instead."),
    Rule("unchecked-size", _r(r"(?i)(?:size|batch|limit|workers)\w*[\"']?\s*(?::=|=|,)\s*.*(?:atoi|parse::<|type=int|int\()"),
         "important", "Size setting is not validated (zero or negative values accepted)", "input-validation",
         "Nothing rejects zero or negative values, which can make the consumer spin or hang; validate the range."),
    Rule("discarded-error", _r(r"^\s*(?:let\s+_\s*=\s*(?P<rs>[^;]+)|_\s*=\s*(?P<go>\w[\w.]*\([^)]*\))|"
                               r"(?P<go2>[\w.]+)\s*,\s*_\s*:?=\s*(?P<call>[\w.]+\([^)]*\)))|except[^:]*:\s*pass\b"),
         "important", "Error from `{code}` is discarded", "error-handling",
         "The call can fail and its error is thrown away, so the failure goes unnoticed. Handle or propagate it."),
    Rule("unbounded-loop", _r(r"^\s*(?:loop\s*\{|for\s*\{|while\s+(?:True|true|1)\s*[:{])"),
         "important", "Retry loop without backoff or bound", "robustness",
         "The loop retries immediately and forever; add a bound and an exponential backoff.",
         skip_tests=True, unless_near=_r(r"(?i)sleep|backoff|after\(|ticker|select\s*\{|break")),
    Rule("unit-mismatch", _r(r"(?i)from_millis\([^)]*(?:sec|timeout)|Millisecond\s*\*\s*[\w.]*sec|"
                             r"(?:secs?|seconds)\w*\s*\*\s*1000\b.*ms"),
         "important", "Time unit mismatch: seconds used as milliseconds", "correctness",
         "A value named in seconds reaches an API that takes milliseconds, so the timeout is 1000x too short."),
    Rule("whole-read", _r(r"\.read_bytes\(\)|\.read\(\)\s*$|\bio(?:util)?\.ReadAll\(|read_to_end\(|readFileSync\("),
         "important", "Whole input read into memory", "performance",
         "The entire input is loaded at once, so peak memory grows with the file; read a bounded prefix or stream."),
    Rule("secret-in-log", _r(r"(?i)(?:log|print|warn|error|info|debug)\w*\(.*\b(account|password|secret|token|card)\w*"),
         "suggestion", "Sensitive value ({code}) written to a log", "security",
         "Logs are widely readable; mask or drop the sensitive value."),
    Rule("sleep-in-test", _r(r"time\.sleep\(|thread::sleep\(|time\.Sleep\(|setTimeout\("),
         "suggestion", "Test waits on the wall clock instead of a fake clock", "tests",
         "Sleep-based tests are slow and flaky on loaded CI; inject a clock.", tests_only=True),
    Rule("hardcoded-endpoint", _r(r"(?:localhost|127\.0\.0\.1):\d{2,5}"),
         "suggestion", "Hard-coded host and port", "portability",
         "Take the address from configuration or the environment."),
    Rule("env-read", _r(r"os\.Getenv\(|os\.environ|std::env::var\(|process\.env\."),
         "suggestion", "Configuration re-read from the environment at runtime", "design",
         "Read the environment once at start-up and pass the value in.", skip_tests=True),
    Rule("seqcst", _r(r"Ordering::SeqCst"),
         "suggestion", "SeqCst ordering where Relaxed is enough for counters", "performance",
         "Statistics counters need no cross-variable ordering; Relaxed is cheaper."),
    Rule("todo", _r(r"\b(?:TODO|FIXME|XXX)\b"),
         "suggestion", "Unfinished work left in the change", "maintainability",
         "A TODO in new code is a known gap shipped; do it or track it."),
)

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_TEST_PATH = re.compile(r"(?i)(^|/)(tests?|spec)(/|$)|_test\.|test_[^/]*$|\.spec\.")


def added_lines(diff: str) -> list[tuple[str, int, str]]:
    """(path, new-side line number, text) of every added line of a unified diff."""
    out: list[tuple[str, int, str]] = []
    path, line = None, 0
    for raw in diff.splitlines():
        if raw.startswith("+++ "):
            p = raw[4:].strip()
            path = None if p == "/dev/null" else re.sub(r"^[ab]/", "", p)
            continue
        if raw.startswith("--- ") or raw.startswith("diff --git"):
            continue
        m = _HUNK.match(raw)
        if m:
            line = int(m.group(1))
            continue
        if path is None:
            continue
        if raw.startswith("+"):
            out.append((path, line, raw[1:]))
            line += 1
        elif raw.startswith(" ") or raw == "":
            line += 1
    return out


def review(diff: str) -> list[dict[str, Any]]:
    """The findings (ReviewFinding dicts) the heuristic raises on `diff`: at most one per line,
    neighbouring hits of one rule in one file merged, most severe first, at most MAX_FINDINGS."""
    lines = added_lines(diff)
    hits: list[dict[str, Any]] = []
    for i, (path, no, text) in enumerate(lines):
        is_test = bool(_TEST_PATH.search(path))
        for rule in RULES:
            if (rule.tests_only and not is_test) or (rule.skip_tests and is_test):
                continue
            m = rule.pattern.search(text)
            if not m:
                continue
            if rule.unless_near is not None:
                below = [t for p, n, t in lines[i + 1:i + 7] if p == path and n - no <= 6]
                if any(rule.unless_near.search(t) for t in below):
                    continue
            groups = {k: v for k, v in m.groupdict().items() if v}
            code = (groups.get("call") or groups.get("go") or groups.get("rs") or (m.group(1) if m.groups() and
                    m.group(1) else m.group(0))).strip()
            prev = hits[-1] if hits else None
            if prev and prev["rule"] == rule.name and prev["path"] == path and no - prev["line_end"] <= 3:
                prev["line_end"] = no
                break
            hits.append({"rule": rule.name, "severity": rule.severity, "title": rule.title.format(code=code[:40]),
                         "path": path, "line_start": no, "line_end": no, "category": rule.category,
                         "body": f"{rule.why}\n\n`{text.strip()[:160]}`"})
            break  # one finding per line: the first rule (most severe kind) wins
    hits.sort(key=lambda h: (_SEV_ORDER[h["severity"]], h["path"], h["line_start"]))
    return [{k: v for k, v in h.items() if k != "rule"} for h in hits[:MAX_FINDINGS]]


# -- answering a DSPy prompt ---------------------------------------------------------------------

_FIELD = re.compile(r"\[\[ ## (\w+) ## \]\]")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _section(prompt: str, name: str) -> str:
    m = re.search(rf"\[\[ ## {name} ## \]\]\n(.*?)(?=\n\[\[ ## \w+ ## \]\]|\Z)", prompt, re.S)
    return m.group(1).strip("\n") if m else ""


def answer(messages: list[dict[str, Any]]) -> str:
    """The chat-format answer to a ReviewDiff-style prompt (any output fields; `findings` gets the
    heuristic's findings, any other field a one-line note)."""
    user = next((_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    ask = user.rsplit("Respond with the corresponding output fields", 1)
    fields = [f for f in _FIELD.findall(ask[1])] if len(ask) == 2 else ["findings"]
    fields = [f for f in dict.fromkeys(fields) if f != "completed"] or ["findings"]
    findings = review(_section(user, "diff"))
    parts = []
    for f in fields:
        if f == "findings":
            value = json.dumps(findings, ensure_ascii=False)
        else:
            value = (f"Pattern scan of the added lines: {len(findings)} finding(s). "
                     "Heuristic baseline, not a language model.")
        parts.append(f"[[ ## {f} ## ]]\n{value}")
    return "\n\n".join(parts) + "\n\n[[ ## completed ## ]]"


def _tokens(text: str) -> int:
    from harness.lm.tokens import count_tokens

    return count_tokens(text)


def register() -> str:
    """Make `offline/heuristic-reviewer` routable by litellm (idempotent); returns the model name."""
    import litellm
    from litellm import CustomLLM, ModelResponse

    class HeuristicReviewerLLM(CustomLLM):
        def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
            messages = kwargs.get("messages") or []
            text = answer(messages)
            prompt = sum(_tokens(_text(m.get("content"))) for m in messages)
            out = _tokens(text)
            return ModelResponse(
                model=kwargs.get("model") or MODEL,
                choices=[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                usage={"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out})

    if not any(item.get("provider") == PROVIDER for item in litellm.custom_provider_map):
        litellm.custom_provider_map = [*litellm.custom_provider_map,
                                       {"provider": PROVIDER, "custom_handler": HeuristicReviewerLLM()}]
    from litellm.utils import custom_llm_setup

    custom_llm_setup()
    return MODEL
