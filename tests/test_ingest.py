"""Ingest: the shipped sample lands (the malformed file is recorded, not fatal), re-runs are
idempotent, changed reports replace old versions, bad bytes fail with a reason, git refs are
read without a checkout."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from harness.core.errors import HarnessError
from harness.gold.ingest import IngestFailed, ingest_git, ingest_paths
from harness.store import gold

from conftest import SAMPLE

MALFORMED = "20250920-083000-pr-77"
GOOD = 6


def _counts(store) -> dict[str, int]:
    return {t: store.one(f"SELECT count(*) FROM {t}")[0]
            for t in ("reports", "findings", "agent_findings", "resolutions", "retro_cells", "ingest_failures")}


def test_sample_lands_and_malformed_is_recorded(store):
    res = ingest_paths(store, [SAMPLE])
    t = res.totals
    assert t.files == GOOD + 1 and t.reports == GOOD and t.failed == 1 and t.new == GOOD
    # hand-counted from the sample files
    assert t.findings == {"critical": 3, "important": 13, "suggestion": 15}
    assert t.agent_findings == 49
    bad = [e for e in res.reports if e.status == "failed"]
    assert [e.id for e in bad] == [MALFORMED]
    assert bad[0].reason.startswith("not a deep-review report (") and bad[0].reason == bad[0].warnings[0].message
    assert "\n" not in bad[0].warnings[0].message
    fails = gold.list_failures(store)
    assert fails["source"].to_list() == [str(SAMPLE / f"{MALFORMED}.md")]
    assert gold.report_ids(store) == sorted(e.id for e in res.reports if e.status != "failed")
    assert "README" not in " ".join(e.source for e in res.reports)  # docs beside a corpus skipped


def test_second_ingest_changes_nothing(store):
    ingest_paths(store, [SAMPLE])
    before = _counts(store)
    stamps = store.all("SELECT id, ingested_at FROM reports ORDER BY id")
    res = ingest_paths(store, [SAMPLE])
    assert res.totals.unchanged == GOOD and res.totals.new == 0 and res.totals.replaced == 0
    assert _counts(store) == before
    assert store.all("SELECT id, ingested_at FROM reports ORDER BY id") == stamps
    # warnings stored with a skipped report are still reported
    assert any(e.status == "warning" for e in res.reports)


def test_changed_report_replaces_old_version(store, tmp_path):
    src = SAMPLE / "20251021-161200-pr-63.md"
    f = tmp_path / src.name
    shutil.copy(src, f)
    ingest_paths(store, [f])
    old = gold.get_report(store, "20251021-161200-pr-63")
    assert len(old.findings) == 6
    text = f.read_text(encoding="utf-8")
    cut = text.index("S2. **Retry counter")
    f.write_text(text[:cut] + text[text.index("## Testing Gaps"):], encoding="utf-8")
    res = ingest_paths(store, [f])
    assert res.totals.replaced == 1
    new = gold.get_report(store, "20251021-161200-pr-63")
    assert len(new.findings) == 5 and new.content_hash != old.content_hash
    assert store.one("SELECT count(*) FROM findings")[0] == 5
    assert store.one("SELECT count(*) FROM reports")[0] == 1


@pytest.mark.parametrize("data, reason", [
    (b"# Deep Review: x\n\x00\x01\x02 binary", "binary"),
    ("# Deep Review: x\n\n| **Date** | 2025 caf\u00e9 |\n".encode("latin-1"), "not UTF-8"),
    (b"", "empty"),
])
def test_undecodable_files_fail_with_reason_and_others_land(store, tmp_path, data, reason):
    (tmp_path / "bad.md").write_bytes(data)
    shutil.copy(SAMPLE / "20251103-120500-pr-88.md", tmp_path)
    res = ingest_paths(store, [tmp_path])
    by_status = {e.source.rsplit("/", 1)[-1]: e for e in res.reports}
    assert by_status["bad.md"].status == "failed"
    assert reason in by_status["bad.md"].warnings[0].message
    assert by_status["20251103-120500-pr-88.md"].status == "ok"
    assert gold.report_ids(store) == ["20251103-120500-pr-88"]


def test_failure_is_cleared_once_the_file_is_fixed(store, tmp_path):
    f = tmp_path / "r.md"
    f.write_bytes(b"\xff\xfe not utf8")
    ingest_paths(store, [f])
    assert len(gold.list_failures(store)) == 1
    shutil.copy(SAMPLE / "20251103-120500-pr-88.md", f)
    ingest_paths(store, [f])
    assert len(gold.list_failures(store)) == 0


def test_strict_raises_after_storing(store):
    with pytest.raises(IngestFailed) as ei:
        ingest_paths(store, [SAMPLE], strict=True)
    assert ei.value.exit_code == 1
    assert ei.value.result.totals.reports == GOOD
    assert len(gold.report_ids(store)) == GOOD  # nothing lost
    clean = ingest_paths(store, [SAMPLE / "20250902-101500-pr-41.md"], strict=True)
    assert clean.totals.warnings == 0


def test_missing_path_is_one_line_error(store, tmp_path):
    with pytest.raises(HarnessError, match="no such file"):
        ingest_paths(store, [tmp_path / "nope"])


def test_progress_is_called_per_file(store):
    seen = []
    ingest_paths(store, [SAMPLE], progress=lambda d, t, s: seen.append((d, t)))
    assert seen[-1] == (GOOD + 1, GOOD + 1) and len(seen) == GOOD + 1


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@x", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "repo"
    (r / "reviews").mkdir(parents=True)
    _git(r, "init", "-q", "-b", "main")
    for name in ("20250902-101500-pr-41.md", "20251014-090000-pr-63.md"):
        shutil.copy(SAMPLE / name, r / "reviews" / name)
    (r / "README.md").write_text("# not a report\n")
    _git(r, "add", ".")
    _git(r, "commit", "-q", "-m", "two reports")
    _git(r, "tag", "v1")
    shutil.copy(SAMPLE / "20251103-120500-pr-88.md", r / "reviews")
    _git(r, "add", ".")
    _git(r, "commit", "-q", "-m", "third")
    (r / "reviews" / "20251103-120500-pr-88.md").unlink()  # work tree differs from HEAD
    return r


def test_ingest_git_reads_a_ref_without_checkout(store, repo):
    res = ingest_git(store, repo, "v1")
    assert sorted(e.id for e in res.reports) == ["20250902-101500-pr-41", "20251014-090000-pr-63"]
    assert all(e.source.startswith("git:v1:reviews/") for e in res.reports)
    res = ingest_git(store, repo, "main", under="reviews")
    assert res.totals.reports == 3 and res.totals.new == 1 and res.totals.unchanged == 2
    assert gold.get_report(store, "20251103-120500-pr-88").source == "git:main:reviews/20251103-120500-pr-88.md"


def test_ingest_git_bad_ref_is_one_line_error(store, repo):
    with pytest.raises(HarnessError) as ei:
        ingest_git(store, repo, "no-such-ref")
    assert "\n" not in ei.value.one_line()
