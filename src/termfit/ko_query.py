"""Korean queries: English words for their Korean terms, and the abbreviation a question asks.

- :func:`translate` reads the Korean terms of a query with the reversed packaged lexicons
  (``data/en_ko_terms.tsv``: 이동성 → mobility, 관리 → management; and the loanword readings
  of ``data/en_ko_readings.tsv``: 폴리시 → policy, 펑션 → function), so that a Korean
  question can be scored against English expansions and descriptions. Terms are matched
  from the start of each word, longest first, so particles and endings ("이동성을",
  "관리하는") are left over rather than misread.
- :func:`asked_abbreviations` picks, among the abbreviations a question names, the one(s)
  it asks about: those directly followed by a question word ("PCF 뭐야?", "CP는 무슨 뜻",
  "RB는 무엇을 의미").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple, Protocol

from termfit.acronym import ABBREVIATION_TOKEN, looks_like_abbreviation
from termfit.ko_names import lexicon
from termfit.korean import readings

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_TERM_CHARS = re.compile(r"[^\uac00-\ud7a3 ]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
# Nominal particles: a one-syllable term is read as a word only when the rest of its word
# is one of these ("셀을" → cell; not "셀프").
PARTICLES = frozenset("은 는 이 가 을 를 의 에 도 와 과 로 랑 만 란 에서 으로 이랑 한테 "
                      "에게 까지 부터 보다 이란".split())
# English words that carry no meaning in a bag-of-words query.
_STOP = frozenset("a an the of for to in on at by and or with".split())
# Question words after an abbreviation (and its particle, and at most one short word:
# "X는 어떤 의미") that ask what it means.
_CUE = re.compile(
    r"^\s*(?:이란|이라는|라는|[은는이가의란을를])?\s*(?:[가-힣]{1,3}\s+)?"
    r"(?:뭐|뭔|뭘|무엇|무슨|뜻|의미|약자|약어|풀네임|풀 네임|정식|원어|full|stand|mean)",
    re.IGNORECASE)


class _Span(Protocol):
    @property
    def end(self) -> int: ...


class _End(NamedTuple):
    end: int


def has_hangul(text: str) -> bool:
    """Whether ``text`` holds a Hangul syllable."""
    return bool(_HANGUL.search(text))


def _korean_form(value: str) -> str | None:
    """A lexicon value as it is written in text ("+비" → "비", "~간" → "간"); None for
    values that are not pure Hangul terms ("-", "5G QoS 식별자")."""
    form = " ".join(value.strip("+~").split())
    if not form or _TERM_CHARS.search(form) or not has_hangul(form):
        return None
    return form


@lru_cache(maxsize=1)
def reverse_lexicon() -> dict[str, tuple[str, ...]]:
    """Korean term → the English words it translates (lower case), from the packaged term
    lexicon and loanword readings."""
    out: dict[str, set[str]] = {}
    for table in (lexicon(), readings()):
        for english, value in table.items():
            form = _korean_form(value)
            if form:
                out.setdefault(form, set()).update(english.split())
    return {k: tuple(sorted(v - _STOP)) for k, v in out.items() if v - _STOP}


@lru_cache(maxsize=1)
def _longest_term() -> int:
    return max(map(len, reverse_lexicon()), default=0)


def _term_at(text: str, pos: int, inside_word: bool) -> str | None:
    """The longest lexicon term starting at ``pos``. A one-syllable term counts inside a
    word (after another term) or when the rest of its word is empty or a particle."""
    terms = reverse_lexicon()
    for size in range(min(_longest_term(), len(text) - pos), 0, -1):
        term = text[pos:pos + size]
        if term not in terms:
            continue
        if size > 1 or inside_word:
            return term
        rest = text[pos + 1:].split(" ", 1)[0]
        if not rest or rest in PARTICLES:
            return term
    return None


def korean_terms(query: str) -> list[str]:
    """The lexicon's Korean terms in ``query``, in order, matched from word starts (and
    right after another term inside a word), longest first."""
    text = " ".join(re.sub(r"[^\uac00-\ud7a3A-Za-z0-9]+", " ", query).split())
    found: list[str] = []
    pos, last_end = 0, -1
    while pos < len(text):
        if text[pos] == " ":
            pos += 1
            continue
        term = _term_at(text, pos, inside_word=pos == last_end)
        if term:
            found.append(term)
            pos = last_end = pos + len(term)
            continue
        space = text.find(" ", pos)
        pos = len(text) if space < 0 else space + 1
    return found


def translate(query: str) -> str:
    """English words for the Korean terms of ``query`` ("" when it has none): "폴리시
    컨트롤 펑션의 약어" → "policy control function abbreviation ..."."""
    terms = reverse_lexicon()
    words: list[str] = []
    for term in korean_terms(query):
        words.extend(w for w in terms[term] if w not in words)
    return " ".join(words)


def questioned(query: str, found: Sequence[_Span]) -> list[bool]:
    """Per abbreviation of ``found`` (spans of ``query``), whether a question word follows
    it ("PCF 뭐야?", "CP는 무슨 뜻", "NSSAI의 풀네임은", "X는 어떤 의미로", "X는 뭘 줄인")."""
    return [bool(_CUE.match(query[a.end:])) for a in found]


def asks_about_abbreviation(query: str, found: Sequence[_Span] | None = None) -> bool:
    """Whether ``query`` asks what an abbreviation it names means (:func:`questioned`);
    ``found``: its abbreviations (default: its abbreviation-shaped words)."""
    if found is None:
        found = [_End(m.end()) for m in ABBREVIATION_TOKEN.finditer(query)
                 if looks_like_abbreviation(m.group(0))]
    return any(questioned(query, found))


def asked_abbreviations(query: str, found: Sequence[_Span]) -> list[bool]:
    """Per abbreviation of ``found``, whether the question asks about it: those of
    :func:`questioned`, or every one when none is."""
    asked = questioned(query, found)
    return asked if any(asked) else [True] * len(found)
