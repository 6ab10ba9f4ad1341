"""Prose sentences of a converted specification, and the abbreviations they use.

Only running text counts: headings, tables, ASN.1 and code blocks, equations and their
residue, figure and table captions, reference lists and the lines of the Abbreviations and
Definitions clauses are left out. Lines that the converter wrapped inside a sentence are
joined again; list items stay units of their own. Only whole sentences are kept: ending
with . ! ? : or ; and starting with a capital, or list items of a list introduced by ":"
(items continuing an unfinished sentence are fragments and left out). Sentence splitting
is a small rule set (no library handles "clause 5.3.2", "TS 38.331 [5]." or "e.g." in
specifications reliably without a model).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from termfit.clauses import is_heading
from termfit.usage import UsageSentence

__all__ = ["Sentence", "find_uses", "prose_sentences"]

MIN_WORDS = 4
MAX_SENTENCE_CHARS = 2000


@dataclass(frozen=True)
class Sentence:
    """One prose sentence and the 1-based line where it starts."""

    text: str
    line: int


_CAPTION = re.compile(r"^(?:Figure|Table|Fig\.)\s+[\w.\-]+\s*:")
_REFERENCE = re.compile(r"^\s*\[\d+[A-Za-z]?\]")
_REF_TITLE = re.compile(r"^(?:normative\s+|informative\s+)?references?\b", re.I)
_BULLET = re.compile(r"^\s*(?:[-–•▪◦*]\s*|\d{1,2}\)\s*|[a-z]\)\s*|\d>\s*|\d{1,2}\.(?=[A-Z]))")
_NOTE = re.compile(r"^\s*(?:NOTE|Editor'?s note)\s*\d*\s*:\s*", re.I)
_MARKDOWN = re.compile(r"\\(?=[\[\]()*_#.\-<>|])|\*\*|__|`")
_CODE_FENCE = re.compile(r"^\s*```")
_ASN1 = re.compile(r"--\s*ASN1START|--\s*ASN1STOP")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]+")
_ENDS_SENTENCE = re.compile(r"[.:;!?]\s*$")

# A sentence ends at . ! ? followed by a space and a capital, digit, quote or bracket,
# unless the period belongs to one of these.
_NO_SPLIT_BEFORE = frozenset(
    "e.g i.e etc cf fig figs no nos vs approx al ref refs eq eqs sect resp incl".split()
)
_BOUNDARY = re.compile(r"([.!?])[\"'”’)]?\s+(?=[A-Z0-9\"'“(\[])|(\.)\s{2,}(?=[a-z])")
_COMPLETE = re.compile(r"[.!?:;][\"'”’)\]]*$")


def _is_prose(line: str) -> bool:
    words = line.split()
    if len(words) < MIN_WORDS:
        return False
    wordy = sum(bool(_WORD.fullmatch(w.strip(",.;:()[]\"'"))) for w in words)
    letters = sum(c.isalpha() or c.isspace() for c in line)
    return wordy / len(words) >= 0.5 and letters / len(line) >= 0.7


def _skip_mask(lines: Sequence[str], skip: Iterable[tuple[int, int]]) -> list[bool]:
    mask = [False] * len(lines)
    for start, end in skip:
        for i in range(max(start, 0), min(end, len(lines))):
            mask[i] = True
    in_code = in_refs = False
    for i, raw in enumerate(lines):
        if _CODE_FENCE.match(raw) or _ASN1.search(raw):
            in_code = not in_code if _CODE_FENCE.match(raw) else "START" in raw.upper()
            mask[i] = True
            continue
        title = is_heading(raw)
        if title:
            in_refs = bool(_REF_TITLE.match(title))
            mask[i] = True
            continue
        if in_code or in_refs or raw.lstrip().startswith(("|", "#", "<")) or "\t" in raw.strip():
            mask[i] = True  # tables (markdown, or Word cells joined by tabs), HTML
    return mask


@dataclass
class _Paragraph:
    lines: list[tuple[int, str]]  # (0-based line, cleaned text)
    item: bool  # a list item
    lead_ok: bool  # a list item after a lead-in that ends with ":"


def _hard_wrapped(lines: Sequence[str], mask: list[bool]) -> bool:
    """Text wrapped at a fixed width (PDF text layers, plain-text specifications): almost
    no prose line is longer than 130 characters. Converted Markdown keeps a paragraph on
    one line."""
    lengths = [len(x) for i, x in enumerate(lines)
               if not mask[i] and not _BULLET.match(x) and _is_prose(x.strip())]
    return len(lengths) >= 5 and sum(n > 130 for n in lengths) < 0.05 * len(lengths)


def _paragraphs(lines: Sequence[str], mask: list[bool]) -> Iterator[_Paragraph]:
    """Runs of prose lines; a line wrapped inside a sentence is joined to the next one
    (in hard-wrapped text, every line of a paragraph)."""
    wrapped = _hard_wrapped(lines, mask)
    para: _Paragraph | None = None
    lead = ""  # the last line that was not a list item
    for i, raw in enumerate(lines):
        line = _MARKDOWN.sub("", raw).replace("\u00a0", " ").strip()
        bullet = _BULLET.match(line)
        line = _NOTE.sub("", line[bullet.end():] if bullet else line).strip()
        if (mask[i] or not line or _CAPTION.match(line) or _REFERENCE.match(line)
                or not _is_prose(line)):
            if para:
                yield para
            para = None
            if line and not bullet:
                lead = line
            continue
        joins = para is not None and not bullet and (wrapped or (
            not _ENDS_SENTENCE.search(para.lines[-1][1]) and line[:1].islower()))
        if para is not None and not joins:
            yield para
            para = None
        if para is None:
            para = _Paragraph([], bool(bullet), bool(bullet) and lead.endswith(":"))
        para.lines.append((i, line))
        if not bullet and not joins:
            lead = line
    if para:
        yield para


def _split(text: str) -> list[tuple[int, int]]:
    """Sentence spans of one paragraph."""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        stop = m.group(1) or m.group(2)
        before = text[start:m.start()].split()
        last = before[-1].lower().rstrip(".").lstrip("([\"'“") if before else ""
        if stop == "." and (last in _NO_SPLIT_BEFORE or (len(last) == 1 and last.isalpha())):
            continue
        spans.append((start, m.start() + len(m.group(0).rstrip())))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _complete(sentence: str, para: _Paragraph, first: bool) -> bool:
    """A whole sentence: ends with . ! ? : or ; and starts with a capital, digit, quote or
    bracket, or is a lower-case list item (ending with . ! ? or ;) of a list introduced by a
    line ending with ":" (items that continue an unfinished sentence are fragments)."""
    if not _COMPLETE.search(sentence):
        return False
    if not sentence[0].islower():
        return True
    return first and para.item and para.lead_ok and sentence.rstrip("\"'”’)]")[-1] != ":"


def prose_sentences(lines: Sequence[str], skip: Iterable[tuple[int, int]] = ()) -> list[Sentence]:
    """The prose sentences of a document's lines; ``skip`` are 0-based ``[start, end)``
    line ranges to leave out (the clauses)."""
    out: list[Sentence] = []
    for para in _paragraphs(lines, _skip_mask(lines, skip)):
        text, starts = "", []
        for i, line in para.lines:
            starts.append((len(text), i + 1))
            text += line + " "
        text = text.rstrip()
        for a, b in _split(text):
            sentence = text[a:b].strip()
            if (len(sentence.split()) < MIN_WORDS or len(sentence) > MAX_SENTENCE_CHARS
                    or not _complete(sentence, para, a == 0)):
                continue
            lineno = max(n for off, n in starts if off <= a)
            out.append(Sentence(sentence, lineno))
    return out


def find_uses(sentences: Iterable[Sentence], senses: dict[str, str], source: str
              ) -> list[UsageSentence]:
    """One row per use of an abbreviation of ``senses`` (abbr → expansion) in a sentence.

    Matching is case-sensitive on whole tokens: "CSI" is not counted inside "CSI-RS" or
    "UL-SCH" (a hyphen followed by a capital or digit makes a longer abbreviation), nor
    inside parameter names (pdcch-Config, RRC_CONNECTED); "IAB-node" and "UE-specific"
    count. A plural s ("UEs", "gNBs") counts as a use; the span covers the abbreviation
    only, so ``text[start:end] == abbr``.
    """
    if not senses:
        return []
    alts = sorted(senses, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![A-Za-z0-9_\-.])(" + "|".join(re.escape(a) for a in alts) + r")"
        r"(?=s?(?![A-Za-z0-9_])(?!-[A-Z0-9])(?!\.[A-Za-z0-9]))"
    )
    out = []
    for s in sentences:
        for m in pattern.finditer(s.text):
            abbr = m.group(1)
            out.append(UsageSentence(s.text, abbr, m.start(1), m.end(1), senses[abbr], source,
                                     s.line))
    return out
