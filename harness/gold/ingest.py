"""Load deep-review reports into the gold set, from files, folders or a git ref.

Idempotent by content hash: a file whose bytes are already stored is not even parsed again;
a report whose id is stored with another hash replaces the old version. A file that cannot
be read or parsed is recorded in `ingest_failures` with a one-line reason and skipped; the
others still land (all stored in one transaction at the end of the batch).

Folders are walked recursively for `*.md`, skipping hidden folders and README.md files
(documentation beside a corpus, not reports); a README named explicitly is ingested.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal

from pydantic import BaseModel, Field

from harness.core.errors import HarnessError, ParseError
from harness.core.git import GitRepo
from harness.core.hashing import content_hash
from harness.core.models import ParseWarning, Report
from harness.store import Store
from harness.store import gold

Progress = Callable[[int, int, str], None]  # (done, total, source)


class IngestEntry(BaseModel):
    id: str
    source: str
    status: Literal["ok", "warning", "failed"]
    reason: str | None = None  # why a failed file is not stored ("not a deep-review report (...)")
    warnings: list[ParseWarning] = Field(default_factory=list)  # a failure's reason is its one warning


class IngestTotals(BaseModel):
    files: int = 0
    reports: int = 0  # parsed and stored (ok + warning)
    failed: int = 0
    duplicate_ids: int = 0  # failed because another file of the batch gives the same report id
    new: int = 0
    replaced: int = 0
    unchanged: int = 0
    findings: dict[str, int] = Field(
        default_factory=lambda: {"critical": 0, "important": 0, "suggestion": 0})
    agent_findings: int = 0
    warnings: int = 0


class IngestResult(BaseModel):
    reports: list[IngestEntry] = Field(default_factory=list)
    totals: IngestTotals = Field(default_factory=IngestTotals)

    @property
    def failed(self) -> list[IngestEntry]:
        return [e for e in self.reports if e.status == "failed"]

    @property
    def has_warnings(self) -> bool:
        return self.totals.warnings > 0


@dataclass(frozen=True)
class _Doc:
    source: str
    data: bytes
    size: int = -1  # bytes on disk when `data` holds only the head of an oversized file


class IngestFailed(HarnessError):
    """--strict: some files failed or carried parse warnings (`result` holds the summary)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, result: "IngestResult"):
        super().__init__(message, hint=hint)
        self.result = result


# -- decoding ----------------------------------------------------------------------------------


# The largest real report is ~100 KB; parsing runs at about 1 MB/s. Anything past this is no
# report, and reading or parsing it would only stall the batch.
MAX_REPORT_BYTES = 4 * 2**20


def too_large(size: int) -> ParseError:
    return ParseError(f"too large for a report: {size:,} bytes (limit {MAX_REPORT_BYTES >> 20} MB)")


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else a ParseError saying why."""
    if len(data) > MAX_REPORT_BYTES:
        raise too_large(len(data))
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
            b"\x00" in head and max(head[0::2].count(0), head[1::2].count(0)) > len(head) // 4):
        raise ParseError("UTF-16 text, not UTF-8 (re-save the file as UTF-8)")
    if b"\x00" in head:
        raise ParseError("binary file (NUL bytes), not a markdown report")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"not UTF-8: invalid byte 0x{data[exc.start]:02x} at offset {exc.start}") from None


def _stem(source: str) -> str:
    name = source.rsplit("/", 1)[-1]
    return name[:-3] if name.lower().endswith(".md") else name


def _parse(doc: _Doc, digest: str) -> Report:
    """`digest`: content_hash(doc.data), which the batch has already computed."""
    from harness.gold.parse import parse_report

    if doc.size > MAX_REPORT_BYTES:
        raise too_large(doc.size)
    report = parse_report(decode(doc.data), source=doc.source)
    return report.model_copy(update={"source": doc.source, "content_hash": digest})


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, HarnessError):
        return exc.one_line()
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the batch ---------------------------------------------------------------------------------


def ingest_docs(store: Store, docs: Iterable[_Doc], *, strict: bool = False,
                progress: Progress | None = None) -> IngestResult:
    docs = list(docs)
    hashes = {d.source: content_hash(d.data) for d in docs}
    known = gold.ids_by_hash(store, set(hashes.values()))
    entries: list[IngestEntry | None] = [None] * len(docs)
    parsed: list[tuple[int, Report]] = []
    failures: list[tuple[str, str, str]] = []
    owner: dict[str, tuple[str, str]] = {}  # report id -> (source, hash) of the batch's first file giving it
    clashes = 0

    def fail(n: int, doc: _Doc, h: str, reason: str) -> None:
        failures.append((doc.source, h, reason))
        entries[n] = IngestEntry(id=_stem(doc.source), source=doc.source, status="failed", reason=reason,
                                 warnings=[ParseWarning(where=doc.source, message=reason)])

    for n, doc in enumerate(docs):
        h = hashes[doc.source]
        if h in known:  # same bytes already stored: nothing to parse
            rid, report = known[h], None
        else:
            try:
                report = _parse(doc, h)
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                fail(n, doc, h, _one_line(exc).removeprefix(f"{doc.source}: "))
                rid = None
            else:
                rid = report.id
        if rid is not None:
            first = owner.setdefault(rid, (doc.source, h))
            if first[1] != h:  # another file of this batch already gives this id: never lose one silently
                clashes += 1
                fail(n, doc, h, f"report id {rid!r} is also given by {first[0]}, a different file "
                                f"earlier in this batch; not stored (rename one of the reports)")
            elif report is None:
                entries[n] = IngestEntry(id=rid, source=doc.source, status="ok")
            else:
                parsed.append((n, report))
                entries[n] = IngestEntry(id=report.id, source=doc.source,
                                         status="warning" if report.warnings else "ok",
                                         warnings=report.warnings)
        if progress:
            progress(n + 1, len(docs), doc.source)

    status = gold.put_reports(store, [r for _, r in parsed]) if parsed else {}
    gold.record_failures(store, failures)
    ok_sources = [e.source for e in entries if e and e.status != "failed"]
    gold.clear_failures(store, ok_sources)

    # reports skipped by hash still report the warnings stored with them
    skipped = [n for n, e in enumerate(entries) if e and e.status == "ok" and hashes[e.source] in known]
    if skipped:
        by_id: dict[str, list[ParseWarning]] = {}
        for rid, where, message in gold.list_warnings(store, [entries[n].id for n in skipped]).iter_rows():
            by_id.setdefault(rid, []).append(ParseWarning(where=where, message=message))
        for n in skipped:
            if by_id.get(entries[n].id):
                entries[n] = entries[n].model_copy(
                    update={"status": "warning", "warnings": by_id[entries[n].id]})

    stored_ids = sorted({e.id for e in entries if e and e.status != "failed"})
    result = IngestResult(reports=[e for e in entries if e is not None])
    t = result.totals
    t.files = len(docs)
    t.failed = len(failures)
    t.reports = len(stored_ids)
    t.new = sum(1 for s in status.values() if s == "new")
    t.replaced = sum(1 for s in status.values() if s == "replaced")
    t.unchanged = len(stored_ids) - t.new - t.replaced
    if stored_ids:
        agg = gold.batch_totals(store, stored_ids)
        t.findings = {k: agg[k] for k in ("critical", "important", "suggestion")}
        t.agent_findings = agg["agent_findings"]
        t.warnings = agg["warnings"]
    t.duplicate_ids = clashes
    if strict and (t.failed or t.warnings):
        raise IngestFailed(
            f"--strict: {t.failed} file(s) failed and {t.warnings} parse warning(s) "
            f"in {t.reports} report(s); everything that parsed was stored",
            hint="see `harness reports --warnings`", result=result)
    return result


# -- sources -----------------------------------------------------------------------------------


def _is_report_file(p: Path) -> bool:
    return p.suffix.lower() == ".md" and p.name.lower() != "readme.md"


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given; folders walked for report files, sorted, hidden folders skipped."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*.md")):
                rel = f.relative_to(p).parts
                if f.is_file() and _is_report_file(f) and not any(x.startswith(".") for x in rel):
                    yield f
        elif p.is_file():
            yield p
        else:
            raise HarnessError(f"no such file or folder: {raw}")


def ingest_paths(store: Store, paths: Iterable[str | Path], *, strict: bool = False,
                 progress: Progress | None = None) -> IngestResult:
    """Ingest files and folders (see module doc). Missing paths fail before anything is read."""
    files = list(dict.fromkeys(iter_files(paths)))
    docs = []
    for f in files:
        try:
            with f.open("rb") as fh:  # an oversized file is not read whole: its head names it
                data = fh.read(MAX_REPORT_BYTES + 1)
                size = len(data) if len(data) <= MAX_REPORT_BYTES else fh.seek(0, 2)
        except OSError as exc:
            raise HarnessError(f"cannot read {f}: {exc.strerror or exc}") from None
        docs.append(_Doc(str(f), data, size))
    return ingest_docs(store, docs, strict=strict, progress=progress)


def read_git_tree(repo: str | Path, ref: str, under: str | None = None) -> list[_Doc]:
    """The report files at `ref` (optionally below folder `under`), read without a checkout."""
    if not Path(repo).is_dir():
        raise HarnessError(f"no such git repository: {repo}")
    git = GitRepo(repo)
    if git.resolve(ref) is None:
        raise HarnessError(f"unknown git ref {ref!r} in {repo}")
    blobs = sorted((name, sha) for name, kind, sha in git.tree_entries(ref, under)
                   if kind == "blob" and _is_report_file(Path(name)))
    data = git.read_blobs([sha for _, sha in blobs])
    return [_Doc(f"git:{ref}:{name}", d) for (name, _), d in zip(blobs, data)]


def ingest_git(store: Store, repo: str | Path, ref: str, *, under: str | None = None,
               strict: bool = False, progress: Progress | None = None) -> IngestResult:
    """Ingest every report file at a git ref. Sources read `git:<ref>:<path>`."""
    return ingest_docs(store, read_git_tree(repo, ref, under), strict=strict, progress=progress)
