"""Grow a glossary from documents: abbreviation clauses and inline definitions.

Reads .txt, .md, .docx (python-docx) and .pdf (pypdf); extracts the rows of
"Abbreviations" clauses (:mod:`termfit.clauses`) and inline definitions in body text
("Long Form (LF)" and "LF (Long Form)", accepted only when :func:`termfit.acronym.align`
accepts the letters); merges spelling variants; keeps different senses apart and reports
them as conflicts, with the sources (document and page or line) of every row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from termfit.acronym import align, looks_like_abbreviation
from termfit.clauses import clause_spans, is_heading, parse_lines
from termfit.errors import Problem, require
from termfit.fileio import write_json, write_jsonl

if TYPE_CHECKING:
    from termfit.glossary import Entry

__all__ = [
    "DocumentError",
    "Mention",
    "MineResult",
    "extract_mentions",
    "find_inline_definitions",
    "mine",
    "read_document",
    "report_path",
    "variant_key",
    "write_result",
]

SUFFIXES = (".txt", ".md", ".markdown", ".docx", ".pdf")

# Inline definitions: most letters must hit word initials and most content words must
# get a letter ("most letters hit word initials" in the Schwartz–Hearst sense).
INLINE_MIN_INITIALS = 0.75
INLINE_MIN_COVERED = 0.6
INLINE_MIN_SCORE = 0.75


class DocumentError(Exception):
    """A document that cannot be read (unreadable, encrypted, empty, unsupported)."""


@dataclass(frozen=True)
class Mention:
    """One extracted (abbreviation, expansion) pair and where it was found."""

    abbr: str
    expansion: str
    source: str  # "doc.pdf p.3", "doc.txt l.12", "doc.docx para.7"
    kind: str  # "clause" or "inline"


@dataclass
class MineResult:
    """The glossary rows (existing ones first) and the report of what changed."""

    entries: list[dict]
    report: dict = field(default_factory=dict)


# ---------------------------------------------------------------- reading documents


def read_document(path: str | Path) -> list[tuple[str, str]]:
    """Text of a document as (location prefix, text) parts: one per PDF page, one for other
    formats. The location prefix is "p.N" for PDF pages and "" otherwise.

    Raises :class:`DocumentError` for unreadable, encrypted, empty or unsupported files.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise DocumentError("is a folder; expected a document file")
    if suffix not in SUFFIXES:
        raise DocumentError(f"unsupported format {suffix or '(none)'}; expected one of "
                            + ", ".join(SUFFIXES))
    if not path.is_file():
        raise DocumentError("file not found")
    if suffix == ".pdf":
        parts = _read_pdf(path)
    elif suffix == ".docx":
        parts = [("", _read_docx(path))]
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"not UTF-8 text (byte {exc.start})") from None
        parts = [("", text)]
    if not any(t.strip() for _, t in parts):
        raise DocumentError("empty document (no text found)")
    return parts


def _read_pdf(path: Path) -> list[tuple[str, str]]:
    require("pypdf", "reading .pdf documents", "docs")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("encrypted PDF (password required)")
        return [(f"p.{i}", page.extract_text() or "") for i, page in
                enumerate(reader.pages, start=1)]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"unreadable PDF ({exc})") from None
    except Exception as exc:  # pypdf raises many types (e.g. DependencyError for AES)
        if "crypt" in type(exc).__name__.lower() or "AES" in str(exc):
            raise DocumentError("encrypted PDF (cannot decrypt)") from None
        raise DocumentError(f"unreadable PDF ({type(exc).__name__}: {exc})") from None


def _read_docx(path: Path) -> str:
    """Paragraphs and table rows in document order; headings become markdown headings so
    that the clause parser sees them; table cells are joined with tabs."""
    import zipfile

    docx = require("docx", "reading .docx documents", "docs", "python-docx")
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(f"unreadable Word document ({exc})") from None
    except Exception as exc:  # python-docx raises its own types for non-Word packages
        raise DocumentError(f"unreadable Word document ({type(exc).__name__})") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            style = (block.style.name if block.style is not None else "") or ""
            m = re.match(r"Heading\s*(\d)", style)
            text = block.text
            lines.extend(f"{'#' * int(m.group(1))} {t}" if m else t
                         for t in (text.splitlines() or [""]))
        elif isinstance(block, Table):
            for row in block.rows:
                cells = [c.text.replace("\n", " ").strip() for c in row.cells]
                lines.append("\t".join(c for c in cells if c))
    return "\n".join(lines)


# ---------------------------------------------------------------- extraction

_PAREN = re.compile(r"\(([^()]{1,120})\)")
_SENTENCE_STOP = re.compile(r"[.;:!?)\]]\s|[.;:!?]$")
_WORD = re.compile(r"[^\s]+")
_INLINE_CLEAN = re.compile(r"\\(?=[\[\]()*_#.\-])|\*\*|__|`")


def _accept_inline(abbr: str, long: str) -> float:
    a = align(abbr, long)
    if (
        a is None
        or (a.initials + a.prefix) / a.matched < INLINE_MIN_INITIALS
        or a.initials < min(2, a.matched)
        or a.covered < INLINE_MIN_COVERED
        or a.score < INLINE_MIN_SCORE
    ):
        return 0.0
    return a.score


def _clean_long(text: str) -> str:
    return " ".join(text.split()).strip(" ,;:-\"'“”‘’")


def find_inline_definitions(text: str) -> list[tuple[str, str, int]]:
    """Inline definitions in body text as (abbr, expansion, character offset).

    "Access and Mobility Management Function (AMF)": the long form is searched among the
    up to ``min(n + 5, 2n)`` words before the bracket (Schwartz–Hearst window), within the
    sentence; the best-aligned start wins. "AMF (Access and Mobility Management Function)":
    the bracket holds the long form. Both are accepted only when the letters align.
    """
    text = _INLINE_CLEAN.sub("", text)
    found: list[tuple[str, str, int]] = []
    for m in _PAREN.finditer(text):
        inner = " ".join(m.group(1).split())
        start = m.start()
        before = text[:start]
        # Form 1: "Long Form (LF)".
        short = inner.rstrip("s") if inner.endswith("s") and inner[:-1].isupper() else inner
        if looks_like_abbreviation(short) and " " not in short:
            tail = before[-300:]
            cut = max((s.end() for s in _SENTENCE_STOP.finditer(tail)), default=0)
            tail = tail[cut:]
            words = _WORD.findall(tail)
            n = sum(c.isalnum() for c in short)
            window = words[-min(n + 5, 2 * n):] if words else []
            best: tuple[float, str] | None = None
            for i in range(len(window)):
                first = window[i].strip("\"'“‘(")
                if not first or not first[0].isalnum() or first.lower() in _LEAD_STOP:
                    continue
                long = _clean_long(" ".join(window[i:]))
                if long.lower() == short.lower() or short in long.split():
                    continue
                sc = _accept_inline(short, long)
                if sc and (best is None or sc > best[0] + 1e-9):
                    best = (sc, long)
            if best:
                found.append((short, best[1], start))
                continue
        # Form 2: "LF (Long Form)".
        words_before = _WORD.findall(before[-40:])
        if not words_before or not before.endswith((" ", "\t", "\n")):
            continue
        short = words_before[-1].strip("\"'“‘,")
        long = _clean_long(re.split(r"[,;:]|\s[-–—]\s", inner)[0])
        if (
            looks_like_abbreviation(short)
            and len(long.split()) >= 2
            and long[0].isalpha()
            and not long.lower().startswith(_LONG_DECOYS)
            and _accept_inline(short, long)
        ):
            found.append((short, long, start))
    return found


_LEAD_STOP = frozenset("a an the this that these those its their our of and or for to in "
                       "on by with as at from is are was be".split())
_LONG_DECOYS = ("see ", "e.g", "i.e", "cf.", "for example", "for instance", "such as",
                "note", "release", "figure", "table", "clause", "annex", "ts ", "tr ")


def _line_source(name: str, where: list[tuple[str, int]], idx: int) -> str:
    prefix, lineno = where[idx]
    if prefix:
        return f"{name} {prefix}"
    label = "para." if name.lower().endswith(".docx") else "l."
    return f"{name} {label}{lineno}"


def extract_mentions(name: str, parts: Sequence[tuple[str, str]]) -> list[Mention]:
    """Clause rows and inline definitions of one document's text parts."""
    lines: list[str] = []
    where: list[tuple[str, int]] = []  # per line: (page prefix, 1-based line in its part)
    for prefix, text in parts:
        for k, line in enumerate(text.splitlines(), start=1):
            lines.append(line)
            where.append((prefix, k))
    mentions: list[Mention] = []
    spans = clause_spans(lines)
    in_clause = [False] * len(lines)
    for start, end in spans:
        for i in range(start, end):
            in_clause[i] = True
        for row in parse_lines([(i + 1, lines[i]) for i in range(start, end)]):
            src = _line_source(name, where, row.line - 1)
            mentions.append(Mention(row.abbr, row.expansion, src, "clause"))
    # Body text: paragraphs of consecutive non-heading lines outside the clauses, so that
    # definitions wrapped over two lines are found.
    para: list[int] = []

    def flush() -> None:
        if not para:
            return
        text, offsets = "", []
        for i in para:
            offsets.append(len(text))
            text += lines[i].strip() + " "
        for abbr, long, off in find_inline_definitions(text):
            k = max(j for j, o in enumerate(offsets) if o <= off)
            mentions.append(Mention(abbr, long, _line_source(name, where, para[k]), "inline"))
        para.clear()

    for i, line in enumerate(lines):
        if in_clause[i] or not line.strip() or is_heading(line):
            flush()
            continue
        para.append(i)
    flush()
    return mentions


# ---------------------------------------------------------------- merging


def variant_key(abbr: str, expansion: str) -> tuple[str, str]:
    """The glossary's merge key: rows with equal keys are spelling variants of one sense."""
    from termfit.glossary import normalize

    return normalize(abbr, 1), normalize(expansion)


def mine(mentions: Iterable[Mention], existing: Sequence[Entry] | None = None) -> MineResult:
    """Merge mentions into glossary entries on top of ``existing`` ones, which keep their
    ids, Korean names and categories and gain new sources and spellings.

    Spelling variants merge as :func:`termfit.glossary.merge_entries` defines; other
    expansions of one abbreviation stay separate senses and are reported as conflicts.
    """
    from termfit.glossary import Entry, assign_ids, merge_entries, normalize

    existing = list(existing or [])
    old_ids = {e.id for e in existing}
    grouped: dict[tuple[str, str], Entry] = {}
    for m in mentions:
        e = grouped.get((m.abbr, m.expansion))
        if e is None:
            grouped[(m.abbr, m.expansion)] = Entry(id="", abbr=m.abbr, expansion=m.expansion,
                                                   sources=[m.source])
        elif m.source not in e.sources:
            e.sources.append(m.source)
    mined_abbrs = {normalize(a, 1) for a, _ in grouped}
    entries, merge_report = merge_entries([*existing, *grouped.values()])
    assign_ids(entries)
    final_id = {(e.abbr, e.expansion): e.id for e in entries}
    for rec in merge_report.merged:  # ids were assigned after merging
        kept = rec["kept"]
        kept["id"] = kept["id"] or final_id.get((kept["abbr"], kept["expansion"]), "")
    by_abbr: dict[str, list[Entry]] = {}
    for e in entries:
        by_abbr.setdefault(normalize(e.abbr, 1), []).append(e)
    conflicts = [
        {"abbr": senses[0].abbr,
         "senses": [{"id": s.id, "expansion": s.expansion, "sources": list(s.sources)}
                    for s in senses]}
        for k, senses in by_abbr.items() if len(senses) > 1 and k in mined_abbrs
    ]
    report = {
        "existing": len(existing),
        "total": len(entries),
        "added": [{"id": e.id, "abbr": e.abbr, "expansion": e.expansion,
                   "sources": list(e.sources)} for e in entries if e.id not in old_ids],
        "merged": merge_report.merged,
        "conflicts": conflicts,
        "field_conflicts": merge_report.conflicts,
    }
    return MineResult([e.to_dict() for e in entries], report)


# ---------------------------------------------------------------- top level


def report_path(out: str | Path) -> Path:
    """Where the JSON report goes: beside the output, ``NAME.report.json``."""
    out = Path(out)
    return out.with_name(out.name.removesuffix(".jsonl") + ".report.json")


def load_existing(path: str | Path) -> list[Entry]:
    """Existing glossary for ``--merge``, read and validated by :mod:`termfit.glossary`
    (every problem reported with file, line and field)."""
    from termfit.glossary import read_glossary

    return read_glossary(path)[0]


def mine_documents(
    paths: Sequence[str | Path], existing: list[dict] | None = None, progress: bool = True
) -> tuple[MineResult, list[Problem]]:
    """Read every document (skipping unreadable ones, returned as problems) and mine them."""
    from tqdm.auto import tqdm

    problems: list[Problem] = []
    mentions: list[Mention] = []
    read = 0
    for p in tqdm(list(paths), desc="mining", unit="doc", disable=not progress):
        try:
            parts = read_document(p)
        except DocumentError as exc:
            problems.append(Problem(str(p), str(exc)))
            continue
        read += 1
        mentions.extend(extract_mentions(Path(p).name, parts))
    result = mine(mentions, existing)
    result.report["documents_read"] = read
    result.report["documents_skipped"] = [{"document": x.source, "reason": x.message}
                                          for x in problems]
    result.report["mentions"] = {
        "clause": sum(m.kind == "clause" for m in mentions),
        "inline": sum(m.kind == "inline" for m in mentions),
    }
    return result, problems


def write_result(result: MineResult, out: str | Path) -> Path:
    """Write the glossary JSONL and its report JSON atomically; returns the report path."""
    write_jsonl(out, result.entries)
    rp = report_path(out)
    write_json(rp, result.report)
    return rp
