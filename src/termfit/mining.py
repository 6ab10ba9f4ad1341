"""Grow a glossary from documents: abbreviation and definition clauses, inline
definitions, and the sentences that use each abbreviation.

Reads .txt, .md, .docx (python-docx) and .pdf (pypdf), refusing files whose content is
not what their extension says; extracts the rows of "Abbreviations" clauses and the
entries of "Definitions" clauses (:mod:`termfit.clauses`) and inline definitions in body
text ("Long Form (LF)" and "LF (Long Form)", accepted only when
:func:`termfit.acronym.align` accepts the letters); merges spelling variants; keeps
different senses apart and reports them as conflicts, with the sources (document and page
or line) and origin of every row. Usage sentences come from :mod:`termfit.prose`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from termfit.acronym import align, looks_like_abbreviation
from termfit.clauses import clean_line as _clean_line
from termfit.clauses import is_heading
from termfit.errors import Problem, require
from termfit.fileio import write_json, write_jsonl

if TYPE_CHECKING:
    from termfit.glossary import Entry
    from termfit.usage import UsageSentence

__all__ = [
    "DocumentError",
    "DocumentText",
    "Mention",
    "MineResult",
    "document_usage",
    "extract_mentions",
    "find_inline_definitions",
    "load_existing",
    "mine",
    "mine_documents",
    "read_document",
    "read_text",
    "report_path",
    "usage_sentences",
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
    kind: str  # "clause", "definition" or "inline"
    definition: str | None = None


@dataclass
class MineResult:
    """The glossary rows (existing ones first) and the report of what changed."""

    entries: list[dict]
    report: dict = field(default_factory=dict)
    usage: list[UsageSentence] = field(default_factory=list)


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
    _check_kind(path, suffix)
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


_MAGIC = [(b"%PDF", "a PDF file", ".pdf"), (b"PK\x03\x04", "a zip package (Word .docx?)", ".docx"),
          (b"\xd0\xcf\x11\xe0", "an old Office file (.doc/.xls)", None),
          (b"{\\rtf", "an RTF file", None)]


def _check_kind(path: Path, suffix: str) -> None:
    """Refuse a file whose content is not what its extension says."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise DocumentError(f"cannot be read ({exc.strerror or exc})") from None
    found = next(((what, ext) for magic, what, ext in _MAGIC if head.startswith(magic)), None)
    if suffix in (".pdf", ".docx"):
        if head and (found is None or found[1] != suffix):
            what = found[0] if found else "not a " + ("PDF" if suffix == ".pdf" else "Word")
            raise DocumentError(f"is {what} file, not what its {suffix} extension says"
                                if found else f"{what} file (its content does not match the "
                                f"{suffix} extension)")
    elif found is not None:
        hint = f"; rename it to {found[1]}" if found[1] else ""
        raise DocumentError(f"is {found[0]}, not {suffix} text{hint}")


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
_SENTENCE_STOP = re.compile(r"[.;:!?)\]]\s|;|[.;:!?]$")
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
                if sc and (best is None or sc >= best[0] - 1e-9):  # ties: the shorter
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


@dataclass
class DocumentText:
    """One document's mined content: mentions, rows that could not be split, and what
    :func:`termfit.usage` needs (its lines and the clause spans to leave out)."""

    name: str
    mentions: list[Mention]
    unresolved: list[dict]
    has_abbreviation_clause: bool
    lines: list[str]
    spans: list[tuple[int, int]]


def _document_lines(parts: Sequence[tuple[str, str]]) -> tuple[list[str], list[tuple[str, int]]]:
    lines: list[str] = []
    where: list[tuple[str, int]] = []  # per line: (page prefix, 1-based line in its part)
    for prefix, text in parts:
        for k, line in enumerate(text.splitlines(), start=1):
            lines.append(line)
            where.append((prefix, k))
    return lines, where


def _attach_definitions(rows: list[Mention], definitions, name: str,
                        where: list[tuple[str, int]]) -> list[Mention]:
    """Definitions as mentions of the row they define (by abbreviation or expansion); a
    term without a row of this document stays a definition-only mention (abbr = term)."""
    from termfit.glossary import normalize

    by_abbr: dict[str, set[tuple[str, str]]] = {}
    by_exp: dict[str, set[tuple[str, str]]] = {}
    for m in rows:
        by_abbr.setdefault(normalize(m.abbr, 1), set()).add((m.abbr, m.expansion))
        by_exp.setdefault(normalize(m.expansion), set()).add((m.abbr, m.expansion))
    out = []
    for d in definitions:
        src = _line_source(name, where, d.line - 1)
        senses = by_abbr.get(normalize(d.term, 1)) or by_exp.get(normalize(d.term)) or set()
        if len(senses) == 1:
            (abbr, exp), = senses
            out.append(Mention(abbr, exp, src, "definition", d.text))
        else:
            out.append(Mention(d.term, d.term, src, "definition", d.text))
    return out


def read_text(name: str, parts: Sequence[tuple[str, str]]) -> DocumentText:
    """Clause rows, definitions and inline definitions of one document's text parts."""
    from termfit.clauses import read_clauses

    lines, where = _document_lines(parts)
    clauses = read_clauses(lines)
    mentions = [Mention(r.abbr, r.expansion, _line_source(name, where, r.line - 1), "clause")
                for r in clauses.rows]
    mentions += _attach_definitions(mentions, clauses.definitions, name, where)
    unresolved = [{"document": name, "line": u.line, "text": u.text, "reason": u.reason}
                  for u in clauses.unresolved]
    in_clause = [False] * len(lines)
    for start, end in clauses.spans:
        for i in range(start, end):
            in_clause[i] = True
    lines = list(lines)
    for i, start, end in clauses.cuts:  # a clause flattened into a line of other text
        line = _clean_line(lines[i])
        lines[i] = line[:start] + " . " + line[end:]
    mentions += _inline_mentions(name, lines, where, in_clause)
    return DocumentText(name, mentions, unresolved, clauses.has_abbreviation_clause, lines,
                        clauses.spans)


def _inline_mentions(name: str, lines: list[str], where: list[tuple[str, int]],
                     in_clause: list[bool]) -> list[Mention]:
    """Inline definitions in paragraphs of consecutive non-heading lines outside the
    clauses, so that definitions wrapped over two lines are found."""
    mentions: list[Mention] = []
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


def extract_mentions(name: str, parts: Sequence[tuple[str, str]]) -> list[Mention]:
    """Clause rows, definitions and inline definitions of one document's text parts."""
    return read_text(name, parts).mentions


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
    mentions, too_long = _resolve_definitions(list(mentions), existing)
    grouped: dict[tuple[str, str], Entry] = {}
    for m in mentions:
        e = grouped.get((m.abbr, m.expansion))
        if e is None:
            grouped[(m.abbr, m.expansion)] = Entry(id="", abbr=m.abbr, expansion=m.expansion,
                                                   sources=[m.source], definition=m.definition)
        else:
            if m.source not in e.sources:
                e.sources.append(m.source)
            e.definition = e.definition or m.definition
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
    report["definitions_skipped"] = too_long
    by_source: dict[str, set[tuple[str, str]]] = {}
    for m in mentions:
        by_source.setdefault(m.source, set()).add((normalize(m.abbr, 1), ORIGINS[m.kind]))
    return MineResult([_with_origin(e, by_source) for e in entries], report)


ORIGINS = {"clause": "abbreviations_clause", "definition": "definitions_clause",
           "inline": "inline_definition"}
MAX_TERM_CHARS = 40  # the glossary's limit on an abbreviation


def _resolve_definitions(mentions: list[Mention], existing: Sequence[Entry]
                         ) -> tuple[list[Mention], list[dict]]:
    """Definition-only mentions (no row of their document) attach to the one entry of the
    glossary (existing or mined) whose abbreviation or expansion is the term; the others
    stay definition-only entries (abbr = expansion = term) when the term fits."""
    from termfit.glossary import normalize

    by_abbr: dict[str, set[tuple[str, str]]] = {}
    by_exp: dict[str, set[tuple[str, str]]] = {}
    senses = [(e.abbr, e.expansion) for e in existing]
    senses += [(m.abbr, m.expansion) for m in mentions if m.kind != "definition"]
    for abbr, exp in senses:
        by_abbr.setdefault(normalize(abbr, 1), set()).add((abbr, exp))
        by_exp.setdefault(normalize(exp), set()).add((abbr, exp))
    out, skipped = [], []
    for m in mentions:
        if m.kind == "definition" and m.abbr == m.expansion:
            found = by_abbr.get(normalize(m.abbr, 1)) or by_exp.get(normalize(m.abbr)) or set()
            if len(found) == 1:
                (abbr, exp), = found
                m = Mention(abbr, exp, m.source, m.kind, m.definition)
            elif len(m.abbr) > MAX_TERM_CHARS:
                skipped.append({"term": m.abbr, "source": m.source,
                                "reason": f"term longer than {MAX_TERM_CHARS} characters"})
                continue
        out.append(m)
    return out, skipped


def _with_origin(entry: Entry, by_source: dict[str, set[tuple[str, str]]]) -> dict:
    """The entry as a dict with ``origin``: where its mined mentions came from."""
    from termfit.glossary import normalize

    key = normalize(entry.abbr, 1)
    origin = sorted({o for src in entry.sources for k, o in by_source.get(src, ()) if k == key})
    return {**entry.to_dict(), "origin": origin}


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


def _why_no_rows(doc: DocumentText) -> str | None:
    """Why a document gives no abbreviation rows, or None when it gives some."""
    if any(m.kind == "clause" for m in doc.mentions):
        return None
    if not doc.has_abbreviation_clause:
        return "no Abbreviations clause found"
    return "its Abbreviations clause holds no rows"


def mine_documents(
    paths: Sequence[str | Path], existing: Sequence[Entry] | None = None,
    progress: bool = True, contexts: bool = False, allow_no_clause: bool = False,
) -> tuple[MineResult, list[Problem]]:
    """Read and mine every document; documents that cannot be read, or (unless
    ``allow_no_clause``) that give no abbreviation rows, are skipped and returned as
    problems. ``contexts``: also collect usage sentences (``result.usage``)."""
    from tqdm.auto import tqdm

    problems: list[Problem] = []
    mentions: list[Mention] = []
    unresolved: list[dict] = []
    usage: list[UsageSentence] = []
    read = 0
    for p in tqdm(list(paths), desc="mining", unit="doc", disable=not progress):
        try:
            doc = read_text(Path(p).name, read_document(p))
        except DocumentError as exc:
            problems.append(Problem(str(p), str(exc)))
            continue
        why = _why_no_rows(doc)
        if why and not allow_no_clause:
            problems.append(Problem(str(p), f"{why} (--allow-no-clause mines its "
                                    "definitions and inline definitions anyway)"))
            continue
        read += 1
        mentions.extend(doc.mentions)
        unresolved.extend(doc.unresolved)
        if contexts:
            usage.extend(document_usage(doc))
    result = mine(mentions, existing)
    result.usage = usage
    result.report["documents_read"] = read
    result.report["documents_skipped"] = [{"document": x.source, "reason": x.message}
                                          for x in problems]
    result.report["mentions"] = {kind: sum(m.kind == kind for m in mentions)
                                 for kind in ("clause", "definition", "inline")}
    result.report["unresolved_rows"] = unresolved
    if contexts:
        result.report["usage_sentences"] = len(usage)
    return result, problems


def write_result(result: MineResult, out: str | Path, contexts: str | Path | None = None) -> Path:
    """Write the glossary JSONL, its report JSON and (``contexts``) the usage sentences,
    each atomically; returns the report path."""
    from termfit.usage import write_contexts

    if contexts is not None:
        write_contexts(contexts, result.usage)
    write_jsonl(out, result.entries)
    rp = report_path(out)
    write_json(rp, result.report)
    return rp


# ---------------------------------------------------------------- usage sentences


def _senses(rows: Iterable, name: str) -> tuple[dict[str, str], list[str]]:
    """abbr → expansion from glossary rows (dicts or objects with ``abbr``/``expansion``);
    rows whose sources name another document are left out when some name this one;
    abbreviations with several senses are ambiguous and returned apart."""
    from termfit.glossary import normalize

    def get(r, key):
        return r.get(key) if isinstance(r, dict) else getattr(r, key, None)

    rows = list(rows)
    own = [r for r in rows if any(str(s).split()[0] == name for s in (get(r, "sources") or [])
                                  if str(s).strip())]
    senses: dict[str, dict[str, str]] = {}
    for r in own or rows:
        senses.setdefault(get(r, "abbr"), {}).setdefault(normalize(get(r, "expansion")),
                                                        get(r, "expansion"))
    single = {a: next(iter(e.values())) for a, e in senses.items() if len(e) == 1 and a}
    return single, sorted(a for a, e in senses.items() if len(e) > 1)


def document_usage(doc: DocumentText, rows: Iterable | None = None) -> list[UsageSentence]:
    """Usage sentences of an already-read document: each prose sentence that uses one of
    its clause abbreviations (or of ``rows``), once per abbreviation use."""
    from termfit.prose import find_uses, prose_sentences

    if rows is None:
        rows = [m for m in doc.mentions if m.kind == "clause"]
    senses, _ = _senses(rows, doc.name)
    return find_uses(prose_sentences(doc.lines, doc.spans), senses, doc.name)


def usage_sentences(path: Path, glossary_rows: Iterable | None = None) -> list[UsageSentence]:
    """Every prose sentence of one document that uses an abbreviation defined in it, with
    the sense the document's own Abbreviations clause gives it.

    ``glossary_rows`` (dicts or entries with ``abbr``, ``expansion`` and optionally
    ``sources``) replace the document's clause when given; rows whose sources name this
    document are preferred. Abbreviations with several senses are skipped (no sense can be
    chosen without reading the sentence). Raises :class:`DocumentError` for unreadable files.
    """
    path = Path(path)
    return document_usage(read_text(path.name, read_document(path)), glossary_rows)
