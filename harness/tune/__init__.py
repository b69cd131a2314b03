"""Prompt tuning with DSPy optimisers against the gold set (`harness tune`, `harness programs`).

- `tune(store, TuneOptions(...), lm_factory=None, progress=None) -> TuneResult`
- `TuneCases`: the only case loader tuning gets; refuses the test split (`HeldOutSplitError`).
- `list_programs(store)`, `show_program(store, ref)`: saved programs with lineage, instructions, demos.
"""

from harness.tune.cases import HeldOutSplitError, TuneCases
from harness.tune.optimizers import BUDGETS, METRICS, OPTIMIZERS
from harness.tune.run import TuneOptions, TuneProgress, TuneResult, tune
from harness.tune.saved import ProgramView, list_programs, show_program

__all__ = [
    "BUDGETS", "METRICS", "OPTIMIZERS", "ProgramView", "HeldOutSplitError", "TuneCases", "TuneOptions",
    "TuneProgress", "TuneResult", "list_programs", "show_program", "tune",
]
