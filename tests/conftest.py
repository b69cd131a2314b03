"""Shared fixtures: corpus location, a fresh store per test, DSPy settings reset."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.dont_write_bytecode = False  # as cli.py: compile dspy/litellm once, not in every test process

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "datasets" / "sample"
CORPUS = Path(os.environ.get("HARNESS_CORPUS", ROOT.parent / "shared" / "reviews"))
# later reports of two other code bases (4 to 6 reviewer models, non-reports beside them)
CORPUS_MORE = Path(os.environ.get("HARNESS_CORPUS_MORE", ROOT.parent / "shared" / "reviews-more"))

# Hypothesis profiles, chosen with HYPOTHESIS_PROFILE (default "dev"; CI uses "ci").
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("quick", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.md")) if CORPUS.is_dir() else []


needs_corpus = pytest.mark.skipif(not corpus_files(), reason=f"report corpus not found at {CORPUS}")


def corpus_more_files() -> list[Path]:
    if not CORPUS_MORE.is_dir():
        return []
    return sorted(p for p in CORPUS_MORE.rglob("*.md") if p.name.lower() != "readme.md")


needs_corpus_more = pytest.mark.skipif(not corpus_more_files(),
                                       reason=f"second report corpus not found at {CORPUS_MORE}")


@pytest.fixture
def store(tmp_path):
    from harness.store import Store

    st = Store(tmp_path / "test.duckdb")
    yield st
    st.close()


@pytest.fixture(autouse=True)
def _isolate(monkeypatch, tmp_path):
    """No test sees the user's store or keys, and DSPy's global settings never leak."""
    monkeypatch.setenv("HARNESS_DB", str(tmp_path / "harness.duckdb"))
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    yield
    import sys

    if "dspy" in sys.modules:
        import dspy

        dspy.settings.configure(lm=None, adapter=None)
