"""Query templates and (query, passage) generation, Korean and English, both directions.

Directions: ``abbr2exp`` queries mention the abbreviation and are answered by the
expansion passage ("What does SMF stand for?" → "Session Management Function"); ``exp2abbr``
queries mention the expansion, the Korean name or the definition and are answered by the
abbreviation passage. Languages: ``en``; ``ko`` (a Korean sentence around an abbreviation
or a Korean name); ``mixed`` (Korean sentences around an English expansion, or with English
words mixed in, as Korean engineers write).

Templates are plain strings with slots, written here because no library generates
natural telecom questions with Korean particle agreement:
``{abbr}``, ``{exp}``, ``{ko}``, ``{def}`` (the definition sentence), ``{other}`` /
``{other_exp}`` (a look-alike entry, for comparisons), ``{ctx}`` / ``{kctx}`` (English /
Korean technical context) and ``{proc}`` (a procedure). ``{abbr:은}`` appends the particle
form that agrees with the slot's Korean reading (:mod:`termfit.korean`); a template whose
particle cannot be chosen safely is skipped for that entry.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from termfit.glossary import Entry, normalize
from termfit.korean import josa

CONTEXTS_EN = [
    "5G NR", "LTE", "the 5G core network", "3GPP specifications", "mobile networks",
    "the radio access network", "telecom networks", "wireless communication",
    "the protocol stack", "the system architecture", "an operator network", "NR and LTE",
]
CONTEXTS_KO = [
    "5G에서", "LTE에서", "이동통신망에서", "3GPP 규격에서", "네트워크에서", "통신 시스템에서",
    "무선 접속망에서", "코어 네트워크에서", "프로토콜 스택에서", "5G NR 규격에서",
]
PROCEDURES = [
    "initial access", "handover", "registration", "session establishment", "data transmission",
    "connection setup", "scheduling", "network configuration", "mobility management",
]


@dataclass(frozen=True)
class Template:
    """One query phrasing."""

    id: str
    lang: str  # "en" | "ko" | "mixed"
    direction: str  # "abbr2exp" | "exp2abbr"
    text: str

    @property
    def slots(self) -> set[str]:
        return {m.group(1) for m in _SLOT.finditer(self.text)}

    @property
    def picks_sense(self) -> bool:
        """Context (Korean name, definition) that selects one sense of an abbreviation."""
        return bool(self.slots & {"ko", "def"})

    @property
    def compares(self) -> bool:
        return bool(self.slots & {"other", "other_exp", "other_ko"})


_SLOT = re.compile(r"\{(\w+)(?::(\w+))?\}")

_A2E_EN = """What does {abbr} stand for?
What is {abbr}?
What is the full form of {abbr}?
{abbr} meaning
{abbr} full form
{abbr} stands for
Define {abbr}.
How does {abbr} work?
What is {abbr} used for?
What is the role of {abbr}?
What is the purpose of {abbr}?
How is {abbr} structured?
Explain {abbr} in simple terms.
In {ctx}, what does {abbr} refer to?
In {ctx}, how is {abbr} used during {proc}?
What does the acronym {abbr} mean in telecom?
{abbr} abbreviation
expand {abbr}
What is {abbr} short for?
Can you explain what {abbr} means in a 3GPP specification?
The specification mentions {abbr}. What is it?
What is the difference between {abbr} and {other}?
{abbr} vs {other}
Why is {abbr} needed in {ctx}?
Which problem does {abbr} solve?
What are the main functions of {abbr}?
{abbr} definition
what is {abbr} in networking
When is {abbr} used?
What does {abbr} do in {ctx}?
How is {abbr} configured?
Give me the expansion of {abbr}.
I saw "{abbr}" in a spec. What does it mean?
{def} What is the full form of {abbr}?
How does the network use {abbr} during {proc}?
What information does {abbr} carry?
Where does {abbr} sit in the architecture?
{abbr} explained
What is the meaning of {abbr} in {ctx}?
Tell me about {abbr}.
What are the benefits of {abbr}?
how does {abbr} relate to {proc}
{abbr} in {ctx}
Is {abbr} related to {other}?
{abbr}: {def} What does it stand for?"""

_E2A_EN = """What is the abbreviation for {exp}?
What is the acronym of {exp}?
How is {exp} abbreviated?
{exp} abbreviation
{exp} acronym
short form of {exp}
What do engineers call {exp} for short?
{exp} is abbreviated as?
In 3GPP specifications, what abbreviation is used for {exp}?
What acronym stands for {exp}?
Which abbreviation means {exp}?
How does {exp} work?
What is the role of {exp}?
What is {exp} used for?
Explain {exp}.
In {ctx}, how does {exp} work?
What is the difference between {exp} and {other_exp}?
Which abbreviation refers to this: {def}
{exp} short name
acronym for {exp}
What is the purpose of {exp} in {ctx}?
how is {exp} written as an acronym
What is {exp} called in specifications?
During {proc}, what does the {exp} do?
{def} What is this called, as an abbreviation?"""

_A2E_KO = """{abbr:는} 무엇의 약자인가요?
{abbr:은} 무엇인가요?
{abbr} 뜻
{abbr:란}?
{abbr:이란} 무엇인가요?
{abbr}의 풀네임은 무엇인가요?
{abbr}의 원어는?
{abbr} 약어 뜻
{abbr:는} 어떻게 동작하나요?
{abbr:는} 어디에 사용되나요?
{abbr}의 역할은 무엇인가요?
{abbr}의 목적은 무엇인가요?
{abbr:는} 어떤 구조로 되어 있나요?
{abbr:를} 쉽게 설명해 주세요.
{kctx} {abbr:는} 어떤 의미인가요?
{kctx} {abbr:는} 어떤 역할을 하나요?
{abbr:와} {other}의 차이는 무엇인가요?
{abbr} 정의
{abbr:가} 뭐예요?
{abbr:가} 뭐야
{abbr} 풀어서 쓰면?
{abbr:는} 왜 필요한가요?
{abbr:가} 해결하는 문제는 무엇인가요?
{abbr}의 주요 기능은?
{abbr:는} 언제 사용하나요?
통신에서 {abbr:는} 무슨 뜻인가요?
3GPP 규격에 나오는 {abbr:는} 무엇을 의미하나요?
{abbr:는} 무엇을 나타내는 약어인가요?
{ko}({abbr})의 역할
{ko}({abbr})의 동작 방식은?
{abbr:는} 어떤 정보를 전달하나요?
{abbr}의 장점은 무엇인가요?
{abbr} 설명
{abbr} 개념
{abbr:는} 네트워크 구조에서 어디에 위치하나요?
{abbr} 약자 풀이
{abbr} 의미 알려줘
{abbr:는} 어떻게 설정하나요?
{abbr}에 대해 설명해 주세요.
{abbr:과} {other:는} 어떻게 다른가요?
{kctx} {abbr:가} 하는 일은 무엇인가요?
{abbr}의 약어 풀이를 알려주세요."""

_E2A_KO = """{ko}의 약어는 무엇인가요?
{ko:를} 영어 약자로 뭐라고 하나요?
{ko} 약어
{ko} 영문 약자
{ko:는} 줄여서 뭐라고 부르나요?
{ko}의 영문 약칭은?
{ko:는} 어떻게 동작하나요?
{ko}의 역할은 무엇인가요?
{ko:은} 어디에 사용되나요?
{kctx} {ko:는} 어떤 역할을 하나요?
{ko} 약자
{ko:를} 약어로 쓰면?
{ko} 영어 줄임말
{ko}의 목적은 무엇인가요?"""

_MIXED = """e2a|{exp}의 약어는 무엇인가요?
e2a|{exp:를} 줄여서 뭐라고 하나요?
e2a|{exp} 약어
e2a|{exp} 약자
e2a|{exp}의 약칭은?
e2a|{exp:는} 어떻게 동작하나요?
e2a|{exp}의 역할은 무엇인가요?
e2a|{exp:는} 어디에 쓰이나요?
e2a|{kctx} {exp:는} 어떤 역할을 하나요?
e2a|{exp:와} {other_exp}의 차이는?
e2a|{exp} abbreviation이 뭐예요?
e2a|{exp} 줄임말
e2a|{exp:를} acronym으로 쓰면?
e2a|{def} 이 설명에 해당하는 약어는?
a2e|{abbr} full form 알려줘
a2e|{abbr} meaning이 뭐예요?
a2e|{abbr}의 role이 뭔가요?
a2e|{abbr}의 full name은?
a2e|{abbr} stands for 뭐야?
a2e|{kctx} {abbr:가} 어떻게 work 하나요?
a2e|{abbr:는} spec에서 무슨 뜻인가요?
a2e|{abbr} 약어 expansion
a2e|{def} {abbr:는} 무엇의 약자인가요?
a2e|{proc} 할 때 {abbr:는} 어떤 역할을 하나요?"""


def _make(block: str, lang: str, direction: str, prefix: str) -> list[Template]:
    return [Template(f"{prefix}{i:02d}", lang, direction, t)
            for i, t in enumerate(block.strip().splitlines(), start=1)]


def _mixed() -> list[Template]:
    out = []
    for i, line in enumerate(_MIXED.strip().splitlines(), start=1):
        d, text = line.split("|", 1)
        out.append(Template(f"mixed-{d}-{i:02d}", "mixed",
                            "abbr2exp" if d == "a2e" else "exp2abbr", text))
    return out


TEMPLATES: list[Template] = [
    *_make(_A2E_EN, "en", "abbr2exp", "en-a2e-"),
    *_make(_E2A_EN, "en", "exp2abbr", "en-e2a-"),
    *_make(_A2E_KO, "ko", "abbr2exp", "ko-a2e-"),
    *_make(_E2A_KO, "ko", "exp2abbr", "ko-e2a-"),
    *_mixed(),
]
GROUPS = [("en", "abbr2exp"), ("en", "exp2abbr"), ("ko", "abbr2exp"), ("ko", "exp2abbr"),
          ("mixed", "abbr2exp"), ("mixed", "exp2abbr")]


def templates_by_group(templates: Sequence[Template] = TEMPLATES) -> dict[tuple, list[Template]]:
    """Templates keyed by (lang, direction)."""
    out: dict[tuple, list[Template]] = {g: [] for g in GROUPS}
    for t in templates:
        out[(t.lang, t.direction)].append(t)
    return out


# ------------------------------------------------------------------------- passages

def query_label_lang(lang: str) -> str:
    """Label language for a query language: Korean labels for ko and mixed queries."""
    return "en" if lang == "en" else "ko"


# -------------------------------------------------------------------------- queries

@dataclass
class Query:
    """A rendered query for one entry."""

    text: str
    entry: Entry
    template: Template
    other: Entry | None = None

    @property
    def lang(self) -> str:
        return self.template.lang

    @property
    def direction(self) -> str:
        return self.template.direction


def _definition(entry: Entry) -> str | None:
    d = (entry.definition or "").strip()
    if not d:
        return None
    return d if d.endswith((".", "?", "!")) else d + "."


def _contains_token(text: str, token: str) -> bool:
    pat = r"(?<![0-9A-Za-z])" + re.escape(token) + r"(?![0-9A-Za-z])"
    return re.search(pat, text, flags=re.IGNORECASE) is not None


def render(template: Template, entry: Entry, rng: random.Random,
           other: Entry | None = None) -> str | None:
    """Fill ``template`` for ``entry``; None when a slot is missing, a particle cannot be
    chosen safely, or the query would leak its answer (an abbr→exp query containing the
    expansion, an exp→abbr query containing the abbreviation)."""
    values: dict[str, str | None] = {
        "abbr": entry.abbr,
        "exp": entry.expansion,
        "ko": entry.ko[0] if entry.ko else None,
        "def": _definition(entry),
        "other": other.abbr if other else None,
        "other_exp": other.expansion if other else None,
        "other_ko": other.ko[0] if other and other.ko else None,
        "ctx": rng.choice(CONTEXTS_EN),
        "kctx": rng.choice(CONTEXTS_KO),
        "proc": rng.choice(PROCEDURES),
    }
    if entry.ko and len(entry.ko) > 1:
        values["ko"] = rng.choice(entry.ko)
    failed = False

    def fill(m: re.Match) -> str:
        nonlocal failed
        value = values.get(m.group(1))
        if value is None:
            failed = True
            return ""
        if m.group(2):
            form = josa(value, m.group(2))
            if form is None:
                failed = True
                return ""
            return value + form
        return value

    text = _SLOT.sub(fill, template.text)
    if failed:
        return None
    text = " ".join(text.split())
    if template.direction == "abbr2exp":
        if normalize(entry.expansion, 1) and normalize(entry.expansion, 1) in normalize(text, 1):
            return None
    elif _contains_token(text, entry.abbr) or any(_contains_token(text, a) for a in entry.aliases
                                                   if a and len(a) <= 12 and a.isupper()):
        return None
    return text


def surface_variant(text: str, rng: random.Random, p_lower: float = 0.12,
                    p_nopunct: float = 0.2) -> str:
    """Typing variants real users produce: all lower case, no final punctuation."""
    if rng.random() < p_nopunct:
        text = text.rstrip("?.!").rstrip()
    if rng.random() < p_lower:
        text = text.lower()
    return text


def lookalike_index(entries: Sequence[Entry]) -> dict[str, list[Entry]]:
    """Entries grouped by the first letter of the abbreviation (for comparisons)."""
    out: dict[str, list[Entry]] = {}
    for e in entries:
        out.setdefault(e.abbr[:1].upper(), []).append(e)
    return out


def pick_other(entry: Entry, index: dict[str, list[Entry]], rng: random.Random) -> Entry | None:
    """A look-alike entry: same first letter and similar length, another abbreviation."""
    pool = index.get(entry.abbr[:1].upper(), [])
    key = normalize(entry.abbr, 1)
    for _ in range(8):
        if not pool:
            return None
        cand = rng.choice(pool)
        if normalize(cand.abbr, 1) != key and abs(len(cand.abbr) - len(entry.abbr)) <= 2 \
                and normalize(cand.expansion) != normalize(entry.expansion):
            return cand
    return None


def generate_queries(
    entry: Entry,
    templates: Sequence[Template],
    k: int,
    rng: random.Random,
    others: dict[str, list[Entry]] | None = None,
    variants: bool = True,
    exclude: set[str] | None = None,
) -> list[Query]:
    """Up to ``k`` queries for ``entry`` from distinct ``templates`` (random order).

    Templates that cannot be rendered for this entry (no Korean name, uncertain particle,
    leaking query) are skipped and the next one is tried; ``exclude`` skips template ids.
    """
    order = [t for t in templates if not exclude or t.id not in exclude]
    rng.shuffle(order)
    out: list[Query] = []
    for t in order:
        if len(out) >= k:
            break
        other = pick_other(entry, others, rng) if t.compares and others else None
        if t.compares and other is None:
            continue
        text = render(t, entry, rng, other)
        if text is None:
            continue
        if variants:
            text = surface_variant(text, rng)
        out.append(Query(text, entry, t, other))
    return out
