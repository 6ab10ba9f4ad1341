"""Read the "Abbreviations" clause of a specification (3GPP/ETSI style) into rows.

Handles "ABBR<tab or 2+ spaces>Expansion" lines, "ABBR Expansion" with a single space or
with the separator lost in PDF conversion (split by letter alignment), markdown tables,
wrapped lines, boilerplate and page furniture. Specification text has no parser library,
so the line rules here are hand-written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from termfit.acronym import STOP_WORDS, align, looks_like_abbreviation

__all__ = [
    "ClauseParse",
    "ClauseRow",
    "Definition",
    "DocumentClauses",
    "Unresolved",
    "clause_spans",
    "clean_line",
    "definition_spans",
    "is_heading",
    "parse_abbreviation_clause",
    "parse_clause",
    "parse_definitions",
    "parse_lines",
    "read_clauses",
    "segment_run",
    "split_row",
]

MAX_EXPANSION_WORDS = 15


@dataclass(frozen=True)
class ClauseRow:
    """One abbreviation row of a clause; ``line`` is the 1-based line where it starts."""

    abbr: str
    expansion: str
    line: int


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_NUM_HEADING = re.compile(r"^\s*(?:\d+(?:\.\d+)*|[A-Z](?:\.\d+)+|Annex\s+[A-Z])\.?[ \t]+(\S.*)$")
# Inside a markdown heading the converter may drop the space after the number
# ("## 3.2Abbreviations", "## 4.2AHandling of ..."): the title starts at the first capital.
_MD_NUMBER = re.compile(
    r"^(?:\d+(?:\.\d+)*(?:[A-Z](?=[A-Z][a-z]|[ \t]))?|[A-Z](?:\.\d+)+|Annex\s+[A-Z])"
    r"\.?[ \t]*(?=[A-Z(])"
)
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


def clean_line(line: str) -> str:
    """A line without markdown escapes, reference markers ("[22]"), bold marks, bullets
    and non-breaking spaces: the text that rows and offsets refer to."""
    return _clean(line)


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
        return _MD_NUMBER.sub("", m.group(1)).strip() or None
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


_DEF_TITLE = re.compile(r"\b(definitions?|terms)\b", re.I)


def _heads(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, t) for i, t in ((i, is_heading(x)) for i, x in enumerate(lines)) if t]


def _titled_spans(heads: list[tuple[int, str]], n: int, title: re.Pattern) -> list[tuple[int, int]]:
    spans = []
    for k, (i, t) in enumerate(heads):
        if title.search(t):
            end = heads[k + 1][0] if k + 1 < len(heads) else n
            if end > i + 1:
                spans.append((i + 1, end))
    return spans


def clause_spans(lines: list[str]) -> list[tuple[int, int]]:
    """Index ranges ``[start, end)`` of the lines inside abbreviation clauses (after the
    heading, up to the next heading)."""
    return _titled_spans(_heads(lines), len(lines), _ABBR_TITLE)


def definition_spans(lines: list[str]) -> list[tuple[int, int]]:
    """Index ranges of the lines inside "Definitions" / "Terms" clauses."""
    return _titled_spans(_heads(lines), len(lines), _DEF_TITLE)


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


# ---------------------------------------------------------------- rows without a separator

_HEAD_TOKEN = re.compile(r"\(?[A-Za-z0-9][A-Za-z0-9\-/&.+'()]*")
_TITLE_WORD = re.compile(r"[A-Z][a-z]+")
_LEADING_LOWER = re.compile(r"^[a-z]+-?(?=[A-Z0-9])")  # e/g/ng-/cell in eKSI, gNB, ng-eNB
_ODD_START = re.compile(r"^[A-Z]{2,}[a-z]")  # "TTime", "IInactive": a letter that belongs left
_CAMEL_START = re.compile(r"^[a-z][A-Z][a-z]")  # eXtended
_INNER_CAMEL = re.compile(r"^[A-Za-z][a-z]+[A-Z]")  # "edCapenhanced"
MIN_SPLIT_SCORE = 0.55


@dataclass(frozen=True)
class _Candidate:
    score: float
    abbr: str
    expansion: str


def _head_shape(left: str, glued: bool, right: str) -> bool:
    """Could ``left`` be an abbreviation (AMF, eNode B, NZP CSI-RS, kbps, SpCell)?"""
    toks = left.split()
    if not toks or len(toks) > 3 or len(left) > 24 or left[-1] in "-/&(.+":
        return False
    if left[-1] == "'" and not left[-2:-1].isupper():  # EAP-AKA' (prime), not a quote
        return False
    if not all(_HEAD_TOKEN.fullmatch(t) for t in toks) or toks[0] in STOP_WORDS:
        return False
    if sum(c.isalnum() for c in left) < 2:
        return False
    for k, t in enumerate(toks):
        marked = any(c.isupper() or c.isdigit() for c in (t if k else t[1:]))
        if k and not marked:  # later tokens: "B", "CSI-RS", "ID", "PDU"
            return False
        if _TITLE_WORD.fullmatch(t) and not (len(toks) == 1 and len(t) <= 4):
            return False  # an ordinary word ("Buffer"), except short units (Mbps, Tx)
    if not any(c.isupper() or c.isdigit() for c in left):
        # all lower case (kbps): only glued to a capitalised expansion
        return len(left) <= 5 and right[:1].isupper()
    return True


def _alignment_score(abbr: str, expansion: str) -> float:
    """Alignment score with the relaxations real clauses need, each with a small penalty:
    leading lower-case letters of the abbreviation without a word of their own (eKSI = Key
    Set Identifier), an expansion starting with a camel-case word (XR = eXtended Reality),
    brackets in the expansion ((R)AN = (Radio) Access Network), a first word without a
    letter when all other letters are word initials (MPR = Allowed maximum power
    reduction), and a part of the abbreviation spelt out as itself (EPS-UPIP)."""
    variants = [(abbr, expansion, 0.0)]
    if _CAMEL_START.match(expansion):
        variants.append((abbr, expansion[1:], 0.03))
    m = _LEADING_LOWER.match(abbr)
    if m:
        variants.append((abbr[m.end():], expansion, 0.1))
    if "(" in expansion:
        variants.append((abbr, expansion.replace("(", "").replace(")", ""), 0.0))
    # "EPS-UPIP" = "User-plane integrity protection in EPS": one part of the abbreviation
    # is spelt out as itself somewhere in the expansion.
    parts = re.split(r"[-\s]", abbr)
    words = expansion.split()
    for part in parts if len(parts) > 1 else ():
        if part in words and len(words) > 2:
            rest_abbr = "".join(p for p in parts if p != part)
            rest = " ".join(w for w in words if w != part)
            variants.append((rest_abbr, rest, 0.1))
    best = 0.0
    for a_, e_, penalty in variants:
        a = align(a_, e_)
        if a is None or (a.initials + a.prefix) / a.matched < 0.5:
            continue
        best = max(best, a.score - penalty)
    if best == 0.0 and len(words) >= 3 and words[0][:1].isupper():
        a = align(abbr, " ".join(words[1:]))
        if a is not None and a.initials == a.matched and a.covered == 1.0:
            best = a.score - 0.2
    return best


def _candidates(s: str) -> list[tuple[str, str, bool]]:
    """(left, right, glued) split points in the first 30 characters of ``s``."""
    out = []
    for k in range(2, min(len(s) - 1, 31)):
        a, b = s[k - 1], s[k]
        if a == " " or b == " ":
            if b != " ":
                out.append((s[:k].rstrip(), s[k:], False))
            continue
        out.append((s[:k], s[k:], True))
    return out


def _score(left: str, right: str, glued: bool, known: frozenset[str]) -> float:
    if not right[:1].isalnum() and right[:1] != "(":
        return 0.0
    if not _head_shape(left, glued, right):
        return 0.0
    score = _alignment_score(left, right)
    first = right.split()[0].rstrip(",;")
    if (score < MIN_SPLIT_SCORE and first in known and first != left
            and all(c in right.lower() for c in left.lower() if c.isalnum())):
        score = MIN_SPLIT_SCORE  # "TRS" + "CSI-RS for tracking": starts with a row of the clause
    if glued and right[0].islower() and left[-1].islower():
        score -= 0.1  # inside a lower-case word, unless it aligns well (eRedCapenhanced)
    if glued and _ODD_START.match(right):
        score -= 0.3
    if glued and _INNER_CAMEL.match(first):
        score -= 0.15  # "edCapenhanced": a capital inside the first word
    if glued and right[0].islower() and not right[1:2].isupper():
        score -= 0.05
    if not glued:
        score += 0.01  # a real space is a better boundary than a guessed one
    return score


def split_row(line: str, known: frozenset[str] | set[str] = frozenset()) -> tuple[str, str] | None:
    """Split an abbreviation row whose separator is one space or was lost in conversion.

    ``"CSI-IMCSI Interference Measurement"`` → ``("CSI-IM", "CSI Interference Measurement")``.
    Every split point in the first 30 characters is scored by aligning the head's letters
    with the expansion (:func:`termfit.acronym.align`, with leading lower-case letters as in
    eKSI allowed to stand alone); an expansion starting with an abbreviation in ``known``
    (other rows of the same clause) is accepted without alignment. Returns None when no
    split is credible: the caller reports the row instead of guessing.
    """
    best = _best_split(line, frozenset(known))
    return (best.abbr, best.expansion) if best else None


def _best_split(line: str, known: frozenset[str]) -> _Candidate | None:
    s = " ".join(line.split())
    if not s:
        return None
    half = len(s) // 2
    if len(s) % 2 == 0 and s[:half] == s[half:] and " " not in s:
        return _Candidate(1.0, s[:half], s[half:])  # "SL-PRS-RNTISL-PRS-RNTI"
    best: _Candidate | None = None
    for left, right, glued in _candidates(s):
        sc = _score(left, right, glued, known)
        if sc >= MIN_SPLIT_SCORE and (best is None or sc > best.score + 1e-9):
            best = _Candidate(sc, left, right)
    return best


def _join_wrapped(lines: list[tuple[int, str]], known: frozenset[str]) -> list[tuple[int, str]]:
    """Join a row wrapped over two lines ("NSSAAF Network ... Authorization" + "Function")
    when the joined line splits better than the first line alone."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        lineno, raw = lines[i]
        j = i + 1
        while j < len(lines) and j <= i + 2 and not lines[j][1].strip():
            j += 1
        if j < len(lines) and "\t" not in raw and not raw.lstrip().startswith("|"):
            nxt = _clean(lines[j][1]).strip()
            here = _best_split(_clean(raw), known)
            if (nxt[:1].isalpha() and not _ABBR_START.match(nxt)
                    and (here is None or here.score < 0.9) and _best_split(nxt, known) is None):
                joined = _best_split(_clean(raw) + " " + nxt, known)
                if joined is not None and joined.score > (here.score if here else 0) + 0.1:
                    out.append((lineno, _clean(raw).rstrip() + " " + nxt))
                    i = j + 1
                    continue
        out.append((lineno, raw))
        i += 1
    return out


def _split_row(line: str, known: frozenset[str] = frozenset()) -> tuple[str, str, bool] | None:
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
    split = split_row(s, known)
    return (*split, False) if split else None


def _finish(abbr: str, expansion: str) -> tuple[str, str] | None:
    abbr = " ".join(abbr.split()).strip(":")
    expansion = " ".join(expansion.split()).strip(" ;,.:")
    if not abbr or not expansion or expansion.lower() == abbr.lower():
        return None
    if len(expansion.split()) > MAX_EXPANSION_WORDS:
        return None
    return abbr, expansion


@dataclass(frozen=True)
class Unresolved:
    """A clause line that looks like a row but has no credible split; never guessed."""

    line: int
    text: str
    reason: str


@dataclass
class ClauseParse:
    """Rows of a clause and the lines that could not be read as rows."""

    rows: list[ClauseRow]
    unresolved: list[Unresolved]


_GLUED_WORD = re.compile(r"^[A-Z0-9][A-Za-z0-9\-/]*[A-Z0-9][A-Z][a-z]")
RUN_MIN_ROWS = 3
RUN_MIN_SCORE = 0.8


def _second_row(abbr: str, expansion: str, known: frozenset[str]) -> tuple[str, str, str] | None:
    """A second glued row inside an expansion: "Low power synchronization signal
    MBSMulticast Broadcast Services" → first expansion, second abbr, second expansion."""
    words = expansion.split()
    for i in range(1, len(words)):
        if not _GLUED_WORD.match(words[i]):
            continue
        first, rest = " ".join(words[:i]), " ".join(words[i:])
        split = split_row(rest, known)
        if (split and split[0] != rest and _alignment_score(*split) >= RUN_MIN_SCORE
                and _alignment_score(abbr, first) >= RUN_MIN_SCORE):
            return first, *split
    return None


def segment_run(text: str) -> list[tuple[str, str, int]]:
    """Rows of a clause flattened into one paragraph, as (abbr, expansion, offset):
    "BPSK Binary Phase Shift Keying CP Cyclic Prefix ...". A dynamic programme picks the
    segmentation with the most well-aligned rows; only runs of at least
    ``RUN_MIN_ROWS`` consecutive rows are kept."""
    toks = [(m.group(), m.start()) for m in re.finditer(r"\S+", text)]
    n = len(toks)
    # best[i] = (rows, score, back, row) for the first i tokens
    best: list[tuple[int, float, int, tuple[str, str, int] | None]] = [(0, 0.0, -1, None)] * (n + 1)
    for i in range(n):
        r, sc = best[i][:2]
        if (r, sc) > best[i + 1][:2]:
            best[i + 1] = (r, sc, i, None)
        abbr = toks[i][0]
        if not looks_like_abbreviation(abbr):
            continue
        for j in range(i + 2, min(n, i + 1 + MAX_EXPANSION_WORDS) + 1):
            if toks[j - 1][0].lower() in STOP_WORDS:
                continue  # an expansion does not end with "the", "of", "and"
            expansion = " ".join(t for t, _ in toks[i + 1:j])
            a = _alignment_score(abbr, expansion) - 0.001 * (j - i)
            if a >= RUN_MIN_SCORE and (r + 1, sc + a) > best[j][:2]:
                best[j] = (r + 1, sc + a, i, (abbr, expansion.rstrip(".,;"), toks[i][1]))
    rows: list[tuple[str, str, int] | None] = []
    i = n
    while i > 0:
        rows.append(best[i][3])
        i = best[i][2]
    rows.reverse()
    runs: list[list[tuple[str, str, int]]] = [[]]
    for row in rows:
        if row is None:
            runs.append([])
        else:
            runs[-1].append(row)
    return [row for run in runs if len(run) >= RUN_MIN_ROWS for row in run]


def _known_heads(lines: list[tuple[int, str]]) -> frozenset[str]:
    """Abbreviations of the rows that split without help: a second pass may use them."""
    out = set()
    for _, raw in lines:
        split = _split_row(_clean(raw))
        if split:
            out.add(split[0])
    return frozenset(out)


def parse_clause(lines: list[tuple[int, str]]) -> ClauseParse:
    """Parse the (line number, text) lines of one clause body into rows, and the lines
    that look like rows but have no credible split."""
    known = _known_heads(lines)
    lines = _join_wrapped(lines, known)
    rows: list[list] = []  # [abbr, expansion, line, explicit]
    unresolved: list[Unresolved] = []
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
        if len(line) > 300:
            run = segment_run(line)
            if run:
                rows.extend([a, e, lineno, True] for a, e, _ in run)
            else:
                unresolved.append(Unresolved(lineno, line.strip()[:200], "long line, no rows"))
            continue
        if _BOILERPLATE.search(line):
            boiler = not line.rstrip().endswith((".", ":"))
            continue
        split = _split_row(line, known)
        if boiler:
            if split and split[2] and looks_like_abbreviation(split[0].split()[0]):
                boiler = False
            else:
                boiler = not line.rstrip().endswith((".", ":"))
                continue
        stripped = line.strip()
        prev = rows[-1] if rows else None
        dangling = prev is not None and (
            prev[1].split()[-1].lower() in _DANGLING or prev[1].endswith(("-", ",", "/", "("))
        )
        aligned = split is not None and _accepts(split[0], split[1]) > 0
        complete = prev is not None and not dangling and _accepts(prev[0], prev[1]) > 0
        head_like = split is not None and looks_like_abbreviation(split[0].split()[0])
        strong_head = head_like and split is not None and (split[2] or complete)
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
        if continues and prev is not None and (not blank_since or dangling or not complete):
            sep = "" if prev[1].endswith("-") and stripped[0].islower() else " "
            prev[1] = prev[1] + sep + stripped
        elif split is not None:
            second = None if split[2] else _second_row(split[0], split[1], known)
            if second:
                rows.append([split[0], second[0], lineno, False])
                rows.append([second[1], second[2], lineno, False])
            else:
                rows.append([split[0], split[1], lineno, split[2]])
        elif not stripped.startswith("|"):  # a table's header row is not a row
            unresolved.append(Unresolved(lineno, stripped, "no credible split between "
                                         "abbreviation and expansion"))
        blank_since = False
    out = []
    for abbr, exp, lineno, _ in rows:
        done = _finish(abbr, exp)
        if done:
            out.append(ClauseRow(done[0], done[1], lineno))
    return ClauseParse(out, unresolved)


def parse_lines(lines: list[tuple[int, str]]) -> list[ClauseRow]:
    """Parse the (line number, text) lines of one clause body into rows."""
    return parse_clause(lines).rows


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


# ---------------------------------------------------------------- whole documents

_ABBR_BOILERPLATE = re.compile(
    r"abbreviations? (?:given|defined) in|following abbreviations apply", re.I)
MAX_DEFINITION_CHARS = 1000


@dataclass(frozen=True)
class Definition:
    """One ``term: definition`` entry of a Definitions clause."""

    term: str
    text: str
    line: int


@dataclass
class DocumentClauses:
    """Everything read from a document's clauses; ``spans`` are the 0-based line ranges
    ``[start, end)`` of the abbreviation and definition clause bodies (no prose there);
    ``cuts`` are (line index, start, end) character ranges, in :func:`clean_line` of that
    line, of clauses flattened into a line of other text."""

    rows: list[ClauseRow]
    unresolved: list[Unresolved]
    definitions: list[Definition]
    spans: list[tuple[int, int]]
    has_abbreviation_clause: bool
    cuts: list[tuple[int, int, int]] = field(default_factory=list)


def _flattened_clause(lines: list[str]) -> tuple[list[ClauseRow], list[tuple[int, int, int]]]:
    """Rows of an abbreviation clause that the converter flattened into a paragraph after
    the usual boilerplate ("... the abbreviations given in TR 21.905 and the following
    apply ... BPSK Binary Phase Shift Keying CP Cyclic Prefix ...")."""
    rows: list[ClauseRow] = []
    cuts: list[tuple[int, int, int]] = []  # (line index, start, end) of the rows' text
    seen: set[int] = set()
    for i, line in enumerate(lines):
        if not _ABBR_BOILERPLATE.search(line):
            continue
        taken = 0
        for j in range(i, min(len(lines), i + 12)):
            if j > i and is_heading(lines[j]) or j in seen:
                break
            seen.add(j)
            text = _clean(lines[j])
            if j == i:
                m = re.search(r"(?:following apply|in TR)[.:]?", text)
                text = " " * m.end() + text[m.end():] if m else ""
            found = segment_run(text)
            rows.extend(ClauseRow(*done, j + 1) for a, e, _ in found if (done := _finish(a, e)))
            if found:
                last = found[-1]
                cuts.append((j, found[0][2], last[2] + len(last[0]) + 1 + len(last[1])))
            taken += bool(text.strip())
            if taken >= 4:
                break
    return rows, cuts


_DEF_LINE = re.compile(r"^([^:]{1,80}?)\s*:\s*(\S.*)$")
_NOT_TERM = re.compile(r"^(?:NOTE|EXAMPLE|Example|Editor|For the purposes)\b")


def _definition_text(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_DEFINITION_CHARS:
        return text
    cut = text.rfind(". ", 0, MAX_DEFINITION_CHARS)
    return text[: cut + 1] if cut > 0 else text[: MAX_DEFINITION_CHARS - 1] + "…"


def parse_definitions(lines: list[tuple[int, str]]) -> list[Definition]:
    """``term: definition`` paragraphs of one Definitions clause body; bullet lines that
    follow a definition belong to it."""
    out: list[list] = []  # [term, text, line, open]
    for lineno, raw in lines:
        line = _clean(raw).strip()
        if not line:
            continue
        if any(p.search(line) for p in _FURNITURE) or _BOILERPLATE.search(line):
            if out:
                out[-1][3] = False
            continue
        if raw.lstrip()[:1] in "-•▪" and out and out[-1][3]:
            out[-1][1] += " " + line.lstrip("-•▪ ")
            continue
        m = _DEF_LINE.match(line)
        term = m.group(1).strip() if m else ""
        if (m and term[:1].isalnum() and len(term.split()) <= 10 and not _NOT_TERM.match(term)
                and len(m.group(2).split()) >= 2 and not term.endswith((".", ","))):
            out.append([term, m.group(2), lineno, True])
        elif out:
            out[-1][3] = False
    return [Definition(t, _definition_text(x), n) for t, x, n, _ in out]


def read_clauses(lines: list[str]) -> DocumentClauses:
    """The abbreviation rows (with unresolved lines) and definitions of one document.

    Abbreviation clauses are found by their headings; when they hold no rows, a clause
    flattened into a paragraph after the usual boilerplate is looked for instead.
    """
    heads = _heads(lines)
    abbr_spans = _titled_spans(heads, len(lines), _ABBR_TITLE)
    def_spans = _titled_spans(heads, len(lines), _DEF_TITLE)
    rows: list[ClauseRow] = []
    unresolved: list[Unresolved] = []
    for start, end in abbr_spans:
        parsed = parse_clause([(i + 1, lines[i]) for i in range(start, end)])
        rows.extend(parsed.rows)
        unresolved.extend(parsed.unresolved)
    cuts: list[tuple[int, int, int]] = []
    if not rows:
        flat, cuts = _flattened_clause(lines)
        rows.extend(flat)
    definitions: list[Definition] = []
    for start, end in def_spans:
        if (start, end) not in abbr_spans:
            definitions.extend(parse_definitions([(i + 1, lines[i]) for i in range(start, end)]))
    has_clause = bool(abbr_spans) or bool(rows)
    return DocumentClauses(rows, unresolved, definitions, sorted(set(abbr_spans + def_spans)),
                           has_clause, cuts)
