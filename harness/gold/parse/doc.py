"""One CommonMark parse per document, flattened into top-level blocks with source line ranges.

Everything else in the parser works on these blocks: headings (never `#` lines inside fences),
paragraphs, lists with their items, tables with their cells, fences. Ranges index `Doc.lines`.

The parse itself is markdown-it (CommonMark + GFM tables + strikethrough). Its Rust build
(markdown-it-pyrs) is ~4x faster than the pure-Python one on the corpus, which is what keeps
a whole-corpus ingest under a second; markdown-it-py is the fallback when the wheel is missing.
Texts are always cut from the source lines, so both backends give the same blocks.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache

_BOLD_ONLY = re.compile(r"\s*\*\*([^*\n]{1,80}?)\*\*:?\s*")
_ATX_LINE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_ITEM_NUMBER = re.compile(r"\s*(\d+)[.)]")
_MARKUP = re.compile(r"[*_`~]")
_NUMBERING = re.compile(r"^\s*(?:\d+\.|[IVX]+\.)\s+")

try:  # pragma: no cover - exercised by whichever backend is installed
    from markdown_it_pyrs import MarkdownIt as _RsMarkdownIt
except ImportError:  # pragma: no cover
    _RsMarkdownIt = None


@dataclass
class Item:
    start: int
    end: int
    number: int | None  # ordered-list number, None for bullets


@dataclass
class Block:
    kind: str  # heading, paragraph, ordered_list, bullet_list, table, fence, code, hr, blockquote, html
    start: int  # first source line (0-based)
    end: int  # one past the last source line
    level: int = 0  # heading level
    text: str = ""  # heading title / paragraph source (indent stripped)
    items: list[Item] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)  # table: header row first, raw cell source


_RS_KIND = {"heading": "heading", "paragraph": "paragraph", "ordered_list": "ordered_list",
            "bullet_list": "bullet_list", "table": "table", "fence": "fence", "code_block": "code",
            "hr": "hr", "blockquote": "blockquote", "html_block": "html"}
_PY_KIND = {"heading_open": "heading", "paragraph_open": "paragraph", "ordered_list_open": "ordered_list",
            "bullet_list_open": "bullet_list", "table_open": "table", "fence": "fence", "code_block": "code",
            "hr": "hr", "blockquote_open": "blockquote", "html_block": "html"}


@lru_cache(maxsize=1)
def _rs():
    # block rules only: inline markup is never read from the tree (texts come from the source)
    return _RsMarkdownIt("zero").enable_many(["blockquote", "code", "fence", "heading", "lheading", "hr", "list",
                                              "paragraph", "reference", "html_block", "table", "newline"])


@lru_cache(maxsize=1)
def _py():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    md.disable(["inline", "text_join"])  # block structure is all we read
    return md


# markdown_it_pyrs recurses once per nesting level without a limit: ~40,000 nested quotes or
# list markers overflow the C stack and kill the process (SIGSEGV). A line opening that many
# containers is no report; markdown-it-py caps nesting (maxNesting), so it parses those texts.
_DEEP_NESTING = re.compile(r"^[ \t>*+\-\d.)]{2000}", re.M)


class Doc:
    """`cuts`: line numbers where a fresh parse starts, so no block (an unclosed fence above all)
    runs across them; `mask`: line -> the text the markdown parser sees instead (a wrapper fence
    line blanked). `lines` and every block text always stay the source's own."""

    def __init__(self, text: str, backend: str | None = None, cuts: list[int] | tuple = (),
                 mask: dict[int, str] | None = None):
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.text = text
        self.lines = text.split("\n")
        self.blocks: list[Block] = []
        self.memo: dict = {}  # derived views of the (never mutated) blocks, e.g. the section marks
        if backend is None:
            # the pattern spans 2000 characters of one line: shorter lines cannot match
            deep = max(map(len, self.lines)) >= 2000 and _DEEP_NESTING.search(text)
            backend = "rs" if _RsMarkdownIt and not deep else "py"
        parse = self._from_rs if backend == "rs" else self._from_py
        if not cuts and not mask:
            parse(text, 0)
        else:
            seen = self.lines if not mask else [mask.get(i, ln) for i, ln in enumerate(self.lines)]
            bounds = [0, *sorted(c for c in set(cuts) if 0 < c < len(seen)), len(seen)]
            for a, b in itertools.pairwise(bounds):
                parse("\n".join(seen[a:b]), a)
        lines, n = self.lines, len(self.lines)
        for b in self.blocks:
            # the common case inline: the block's last line is not blank
            e = b.end if b.end < n else n
            b.end = e if e <= b.start + 1 or lines[e - 1].strip() else self._trim(b.start, e)
            for it in b.items:
                e = it.end if it.end < n else n
                it.end = e if e <= it.start + 1 or lines[e - 1].strip() else self._trim(it.start, e)
            self._fill_text(b)

    # -- backends ------------------------------------------------------------------------------
    def _from_rs(self, text: str, offset: int) -> None:
        data = text.encode("utf-8")
        starts = [0, *itertools.accumulate(len(x) + 1 for x in data.split(b"\n"))][:-1]
        # byte offset -> line: bisect_right(starts, off) - 1 + offset. A node's end offset may
        # sit on the newline that closes its last line, hence max(s, e - 1) for the last line.
        line, first = bisect.bisect_right, offset - 1
        blocks = self.blocks
        for node in _md_children(_rs().tree(text)):
            kind = _RS_KIND.get(node.name)
            sm = node.srcmap
            if kind is None or sm is None:
                continue
            s, e = sm
            b = Block(kind, line(starts, s) + first, line(starts, e - 1 if e - 1 > s else s) + offset)
            if kind == "ordered_list" or kind == "bullet_list":
                items = b.items
                for it in node.children:
                    sm = it.srcmap
                    if sm is not None:
                        s, e = sm
                        items.append(Item(line(starts, s) + first, line(starts, e - 1 if e - 1 > s else s) + offset,
                                          None))
            elif kind == "table":
                b.rows = [[_cell(data, c) for c in tr.children] for part in node.children for tr in part.children]
            blocks.append(b)

    def _from_py(self, text: str, offset: int) -> None:
        toks = _py().parse(text)
        i, n = 0, len(toks)
        while i < n:
            t = toks[i]
            kind = _PY_KIND.get(t.type)
            if t.level != 0 or kind is None or t.map is None:
                i += 1
                continue
            b = Block(kind, t.map[0] + offset, t.map[1] + offset)
            if t.nesting == 1:
                close = t.type.replace("_open", "_close")
                j, row = i + 1, None
                while j < n and not (toks[j].type == close and toks[j].level == 0):
                    tj = toks[j]
                    if tj.type == "list_item_open" and tj.level == 1:
                        b.items.append(Item(tj.map[0] + offset, tj.map[1] + offset, None))
                    elif tj.type == "tr_open":
                        row = []
                    elif tj.type == "inline" and row is not None:
                        row.append(tj.content.strip())
                    elif tj.type == "tr_close" and row is not None:
                        b.rows.append(row)
                        row = None
                    j += 1
                i = j
            self.blocks.append(b)
            i += 1

    def _trim(self, start: int, end: int) -> int:
        """Backends disagree on whether a list's trailing blank line belongs to it: it never does."""
        end = min(end, len(self.lines))
        while end > start + 1 and not self.lines[end - 1].strip():
            end -= 1
        return end

    def _fill_text(self, b: Block) -> None:
        if b.kind == "heading":
            first = self.lines[b.start]
            m = _ATX_LINE.match(first)
            if m:
                b.level, b.text = len(m.group(1)), (m.group(2) or "").strip()
            else:  # setext: text lines, then a === / --- underline
                under = self.lines[b.end - 1].strip()
                b.level = 1 if under.startswith("=") else 2
                b.text = " ".join(x.strip() for x in self.lines[b.start:b.end - 1])
        elif b.kind == "paragraph":
            b.text = "\n".join([x.strip() for x in self.lines[b.start:b.end]])
        elif b.kind == "ordered_list":
            for it in b.items:
                m = _ITEM_NUMBER.match(self.lines[it.start])
                it.number = int(m.group(1)) if m else None

    # -- access --------------------------------------------------------------------------------
    def raw(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start:end])

    def section_end(self, k: int, stop: int | None = None) -> int:
        """Index of the first block after heading `k` that closes its section."""
        level = self.blocks[k].level
        stop = len(self.blocks) if stop is None else stop
        for j in range(k + 1, stop):
            b = self.blocks[j]
            if b.kind == "heading" and b.level <= level:
                return j
        return stop


def _cell(data: bytes, node) -> str:
    if node.srcmap is None:
        return ""
    return data[node.srcmap[0]:node.srcmap[1]].decode("utf-8", "replace").strip().replace("\\|", "|")


def _md_children(root):
    return root.children


@lru_cache(maxsize=4096)
def norm_title(text: str) -> str:
    """`4. Appendix: Original Reviews` / `**Concerns**` / `[Claude]` -> comparable lowercase."""
    t = _MARKUP.sub("", text)
    t = _NUMBERING.sub("", t)
    return " ".join(t.split()).strip(" :").lower()


def bold_only(text: str) -> str | None:
    """The inner text of a paragraph that is nothing but `**Heading**` (a pseudo-heading)."""
    m = _BOLD_ONLY.fullmatch(text)
    return m.group(1).strip().rstrip(":") if m else None
