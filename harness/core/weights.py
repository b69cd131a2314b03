"""Severities and the severity weights of `recall_weighted` (the default scorer's `weights`
argument): `--weights critical=3,important=2,suggestion=1`, `weights` in the config. Imports
nothing heavy, so the CLI can check the option before any work starts."""

from __future__ import annotations

from typing import Any, Mapping

from harness.core.errors import HarnessError

SEVERITIES = ("critical", "important", "suggestion")
# severity weights of recall_weighted (the default scorer's `weights` argument, recorded with each score)
DEFAULT_WEIGHTS = {"critical": 3.0, "important": 2.0, "suggestion": 1.0}
_SEVERITY_NAMES = {**{s: s for s in SEVERITIES}, **{s[0]: s for s in SEVERITIES}}


def parse_weights(value: Any) -> dict[str, float]:
    """Severity weights of `recall_weighted` from `critical=3,important=2,suggestion=1` (or a mapping):
    known severities only (the words or C/I/S), each a non-negative number, at least one positive;
    a severity not named keeps its default weight. HarnessError (exit 2) naming the problem otherwise."""
    import math

    if isinstance(value, Mapping):
        pairs = [(str(k), v) for k, v in value.items()]
    else:
        text = str(value or "").strip()
        if not text:
            raise HarnessError("weights: give severity=weight pairs", hint=f"e.g. {format_weights(DEFAULT_WEIGHTS)}")
        pairs = []
        for part in text.split(","):
            key, sep, num = part.partition("=")
            if not sep or not key.strip():
                raise HarnessError(f"weights: {part.strip()!r} is not severity=weight",
                                   hint=f"e.g. {format_weights(DEFAULT_WEIGHTS)}")
            pairs.append((key, num))
    out = dict(DEFAULT_WEIGHTS)
    named: set[str] = set()
    for key, num in pairs:
        sev = _SEVERITY_NAMES.get(key.strip().lower())
        if sev is None:
            raise HarnessError(f"weights: unknown severity {key.strip()!r}", hint=f"use {', '.join(SEVERITIES)}")
        if sev in named:
            raise HarnessError(f"weights: {sev} is given twice")
        try:
            w = float(num) if not isinstance(num, bool) else math.nan
        except (TypeError, ValueError):
            w = math.nan
        if not math.isfinite(w) or w < 0:
            raise HarnessError(f"weights: {sev} must be a non-negative number, got {str(num).strip()!r}")
        named.add(sev)
        out[sev] = w
    if not any(out.values()):
        raise HarnessError("weights: at least one weight must be positive")
    return out


def format_weights(weights: Mapping[str, float]) -> str:
    """`critical=3,important=2,suggestion=1`: what --weights and the config take."""
    return ",".join(f"{s}={weights[s]:g}" for s in SEVERITIES if s in weights)
