"""Lexical scorers: BM25 (bm25s) with a Korean/abbreviation-aware tokeniser, and an
abbreviation-aware scorer that aligns abbreviation letters with expansion words.

Both take a list of passage texts and score queries against all of them:
``.score(queries) -> float32 [n_queries, n_texts]`` and ``.topk(queries, k)``.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

import numpy as np

from termfit.acronym import ABBREVIATION_TOKEN, acronym_score, looks_like_abbreviation
from termfit.glossary import LABEL_LANGS
from termfit.metrics import topk_indices

__all__ = ["AcronymScorer", "BM25Scorer", "TOKENIZERS", "strip_label", "tokenize"]

_PREFIX = re.compile(r"^\s*(?:query|passage)\s*:\s*", re.IGNORECASE)
_LATIN = re.compile(r"[0-9a-z]+(?:[-./+&][0-9a-z]+)*")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
_PIECE = re.compile(r"[0-9a-z]+")
_LABEL = re.compile(r"\s*\(([^()]+)\)\s*$")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def strip_prefix(text: str) -> str:
    """Drop an E5 prefix ("query: ", "passage: ")."""
    return _PREFIX.sub("", text, count=1)


def strip_label(text: str) -> tuple[str, str | None]:
    """Split a passage into (core text, label language "ko"/"en" or None).

    "passage: AAL2 (기술)" -> ("AAL2", "ko"); only a known category label (or an all-Hangul
    one) is removed, so "Access Class (C0 to C15)" keeps its parenthesis.
    """
    text = strip_prefix(text).strip()
    m = _LABEL.search(text)
    if m:
        label = m.group(1).strip()
        lang = LABEL_LANGS.get(label.lower())
        if lang is None and _HANGUL_RUN.fullmatch(label.replace(" ", "")):
            lang = "ko"
        if lang is not None and m.start() > 0:
            return text[: m.start()].strip(), lang
    return text, None


def _latin_tokens(text: str) -> list[str]:
    out: list[str] = []
    for m in _LATIN.finditer(text):
        tok = m.group(0)
        pieces = _PIECE.findall(tok)
        out.extend(pieces)
        if len(pieces) > 1:  # "c-rnti" also as "crnti", so "3DES" meets "3-DES"
            out.append("".join(pieces))
    return out


def ngram_tokenize(text: str) -> list[str]:
    """Lower-cased Latin/digit words (plus glued compounds) and character bigrams of Hangul
    runs, so that particles ("AMF는", "기능이") do not hide the word they are attached to."""
    text = strip_prefix(text).lower()
    out = _latin_tokens(text)
    for run in _HANGUL_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


@lru_cache(maxsize=1)
def _kiwi():
    try:
        from kiwipiepy import Kiwi
    except ImportError as exc:  # optional dependency
        from termfit.errors import MissingDependencyError

        raise MissingDependencyError(
            "the 'kiwi' tokenizer needs kiwipiepy (pip install kiwipiepy)") from exc
    return Kiwi()


def kiwi_tokenize(text: str) -> list[str]:
    """Lower-cased Latin words plus Korean content morphemes from kiwipiepy (particles and
    endings dropped)."""
    text = strip_prefix(text)
    out = _latin_tokens(text.lower())
    if _HANGUL.search(text):
        for tok in _kiwi().tokenize(text):
            if _HANGUL.search(tok.form) and not tok.tag.startswith(("J", "E", "X", "S")):
                out.append(tok.form)
    return out


#: Words are cut to this many letters by :func:`prefix_tokenize` (a crude stemmer: management
#: and managed, function and functions meet).
PREFIX_CHARS = 6


def prefix_tokenize(text: str) -> list[str]:
    """Lower-cased Latin/digit words cut to their first :data:`PREFIX_CHARS` characters
    (Hangul is left out): for matching English text whatever its word endings."""
    return [w[:PREFIX_CHARS] for w in _latin_tokens(strip_prefix(text).lower())]


TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "ngram": ngram_tokenize, "kiwi": kiwi_tokenize, "prefix": prefix_tokenize}


def tokenize(text: str, tokenizer: str = "ngram") -> list[str]:
    """Tokens of ``text`` with the named tokenizer ("ngram", "kiwi" or "prefix")."""
    return TOKENIZERS[tokenizer](text)


class _Scorer:
    n: int

    def score(self, queries: Sequence[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def topk(self, queries: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, indices)`` of the ``k`` best texts per query, best first (ties: lower
        index first)."""
        scores = self.score(queries)
        idx = topk_indices(scores, k)
        return np.take_along_axis(scores, idx, axis=1), idx


class BM25Scorer(_Scorer):
    """Okapi BM25 (bm25s) over ``texts`` with :func:`ngram_tokenize` (or "kiwi", "prefix")."""

    def __init__(self, texts: Sequence[str], tokenizer: str = "ngram", k1: float = 1.5,
                 b: float = 0.75):
        import bm25s

        # bm25s sets its own logger to DEBUG on import and logs every index build.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        if tokenizer not in TOKENIZERS:
            raise ValueError(f"unknown tokenizer {tokenizer!r}; expected one of {list(TOKENIZERS)}")
        self.n = len(texts)
        self.tokenizer = tokenizer
        self._tok = TOKENIZERS[tokenizer]
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        # bm25s needs a token in every document; "\0" never occurs in a query.
        self._bm25.index([self._tok(t) or ["\0"] for t in texts], show_progress=False)
        self._vocab = self._bm25.vocab_dict

    def score(self, queries: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(queries), self.n), dtype=np.float32)
        for i, q in enumerate(queries):
            ids = [self._vocab[t] for t in self._tok(q) if t in self._vocab]
            if ids and self.n:
                out[i] = self._bm25.get_scores_from_ids(ids)
        return out


_WORD = re.compile(r"[0-9A-Za-z]+(?:['.][0-9A-Za-z]+)*")
# Runs of Latin words separated only by spaces, hyphens, slashes or parentheses.
_SEGMENT = re.compile(r"[0-9A-Za-z][0-9A-Za-z'.]*(?:[\s\-/()]+[0-9A-Za-z][0-9A-Za-z'.]*)*")
# Longer words are never part of a spelled-out term (the longest expansion word in the
# telecom glossaries has 22 characters): they bound the alignment windows, so that scoring
# stays linear in the query's length.
MAX_WORD_CHARS = 40
_NUMBER_INITIAL = {"one": "1", "first": "1", "single": "1", "two": "2", "second": "2",
                   "double": "2", "dual": "2", "three": "3", "third": "3", "triple": "3",
                   "four": "4", "quad": "4", "five": "5", "six": "6"}


# Question and function words that do not begin or end a spelled-out term in a query
# ("What is the ...", "... full form"); without them every pair of query words aligns with
# some two-letter abbreviation.
QUERY_WORDS = frozenset("""
a an the of for to in on at by with from into as and or is are was were be been do does did
what which who whom whose why how when where whether this that these those it its there
can could should would will may might must shall please tell me explain explained explains
describe define definition meaning mean means meant stand stands stood full form forms short
long name names called call abbreviation abbreviated abbreviate acronym expansion expand
expanded used use uses using work works working purpose role function main problem solve
solves about than vs versus between difference compare compared
""".split())


def _norm(s: str) -> str:
    return "".join(c for c in s.lower() if c.isalnum())


class _SpanCover:
    """Whether [start, end) lies inside one of ``spans``, in O(log n) per question."""

    def __init__(self, spans: Sequence[tuple[int, int]]):
        spans = sorted(spans)
        self._starts = [a for a, _ in spans]
        self._reach: list[int] = []  # largest end among the spans starting at or before
        for _, b in spans:
            self._reach.append(max(b, self._reach[-1]) if self._reach else b)

    def __call__(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, start) - 1
        return i >= 0 and self._reach[i] >= end


class AcronymScorer(_Scorer):
    """Scores passages by abbreviation/expansion alignment (Schwartz–Hearst style).

    - abbreviation → expansion: for each abbreviation-like token of the query ("AMF",
      "3-DES", also inside "AMF는"), every expansion passage gets
      ``acronym_score(token, expansion)``;
    - expansion → abbreviation: word sequences of the query are aligned against the
      abbreviation passages (the reverse), so "the abbreviation for Alarm Agent Handling
      Block" finds "AAGHB".

    E5 prefixes and category labels are stripped from passages. A passage that merely
    repeats the query's abbreviation scores ``exact_match`` (0 by default: in evaluation it
    is the echo, not the answer; a search over abbreviations may set it to 1). Among equal
    alignments, passages whose label language matches the query's script come first.
    """

    #: Largest number of query words an expansion may span (Schwartz–Hearst use |A|+5).
    EXTRA_WORDS = 5

    def __init__(self, texts: Sequence[str], exact_match: float = 0.0):
        self.n = len(texts)
        self.exact_match = exact_match
        cores, langs = zip(*(strip_label(t) for t in texts), strict=True) if texts else ((), ())
        self._lang = np.array([{"ko": 1, "en": 2}.get(x or "", 0) for x in langs], dtype=np.int8)
        self._by_core: dict[str, list[int]] = defaultdict(list)
        for i, core in enumerate(cores):
            self._by_core[core].append(i)
        # expansion passages by first character (and by the digit a number word spells)
        self._exp_bucket: dict[str, list[str]] = defaultdict(list)
        # abbreviation passages by (first, second) character
        self._abbr_bucket: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._abbr_by_norm: dict[str, list[str]] = defaultdict(list)
        for core in self._by_core:
            if self._is_abbreviation_passage(core):
                letters = _norm(core)
                if len(letters) >= 2:
                    self._abbr_bucket[(letters[0], letters[1])].append(core)
                self._abbr_by_norm[letters].append(core)
            else:
                words = _WORD.findall(core.lower())
                if not words:
                    continue
                self._exp_bucket[words[0][0]].append(core)
                digit = _NUMBER_INITIAL.get(words[0])
                if digit:
                    self._exp_bucket[digit].append(core)
        self._forward_cache: dict[str, list[tuple[str, float]]] = {}

    @staticmethod
    def _is_abbreviation_passage(core: str) -> bool:
        """An abbreviation passage: abbreviation-shaped, or one word with an inner
        capital ("eNodeB")."""
        if " " in core:
            return False
        return looks_like_abbreviation(core) or any(c.isupper() for c in core[1:])

    # -- abbreviation -> expansion
    def _forward(self, token: str) -> list[tuple[str, float]]:
        hit = self._forward_cache.get(token)
        if hit is None:
            letters = _norm(token)
            hit = []
            for core in self._exp_bucket.get(letters[:1], ()):
                s = acronym_score(token, core)
                if s > 0:
                    hit.append((core, s))
            if len(self._forward_cache) >= 100_000:  # bounded for long-running servers
                self._forward_cache.clear()
            self._forward_cache[token] = hit
        return hit

    # -- expansion -> abbreviation
    def _reverse(self, query: str) -> tuple[dict[str, float], list[tuple[int, int]]]:
        best: dict[str, float] = {}
        # An abbreviation written in the query is never the answer to "the abbreviation of".
        echoes = {_norm(m.group(0)) for m in ABBREVIATION_TOKEN.finditer(query)}
        spans: list[tuple[int, int]] = []
        for seg in _SEGMENT.finditer(query):
            words = list(_WORD.finditer(seg.group(0)))
            lows = [w.group(0).lower() for w in words]
            for i, w in enumerate(lows):
                if w in QUERY_WORDS or len(w) > MAX_WORD_CHARS:
                    continue
                first = _NUMBER_INITIAL.get(w, w[0])
                seconds = set(w[1:]) | {x[0] for x in lows[i + 1 : i + 4]}
                cands = [c for s in seconds for c in self._abbr_bucket.get((w[0], s), ())]
                if first != w[0]:
                    cands += [c for s in seconds for c in self._abbr_bucket.get((first, s), ())]
                for abbr in cands:
                    letters = _norm(abbr)
                    if letters in echoes:
                        continue
                    max_words = min(len(letters) + self.EXTRA_WORDS, 2 * len(letters))
                    top = 0.0
                    for j in range(i + 1, min(len(words), i + max_words) + 1):
                        if len(lows[j - 1]) > MAX_WORD_CHARS:
                            break
                        if lows[j - 1] in QUERY_WORDS:
                            continue
                        start = seg.start() + words[i].start()
                        end = seg.start() + words[j - 1].end()
                        s = acronym_score(abbr, query[start:end]) * self._shape(
                            len(letters), [w.group(0) for w in words[i:j]])
                        if s > top:
                            top = s
                            if s >= 0.6 and j - i >= 2:
                                spans.append((start, end))
                    if top > best.get(abbr, 0.0):
                        best[abbr] = top
        return best, spans

    @staticmethod
    def _shape(n_letters: int, window: list[str]) -> float:
        """Prior that a query window is a spelled-out term: short abbreviations align with
        almost any word pair, and terms are usually capitalised."""
        content = [w for w in window if w.lower() not in QUERY_WORDS] or window
        caps = sum(w[0].isupper() or w[0].isdigit() for w in content) / len(content)
        return min(1.0, 0.55 + 0.15 * n_letters) * (0.75 + 0.25 * caps)

    def _abbreviation_scores(self, q: str, inside: _SpanCover) -> Iterator[tuple[str, float]]:
        """(core, score) for each abbreviation written in ``q`` outside a spelled-out expansion."""
        for m in ABBREVIATION_TOKEN.finditer(q):
            tok = m.group(0)
            if not looks_like_abbreviation(tok) or inside(m.start(), m.end()):
                continue
            yield from self._forward(tok)
            if self.exact_match:
                for core in self._abbr_by_norm.get(_norm(tok), ()):
                    yield core, self.exact_match

    def score(self, queries: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(queries), self.n), dtype=np.float32)
        for qi, raw in enumerate(queries):
            q = strip_prefix(raw)
            row: dict[str, float] = {}
            rev, spans = self._reverse(q)
            for core, s in rev.items():
                row[core] = max(row.get(core, 0.0), s)
            for core, s in self._abbreviation_scores(q, _SpanCover(spans)):
                row[core] = max(row.get(core, 0.0), s)
            if not row:
                continue
            # Ties between the two label languages of one passage go to the query's script.
            want = 1 if _HANGUL.search(q) else 2
            for core, s in row.items():
                idx = self._by_core[core]
                out[qi, idx] = s + 1e-4 * (self._lang[idx] == want)
        return out
