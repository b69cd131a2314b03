"""A read-only view of one commit of a clone, for the `agent` program's tools.

Files are read from git objects (`git show SHA:path`), never from a working tree, so there is
nothing to write to and no symlink to follow out of the tree; paths are normalised and anything
absolute or climbing above the root is refused before git sees it.
"""

from __future__ import annotations

import posixpath

from harness.core.errors import HarnessError, NotFound
from harness.core.git import GitRepo

MAX_LINES = 400
MAX_ENTRIES = 500
MAX_MATCHES = 200


class PathEscape(HarnessError):
    """A tool was asked for a path outside the reviewed tree."""


def clean_path(path: str) -> str:
    """Tree-relative POSIX path ('' = root); PathEscape for absolute paths or `..` above the root."""
    p = (path or "").strip().replace("\\", "/")
    if p.startswith("/") or (len(p) > 1 and p[1] == ":"):
        raise PathEscape(f"absolute path {path!r} refused: paths are relative to the repository root")
    norm = posixpath.normpath(p) if p else "."
    if norm == ".." or norm.startswith("../"):
        raise PathEscape(f"path {path!r} leaves the repository tree")
    return "" if norm == "." else norm


class CommitTree:
    def __init__(self, repo: GitRepo | str, sha: str):
        self.repo = repo if isinstance(repo, GitRepo) else GitRepo(repo)
        full = self.repo.resolve(sha)
        if full is None:
            raise NotFound(f"commit {sha} is not in {self.repo.path}")
        self.sha = full

    def read_file(self, path: str, start_line: int = 1, end_line: int | None = None) -> str:
        p = clean_path(path)
        kind = self.repo.object_type(self.sha, p) if p else "tree"
        if kind is None:
            raise NotFound(f"no file {p!r} in the tree")
        if kind != "blob":
            raise NotFound(f"{p or '.'} is a folder; use list_dir")
        lines = self.repo.show_file(self.sha, p).splitlines()
        start = max(int(start_line or 1), 1)
        end = min(int(end_line) if end_line else start + MAX_LINES - 1, start + MAX_LINES - 1, len(lines))
        body = "\n".join(f"{n:>5}  {lines[n - 1]}" for n in range(start, end + 1))
        more = f"\n... ({len(lines) - end} more lines)" if end < len(lines) else ""
        return body + more if body else f"(file has {len(lines)} lines)"

    def list_dir(self, path: str = "") -> str:
        p = clean_path(path)
        entries = self.repo.ls_tree(self.sha, p)
        names = [name + ("/" if kind == "tree" else "") for kind, name in entries]
        more = f"\n... ({len(names) - MAX_ENTRIES} more)" if len(names) > MAX_ENTRIES else ""
        return "\n".join(names[:MAX_ENTRIES]) + more

    def grep(self, pattern: str, path: str = "") -> str:
        p = clean_path(path)
        hits = self.repo.grep(self.sha, pattern, p, max_count=MAX_MATCHES + 1)
        if not hits:
            return "no matches"
        more = "\n... (more matches; narrow the pattern or path)" if len(hits) > MAX_MATCHES else ""
        return "\n".join(hits[:MAX_MATCHES]) + more
