"""Read the "Abbreviations" clause of a specification (3GPP/ETSI style) into rows.

Handles "ABBR<tab or 2+ spaces>Expansion" lines, "ABBR Expansion" with a single space or
with the separator lost in PDF conversion (split by letter alignment), markdown tables,
wrapped lines, boilerplate and page furniture. Specification text has no parser library,
so the line rules here are hand-written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from termfit.acronym import STOP_WORDS, align, looks_like_abbreviation, split_glued

__all__ = ["ClauseRow", "clause_spans", "is_heading", "parse_abbreviation_clause", "parse_lines"]

MAX_EXPANSION_WORDS = 15


@dataclass(frozen=True)
class ClauseRow:
    """One abbreviation row of a clause; ``line`` is the 1-based line where it starts."""

    abbr: str
    expansion: str
    line: int


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_NUM_HEADING = re.compile(r"^\s*(?:\d+(?:\.\d+)*|[A-Z](?:\.\d+)+|Annex\s+[A-Z])\.?[ \t]+(\S.*)$")
_ABBR_TITLE = re.compile(r"\b(abbreviations?|acronyms?)\b", re.I)
_PANDOC_ATTR = re.compile(r"\s*\{[#.][^}]*\}\s*$")
_MD_ESCAPE = re.compile(r"\\([\[\]\\`*_{}()#+\-.!|<>~^])")
_REF_MARKER = re.compile(r"\s*\[\d+(?:\s*[,\-–]\s*\d+)*\]")
_BULLET = re.compile(r"^(\s*)(?:[-*•▪◦]|\d+\))\s+")
_FURNITURE = [
    re.compile(r"^\s*(?:page\s+)?\d{1,4}\s*(?:of\s+\d+)?\s*$", re.I),
    re.compile(r"^\s*-\s*\d+\s*-\s*$"),
    re.compile(r"\b(?:3GPP|ETSI)\s+(?:TS|TR|EN|ES)\s+\d[\d.\-]*\s+V\d+\.\d+\.\d+", re.I),
    re.compile(r"^\s*(?:Release|Rel-)\s*\d+\s*(?:\d{1,4})?\s*$", re.I),
    re.compile(r"^\s*(?:3GPP|ETSI)\s*$"),
    re.compile(r"^\s*\|?[\s:|\-]+\|?\s*$"),  # markdown table rules, "-----" lines
]
_BOILERPLATE = re.compile(
    r"for the purposes? of (?:the|this) (?:present )?document|following abbreviations apply"
    r"|takes precedence over|abbreviations given in|in addition to the abbreviations",
    re.I,
)
_ABBR_START = re.compile(r"[A-Z0-9][A-Z0-9\-]*[A-Z]")
_DANGLING = STOP_WORDS | {"-", ",", "(", "/", "&"}


def _clean(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u200b", "").rstrip()
    line = _MD_ESCAPE.sub(r"\1", line)
    line = _REF_MARKER.sub("", line)
    line = _PANDOC_ATTR.sub("", line)
    line = line.replace("**", "").replace("__", "")
    return _BULLET.sub(r"\1", line)


def is_heading(line: str) -> str | None:
    """The title of a heading line (markdown ``#``, numbered "3.3 Abbreviations",
    all-caps or a bare "Abbreviations"), else None."""
    line = _clean(line).strip()
    if not line or len(line) > 100:
        return None
    m = _MD_HEADING.match(line)
    if m:
        return _NUM_HEADING.sub(r"\1", m.group(1)).strip() or None
    words = line.split()
    m = _NUM_HEADING.match(line)
    if m:
        title = m.group(1).strip()
        tw = title.split()
        if (
            len(tw) <= 10
            and title[0].isupper()
            and not title.endswith((".", ",", ";"))
            and not looks_like_abbreviation(tw[0].strip(",:"))
        ):
            return title
        return None
    if len(words) <= 6 and _ABBR_TITLE.search(line) and not line.endswith((".", ",")):
        first = words[0].lower()
        if first in {"abbreviations", "abbreviation", "acronyms", "list", "symbols", "terms",
                     "definitions", "glossary"}:
            return line
    return None


def clause_spans(lines: list[str]) -> list[tuple[int, int]]:
    """Index ranges ``[start, end)`` of the lines inside abbreviation clauses (after the
    heading, up to the next heading)."""
    heads = [(i, is_heading(x)) for i, x in enumerate(lines)]
    heads = [(i, t) for i, t in heads if t]
    spans = []
    for k, (i, title) in enumerate(heads):
        if _ABBR_TITLE.search(title):
            end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
            if end > i + 1:
                spans.append((i + 1, end))
    return spans


def _plausible_head(head: str, explicit: bool) -> bool:
    pieces = head.split()
    if not pieces or len(pieces) > 3 or len(head) > 24:
        return False
    if all(looks_like_abbreviation(p) for p in pieces):
        return True
    # With an explicit separator, accept shorter forms such as "Tx", "dB" or "kHz".
    return (
        explicit
        and len(pieces) == 1
        and len(head) <= 12
        and head[0].isalnum()
        and not head.isdigit()
        and head.lower() not in STOP_WORDS
        and (any(c.isupper() for c in head[1:]) or any(c.isdigit() for c in head) or len(head) <= 4)
    )


def _accepts(abbr: str, expansion: str) -> float:
    a = align(abbr, expansion)
    if a is None or (a.initials + a.prefix) / a.matched < 0.5:
        return 0.0
    return a.score


def _split_row(line: str) -> tuple[str, str, bool] | None:
    """Split a cleaned line into (abbr, expansion, explicit) or None."""
    s = line.strip()
    if s.startswith("|"):
        cells = [c.strip() for c in s.strip("|").split("|")]
        cells = [c for c in cells if c]
        if len(cells) >= 2 and _plausible_head(cells[0], True):
            return cells[0], cells[1], True
        return None
    m = re.match(r"^(\S[^\t]*?)(?:\t+| {2,}|\s+[–—]\s+|\s*:\s+)(\S.*)$", s)
    if m and _plausible_head(m.group(1).strip(), True):
        return m.group(1).strip(), m.group(2).strip(), True
    # Single space or no separator: try every split at the first spaces and inside the
    # first token, keep the one whose letters align best.
    best: tuple[float, str, str] | None = None
    spaces = [i for i, c in enumerate(s) if c == " "][:3]
    for k in spaces:
        head, rest = s[:k], s[k + 1 :].strip()
        if rest and (_plausible_head(head, False) or _plausible_head(head, True)):
            sc = _accepts(head, rest)
            if not _plausible_head(head, False) and sc < 0.7:
                continue  # "Gbps Gigabits per second": short forms need a good alignment
            sc += 0.001  # prefer a real space over a glued split
            if best is None or sc > best[0]:
                best = (sc, head, rest)
    glued = split_glued(s)
    if glued:
        sc = _accepts(*glued)
        if best is None or sc > best[0]:
            best = (sc, *glued)
    if best and best[0] > 0.01:
        return best[1], best[2], False
    first = s.split(None, 1)
    if len(first) == 2 and looks_like_abbreviation(first[0]) and first[1][0].isalnum():
        return first[0], first[1], False
    return None


def _finish(abbr: str, expansion: str) -> tuple[str, str] | None:
    abbr = " ".join(abbr.split()).strip(":")
    expansion = " ".join(expansion.split()).strip(" ;,.:")
    if not abbr or not expansion or expansion.lower() == abbr.lower():
        return None
    if len(expansion.split()) > MAX_EXPANSION_WORDS:
        return None
    return abbr, expansion


def parse_lines(lines: list[tuple[int, str]]) -> list[ClauseRow]:
    """Parse the (line number, text) lines of one clause body into rows."""
    rows: list[list] = []  # [abbr, expansion, line, explicit]
    boiler = False
    blank_since = False
    for lineno, raw in lines:
        line = _clean(raw)
        if not line.strip():
            blank_since = True
            boiler = False
            continue
        if any(p.search(line) for p in _FURNITURE):
            continue
        if _BOILERPLATE.search(line):
            boiler = not line.rstrip().endswith((".", ":"))
            continue
        split = _split_row(line)
        if boiler:
            if split and split[2] and looks_like_abbreviation(split[0].split()[0]):
                boiler = False
            else:
                boiler = not line.rstrip().endswith((".", ":"))
                continue
        stripped = line.strip()
        prev = rows[-1] if rows else None
        dangling = bool(prev) and (
            prev[1].split()[-1].lower() in _DANGLING or prev[1].endswith(("-", ",", "/", "("))
        )
        aligned = split is not None and _accepts(split[0], split[1]) > 0
        complete = prev is not None and not dangling and _accepts(prev[0], prev[1]) > 0
        head_like = split is not None and looks_like_abbreviation(split[0].split()[0])
        strong_head = head_like and (split[2] or complete)
        if split is None:
            # A line without an abbreviation continues the previous row, unless that row
            # is already complete and the line starts like a (mangled) abbreviation.
            continues = prev is not None and (
                not complete or stripped[0].islower() or not _ABBR_START.match(stripped)
            )
        else:
            continues = prev is not None and (
                (dangling and not split[2])
                or (stripped[0].islower() and not aligned and not strong_head)
                or (line[:1].isspace() and not split[2] and not aligned)
            )
        if continues and (not blank_since or dangling or not complete):
            sep = "" if prev[1].endswith("-") and stripped[0].islower() else " "
            prev[1] = prev[1] + sep + stripped
        elif split is not None:
            rows.append([split[0], split[1], lineno, split[2]])
        blank_since = False
    out = []
    for abbr, exp, lineno, _ in rows:
        done = _finish(abbr, exp)
        if done:
            out.append(ClauseRow(done[0], done[1], lineno))
    return out


def parse_abbreviation_clause(text: str, source: str = "") -> list[ClauseRow]:
    """Rows of every "Abbreviations" clause in ``text``; the whole text is read as one clause
    when it has no such heading. ``source`` is only used in error messages by callers."""
    lines = text.splitlines()
    spans = clause_spans(lines)
    if not spans:
        heads = {i for i, x in enumerate(lines) if is_heading(x)}
        spans = [(0, len(lines))]
        numbered = [(i + 1, x) for i, x in enumerate(lines) if i not in heads]
        return parse_lines(numbered)
    rows: list[ClauseRow] = []
    for start, end in spans:
        rows.extend(parse_lines([(i + 1, lines[i]) for i in range(start, end)]))
    return rows
