"""Review programs: DSPy modules that turn a diff into findings (see modules.py for the list)."""

from harness.benchmark.programs.registry import (
    SAVED_PREFIX,
    get_program,
    program_hash,
    program_names,
    program_state,
    register,
    save_program,
)
from harness.benchmark.programs.result import ProgramResult, quiet_context, run_program, to_findings
from harness.benchmark.programs.signatures import ConsolidateFindings, ReviewDiff, ReviewFinding

# The built-in programs register themselves when imported; importing them here is what makes
# `get_program("single")` etc. work. The registry never imports them, so there is no cycle.
from harness.benchmark.programs import agent, consolidators, modules  # noqa: E402,F401  (registers the built-ins)

__all__ = [
    "SAVED_PREFIX", "ConsolidateFindings", "ProgramResult", "ReviewDiff", "ReviewFinding",
    "get_program", "program_hash", "program_names", "program_state", "quiet_context", "register", "run_program",
    "save_program", "to_findings",
]
