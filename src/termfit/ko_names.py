"""Generated Korean names for English telecom term names (expansions).

A hand-written English → Korean lexicon of words and multi-word units
(``data/en_ko_terms.tsv``) gives each unit the form Korean engineers use, a translation
(Management → 관리, Mobility → 이동성) or a loanword (Session → 세션, Bearer → 베어러).
Names are composed per expansion:

- noun compounds keep their order (Session Management Function → 세션 관리 기능);
- a phrase "X of Y" / "X for Y" / "X per Y" / "X as a Y" ... becomes Y + link + X
  (Quality of Service → 서비스 품질, X for Railway → 철도용 X, Software as a Service →
  서비스형 소프트웨어);
- "and" / "or" become 및 / 또는, "to" between nouns 대 (Signal-to-Noise Ratio → 신호 대 잡음비);
- abbreviations and numbers stay as written (PDU Session Anchor → PDU 세션 앵커);
- plurals, "-ing" and "-ed" forms fall back to their base word (Configured → 설정된).

Lexicon values: ``+K`` attaches K to the word before (Ratio → +비: 잡음비), ``K+`` to the
word after (Non → 비+: 비지상), ``~K`` puts K after the next word (Inter → ~간: Inter-Symbol →
심볼 간), ``-`` drops the word, ``@`` takes the loanword reading of ``data/en_ko_readings.tsv``.
``+율`` becomes 율 or 률 by the sound before it.

``korean_name`` returns None when any content word is unknown: a name is only generated
when every part of it is covered. Generated names are not curated names; rows that carry
them mark them with ``"ko_generated": true``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources

from termfit.korean import hangul_final, readings

LEXICON_FILE = "data/en_ko_terms.tsv"
MAX_UNIT_WORDS = 6

# preposition → how "X <prep> Y" is said: (text between Y and X, glued to Y?)
LINKS: dict[str, tuple[str, bool]] = {
    "of": ("", False), "for": ("용", True), "per": ("당", True), "as": ("형", True),
    "in": ("내", False), "within": ("내", False), "on": ("기반", False),
    "over": ("기반", False), "by": ("에 의한", True),
    "between": ("간", False), "from": ("로부터의", True), "via": ("경유", False),
    "with": ("", False), "at": ("", False), "into": ("", False), "using": ("사용", False),
    "under": ("하", True), "after": ("후", False), "before": ("전", False), "to": ("", False),
    "connected to": ("에 연결된", True),
}
# "to" inside a hyphenated compound (Signal-to-Noise) is 대; as a free word a preposition
CONJUNCTIONS = {"and": "및", "&": "및", "or": "또는", "-to-": "대", "versus": "대", "vs": "대"}
ARTICLES = {"a", "an", "the"}

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.'’]*|&|/")
_PAREN = re.compile(r"\s*\([^()]*\)")
_ORDINAL = re.compile(r"^([0-9]+)(st|nd|rd|th)$", re.IGNORECASE)
_DEFINED_IN = re.compile(r"^(.*?)\s+as defined in\s+(.+)$", re.IGNORECASE)


def parse_lexicon(text: str, source: str = LEXICON_FILE) -> dict[str, str]:
    """Parse lexicon text (``english<TAB>korean`` lines, ``#`` comments) into a dict."""
    reading = readings()
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ValueError(f"{source}, line {n}: expected 'english<TAB>korean', got {line!r}")
        english, korean = " ".join(parts[0].lower().split()), parts[1].strip()
        if english in out:
            raise ValueError(f"{source}, line {n}: {english!r} is listed twice")
        if korean == "@":
            if english not in reading:
                raise ValueError(f"{source}, line {n}: '@' but {english!r} has no reading "
                                 "in data/en_ko_readings.tsv")
            korean = reading[english]
        out[english] = korean
    return out


@lru_cache(maxsize=1)
def lexicon() -> dict[str, str]:
    """The packaged lexicon: English unit (lower case, single spaces) → Korean form."""
    return parse_lexicon(resources.files("termfit").joinpath(LEXICON_FILE).read_text("utf-8"))


def _is_abbreviation(token: str) -> bool:
    """AMF, E-UTRA, 5G, IoT, eMBB, QoS: kept as written (not MicroService, BroadBand)."""
    letters = [c for c in token if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    if any(c.isdigit() for c in token):
        return True
    if not letters:
        return False
    if len(letters) <= 2 and letters[0].isupper():  # Xn, Uu, N2
        return True
    return upper == len(letters) or (upper >= 2 and (2 * upper >= len(letters)
                                                     or len(letters) <= 5))


def _base_forms(word: str) -> list[tuple[str, str]]:
    """(base word, ending) candidates for an inflected word: plural, -ing, -ed."""
    out: list[tuple[str, str]] = []
    if word.endswith("ies") and len(word) > 4:
        out.append((word[:-3] + "y", ""))
    if word.endswith("es") and len(word) > 3:
        out.append((word[:-2], ""))
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        out.append((word[:-1], ""))
    for suffix, ending in (("ing", ""), ("ed", "된")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            out += [(stem, ending), (stem + "e", ending)]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                out.append((stem[:-1], ending))
            if suffix == "ed" and stem.endswith("i"):
                out.append((stem[:-1] + "y", ending))
    return out


def _lookup_word(word: str, lex: Mapping[str, str]) -> str | None:
    low = word.lower()
    if low in lex:
        return lex[low]
    for base, ending in _base_forms(low):
        if base in lex:
            value = lex[base]
            if ending and not re.search(r"[가-힣]$", value):
                continue
            return value + ending
    return None


def _tokens(expansion: str) -> list[str]:
    text = expansion.strip().rstrip(".")
    if text.startswith("("):  # "(Radio) Access Network": the bracket is part of the name
        text = text.replace("(", " ").replace(")", " ")
    text = _PAREN.sub("", text)
    out: list[str] = []
    for raw in text.split():
        word = raw.strip(",;:")
        parts = [p for p in re.split(r"[-/]", word) if p]
        if word.lower() not in lexicon() and parts and all(map(_is_abbreviation, parts)):
            out.append(word)  # E-UTRA, SS/PBCH, NR-U stay whole
            continue
        pieces = [p for p in re.split(r"-|(/)", word) if p]
        for k, piece in enumerate(pieces):
            if piece.lower() == "to" and 0 < k < len(pieces) - 1:
                out.append("-to-")
            else:
                out += _TOKEN.findall(piece)
    return out


def _units(tokens: list[str], lex: Mapping[str, str],
           unknown: list[str] | None = None) -> list[str] | None:
    """Translate tokens into Korean units and function words; None if a word is unknown
    (all unknown words are appended to ``unknown`` when it is given)."""
    out: list[str] = []
    missing = False
    i = 0
    while i < len(tokens):
        for size in range(min(MAX_UNIT_WORDS, len(tokens) - i), 1, -1):
            key = " ".join(t.lower().strip("-") for t in tokens[i:i + size])
            if key in lex:
                out.append(lex[key])
                i += size
                break
        else:
            token = tokens[i]
            low = token.lower()
            i += 1
            if low == "connected" and i < len(tokens) and tokens[i].lower() == "to":
                out.append("\0connected to")  # E-UTRA connected to 5GC → 5GC에 연결된 E-UTRA
                i += 1
                continue
            units = _word_units(token, lex)
            if units is not None:
                out += units
            elif unknown is None:
                return None
            else:
                unknown.append(low)
                missing = True
    return None if missing else out


def _word_units(token: str, lex: Mapping[str, str]) -> list[str] | None:
    """The units of one word ([] for an article), or None if the word is unknown."""
    low = token.lower()
    if low in ARTICLES and not token.isupper():
        return []
    if token.isupper() and len(token) > 1 and token not in ("/", "-to-", "&"):
        return [token]  # AS, IN, OR written in capitals are abbreviations
    if low in LINKS or low in CONJUNCTIONS or token in ("/", "-to-"):
        return ["\0" + low]
    if ordinal := _ORDINAL.match(token):
        return [ordinal.group(1) + "+"]
    if (value := _lookup_word(token, lex)) is not None:
        return [value]
    if _is_abbreviation(token) or token.isupper():
        return [token]
    return None


def unknown_words(expansion: str) -> list[str]:
    """The words of ``expansion`` that the lexicon does not know (lower case, in order)."""
    unknown: list[str] = []
    for segment in expansion.split(","):
        _units(_tokens(segment), lexicon(), unknown)
    return unknown


def _rate(before: str) -> str:
    """율 after a vowel or ㄴ, 률 after other final consonants (비트율, 전송률)."""
    last = before[-1:] if before else ""
    if re.match(r"[가-힣]", last) and hangul_final(last) != "vowel" and (
            (ord(last) - 0xAC00) % 28 != 4):  # 4 = ㄴ
        return "률"
    return "율"


def _join(units: list[str]) -> str:
    text = ""
    glue_next = False
    pending_after: list[str] = []
    for unit in units:
        if unit == "-":
            continue
        if unit.startswith("~"):
            pending_after.append(unit[1:])
            continue
        if unit.startswith("+") and text:
            suffix = unit[1:]
            text += _rate(text) if suffix == "율" else suffix
        else:
            word = unit.rstrip("+") if unit.endswith("+") and len(unit) > 1 else unit
            text = text + word if (glue_next or not text) else f"{text} {word}"
            glue_next = unit.endswith("+") and len(unit) > 1
            if glue_next:
                continue
        while pending_after:
            text += " " + pending_after.pop()
    return " ".join(text.split())


def _compose(units: list[str]) -> str | None:
    """Korean word order for a unit sequence with function words (marked by NUL)."""
    units = [u for u in units if u]
    if not units:
        return None
    # coordinations are resolved inside a side; a preposition splits into head and modifier
    for k, unit in enumerate(units):
        if unit.startswith("\0") and unit[1:] in LINKS:
            head, modifier = _compose(units[:k]), _compose(units[k + 1:])
            if head is None or modifier is None:
                return None
            link, glued = LINKS[unit[1:]]
            if not link:
                return f"{modifier} {head}"
            return f"{modifier}{link} {head}" if glued else f"{modifier} {link} {head}"
    parts: list[str] = []
    for unit in units:
        if unit.startswith("\0"):
            word = unit[1:]
            if not parts:
                return None
            parts.append("/" if word == "/" else CONJUNCTIONS[word])
        else:
            parts.append(unit)
    text = _join(parts).replace(" / ", "/")
    return text or None


def _list_name(expansion: str, lex: Mapping[str, str]) -> str | None:
    """Name of a comma-separated expansion: "A, B, and C" → "A, B 및 C"."""
    names: list[str] = []
    last_joiner = ", "
    for segment in expansion.split(","):
        if not segment.strip():
            continue
        head = re.match(r"\s*(and|or|&)\s+(.*)$", segment, re.IGNORECASE | re.DOTALL)
        if head and names:  # the last item's conjunction joins it to the list
            last_joiner = " " + CONJUNCTIONS[head.group(1).lower()] + " "
            segment = head.group(2)
        units = _units(_tokens(segment), lex)
        name = None if units is None else _compose(units)
        if name is None or not re.search(r"[가-힣]", name):
            return None
        names.append(name)
    if not names:
        return None
    return ", ".join(names[:-1]) + last_joiner + names[-1] if len(names) > 1 else names[0]


def korean_name(expansion: str) -> str | None:
    """A generated Korean name for an English term name, or None when a word is unknown.

    >>> korean_name("Session Management Function")
    '세션 관리 기능'
    """
    if not expansion or not expansion.strip():
        return None
    defined = _DEFINED_IN.match(expansion.strip())
    if defined:  # "Frequency Range 1 as defined in TS 38.104" → TS 38.104에 정의된 주파수 범위 1
        name, where = korean_name(defined.group(1)), defined.group(2).strip()
        if name is None:
            return None
        if not all(map(_is_abbreviation, where.split())):
            where = korean_name(where) or ""
        return f"{where}에 정의된 {name}" if where else None
    lex = lexicon()
    whole = " ".join(t.lower().strip("-") for t in _tokens(expansion.replace(",", " ")))
    if whole in lex:  # "First In, First Out" is one unit
        return lex[whole] if re.search(r"[가-힣]", lex[whole]) else None
    return _list_name(expansion, lex)


def compose_names(entries: Iterable) -> dict[str, str]:
    """Generated Korean names by entry id, for entries that have an expansion and no name.

    ``entries`` are objects with ``id``, ``expansion`` and ``ko`` attributes (such as
    :class:`termfit.glossary.Entry`) or dicts with those keys; entries that already carry
    a curated ``ko`` name, and those whose name cannot be generated, are left out.
    """
    out: dict[str, str] = {}
    for entry in entries:
        get = entry.get if isinstance(entry, Mapping) else lambda k, e=entry: getattr(e, k, None)
        entry_id, expansion, curated = get("id"), get("expansion"), get("ko")
        if not entry_id or not expansion or curated:
            continue
        name = korean_name(expansion)
        if name is not None:
            out[entry_id] = name
    return out
