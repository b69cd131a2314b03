"""SQL for the case memo (harness.core.memo): stored results of finished cases, by memo key.

A memo value is, when it can be, a reference to the case's rows in the run tables (`memo_value`);
those rows hold all of its result, and a reference is rebuilt into the whole result when read.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from harness.core.hashing import canonical_json, key_id
from harness.core.memo import is_ref, memo_value
from harness.core.runs import CaseResult
from harness.core.secrets import redact
from harness.store import Store


def memo_get_many(st: Store, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Stored memo values of the given keys (absent keys are left out). A value that refers to a
    stored case (harness.core.memo.memo_value) comes back as that case's whole result; a reference
    whose case is gone (its run or score deleted or re-scored) is left out, so that case runs again."""
    out: dict[str, dict[str, Any]] = {}
    refs: dict[str, dict[str, Any]] = {}
    for i in range(0, len(keys), 512):
        chunk = set(keys[i:i + 512])
        for key, value in st.all("SELECT key, value FROM case_memo WHERE list_contains(?::UBIGINT[], id)",
                                 [[key_id(k) for k in chunk]]):
            if key in chunk:  # the id found it; the key makes the hit exact
                v = json.loads(memo_text(value))
                if is_ref(v):
                    refs[key] = v["ref"]
                else:
                    out[key] = v
    if refs:
        out.update(_stored_results(st, refs))
    return out


def _stored_results(st: Store, refs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Memo values (harness.core.memo.memo_value's shape) rebuilt from the run tables, by key."""
    from harness.store.scores import run_scores

    out: dict[str, dict[str, Any]] = {}
    by_run: dict[str, dict[tuple[str, int], str]] = {}
    for key, r in refs.items():
        by_run.setdefault(r["run_id"], {})[(r["report_id"], int(r["epoch"]))] = key
    for run_id, wanted in by_run.items():
        ids = sorted({rid for rid, _ in wanted})
        args = [run_id, ids]
        where = "run_id = ? AND list_contains(?, report_id)"
        cases = {(r[0], int(r[1])): r for r in st.all(
            "SELECT report_id, epoch, status, error, error_kind, raw_response, model_calls, cache_hits,"
            f" input_tokens, output_tokens, cost, tool_calls FROM run_cases WHERE {where}", args)}
        findings: dict[tuple[str, int], list[Any]] = {}
        for rid, e, finding in st.all(f"SELECT report_id, epoch, finding FROM run_predictions WHERE {where}"
                                      " ORDER BY report_id, epoch, idx", args):
            findings.setdefault((rid, int(e)), []).append(json.loads(finding))
        scores = run_scores(st, run_id, ids)
        for (rid, epoch), key in wanted.items():
            ref = refs[key]
            case = cases.get((rid, epoch))
            score = scores.get((rid, epoch, ref["scorer"], ref["args_hash"]))
            if case is None or score is None:
                continue  # gone: a miss
            _, _, status, error, error_kind, raw, calls, hits, tokens_in, tokens_out, cost, tool_calls = case
            result, gold_hash = score
            out[key] = {
                "report_id": rid, "epoch": epoch, "status": status, "error": error, "error_kind": error_kind,
                "raw_response": raw, "tool_calls": tool_calls, "findings": findings.get((rid, epoch), []),
                "stats": {"model_calls": calls, "cache_hits": hits, "input_tokens": tokens_in,
                          "output_tokens": tokens_out, "cost": cost},
                "score": result.model_dump(mode="json"), "gold_hash": gold_hash, "decisions": []}
    return out


# A case's memo is, when it can be, a reference to the case's rows in the run tables (~150
# bytes: harness.core.memo.memo_value); otherwise its whole result (findings, score, stats: ~3 KB
# of JSON with the synthetic cases, more with real answers), stored deflated. Every byte a run writes is rewritten again when
# DuckDB merges the row groups of its checkpoints, and a long run's memory peaks there
# (bench/RESULTS.md); whole results were over half of what a run wrote. Older values: whole
# results, deflated or plain JSON.
_PACKED = "zlib:"


def pack_memo(text: str) -> str:
    return _PACKED + base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")


def memo_text(value: str) -> str:
    if value.startswith(_PACKED):
        return zlib.decompress(base64.b64decode(value[len(_PACKED):])).decode("utf-8")
    return value


def case_memo_text(case: CaseResult) -> str | None:
    """The stored text of a finished case's memo (None: not memoised): a reference as plain JSON,
    a whole result redacted and deflated."""
    value = memo_value(case)
    if value is None:
        return None
    return canonical_json(value) if is_ref(value) else pack_memo(redact(canonical_json(value)))


def memo_put(st: Store, key: str, kind: str, value: Any) -> None:
    st.execute("INSERT INTO case_memo (id, key, kind, value) VALUES (?::UBIGINT, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
               [key_id(key), key, kind, redact(canonical_json(value))])
