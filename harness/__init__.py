"""Evaluation harness for AI code reviewers.

Packages by job, in layers (a package imports only from the layers below it):

1. `core` - boundary models, run and score types, errors, hashing, secret redaction, git;
2. `store` (DuckDB, all SQL), `lm` (model calls), `gold.parse` (report parser), and the
   top-level `scorers` package - each imports only `core`;
3. `gold` - ingest, fates, reconciliation text, rendering, scoring a file against a report's gold;
4. `retro` (retro tables, leaderboard) and `benchmark` (dataset, programs, runner, replay);
5. `results` (report, compare, gate), `tune`, `demo`; `cli.py` sits on top.

tests/test_layers.py checks the arrows from the sources' import statements.
"""

__version__ = "0.1.0"
