"""The benchmark dataset: what each gold report reviewed, split into train/dev/test, as cases.

`build_inputs` materialises the reviewed change of every stored report from a local clone:
the diff of the commits named in the report header when the clone has them (`exact`), else the
range of the PR's merge (or squash) commit (`approximate`: the PR as it landed, not as it was
reviewed), else `unavailable` with the reason. `build_split` assigns whole PRs to splits, so the
rounds of one PR (which share most findings) never straddle train and test. `load_cases` is what
the runner iterates over.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, Field

from harness.core.errors import HarnessError
from harness.core.git import EMPTY_TREE, GitRepo, LogEntry, merge_branch, pr_merge_commits
from harness.core.hashing import content_hash
from harness.core.models import Report
from harness.lm.tokens import count_tokens, token_method
from harness.store import Store

InputStatus = Literal["exact", "approximate", "unavailable", "missing"]
SPLITS = ("train", "dev", "test")
DEFAULT_SPLIT_NAME = "default"
DEFAULT_RATIOS = (0.5, 0.25, 0.25)


# -- models ---------------------------------------------------------------------------------

class ChangedFile(BaseModel):
    path: str
    added: int | None = None  # None: binary
    removed: int | None = None


class _Change(BaseModel):
    """What both a stored input and a case say about the reviewed change."""

    report_id: str
    status: InputStatus
    reason: str | None = None  # why approximate / unavailable
    repo_path: str | None = None
    base: str | None = None
    head: str | None = None
    diff: str = ""
    tokens: int = 0


class ReviewInput(_Change):
    """The materialised change one report reviewed (a row of `review_inputs`)."""

    method: Literal["commits", "merge", "squash", "pull_ref", "branch"] | None = None
    files: list[ChangedFile] = Field(default_factory=list)
    token_method: str = "chars/4"
    content_hash: str = ""

    def with_hash(self) -> "ReviewInput":
        return self.model_copy(update={"content_hash": content_hash(self.model_dump(exclude={"content_hash"}))})


class ReviewCase(_Change):
    """One benchmark case: a gold report and the change it reviewed (diff may be empty)."""

    pr: int | None = None
    round: int | None = None
    split: str | None = None
    changed_files: list[ChangedFile] = Field(default_factory=list)
    context: str = ""

    @property
    def runnable(self) -> bool:
        """A program can review it (replay runs need no diff and take every case)."""
        return self.status in ("exact", "approximate") and bool(self.diff)

    def files_text(self) -> str:
        return "\n".join(
            f"{f.path} (binary)" if f.added is None else f"{f.path} (+{f.added} -{f.removed})"
            for f in self.changed_files)

    @property
    def inputs(self) -> dict[str, str]:
        """Keyword arguments of every review program: the ReviewDiff inputs, plus the commit to
        browse (used by the `agent` program only)."""
        return {"diff": self.diff, "changed_files": self.files_text(), "context": self.context,
                "repo_path": self.repo_path or "", "head": self.head or ""}


# -- materialising one report ---------------------------------------------------------------

def _report_time(report: Report) -> datetime | None:
    if not report.date:
        return None
    try:
        t = datetime.fromisoformat(report.date.replace(" ", "T"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)  # zone unknown: a day of slack below


def _pick_landing(cands: list[LogEntry], report: Report) -> LogEntry | None:
    """The landing commit of this report's PR: a merge of the report's branch, or a squash commit
    after the review; the closest in time. PR numbers repeat across histories merged into one
    repository (the daemon's clone holds an older project's history too), hence the filter."""
    if not cands:
        return None
    when = _report_time(report)
    if report.branch:  # a landing of another branch is another PR with the same number
        cands = [e for e in cands if (merge_branch(e) or "").split("/", 1)[-1] == report.branch
                 or (merge_branch(e) is None and (when is None or e.date >= when - timedelta(days=1)))]
        if not cands:
            return None

    def rank(e: LogEntry):
        branch = (merge_branch(e) or "").split("/", 1)[-1]
        branch_miss = bool(report.branch) and branch != report.branch
        after = when is None or e.date >= when - timedelta(days=1)
        gap = abs((e.date - when).total_seconds()) if when else 0.0
        return (branch_miss, not after, gap)

    return min(cands, key=rank)


def _order_commits(repo: GitRepo, shas: list[str]) -> tuple[str, str, bool]:
    """(oldest, newest, is_chain) of the listed commits by ancestry; header order if not one chain."""
    if len(set(shas)) == 1:
        return shas[0], shas[0], True
    tips = repo.tips(shas)
    root = repo.common_ancestor(shas)
    if len(tips) == 1 and root in shas:
        return root, tips[0], True
    return shas[0], shas[-1], False


def _fallback_range(repo: GitRepo, report: Report) -> tuple[str, str, str, str] | None:
    """(base, head, method, description) of the PR as it ended up, when the reviewed commits are gone:
    its merge or squash commit, else GitHub's refs/pull/N/head, else the report's branch."""
    if report.pr is not None:
        landing = _pick_landing(pr_merge_commits(repo, report.pr), report)
        if landing is not None and len(landing.parents) >= 2:
            # the PR's own change as it landed: merge-base(main, branch tip)..branch tip
            head = landing.parents[1]
            base = repo.merge_base(landing.parents[0], head) or landing.parents[0]
            return base, head, "merge", f"merge commit {landing.sha[:12]} of PR #{report.pr}"
        if landing is not None:
            base = landing.parents[0] if landing.parents else EMPTY_TREE
            return base, landing.sha, "squash", f"squash commit {landing.sha[:12]} of PR #{report.pr}"
    refs = [f"refs/pull/{report.pr}/head"] if report.pr is not None else []
    if report.branch:
        refs += [f"refs/heads/{report.branch}", f"refs/remotes/origin/{report.branch}"]
    found = repo.ref_commit(*refs) if refs else None
    main = repo.default_head()
    if found is None or main is None:
        return None
    ref, head = found
    base = repo.merge_base(main, head)
    if base is None or base == head:  # unrelated, or already merged without a merge commit
        return None
    method = "pull_ref" if ref.startswith("refs/pull/") else "branch"
    return base, head, method, f"{ref} at {head[:12]}"


def materialise(repo: GitRepo, report: Report) -> ReviewInput:
    """The change `report` reviewed, from `repo` (see the module docstring for the statuses)."""
    rid = report.id
    origin = repo.remote_url
    if report.repo and origin and report.repo.lower() not in origin.lower():
        return ReviewInput(report_id=rid, status="unavailable",
                           reason=f"report reviews {report.repo}; the clone is {origin}")
    listed = [c.sha for c in report.commits if c.sha]
    resolved = repo.resolve_many(listed)
    missing = [s for s, full in resolved.items() if full is None]
    reason = None
    if listed and not missing:
        oldest, head, chain = _order_commits(repo, [resolved[s] for s in listed])
        parents = repo.parents(oldest)
        base = parents[0] if parents else EMPTY_TREE
        status, method = ("exact", "commits") if chain else ("approximate", "commits")
        if not chain:
            reason = "listed commits are not one chain: diffed header order first..last"
    else:
        why = (f"commit{'s' if len(missing) > 1 else ''} {', '.join(missing)} not in the clone"
               if listed else "report lists no commits")
        found = _fallback_range(repo, report)
        if found is None:
            tried = (f"no merge or squash commit, nor refs/pull/{report.pr}/head" if report.pr is not None
                     else "names no PR")
            if report.branch:
                tried += f", nor a branch {report.branch!r}"
            return ReviewInput(report_id=rid, status="unavailable", reason=f"{why}; {tried}")
        base, head, method, what = found
        status = "approximate"
        reason = f"{why}; used {what}"
    diff = repo.diff(base, head)
    files = [ChangedFile(path=f.path, added=f.added, removed=f.removed) for f in repo.numstat(base, head)]
    return ReviewInput(report_id=rid, status=status, reason=reason, method=method,
                       repo_path=str(repo.path), base=base, head=head, diff=diff, files=files,
                       tokens=count_tokens(diff), token_method=token_method())


class SplitInfo(BaseModel):
    name: str
    seed: int
    ratios: list[float]
    content_hash: str
    groups: dict[str, str]  # group key -> split
    assignments: dict[str, str]  # report id -> split


class BuildSummary(BaseModel):
    reports: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    exact: int = 0
    approximate: int = 0
    unavailable: int = 0
    tokens: int = 0
    token_method: str = "chars/4"
    split: SplitInfo | None = None


def build_inputs(st: Store, repo_path: str | Path, *, report_ids: list[str] | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> BuildSummary:
    """Materialise every stored report's input; rows whose content hash is unchanged are not rewritten."""
    from harness.store import inputs as sql
    from harness.store.gold import iter_reports

    repo = GitRepo(repo_path)
    reports = list(iter_reports(st, report_ids))
    stored = sql.input_hashes(st)
    out = BuildSummary(reports=len(reports), token_method=token_method())
    for i, report in enumerate(reports):
        inp = materialise(repo, report).with_hash()
        old = stored.get(report.id)
        if old == inp.content_hash:
            out.unchanged += 1
        else:
            row = inp.model_dump()
            row["files"] = [f.model_dump() for f in inp.files]
            sql.put_input(st, row)
            out.new += old is None
            out.changed += old is not None
        setattr(out, inp.status, getattr(out, inp.status) + 1)
        out.tokens += inp.tokens
        if on_progress:
            on_progress(i + 1, len(reports))
    return out


# -- splits ----------------------------------------------------------------------------------

def group_key(report: Report) -> str:
    """All rounds of a PR share a key; without a PR number, the branch, else the report itself.
    A PR is (repository, number): the same number in two repositories is two PRs."""
    if report.pr is not None:
        return f"pr:{report.repo}#{report.pr}" if report.repo else f"pr:{report.pr}"
    if report.branch:
        return f"branch:{report.branch}"
    return f"id:{report.id}"


def _allocate(n: int, ratios: tuple[float, ...]) -> list[int]:
    """Group counts per split: largest remainders, and every split with a positive ratio gets one
    group when there are enough groups (a tiny dataset still has a dev and a test case)."""
    total = sum(ratios)
    exact = [n * r / total for r in ratios]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(ratios)), key=lambda i: -(exact[i] - counts[i]))[: n - sum(counts)]:
        counts[i] += 1
    wanted = [i for i, r in enumerate(ratios) if r > 0]
    if n >= len(wanted):
        for i in wanted:
            if counts[i] == 0:
                counts[max(range(len(counts)), key=counts.__getitem__)] -= 1
                counts[i] = 1
    return counts


def assign_splits(keys: dict[str, str], seed: int = 0,
                  ratios: tuple[float, ...] = DEFAULT_RATIOS) -> dict[str, str]:
    """report id -> split, given report id -> group key. Groups are ordered by sha256(seed:key),
    so the result depends only on (seed, ratios, set of groups), not on input order."""
    if len(ratios) != len(SPLITS) or any(r < 0 for r in ratios) or sum(ratios) <= 0:
        raise HarnessError(f"split ratios must be three non-negative numbers, got {list(ratios)}")
    groups = sorted(set(keys.values()), key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).hexdigest())
    counts = _allocate(len(groups), tuple(ratios))
    group_split: dict[str, str] = {}
    i = 0
    for split, c in zip(SPLITS, counts):
        for g in groups[i:i + c]:
            group_split[g] = split
        i += c
    return {rid: group_split[k] for rid, k in keys.items()}


def build_split(st: Store, *, name: str = DEFAULT_SPLIT_NAME, seed: int = 0,
                ratios: tuple[float, ...] = DEFAULT_RATIOS) -> SplitInfo:
    """Assign every stored report to train/dev/test by PR and store the split under `name`."""
    from harness.store import inputs as sql
    from harness.store.gold import iter_reports

    keys = {r.id: group_key(r) for r in iter_reports(st)}
    assignment = assign_splits(keys, seed, ratios)
    groups = {keys[rid]: s for rid, s in assignment.items()}
    chash = content_hash({"seed": seed, "ratios": list(ratios), "assignments": assignment})
    sql.put_split(st, name, seed, list(ratios), chash,
                  [(rid, keys[rid], assignment[rid]) for rid in sorted(assignment)])
    return SplitInfo(name=name, seed=seed, ratios=list(ratios), content_hash=chash,
                     groups=dict(sorted(groups.items())), assignments=dict(sorted(assignment.items())))


def export_split(info: SplitInfo, folder: str | Path = "datasets/splits") -> Path:
    path = Path(folder) / f"{info.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info.model_dump(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def build_dataset(st: Store, repo_path: str | Path, *, seed: int = 0,
                  ratios: tuple[float, ...] = DEFAULT_RATIOS, split_name: str = DEFAULT_SPLIT_NAME,
                  export: str | Path | None = None,
                  on_progress: Callable[[int, int], None] | None = None) -> BuildSummary:
    """`harness dataset build`: inputs for every report, then the split (optionally exported)."""
    summary = build_inputs(st, repo_path, on_progress=on_progress)
    summary.split = build_split(st, name=split_name, seed=seed, ratios=ratios)
    if export is not None:
        export_split(summary.split, export)
    return summary


# -- summary and cases ------------------------------------------------------------------------

def dataset_summary(st: Store, split_name: str = DEFAULT_SPLIT_NAME) -> list[dict]:
    """`harness dataset show`: per split, reports, PRs, input status counts and tokens."""
    from harness.core.errors import NotFound
    from harness.store import inputs as sql

    if split_name != DEFAULT_SPLIT_NAME and sql.get_split(st, split_name) is None:
        names = sql.split_names(st)
        raise NotFound(f"no split named {split_name!r}",
                       hint=f"stored: {', '.join(names)}" if names else "run `harness dataset build` first")
    return sql.dataset_summary(st, split_name).to_dicts()


def input_problems(st: Store) -> list[dict]:
    """Inputs that are approximate or unavailable, with the reason."""
    from harness.store import inputs as sql

    return sql.input_problems(st).to_dicts()


def _context(report: Report) -> str:
    """What a reviewer knows besides the diff: PR title, branch and commit subjects."""
    lines = []
    if report.pr is not None:
        lines.append(f"PR #{report.pr}" + (f": {report.pr_title}" if report.pr_title else ""))
    if report.branch:
        lines.append(f"Branch: {report.branch}")
    if report.commits:
        lines.append("Commits:")
        lines += [f"- {c.sha} {c.message}".rstrip() for c in report.commits]
    return "\n".join(lines)


def load_cases(st: Store, split: str = "test", limit: int | None = None, *,
               split_name: str = DEFAULT_SPLIT_NAME) -> list[ReviewCase]:
    """Cases of one split ('train', 'dev', 'test' or 'all'), ordered by report id.

    Every report of the split yields a case, also without a usable diff (status 'unavailable', or
    'missing' when the dataset was never built): replay runs need no diff; program runs skip
    cases that are not `runnable` and record `reason`.
    """
    from harness.store import inputs as sql
    from harness.store.gold import iter_reports

    if split not in (*SPLITS, "all"):
        raise HarnessError(f"unknown split {split!r}", hint="use train, dev, test or all")
    ids = case_ids(st, split, limit, split_name=split_name)
    return [case for case, _ in cases_of(st, ids, split_name=split_name)]


def case_ids(st: Store, split: str = "test", limit: int | None = None, *,
             split_name: str = DEFAULT_SPLIT_NAME) -> list[str]:
    """Report ids of the cases of one split, ordered (what `load_cases` loads, without loading it)."""
    from harness.store import inputs as sql

    if split not in (*SPLITS, "all"):
        raise HarnessError(f"unknown split {split!r}", hint="use train, dev, test or all")
    ids = sql.split_report_ids(st, split_name, split)
    return ids[:limit] if limit is not None else ids


def cases_of(st: Store, ids: list[str], *, split_name: str = DEFAULT_SPLIT_NAME,
             assigned: dict[str, tuple[str, str]] | None = None) -> list[tuple[ReviewCase, Report]]:
    """The cases of these reports, each with its report (one pass over the store for both)."""
    from harness.store import inputs as sql
    from harness.store.gold import iter_reports

    inputs = sql.get_inputs(st, ids)
    if assigned is None:
        assigned = sql.split_assignments(st, split_name) if ids else {}
    out = []
    for report in iter_reports(st, ids):
        inp = inputs.get(report.id)
        common = dict(report_id=report.id, pr=report.pr, round=report.round,
                      split=assigned.get(report.id, (None, None))[1], context=_context(report))
        if inp is None:
            out.append((ReviewCase(**common, status="missing",
                                   reason="no review input: run `harness dataset build --repo PATH`"), report))
            continue
        out.append((ReviewCase(
            **common, status=inp["status"], reason=inp["reason"], repo_path=inp["repo_path"],
            base=inp["base"], head=inp["head"], diff=inp["diff"] or "", tokens=inp["tokens"],
            changed_files=[ChangedFile(**f) for f in (inp["files"] or [])]), report))
    return out
