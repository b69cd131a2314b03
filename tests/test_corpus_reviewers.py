"""Reviewers are models, on both real corpora (each part skipped when its folder is absent).

Every file ingests or fails with a reason; the reviewer list is the header's (count and names);
no agent review, retro note or attribution names a model outside it; no two header models are
merged into one."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from harness.core.errors import ParseError
from harness.gold.parse import parse_report
from harness.gold.parse.header import parse_reviewers
from tests.conftest import corpus_files, corpus_more_files, needs_corpus, needs_corpus_more

_REVIEWERS_ROW = re.compile(r"^\|\s*\*\*Reviewers?\*\*\s*\|(.*)\|\s*$", re.M)


@lru_cache(maxsize=2)
def parsed(which: str) -> dict[str, object]:
    files = corpus_files() if which == "reviews" else corpus_more_files()
    out: dict[str, object] = {}
    for p in files:
        try:
            out[str(p)] = parse_report(p.read_text(encoding="utf-8"), str(p))
        except ParseError as exc:
            out[str(p)] = exc
    return out


def header_models(path: str) -> list[str]:
    m = _REVIEWERS_ROW.search(Path(path).read_text(encoding="utf-8"))
    return [r.agent for r in parse_reviewers(m.group(1))] if m else []


def check_reviewers(which: str) -> None:
    for path, r in parsed(which).items():
        if isinstance(r, ParseError):
            continue
        want = header_models(path)
        if not want:
            continue
        got = [x.agent for x in r.reviewers]
        assert got == want, path  # count and names: two Geminis stay two
        assert len(set(got)) == len(got), path
        assert {a.agent for a in r.agent_reviews} <= set(want), path
        assert set(r.published_retro.agent_notes) <= set(want), path
        for f in r.findings:
            assert set(f.agents) <= set(want), (path, f.id)
            for cands in f.ambiguous.values():
                assert len(cands) > 1 and set(cands) <= set(want), (path, f.id)
        t = r.published_retro.summary
        if t is not None:
            assert len(set(t.columns)) == len(t.columns), path  # one column per model
        for ar in r.agent_reviews:
            assert ar.family and ar.agent in want, path


@needs_corpus
def test_reviews_every_file_ingests_and_reviewers_are_the_headers():
    got = parsed("reviews")
    assert got and not [p for p, r in got.items() if isinstance(r, ParseError)]
    check_reviewers("reviews")


@needs_corpus_more
def test_reviews_more_non_reports_fail_with_the_reason_and_the_rest_ingest():
    got = parsed("more")
    failed = {Path(p).name: str(r) for p, r in got.items() if isinstance(r, ParseError)}
    for name, reason in failed.items():
        assert reason.split(": ", 1)[1].startswith("not a deep-review report ("), name
        assert "supply-chain" in name or "ci-failures" in name, name
    assert len(got) - len(failed) >= len(got) - 5


@needs_corpus_more
def test_reviews_more_reviewers_are_the_headers_models():
    check_reviewers("more")


@needs_corpus_more
def test_reviews_more_two_geminis_stay_two_columns_and_two_reviews():
    seen = 0
    for path, r in parsed("more").items():
        if isinstance(r, ParseError):
            continue
        gem = [x.agent for x in r.reviewers if x.family == "Gemini"]
        if len(gem) < 2:
            continue
        seen += 1
        t = r.published_retro.summary
        if t is not None:
            assert set(gem) <= set(t.columns), path
        assert {a.agent for a in r.agent_reviews if a.family == "Gemini"} <= set(gem), path
    assert seen > 0


@needs_corpus_more
@pytest.mark.parametrize("family", ["Qwen", "Gemma"])
def test_reviews_more_local_models_have_their_own_reviews(family):
    seen = 0
    for path, r in parsed("more").items():
        if isinstance(r, ParseError):
            continue
        listed = [x.agent for x in r.reviewers if x.family == family]
        if listed:
            seen += 1
            assert [a.agent for a in r.agent_reviews if a.family == family] == listed, path
    assert seen > 0
