"""Abbreviation ↔ expansion alignment (Schwartz–Hearst style), shared by mining and search.

The classic Schwartz–Hearst algorithm matches the short form's characters right to left,
greedily, against the long form. Greedy matching often lands on the wrong word ("and" for
the A of AMF), so this module finds the *best* alignment with a small dynamic programme
over the candidate positions of each character, preferring word initials and explaining as
many content words as possible. No library implements this scoring (scispacy's
abbreviation detector is greedy and pulls in spaCy), hence the hand-written code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Alignment",
    "STOP_WORDS",
    "acronym_score",
    "align",
    "ABBREVIATION_TOKEN",
    "looks_like_abbreviation",
    "split_glued",
]

#: Words that an abbreviation does not need a letter for ("Access and Mobility ...").
STOP_WORDS = frozenset(
    "a an and as at by for from in into of on or over per the to via with without".split()
)

# Digits in abbreviations often stand for number words ("ASN.1" = "... Notation One").
_NUMBER_WORDS = {
    "1": {"one", "first", "single", "mono"},
    "2": {"two", "second", "double", "dual", "bi"},
    "3": {"three", "third", "triple", "tri"},
    "4": {"four", "fourth", "quad"},
    "5": {"five", "fifth"},
    "6": {"six", "sixth"},
    "7": {"seven"},
    "8": {"eight"},
}
# Letters and digits used as symbols: "B2B" = Business to Business, "V2X" = ... Everything,
# "Tx" = Transmission, "Rx" = Reception.
_SYMBOL_WORDS = {"2": ("to",), "4": ("for",), "x": ("everything", "cross", "trans", "exchange")}
_X_INSIDE = ("trans", "rec", "ex")

# All-caps words that are ordinary words in specifications, not abbreviations.
_CAPS_WORDS = frozenset(
    "NOTE NOTES ANNEX FIGURE TABLE CLAUSE WARNING EXAMPLE EXAMPLES AND OR NOT THE FOR OF "
    "IF ELSE THEN END BEGIN TRUE FALSE NULL NONE ALL ANY SHALL SHOULD MAY MUST FOREWORD "
    "SCOPE REFERENCES DEFINITIONS ABBREVIATIONS SYMBOLS CONTENTS INTRODUCTION GENERAL "
    "OPTIONAL MANDATORY".split()
)

#: An abbreviation-shaped token as written in text ("AMF", "C-RNTI", "ASN.1", "NB-IoT");
#: :func:`looks_like_abbreviation` decides whether one is an abbreviation.
ABBREVIATION_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-./&+']*[0-9A-Za-z+]|[A-Z0-9]")
_TOKEN_SPLIT = re.compile(r"[\s\-/(),;:\u2010-\u2015]+")


def looks_like_abbreviation(token: str) -> bool:
    """True for abbreviation-shaped tokens: AMF, 5GC, C-RNTI, eMBB, NB-IoT, ASN.1, 3GPP.

    Needs two or more capitals (or a capital and a digit) making up a large share of the
    letters; ordinary words, numbers ("38.331") and all-caps words such as NOTE are rejected.
    """
    token = token.strip()
    if not 2 <= len(token) <= 15 or not ABBREVIATION_TOKEN.fullmatch(token):
        return False
    if token.upper() in _CAPS_WORDS:
        return False
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return False
    upper = sum(c.isupper() for c in letters)
    digits = sum(c.isdigit() for c in token)
    if upper >= 2:
        return upper / len(letters) >= 0.3
    return upper == 1 and digits >= 1 and len(letters) <= 3


@dataclass(frozen=True)
class Alignment:
    """How well an abbreviation's letters align with an expansion.

    ``matched``: abbreviation characters aligned (all of them when an alignment exists);
    ``initials``: how many of those landed on a word initial; ``covered``: share of the
    expansion's content words (not stop words) that received a letter; ``prefix``: letters
    continuing a word's first letters ("Red", "Cap" in RedCap = Reduced Capability);
    ``score`` in [0, 1].
    """

    score: float
    matched: int
    initials: int
    covered: float
    prefix: int = 0


@dataclass(frozen=True)
class _Expansion:
    chars: tuple[str, ...]  # lower-cased characters (alnum only)
    initial: tuple[bool, ...]
    word: tuple[int, ...]  # word index of each character
    content: tuple[bool, ...]  # per word: True for content words
    number_word: tuple[str | None, ...]  # per word: the digit it spells, if any
    word_start: tuple[int, ...]  # per word: index of its first character
    words: tuple[str, ...]  # per word: lower-cased text


@lru_cache(maxsize=65536)
def _prepare(expansion: str) -> _Expansion | None:
    chars: list[str] = []
    initial: list[bool] = []
    word: list[int] = []
    content: list[bool] = []
    number_word: list[str | None] = []
    word_start: list[int] = []
    words: list[str] = []
    expansion = re.sub(r"^\([^)]*\)\s*", "", expansion.strip())  # "(TOSCA) Cloud ..."
    for raw in _TOKEN_SPLIT.split(expansion):
        tok = "".join(c for c in raw if c.isalnum())
        if not tok:
            continue
        w = len(content)
        low = tok.lower()
        words.append(low)
        content.append(low not in STOP_WORDS)
        number_word.append(next((d for d, ws in _NUMBER_WORDS.items() if low in ws), None))
        word_start.append(len(chars))
        acronym_word = len(tok) >= 2 and not any(c.islower() for c in tok)
        prev = ""
        for k, c in enumerate(tok):
            is_init = (
                k == 0
                or acronym_word
                or (c.isupper() and not prev.isupper())
                or (c.isdigit() and not prev.isdigit())
            )
            chars.append(c.lower())
            initial.append(is_init)
            word.append(w)
            prev = c
    if not chars:
        return None
    return _Expansion(
        tuple(chars), tuple(initial), tuple(word), tuple(content), tuple(number_word),
        tuple(word_start), tuple(words),
    )


@lru_cache(maxsize=262144)
def align(abbr: str, expansion: str) -> Alignment | None:
    """Best alignment of ``abbr``'s letters/digits, in order, with characters of ``expansion``.

    The first character must start the expansion's first word. Among all alignments the one
    with the most word initials and content words hit wins. Returns None when the
    characters cannot all be aligned. Cached: cheap to call for many pairs.
    """
    letters = [c.lower() for c in abbr if c.isalnum()]
    exp = _prepare(expansion)
    if not letters or exp is None or len(letters) > len(exp.chars):
        return None
    n = len(letters)
    # Candidate positions per abbreviation character: same character, or the start of a
    # number word for a digit.
    cands: list[list[int]] = []
    for c in letters:
        pos = [j for j, e in enumerate(exp.chars) if e == c]
        if c.isdigit():
            pos += [exp.word_start[w] for w, d in enumerate(exp.number_word) if d == c]
        if c in _SYMBOL_WORDS:
            pos += [exp.word_start[w] for w, t in enumerate(exp.words)
                    if t.startswith(_SYMBOL_WORDS[c])]
        if c == "x":
            pos += [j for j, w in enumerate(exp.word) if j != exp.word_start[w]
                    and exp.words[w].startswith(_X_INSIDE)]
        pos = sorted(set(pos))
        if not pos:
            return None
        cands.append(pos)
    if 0 not in cands[0]:
        return None

    def step(j: int, prev: int | None, prev_like: bool) -> tuple[int, int, int]:
        """(initial, prefix continuation, new content word) for a character placed at j."""
        w = exp.word[j]
        new_word = prev is None or exp.word[prev] != w
        is_init = exp.initial[j] or j == exp.word_start[w]
        # "RedCap" = Reduced Capability: letters continuing a word's first letters.
        prefix = not is_init and prev == j - 1 and prev_like and not new_word
        return int(is_init), int(prefix), int(new_word and exp.content[w])

    # best[(j, initial_like)] = (value, initials, prefix, words_hit) for a prefix of the
    # abbreviation whose last character sits at position j.
    Value = tuple[float, int, int, int]
    gi, gp, gw = step(0, None, False)
    best: dict[tuple[int, bool], Value] = {(0, True): (gi + gw, gi, gp, gw)}
    for i in range(1, n):
        nxt: dict[tuple[int, bool], Value] = {}
        prev_items = sorted(best.items())
        for j in cands[i]:
            for (q, like), (val, ini, pre, hit) in prev_items:
                if q >= j:
                    break
                gi, gp, gw = step(j, q, like)
                key = (j, bool(gi or gp))
                cand = (val + gi + 0.75 * gp + gw, ini + gi, pre + gp, hit + gw)
                if key not in nxt or cand > nxt[key]:
                    nxt[key] = cand
        if not nxt:
            return None
        best = nxt
    _, initials, prefix, hit = max(best.values())
    n_content = sum(exp.content)
    covered = hit / n_content if n_content else 0.0
    score = 0.6 * (initials + 0.75 * prefix) / n + 0.4 * covered
    return Alignment(round(score, 4), n, initials, round(covered, 4), prefix)


def acronym_score(abbr: str, expansion: str) -> float:
    """Alignment score of ``abbr`` against ``expansion`` in [0, 1]; 0 when they do not align."""
    a = align(abbr, expansion)
    return a.score if a else 0.0


def split_glued(line: str) -> tuple[str, str] | None:
    """Split a line whose abbreviation/expansion separator was lost.

    "AMFAccess and Mobility Management Function" → ("AMF", "Access and Mobility ...").
    Every split point in the first token is scored with :func:`align`; the best wins.
    Returns None when no split gives an abbreviation-shaped head that aligns.
    """
    line = line.strip()
    words = line.split()
    best: tuple[float, str, str] | None = None
    # Split points inside one of the first three tokens: the abbreviation itself may hold
    # spaces ("NZP CSI-RSNon-Zero Power CSI-RS").
    offset = 0
    for t, word in enumerate(words[:3]):
        offset = line.index(word, offset)
        for k in range(offset + (2 if t == 0 else 1), offset + len(word)):
            left, right = line[:k], line[k:]
            if k > 24 or not right[0].isalnum():
                continue
            if not all(looks_like_abbreviation(p) for p in left.split()):
                continue
            a = align(left, right)
            if a is None or (a.initials + a.prefix) / a.matched < 0.5:
                continue
            if best is None or a.score > best[0]:
                best = (a.score, left, right)
        offset += len(word)
    return (best[1], best[2]) if best else None
