"""`harness demo`: the whole pipeline, offline, on the shipped synthetic sample.

1. ingest datasets/sample (the malformed report is recorded as failed, the others land);
2. regenerate every retro Summary table and check it against the published one;
3. load the review inputs shipped with the sample (datasets/sample/diffs/<report id>.diff: the
   sample's repositories are fictional, so there is no clone to materialise them from);
4. replay every recorded agent, and run the `single` DSPy program on the deterministic offline
   baseline model `offline/heuristic-reviewer` (harness.lm.heuristic_reviewer: a pattern matcher
   behind litellm, NOT a language model), through the same runner, LM layer and cache as a real
   model;
5. benchmark the consolidation step with the offline baselines (`bench --task consolidate`:
   union, majority, and the reports' own consolidation), into consolidate.md;
6. write the report (md + html) into the output folder and return the leaderboard.

Idempotent: by default the store is a fresh `harness.duckdb` inside the output folder.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, Field

from harness.core.errors import HarnessError
from harness.store import Store

PROGRAM = "single"


class DemoResult(BaseModel):
    out_dir: str
    db: str
    ingested: int
    failed: list[str]
    retro_reports: int
    retro_cells_compared: int
    retro_disagreements: int
    inputs: int
    runs: dict[str, str]  # reviewer -> run id
    files: list[str]
    summary_md: str  # the report's quality table
    acted_md: str = ""  # recall of fixed findings, severity-weighted recall, cost per found issue
    cutoff_md: str = ""  # every reviewer before / after DEMO_CUTOFF
    leaderboard_md: str
    consolidation: dict[str, dict[str, Any]] = Field(default_factory=dict)  # baseline -> run id, metrics
    timings: dict[str, float] = Field(default_factory=dict)
    total_s: float = 0.0


# an example training cut-off inside the sample's dates (2025-06 to 2025-11): the report splits every
# metric before / after it and says that six reports are too few to tell
DEMO_CUTOFF = "2025-10-01"


def _section(md: str, heading: str) -> str:
    """The body of the markdown section starting with `heading` (up to the next `## `)."""
    if heading not in md:
        return ""
    body = md.split(heading, 1)[1]
    return body.split("\n", 1)[1].split("\n## ", 1)[0].strip() if "\n" in body else ""


def sample_dir() -> Path:
    """datasets/sample of the source tree (the demo runs from a clone)."""
    here = Path(__file__).resolve().parents[2] / "datasets" / "sample"
    if not here.is_dir():
        raise HarnessError(f"the synthetic sample is not at {here}", hint="run the demo from a clone of the project")
    return here


_DIFF_FILE = re.compile(r"^\+\+\+ (?:b/)?(.+)$")


def _numstat(diff: str) -> list[dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    cur = None
    for line in diff.splitlines():
        m = _DIFF_FILE.match(line)
        if m:
            cur = files.setdefault(m.group(1).strip(), {"path": m.group(1).strip(), "added": 0, "removed": 0})
            continue
        if cur is None or line.startswith(("--- ", "diff --git")):
            continue
        if line.startswith("+"):
            cur["added"] += 1
        elif line.startswith("-"):
            cur["removed"] += 1
    return list(files.values())


def load_sample_inputs(st: Store, folder: str | Path) -> int:
    """Store `<folder>/<report id>.diff` as the review input of each stored report that has one.

    Marked `exact` with the reason that it is a shipped synthetic diff: the dataset layer's
    `load_cases` then serves it to programs like a diff materialised from a clone.
    """
    from harness.benchmark.dataset import ReviewInput
    from harness.lm.tokens import count_tokens, token_method
    from harness.store.gold import report_ids
    from harness.store.inputs import put_input

    stored = set(report_ids(st))
    n = 0
    for path in sorted(Path(folder).glob("*.diff")):
        if path.stem not in stored:
            continue
        diff = path.read_text(encoding="utf-8")
        inp = ReviewInput(report_id=path.stem, status="exact", reason=f"synthetic sample diff {path.name}",
                          repo_path=None, diff=diff, files=_numstat(diff), tokens=count_tokens(diff),
                          token_method=token_method()).with_hash()
        row = inp.model_dump()
        put_input(st, row)
        n += 1
    return n


def _ingest(st: Store, folder: Path) -> tuple[int, list[str]]:
    from harness.gold.ingest import ingest_paths

    res = ingest_paths(st, [folder])
    return res.totals.reports, [f"{e.source}: {e.warnings[0].message if e.warnings else 'failed'}"
                                for e in res.failed]


def run_demo(out_dir: str | Path = "demo-out", db: str | Path | None = None,
             log: Callable[[str], None] | None = None) -> DemoResult:
    """Run the demo (see the module docstring); `log` gets one line per step."""
    from harness.benchmark.replay import agents_in_gold
    from harness.benchmark.runner import run_bench
    from harness.core.runs import replay_model
    from harness.lm.heuristic_reviewer import register
    from harness.results.report import build_report, write
    from harness.retro import leaderboard as lb
    from harness.retro import tables as retro
    from harness.store.gold import iter_reports

    say = log or (lambda _: None)
    t_all = time.perf_counter()
    timings: dict[str, float] = {}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    db_path = Path(db) if db is not None else out / "harness.duckdb"
    if db is None:  # a fresh store each time: re-running the demo gives the same output
        for p in (db_path, db_path.with_name(db_path.name + ".wal")):
            p.unlink(missing_ok=True)
    sample = sample_dir()

    def step(name: str):
        timings[name] = time.perf_counter()

    def done(name: str) -> None:
        timings[name] = round(time.perf_counter() - timings[name], 3)

    with Store(db_path) as st:
        step("ingest")
        ingested, failed = _ingest(st, sample)
        done("ingest")
        say(f"ingested {ingested} sample reports ({len(failed)} failed as expected: "
            + "; ".join(Path(f).name for f in failed) + ")")

        step("retro")
        results = retro.retro(st, None, check=True)
        compared = sum(r.compared for r in results)
        disagree = sum(len(r.disagreements) for r in results)
        (out / "retro.md").write_text(retro.to_markdown(results, check=True), encoding="utf-8")
        done("retro")
        say(f"retro tables regenerated for {len(results)} reports: {compared - disagree}/{compared} published"
            f" cells agree (details in {out / 'retro.md'})")

        step("inputs")
        n_inputs = load_sample_inputs(st, sample / "diffs")
        done("inputs")
        say(f"loaded {n_inputs} review inputs from {sample / 'diffs'}")

        step("replay")
        runs: dict[str, str] = {}
        agents = agents_in_gold(list(iter_reports(st)))
        for agent in agents:
            res = run_bench(st, model=replay_model(agent), split="all", concurrency=4)
            runs[replay_model(agent)] = res.run_id
        done("replay")
        say(f"replayed {len(agents)} recorded reviewers: {', '.join(agents)}")

        step("program")
        model = register()
        res = run_bench(st, model=model, program=PROGRAM, split="all", concurrency=4)
        if res.status.value not in ("complete", "complete_with_errors") or res.errors:
            raise HarnessError(f"demo program run {res.run_id} ended {res.status.value} with {res.errors} errors:"
                               f" {res.message}")
        runs[f"{PROGRAM} · {model}"] = res.run_id
        done("program")
        say(f"ran program {PROGRAM!r} on {model} (heuristic baseline, not a language model): "
            f"{res.scored} cases scored, {res.model_calls} model calls, {res.input_tokens + res.output_tokens} tokens")

        step("consolidate")
        consolidation = _consolidate(st, out)
        done("consolidate")
        say("consolidation baselines (decision accuracy / F1 of the consolidated set): " + ", ".join(
            f"{name} {_num(v['decision_accuracy'])} / {_num(v['f1'])}" for name, v in consolidation.items())
            + f" (details in {out / 'consolidate.md'})")

        step("report")
        panel = [runs[replay_model(a)] for a in agents]
        rep = build_report(st, [res.run_id], panel=panel, cutoff=DEMO_CUTOFF)
        files = []
        for fmt in ("md", "html", "json"):
            path = out / f"report.{fmt}"
            write(rep, fmt, path)
            files.append(str(path))
        done("report")
        say(f"wrote {', '.join(files)}")

        step("leaderboard")
        board_md = lb.to_markdown(lb.leaderboard(st, n_boot=1000))
        done("leaderboard")

    from harness.results.report.formats import to_markdown

    md = to_markdown(rep)
    quality, acted, cut = (_section(md, h) for h in ("## Quality", "## Acted on", "## Before / after"))
    return DemoResult(out_dir=str(out), db=str(db_path), ingested=ingested, failed=failed,
                      retro_reports=len(results), retro_cells_compared=compared, retro_disagreements=disagree,
                      inputs=n_inputs, runs=runs, files=files, consolidation=consolidation, summary_md=quality,
                      acted_md=acted, cutoff_md=cut, leaderboard_md=board_md,
                      timings=timings, total_s=round(time.perf_counter() - t_all, 3))


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def _consolidate(st: Store, out: Path) -> dict[str, dict[str, Any]]:
    """The consolidate task's offline baselines on every sample report with two or more reviews."""
    from harness.benchmark.consolidate.baselines import BASELINES
    from harness.benchmark.consolidate.metrics import metrics_markdown
    from harness.benchmark.runner import run_bench

    got: dict[str, dict[str, Any]] = {}
    md = ["# Consolidation baselines on the sample", ""]
    for name in BASELINES:
        res = run_bench(st, model=name, task="consolidate", split="all", concurrency=4)
        m = res.metrics
        got[name] = {"run_id": res.run_id, "cases": res.scored, "decision_accuracy": m.decision_accuracy,
                     "fp_rejection_recall": m.fp_rejection_recall, "downgrade_recall": m.downgrade_recall,
                     "f1": m.f1}
        md += [f"## {name} (run {res.run_id}, {res.scored} cases)", "", metrics_markdown(m), ""]
    (out / "consolidate.md").write_text("\n".join(md), encoding="utf-8")
    return got
