"""Review programs: DSPy modules that turn a diff into findings (see modules.py for the list)."""

from harness.programs.registry import (
    SAVED_PREFIX,
    get_program,
    program_hash,
    program_names,
    program_state,
    register,
    save_program,
)
from harness.programs.result import ProgramResult, run_program, to_findings
from harness.programs.signatures import ConsolidateFindings, ReviewDiff, ReviewFinding

__all__ = [
    "SAVED_PREFIX", "ConsolidateFindings", "ProgramResult", "ReviewDiff", "ReviewFinding",
    "get_program", "program_hash", "program_names", "program_state", "register", "run_program",
    "save_program", "to_findings",
]
