"""Constants shared by the CLI and the library, each written once. Imports nothing, so the CLI
can read them at `--help` without loading pydantic or the store."""

DEFAULT_CONCURRENCY = 8  # cases (and model calls) in flight unless told otherwise; shrinks on 429
REPLAY_PREFIX = "replay:"  # `--model replay:AGENT`: a recorded reviewer replayed (harness.benchmark.replay)
