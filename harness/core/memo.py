"""Case memo: a re-run whose model calls are all cached replays each case's stored result.

Without it a fully cached re-run still imports DSPy, formats every prompt to compute its
cache key, parses every cached answer and scores every case. The memo key holds everything
that decides a case's stored result, so a hit is exactly what the full path would produce:

- the program (its hash), the model settings that enter requests (model, temperature,
  max_tokens; never the endpoint or a key), the case's input hash and the epoch;
- the scorer with its arguments and the gold it scores against (harness.gold.build.build_golds);
- the versions of the code between them: DSPy (it writes the prompts) and the sources of
  the review programs, the scorers and the harness models (a changed prompt, parser or
  scorer makes every key new).

Only cases that ended `ok` or `parse_failure` are memoised: errors are retried, skipped
cases cost nothing. A scored case's memo refers to its rows in the run tables rather than
copying them (harness.store.memo); re-scoring that run forgets the reference, and a reference
whose rows are gone is a miss. A hit counts every model call of the original case as a cache hit (as
the model-call cache would) and spends nothing.

The program's hash is itself memoised under a fingerprint of (name, saved state, DSPy
version, program sources), so a fully cached re-run never imports DSPy at all.
"""

from __future__ import annotations

import functools
import importlib.metadata
from pathlib import Path
from typing import Any

from harness.core.hashing import content_hash
from harness.core.runs import CallStats, CaseResult, CaseStatus, RunConfig

MEMO_VERSION = 2  # bump when the stored value's shape changes
MEMO_STATUSES = (CaseStatus.ok, CaseStatus.parse_failure)

_HARNESS = Path(__file__).resolve().parent.parent
# the code a case's stored result depends on, beyond DSPy itself
_SOURCES = ("benchmark/programs", "benchmark/runner.py", "benchmark/case_score.py", "benchmark/consolidate",
            "gold/build.py", "core/models.py", "core/scores.py", "core/consolidation.py", "lm/client.py",
            "../scorers")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of DSPy's version and the sources of programs, runner scoring, models and scorers."""
    parts: dict[str, Any] = {"memo": MEMO_VERSION, "dspy": _version("dspy")}
    for rel in _SOURCES:
        root = (_HARNESS / rel).resolve()
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for f in files:
            parts[str(f.relative_to(_HARNESS.parent))] = content_hash(f.read_bytes())
    return content_hash(parts)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def program_key(program: str, saved_hash: str | None) -> str:
    """Memo key of a program's hash: registry name (or saved hash) and the code fingerprint."""
    return "program:" + content_hash({"program": program, "saved": saved_hash, "code": code_fingerprint()})


def case_key(cfg: RunConfig, inputs: dict[str, Any], epoch: int, gold: str) -> str:
    """Memo key of one case (see the module docstring for what it holds)."""
    return "case:" + content_hash({
        "program_hash": cfg.program_hash, "model": cfg.model, "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens, "inputs": content_hash(inputs), "epoch": epoch, "scorer": cfg.scorer,
        "scorer_args": cfg.scorer_args, "gold": gold, "code": code_fingerprint(),
    })


def gold_identity(gold: Any) -> str:
    """What the scorer compares against: the gold's findings and known false positives (its
    hash) and the repository name its paths are read with."""
    return content_hash({"gold": gold.gold_hash(), "repo": gold.repo})


def memo_value(result: CaseResult) -> dict[str, Any] | None:
    """What is stored for a finished case, or None if it must not be memoised: a reference to the
    case's rows in the run tables when they hold all of its result (a scored case without
    consolidate decisions; harness.store.memo rebuilds it), else the whole result."""
    if result.status not in MEMO_STATUSES:
        return None
    if result.score is not None and not result.decisions:
        from harness.core.scores import args_hash

        return {"ref": {"run_id": result.run_id, "report_id": result.report_id, "epoch": result.epoch,
                        "scorer": result.score.scorer, "args_hash": args_hash(result.score.args)}}
    return result.model_dump(mode="json", exclude={"run_id", "duration_s"})


def is_ref(value: Any) -> bool:
    """Is this memo value a reference to stored rows (rather than a whole result)?"""
    return isinstance(value, dict) and set(value) == {"ref"}


def replay(value: dict[str, Any], run_id: str) -> CaseResult:
    """The stored case as this run's result: every original model call now a cache hit."""
    from harness.core.scores import ScoreResult

    res = CaseResult.model_validate({**value, "run_id": run_id})
    if res.score is not None:
        res.score = ScoreResult.model_validate(res.score)
    s = res.stats
    res.stats = CallStats(cache_hits=s.model_calls + s.cache_hits, input_tokens=s.input_tokens,
                          output_tokens=s.output_tokens, cost=s.cost, last_text=s.last_text,
                          last_finish_reason=s.last_finish_reason)
    return res
