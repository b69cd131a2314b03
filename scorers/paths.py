"""Path normalisation and path compatibility for the location gate.

Reviewers cite the same file in many spellings: `a/pkg/x.go` (diff prefix), `./pkg/x.go`,
`repo-name/pkg/x.go`, `` `pkg/x.go` ``, or just `x.go`. Two paths are compatible when their
normalised forms are equal or, with `suffix=True`, when one is a whole-segment suffix of the
other (`engine/x.go` ~ `pkg/engine/x.go`), which is how consolidated reports often cite files.
"""

from __future__ import annotations

import re

_DIFF_PREFIX = re.compile(r"^(?:[ab]/)")
_LINE_SUFFIX = re.compile(r"(?::\d+(?:[-–]\d+)?)+$")


def normalise_path(path: str, *, repo: str | None = None, case_insensitive: bool = False) -> str:
    """Canonical spelling of a cited path: no quotes, forward slashes, no a/ b/ ./ / prefixes,
    no leading repository name (`owner/name`, `name`), no trailing `:line` suffix."""
    p = path.strip().strip("`'\"").strip()
    p = p.replace("\\", "/")
    p = _LINE_SUFFIX.sub("", p)
    p = re.sub(r"/{2,}", "/", p)
    while p.startswith(("./", "/")):
        p = p[2:] if p.startswith("./") else p.lstrip("/")
    if _DIFF_PREFIX.match(p) and len(p) > 2:  # `a/x` / `b/x`: git diff's side prefixes
        p = p[2:]
    if repo:
        for prefix in _repo_prefixes(repo):
            if p.lower().startswith(prefix.lower() + "/") and len(p) > len(prefix) + 1:
                p = p[len(prefix) + 1:]
                break
    if p.endswith("/"):
        p = p.rstrip("/")
    return p.lower() if case_insensitive else p


def _repo_prefixes(repo: str) -> list[str]:
    """`github.com/owner/name` -> ["github.com/owner/name", "owner/name", "name"], longest first."""
    r = repo.strip().strip("/")
    r = re.sub(r"^https?://", "", r)
    r = re.sub(r"\.git$", "", r)
    parts = [s for s in r.split("/") if s]
    return ["/".join(parts[i:]) for i in range(len(parts))]


def paths_compatible(a: str, b: str, *, suffix: bool = True) -> bool:
    """Equal normalised paths, or (with `suffix`) one a whole-segment suffix of the other."""
    if a == b:
        return True
    if not suffix or not a or not b:
        return False
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return long_.endswith("/" + short)


def compatibility(paths: list[str], *, suffix: bool = True) -> dict[int, list[int]]:
    """For each path index, the indices of compatible paths (itself included).

    Only paths with the same basename can be compatible, so grouping by basename keeps this
    linear in practice rather than quadratic in the number of distinct paths.
    """
    by_base: dict[str, list[int]] = {}
    for i, p in enumerate(paths):
        by_base.setdefault(p.rsplit("/", 1)[-1], []).append(i)
    out: dict[int, list[int]] = {}
    for group in by_base.values():
        for i in group:
            out[i] = [j for j in group if paths_compatible(paths[i], paths[j], suffix=suffix)]
    return out
