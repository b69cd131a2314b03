"""What tuning may read: train and dev cases as DSPy examples. Never the test split.

The guard is structural: the tuning code path gets a `TuneCases` and no other way to load
cases, and `TuneCases.examples` refuses `test` (and `all`, which contains it) with an error
that says why. Held-out numbers are only honest if the optimiser never saw those reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.core.errors import HarnessError
from harness.store import Store

TUNE_SPLITS = ("train", "dev")
INPUT_KEYS = ("diff", "changed_files", "context", "repo_path", "head")


class HeldOutSplitError(HarnessError):
    """Tuning asked for the held-out test split."""


@dataclass
class TuneCases:
    """Loads train/dev cases of one stored split as dspy.Examples with their gold."""

    store: Store
    split_name: str = "default"
    task: str = "review"  # consolidate: consolidate cases (harness.tune.consolidate)
    with_diff: bool = False
    loaded: list[str] = field(default_factory=list)  # splits read so far (tests assert on it)

    def split_info(self) -> tuple[int, str]:
        """(seed, content hash) of the stored split: lineage cites the exact split used."""
        from harness.core.errors import NotFound
        from harness.store import inputs as sql

        got = sql.get_split(self.store, self.split_name)
        if got is None:
            raise NotFound(f"no split named {self.split_name!r} in {self.store.path}",
                           hint="run `harness dataset build --repo PATH` first")
        return got[0], got[2]

    def examples(self, split: str, limit: int | None = None) -> list[Any]:
        if split not in TUNE_SPLITS:
            raise HeldOutSplitError(
                f"tuning never reads the {split!r} split: it is held out so that `harness bench "
                f"--split test` measures the tuned program on reports the optimiser never saw",
                hint="tuning trains on 'train' and selects on 'dev'")
        from harness.benchmark.dataset import load_cases
        from harness.gold.build import build_golds

        self.loaded.append(split)
        if self.task == "consolidate":
            from harness.tune.consolidate import examples

            return examples(self.store, split, self.split_name, limit, with_diff=self.with_diff)
        cases = [c for c in load_cases(self.store, split, split_name=self.split_name) if c.runnable]
        if limit is not None:
            cases = cases[:limit]
        # the same gold as bench and score (fates and known false positives included): GEPA's
        # feedback names the known false positives, and dev scores are comparable with bench's
        golds = build_golds(self.store, [c.report_id for c in cases])
        return [to_example(c, golds[c.report_id]) for c in cases]


def to_example(case: Any, gold: Any) -> Any:
    """A dspy.Example: the program's inputs, the gold (harness.gold.build.build_golds) for the
    metric, and the gold findings as `findings` (the label a labeled few-shot demo shows)."""
    import dspy

    from harness.benchmark.programs.signatures import ReviewFinding

    label = [_flat(f, ReviewFinding) for f in gold.findings]
    return dspy.Example(**case.inputs, gold=gold, findings=label,
                        report_id=case.report_id).with_inputs(*INPUT_KEYS)


def _flat(f: Any, cls: type) -> Any:
    loc = f.locations[0] if f.locations else None
    return cls(severity=f.severity, title=f.title, body=f.body, category=f.category,
               path=loc.path if loc else None, line_start=loc.line_start if loc else None,
               line_end=loc.line_end if loc else None)
