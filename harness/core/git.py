"""Read-only git plumbing over a local clone (bare or not), through the `git` binary.

Answers about immutable objects (diffs, ancestry) are memoised per GitRepo instance. Everything
here reads objects; nothing checks out, fetches or writes refs, so a mirror can be
used in place. Commands get `-c core.quotepath=off` so paths come back as UTF-8 text.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from functools import cache, cached_property
from datetime import datetime
from pathlib import Path

from harness.core.errors import HarnessError, NotFound

# The empty tree: the "parent" of a root commit.
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class GitError(HarnessError):
    """A git command failed in a way the caller did not expect."""


@dataclass(frozen=True)
class FileStat:
    path: str
    added: int | None  # None for binary files
    removed: int | None


@dataclass(frozen=True)
class LogEntry:
    sha: str
    parents: tuple[str, ...]
    date: datetime
    subject: str


class GitRepo:
    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser().resolve()
        if not self.path.exists():
            raise NotFound(f"no git repository at {self.path}")
        out = self._run(["rev-parse", "--git-dir"], check=False)
        if out is None:
            raise NotFound(f"{self.path} is not a git repository")
        self._landing: dict[int, list[LogEntry]] | None = None

    # -- process --------------------------------------------------------------------
    def _run_bytes(self, args: list[str], *, check: bool = True, input: bytes | None = None) -> bytes | None:
        """stdout of `git args`; None (check=False) or GitError (check=True) on failure."""
        cmd = ["git", "-C", str(self.path), "-c", "core.quotepath=off", *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, input=input)
        except FileNotFoundError:
            raise HarnessError("git is not installed") from None
        if proc.returncode != 0:
            if check:
                msg = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or [f"exit {proc.returncode}"])[0]
                raise GitError(f"git {' '.join(args[:3])}: {msg}")
            return None
        return proc.stdout

    def _run(self, args: list[str], *, check: bool = True, input: str | None = None) -> str | None:
        """`_run_bytes` as text (UTF-8, undecodable bytes replaced, universal newlines)."""
        out = self._run_bytes(args, check=check, input=None if input is None else input.encode())
        if out is None:
            return None
        return out.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")

    # -- objects --------------------------------------------------------------------
    def resolve(self, rev: str) -> str | None:
        """Full SHA of a commit named by a (short) SHA or ref, or None when the clone lacks it."""
        out = self._run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                        check=False)
        return out.strip() if out else None

    def resolve_many(self, revs: list[str]) -> dict[str, str | None]:
        """`resolve` for many names in one git process."""
        if not revs:
            return {}
        out = self._run(["cat-file", "--batch-check=%(objectname) %(objecttype)"],
                        input="".join(f"{r}^{{commit}}\n" for r in revs)) or ""
        found: dict[str, str | None] = {}
        for rev, line in zip(revs, out.splitlines()):
            parts = line.split()
            found[rev] = parts[0] if len(parts) == 2 and parts[1] == "commit" else None
        return found

    def tips(self, shas: list[str]) -> list[str]:
        """The commits of `shas` that no other of them descends from (one for a chain)."""
        return (self._run(["merge-base", "--independent", *shas]) or "").split()

    def common_ancestor(self, shas: list[str]) -> str | None:
        out = self._run(["merge-base", "--octopus", *shas], check=False)
        return out.strip() if out else None

    @cache
    def parents(self, sha: str) -> tuple[str, ...]:
        out = self._run(["rev-list", "--parents", "-n", "1", sha])
        return tuple(out.split()[1:]) if out else ()

    @cache
    def is_ancestor(self, a: str, b: str) -> bool:
        return self._run(["merge-base", "--is-ancestor", a, b], check=False) is not None

    @cache
    def merge_base(self, a: str, b: str) -> str | None:
        out = self._run(["merge-base", a, b], check=False)
        return out.strip() if out else None

    @cached_property
    def remote_url(self) -> str | None:
        out = self._run(["config", "--get", "remote.origin.url"], check=False)
        return out.strip() if out else None

    # -- diffs ----------------------------------------------------------------------
    @cache  # rounds of one PR often resolve to the same range
    def diff(self, base: str, head: str) -> str:
        return self._run(["diff", "--no-color", "--no-ext-diff", "--no-renames", base, head]) or ""

    @cache
    def numstat(self, base: str, head: str) -> tuple[FileStat, ...]:
        out = self._run(["diff", "--numstat", "-z", "--no-renames", base, head]) or ""
        stats = []
        for rec in out.split("\0"):
            if not rec:
                continue
            added, removed, path = rec.split("\t", 2)
            stats.append(FileStat(path, None if added == "-" else int(added),
                                  None if removed == "-" else int(removed)))
        return tuple(stats)

    # -- history ---------------------------------------------------------------------
    def landing_index(self) -> dict[int, list[LogEntry]]:
        """PR number -> commits that landed it (merge commits first, then squash commits), from one
        pass over the history; cached, since a dataset build asks for every PR."""
        if self._landing is None:
            merges: dict[int, list[LogEntry]] = {}
            squashes: dict[int, list[LogEntry]] = {}
            out = self._run(["log", "--all", "--format=%H%x00%P%x00%cI%x00%s"]) or ""
            for line in out.splitlines():
                sha, parents, date, subject = line.split("\0", 3)
                if m := _PR_MERGE_RE.match(subject):
                    into, pr = merges, int(m.group(1))
                elif (m := _SQUASH_RE.search(subject)) and len(parents.split()) == 1:
                    into, pr = squashes, int(m.group(1))
                else:
                    continue
                into.setdefault(pr, []).append(
                    LogEntry(sha, tuple(parents.split()), datetime.fromisoformat(date), subject))
            self._landing = {pr: merges.get(pr, []) + squashes.get(pr, [])
                             for pr in merges.keys() | squashes.keys()}
        return self._landing

    def ref_commit(self, *refs: str) -> tuple[str, str] | None:
        """(ref, SHA) of the first of `refs` that exists (full names like refs/pull/7/head)."""
        for ref in refs:
            out = self._run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], check=False)
            if out:
                return ref, out.strip()
        return None

    def default_head(self) -> str | None:
        """The commit of the default branch: HEAD, else main/master."""
        found = self.ref_commit("HEAD", "refs/heads/main", "refs/heads/master",
                                "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
        return found[1] if found else None

    # -- trees (read-only views of one commit) ----------------------------------------
    def ls_tree(self, sha: str, path: str = "") -> list[tuple[str, str]]:
        """(type, name) of the entries of folder `path` at commit `sha`; type is blob/tree/commit."""
        spec = f"{sha}:{path}" if path else f"{sha}:"
        out = self._run(["ls-tree", "-z", spec], check=False)
        if out is None:
            raise NotFound(f"no folder {path or '.'} at {sha[:12]}")
        entries = []
        for rec in out.split("\0"):
            if rec:
                meta, name = rec.split("\t", 1)
                entries.append((meta.split()[1], name))
        return entries

    def tree_entries(self, ref: str, under: str | None = None) -> list[tuple[str, str, str]]:
        """(path, type, sha) of every entry at `ref` below folder `under` (all when None), recursively.

        Paths are the bytes git stores, decoded as UTF-8 with surrogateescape (nothing is lost)."""
        out = self._run_bytes(["ls-tree", "-r", "-z", "--full-tree", ref, *([under] if under else [])]) or b""
        entries = []
        for rec in out.split(b"\0"):
            if rec:
                meta, path = rec.split(b"\t", 1)
                _mode, kind, sha = meta.split()
                entries.append((path.decode("utf-8", "surrogateescape"), kind.decode(), sha.decode()))
        return entries

    def read_blobs(self, shas: list[str]) -> list[bytes]:
        """The contents of the given blobs, in order, from one `git cat-file --batch`."""
        if not shas:
            return []
        out = self._run_bytes(["cat-file", "--batch"], input="".join(f"{s}\n" for s in shas).encode()) or b""
        blobs, pos = [], 0
        for _ in shas:  # --batch answers "<sha> <type> <size>\n<bytes>\n" in request order
            nl = out.index(b"\n", pos)
            size = int(out[pos:nl].split()[2])
            blobs.append(out[nl + 1: nl + 1 + size])
            pos = nl + 1 + size + 1
        return blobs

    def object_type(self, sha: str, path: str) -> str | None:
        out = self._run(["cat-file", "-t", f"{sha}:{path}"], check=False)
        return out.strip() if out else None

    def show_file(self, sha: str, path: str) -> str:
        out = self._run(["show", f"{sha}:{path}"], check=False)
        if out is None:
            raise NotFound(f"no file {path} at {sha[:12]}")
        return out

    def grep(self, sha: str, pattern: str, path: str = "", max_count: int = 200) -> list[str]:
        """`path:line:text` lines matching the extended regex at commit `sha`."""
        args = ["grep", "-n", "-I", "-E", "--no-color", "-e", pattern, sha]
        if path:
            args += ["--", path]
        out = self._run(args, check=False) or ""  # exit 1 = no match
        prefix = f"{sha}:"
        lines = [l[len(prefix):] if l.startswith(prefix) else l for l in out.splitlines()]
        return lines[:max_count]


_PR_MERGE_RE = re.compile(r"^Merge pull request #(\d+) from (\S+)")
_SQUASH_RE = re.compile(r"\(#(\d+)\)\s*$")


def pr_merge_commits(repo: GitRepo, pr: int) -> list[LogEntry]:
    """Commits that landed PR `pr`: GitHub merge commits first, then squash commits `... (#N)`."""
    return repo.landing_index().get(pr, [])


def merge_branch(entry: LogEntry) -> str | None:
    """`owner/branch` named by a GitHub merge subject."""
    m = _PR_MERGE_RE.match(entry.subject)
    return m.group(2) if m else None
