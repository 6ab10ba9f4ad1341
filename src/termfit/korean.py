"""Korean particle (조사) choice after Hangul, abbreviations, numbers and English terms.

Korean particles such as 은/는, 이/가, 을/를, 과/와, 으로/로 depend on whether the
*spoken* form of the preceding word ends in a final consonant (받침), and 으로/로 also on
whether that consonant is ㄹ. Libraries for this (e.g. ``josa``-style helpers) only look
at Hangul syllables; here the reading of Latin text is derived as Korean engineers say it:

- an abbreviation is read letter by letter (ATM → 에이티엠, so "ATM은"; AMF → 에이엠에프,
  so "AMF는"; URL → 유알엘, so "URL로"), a few acronyms spoken as words are listed
  (MAC → 맥, SIM → 심);
- digits are read as Sino-Korean numbers (AAL2 → 이, so "AAL2는"; 802.11 → 일);
- a full English word by its loanword reading, from the lexicon ``data/en_ko_readings.tsv``
  (function → 펑션, network → 네트워크), else by spelling rules for its ending.

When the reading is uncertain the functions return ``None`` and callers use a template
with an invariant particle (의, 에 대해) instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Literal

Final = Literal["vowel", "rieul", "consonant"]

# particle -> (form after a final consonant, form after a vowel). After ㄹ, 으로 → 로.
PARTICLES: dict[str, tuple[str, str]] = {}
for _c, _v in [
    ("은", "는"), ("이", "가"), ("을", "를"), ("과", "와"), ("으로", "로"),
    ("이라", "라"), ("이란", "란"), ("이나", "나"), ("이에요", "예요"), ("이야", "야"),
    ("이랑", "랑"), ("아", "야"), ("이면", "면"), ("이라고", "라고"), ("으로서", "로서"),
    ("이라는", "라는"), ("인가요", "인가요"), ("으로는", "로는"),
]:
    PARTICLES[_c] = PARTICLES[_v] = (_c, _v)

_LETTER_FINAL: dict[str, Final] = {c: "vowel" for c in "ABCDEFGHIJKOPQSTUVWXYZ"}
_LETTER_FINAL.update({"L": "rieul", "R": "rieul", "M": "consonant", "N": "consonant"})

# Sino-Korean reading of a final digit: 일 이 삼 사 오 육 칠 팔 구, 영 for zero.
_DIGIT_FINAL: dict[str, Final] = {
    "0": "consonant", "1": "rieul", "2": "vowel", "3": "consonant", "4": "vowel",
    "5": "vowel", "6": "consonant", "7": "rieul", "8": "rieul", "9": "vowel",
}
# trailing zeros: 십(ㅂ) 백(ㄱ) 천(ㄴ) 만(ㄴ) ... 억(ㄱ)
_ZEROS_FINAL: list[Final] = ["consonant"] * 12

# Acronyms that Korean engineers pronounce as words; the letter reading would disagree.
WORD_ACRONYMS: dict[str, str | None] = {
    "MAC": "맥", "NAT": "낫", "SONET": "소넷", "COAP": "코앱", "SOAP": "솝", "QUIC": "퀵",
    "YANG": "양", "ASIC": "에이식", "SIM": "심", "USIM": "유심", "ISIM": "아이심",
    "ESIM": "이심", "RAM": "램", "DRAM": "디램", "SRAM": "에스램", "ROM": "롬",
    "LAN": "랜", "WLAN": "더블유랜", "WAN": "웬", "RAN": "랜", "PON": "폰", "GPON": "지폰",
    "LORA": "로라", "LORAWAN": "로라완", "WIFI": "와이파이", "WI-FI": "와이파이",
    "WIMAX": "와이맥스", "VOLTE": "볼티", "NASA": "나사", "RADIUS": "레이디어스",
    "DIAMETER": "다이어미터", "DOCSIS": "닥시스", "JSON": "제이슨", "REST": "레스트",
    "NETCONF": "넷콘프", "RESTCONF": "레스트콘프", "SCADA": "스카다", "MIMO": "마이모",
    "RAID": "레이드", "CAPEX": "캐펙스", "OPEX": "오펙스", "MODEM": "모뎀", "RADAR": "레이더",
    "LIDAR": "라이다", "LASER": "레이저", "CODEC": "코덱", "NAS": "나스", "DOS": "도스",
    "PIN": "핀",
    # spoken both ways with different finals (십/에스아이피): unsure
    "SIP": None, "SAN": None, "TAG": None,
}

# Spelling rules for the final sound of an English word's loanword reading, tried in
# order; None marks endings whose reading varies (packet → 패킷 but bit → 비트).
_SUFFIX_RULES: list[tuple[str, Final | None]] = [
    ("tion", "consonant"), ("sion", "consonant"), ("ng", "consonant"), ("ism", "consonant"),
    ("ment", "vowel"), ("nce", "vowel"), ("ence", "vowel"), ("ity", "vowel"), ("ty", "vowel"),
    ("er", "vowel"), ("or", "vowel"), ("ar", "vowel"), ("ure", "vowel"), ("re", "vowel"),
    ("ic", "consonant"), ("ck", "consonant"), ("et", "consonant"), ("at", None),
    ("ble", "rieul"), ("le", "rieul"), ("ll", "rieul"), ("l", "rieul"),
    ("me", "consonant"), ("m", "consonant"), ("ne", "consonant"), ("gn", "consonant"),
    ("n", "consonant"),
    ("nt", "vowel"), ("st", "vowel"), ("rt", "vowel"), ("ct", "vowel"), ("pt", "vowel"),
    ("ft", "vowel"), ("lt", "vowel"), ("xt", "vowel"),
    ("nk", "vowel"), ("rk", "vowel"), ("sk", "vowel"), ("lk", "vowel"),
    ("ed", "vowel"), ("nd", "vowel"), ("rd", "vowel"), ("de", "vowel"), ("te", "vowel"),
    ("ce", "vowel"), ("se", "vowel"), ("ss", "vowel"), ("us", "vowel"), ("ge", "vowel"),
    ("ch", "vowel"), ("sh", "vowel"), ("ph", "vowel"), ("ve", "vowel"), ("ze", "vowel"),
    ("ff", "vowel"), ("mp", "vowel"), ("ay", "vowel"), ("ey", "vowel"), ("ow", "vowel"),
    ("ew", "vowel"), ("aw", "vowel"),
    ("a", "vowel"), ("o", "vowel"), ("i", "vowel"), ("u", "vowel"), ("y", "vowel"),
    ("x", "vowel"), ("z", "vowel"), ("f", "vowel"), ("s", "vowel"), ("r", "vowel"),
    ("g", "vowel"), ("d", None), ("t", None), ("p", None), ("b", None), ("k", None),
    ("e", None),
]

_HANGUL = re.compile(r"[가-힣]")
_TRAILING_PAREN = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")
_TOKEN = re.compile(r"[A-Za-z0-9가-힣]+")


def hangul_final(syllable: str) -> Final:
    """Final sound of one precomposed Hangul syllable (가-힣)."""
    jong = (ord(syllable) - 0xAC00) % 28
    if jong == 0:
        return "vowel"
    return "rieul" if jong == 8 else "consonant"


@lru_cache(maxsize=1)
def readings() -> dict[str, str]:
    """The English → Hangul reading lexicon (lower-case word → reading); empty if absent."""
    try:
        text = resources.files("termfit").joinpath("data/en_ko_readings.tsv").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return {}
    out: dict[str, str] = {}
    for i, line in enumerate(text.splitlines()):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2 or (i == 0 and parts[0].strip().lower() == "word"):
            continue
        word, reading = parts[0].strip().lower(), parts[1].strip()
        if word and reading and _HANGUL.search(reading[-1]):
            out[word] = reading
    return out


def _number_final(digits: str) -> Final:
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped)
    if not stripped:
        return "consonant"  # 영
    if zeros:
        return _ZEROS_FINAL[min(zeros, len(_ZEROS_FINAL)) - 1]
    return _DIGIT_FINAL[digits[-1]]


def _word_final(word: str) -> Final | None:
    low = word.lower()
    lex = readings()
    if low in lex:
        return hangul_final(lex[low][-1])
    if low.endswith("s") and low[:-1] in lex and not low.endswith("ss"):
        return "vowel"  # plural: functions → 펑션스
    for suffix, final in _SUFFIX_RULES:
        if low.endswith(suffix):
            return final
    return None


def _read_letter_by_letter(token: str) -> bool:
    """Whether a Latin token is read letter by letter (AMF, 5GC, eMBB, gNB, IoT).

    Not :func:`termfit.acronym.looks_like_abbreviation`: that one finds abbreviations in
    running text (two or more characters, not NOTE or TABLE); this one decides how a term
    already known to be a term is read aloud ("A", "NOTE" are read as letters)."""
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return False
    upper = sum(c.isupper() for c in letters)
    if upper == len(letters):
        return True
    # mixed case with at least two capitals (eMBB, IoT, gNB, VoLTE) or digits (5Gs)
    return upper >= 2 or (upper >= 1 and any(c.isdigit() for c in token))


@lru_cache(maxsize=65536)
def final_sound(text: str) -> Final | None:
    """Final sound of the Korean reading of ``text``, or None when unsure.

    >>> final_sound("ATM"), final_sound("AMF"), final_sound("URL"), final_sound("5G")
    ('consonant', 'vowel', 'rieul', 'vowel')
    """
    text = _strip_trailing_parens(text.strip())
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    last = tokens[-1]
    if _HANGUL.search(last[-1]):
        return hangul_final(last[-1])
    # the whole last space-separated chunk decides acronyms like "Wi-Fi" or "NB-IoT"
    chunk = re.split(r"\s+", text)[-1].strip(".,;:!?\"'")
    key = chunk.upper()
    if key not in WORD_ACRONYMS and _read_letter_by_letter(last):
        key = last.upper()
    if key in WORD_ACRONYMS:
        reading = WORD_ACRONYMS[key]
        return hangul_final(reading[-1]) if reading else None
    if last[-1].isdigit():
        m = re.search(r"[0-9]+$", last)
        return _number_final(m.group(0)) if m else None
    return _latin_final(last)


def _strip_trailing_parens(text: str) -> str:
    """The word before a parenthesis, which a particle follows: 기능(AMF) → 기능."""
    while True:
        stripped = _TRAILING_PAREN.sub("", text)
        if stripped == text or not stripped:
            return text
        text = stripped


def _latin_final(last: str) -> Final | None:
    """Final sound of a Latin-letter token: spelled letter by letter, or read as a word."""
    m = re.match(r"^(.*?)([a-z]+)$", last)
    if m and len(m.group(1)) >= 2:
        prefix, tail = m.group(1), m.group(2)
        if prefix[-1].isdigit() or _read_letter_by_letter(prefix):
            if len(tail) <= 2 and prefix[-1].isdigit():
                return _LETTER_FINAL.get(tail[-1].upper())  # 802.11ax → 엑스
            if _read_letter_by_letter(last):
                return _LETTER_FINAL.get(last[-1].upper())  # IoT-like tokens end upper
            return None
    if _read_letter_by_letter(last):
        return _LETTER_FINAL.get(last[-1].upper())
    return _word_final(last)


def josa(term: str, particle: str) -> str | None:
    """The form of ``particle`` (either spelling, e.g. "은" or "는") that fits after ``term``.

    Returns None when the reading of ``term`` is uncertain.
    """
    try:
        after_consonant, after_vowel = PARTICLES[particle]
    except KeyError:
        raise ValueError(f"unknown particle {particle!r}; known: {sorted(PARTICLES)}") from None
    final = final_sound(term)
    if final is None:
        return None
    if after_consonant.startswith("으로"):
        return after_consonant if final == "consonant" else after_vowel
    return after_vowel if final == "vowel" else after_consonant


def attach(term: str, particle: str, fallback: str | None = None) -> str | None:
    """``term`` followed by the fitting form of ``particle``.

    When the reading is uncertain, returns ``term + fallback`` if a fallback is given
    (e.g. the invariant "의" or the classic "은(는)"), else None.
    """
    form = josa(term, particle)
    if form is None:
        return None if fallback is None else term + fallback
    return term + form
