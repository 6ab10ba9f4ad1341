"""Real-text data and evaluation: usage sentences of real documents, split by document.

A usage sentence (:class:`termfit.usage.UsageSentence`) is a real sentence that uses an
abbreviation, labelled with the sense its document's own Abbreviations clause gives. From
them this module builds:

- training rows (``train.jsonl`` format): the sentence alone, the sentence with an English
  or a Korean question about the abbreviation, and sentences that spell a sense out
  rewritten with the abbreviation; positive = the passage of the document's sense, hard
  negative = a passage of another *distinct* sense of the abbreviation (spelling and
  wording variants of one sense are one sense, never a negative of each other);
- evaluation queries ``realtext-dev`` / ``realtext-test`` from documents never seen in
  training (split by document), each listing the abbreviation's candidate senses;
- the ``korean`` split from the hand-written questions shipped with the package;
- sense accuracy among candidates (ties share the credit), with chance beside it.

Question wrappers are split too: evaluation queries use phrasings never used in training.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from termfit.errors import InputError, Problem
from termfit.fileio import read_jsonl
from termfit.glossary import Entry, normalize
from termfit.korean import attach
from termfit.prompts import PASSAGE_PROMPT, QUERY_PROMPT
from termfit.usage import UsageSentence

REALTEXT_SPLITS = ("realtext-dev", "realtext-test")
KOREAN_SPLIT = "korean"
KOREAN_KINDS = ("name2abbr", "desc2abbr", "abbr2meaning", "context")
KOREAN_STYLES = ("formal", "casual")

# Question wrappers: (id, lang, text). "{abbr:는}" attaches the fitting particle form.
# Those marked held out only ever appear in evaluation queries.
QUESTIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("en-q1", "en", "{s} What does {abbr} mean here?", False),
    ("en-q2", "en", "{s} What does {abbr} stand for in this sentence?", False),
    ("en-q3", "en", "{s} In this context, what is {abbr}?", False),
    ("en-q4", "en", "What is {abbr} in the following text? {s}", False),
    ("en-q5", "en", "{s} Expand {abbr} as used above.", False),
    ("en-q6", "en", "{s} {abbr} = ?", False),
    ("en-h1", "en", "{s} What is the meaning of {abbr} in the sentence above?", True),
    ("en-h2", "en", "Which term does {abbr} abbreviate in: \"{s}\"", True),
    ("en-h3", "en", "{s} What is {abbr} short for in this passage?", True),
    ("ko-q1", "ko", "{s} 여기서 {abbr:는} 무슨 뜻인가요?", False),
    ("ko-q2", "ko", "{s} 이 문장에서 {abbr:는} 무엇의 약자인가요?", False),
    ("ko-q3", "ko", "{s} 위 문장의 {abbr:은} 무엇을 의미하나요?", False),
    ("ko-q4", "ko", "{s} 여기서 {abbr} 뭐야?", False),
    ("ko-q5", "ko", "다음 문장에서 {abbr:는} 무슨 뜻이에요? {s}", False),
    ("ko-q6", "ko", "{s} 여기 {abbr} 풀네임 알려줘", False),
    ("ko-h1", "ko", "{s} 이 맥락에서 {abbr:는} 어떤 의미로 쓰였나요?", True),
    ("ko-h2", "ko", "{s} 여기 나온 {abbr:는} 뭘 줄인 거야?", True),
    ("ko-h3", "ko", "\"{s}\" 이 문장의 {abbr:은} 무엇의 약어입니까?", True),
)

_STOP = frozenset({"of", "the", "for", "and", "a", "an", "in", "on", "to", "with", "by", "or",
                   "at", "from"})


@dataclass
class ContextConfig:
    """Options of the real-text data (all have working defaults)."""

    dev_documents: list[str] | None = None
    test_documents: list[str] | None = None
    dev_fraction: float = 0.15
    test_fraction: float = 0.2
    train_per_doc_abbr: int = 24
    train_per_abbr: int = 96
    train_forms_per_sentence: int = 4
    train_context_words: int = 32
    spelled_out_per_abbr: int = 24
    eval_per_doc_abbr: int = 3
    eval_per_abbr: int = 8

    def check(self) -> None:
        problems = []
        for name in ("dev_fraction", "test_fraction"):
            if not 0 <= getattr(self, name) < 1:
                problems.append(Problem(name, "expected a number in [0, 1)"))
        if self.dev_fraction + self.test_fraction >= 1:
            problems.append(Problem("dev_fraction", "dev and test fractions must sum below 1"))
        for name in ("train_per_doc_abbr", "train_per_abbr", "train_forms_per_sentence",
                     "train_context_words",
                     "spelled_out_per_abbr", "eval_per_doc_abbr", "eval_per_abbr"):
            if getattr(self, name) < 0:
                problems.append(Problem(name, "expected an integer >= 0"))
        both = set(self.dev_documents or []) & set(self.test_documents or [])
        if both:
            problems.append(Problem("--context-split", "documents in both dev and test: "
                                    + ", ".join(sorted(both))))
        if problems:
            raise InputError(problems)


# --------------------------------------------------------------------------- senses

def _stem(word: str) -> str:
    return normalize(word) or word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[0-9a-z]+", text.casefold())]


def _content(words: list[str], other: list[str]) -> set[str]:
    """Content words, with a word that spells the initials of a run of ``other``'s words
    (IoT ~ Internet of Things) replaced by that run."""
    out: set[str] = set()
    for w in words:
        if w in _STOP:
            continue
        run = _initials_run(w, other)
        if run:
            out.update(x for x in run if x not in _STOP)
        else:
            out.add(w)
    return out


def _initials_run(word: str, other: list[str]) -> list[str] | None:
    if len(word) < 2 or word in other:
        return None
    for i in range(len(other)):
        for j in range(i + 2, min(len(other), i + len(word)) + 1):
            if "".join(x[0] for x in other[i:j]) == word:
                return other[i:j]
    return None


def _word_match(a: str, b: str) -> bool:
    if a == b:
        return True
    n = len(os.path.commonprefix([a, b]))
    return n >= 5 and n >= 0.7 * min(len(a), len(b))


def same_sense(a: str, b: str) -> bool:
    """Whether two expansions of one abbreviation are wordings of one sense.

    Same words up to case, hyphens, spelling and inflection ("Isotropic"/"Isotropically"),
    an abbreviation for its words ("Ambient IoT"/"Ambient Internet of Things"), one
    expansion's words contained in the other's, or more than half of the words shared
    (Dice); "Synchronization Signal"/"Synchronization Symbol" stay two senses.
    """
    if normalize(a) == normalize(b):
        return True
    wa, wb = _words(a), _words(b)
    x, y = _content(wa, wb), _content(wb, wa)
    if not x or not y:
        return False
    hit_x = sum(any(_word_match(w, v) for v in y) for w in x)
    hit_y = sum(any(_word_match(w, v) for v in x) for w in y)
    if hit_x == len(x) or hit_y == len(y):
        return True
    return (hit_x + hit_y) / (len(x) + len(y)) > 0.5


def abbr_key(abbr: str) -> str:
    """Comparison key of an abbreviation (case, spaces and hyphens ignored)."""
    return normalize(abbr, 1)


def sense_groups(entries: Sequence[Entry]) -> dict[str, list[list[Entry]]]:
    """Entries of each abbreviation grouped into distinct senses (single-link over
    :func:`same_sense`), keyed by :func:`abbr_key`; order follows the entries."""
    by_abbr: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_abbr[abbr_key(e.abbr)].append(e)
    return {key: group_by_sense(group) for key, group in by_abbr.items()}


def group_by_sense(entries: Sequence[Entry]) -> list[list[Entry]]:
    """Entries of one abbreviation grouped into distinct senses: single link over
    :func:`same_sense`, groups and members in first-seen order."""
    senses: list[list[Entry]] = []
    for e in entries:
        hits = [s for s in senses if any(same_sense(e.expansion, x.expansion) for x in s)]
        if not hits:
            senses.append([e])
            continue
        first = hits[0]
        first.append(e)
        for other in hits[1:]:
            first.extend(other)
            senses.remove(other)
    return senses


def resolve_sense(expansion: str, senses: list[list[Entry]]) -> tuple[int, Entry] | None:
    """(sense index, entry) of ``expansion`` among an abbreviation's senses: the entry with
    the same normalised expansion, else the first entry of a sense it is a wording of."""
    want = normalize(expansion)
    for i, group in enumerate(senses):
        for e in group:
            if normalize(e.expansion) == want:
                return i, e
    for i, group in enumerate(senses):
        if any(same_sense(expansion, e.expansion) for e in group):
            return i, group[0]
    return None


# ------------------------------------------------------------------ document split

def _doc_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def split_documents(contexts: Sequence[UsageSentence], config: ContextConfig
                    ) -> dict[str, str]:
    """Document name -> "train" | "dev" | "test".

    Explicit ``dev_documents``/``test_documents`` win; otherwise documents, in the order of
    a stable hash of their file name, go to test while it holds less than ``test_fraction``
    of the (document, abbreviation) pairs (a document that would overshoot that share by
    more than a quarter is skipped), then likewise to dev; the rest train.
    """
    pairs: dict[str, set[str]] = defaultdict(set)
    for u in contexts:
        pairs[u.source].add(abbr_key(u.abbr))
    docs = sorted(pairs, key=lambda d: (_doc_hash(d), d))
    if config.dev_documents is not None or config.test_documents is not None:
        named = set(config.dev_documents or []) | set(config.test_documents or [])
        unknown = sorted(named - set(docs))
        if unknown:
            raise InputError(Problem("--context-split", "no usage sentences from "
                                     + ", ".join(unknown) + "; documents are: "
                                     + ", ".join(sorted(docs))))
        dev, test = set(config.dev_documents or []), set(config.test_documents or [])
        return {d: "test" if d in test else "dev" if d in dev else "train" for d in docs}
    total = sum(len(v) for v in pairs.values())
    out = dict.fromkeys(docs, "train")
    for name, frac in (("test", config.test_fraction), ("dev", config.dev_fraction)):
        target, held = frac * total, 0
        if target <= 0:
            continue
        free = [d for d in docs if out[d] == "train"]
        for d in free:  # greedy in hash order, never overshooting the target by > 25%
            if held < target and held + len(pairs[d]) <= 1.25 * target:
                out[d], held = name, held + len(pairs[d])
        if held == 0 and len(free) > 1:  # every document is too large: take the smallest
            d = min(free, key=lambda x: (len(pairs[x]), _doc_hash(x)))
            out[d] = name
    return out


# ------------------------------------------------------------------------- queries

def question_templates(lang: str | None = None, heldout: bool | None = None
                       ) -> list[tuple[str, str, str]]:
    """(id, lang, text) of the question wrappers, filtered by language and held-out flag."""
    return [(i, la, t) for i, la, t, h in QUESTIONS
            if (lang is None or la == lang) and (heldout is None or h == heldout)]


def _fill(template: str, sentence: str, abbr: str) -> str | None:
    def particle(m: re.Match) -> str:
        got = attach(abbr, m.group(1))
        if got is None:
            raise LookupError
        return got

    try:
        text = re.sub(r"\{abbr:([^}]+)\}", particle, template)
    except LookupError:
        return None
    return text.replace("{abbr}", abbr).replace("{s}", sentence.strip())


def wrap(sentence: str, abbr: str, template_id: str) -> str | None:
    """``sentence`` with question ``template_id`` about ``abbr`` ("ctx" = the sentence
    alone); None when no particle form fits the abbreviation safely."""
    if template_id == "ctx":
        return sentence.strip()
    for i, _lang, text, _h in QUESTIONS:
        if i == template_id:
            return _fill(text, sentence, abbr)
    raise ValueError(f"unknown question template {template_id!r}")


@dataclass
class _Corpus:
    """Corpus passage lookups: expansion passages per entry, ids per identical text."""

    rows: list[dict]
    by_entry: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    by_text: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_entry: dict[tuple[str, str], list[dict]] = defaultdict(list)
        by_text: dict[str, list[str]] = defaultdict(list)
        for r in self.rows:
            by_entry[(str(r.get("entry_id", r["id"])), r.get("kind", "expansion"))].append(r)
            by_text[r["text"]].append(str(r["id"]))
        self.by_entry, self.by_text = dict(by_entry), dict(by_text)

    def ids(self, entries: Sequence[Entry], kind: str) -> list[str]:
        out: list[str] = []
        for e in entries:
            for r in self.by_entry.get((e.id, kind), []):
                for pid in self.by_text[r["text"]]:
                    if pid not in out:
                        out.append(pid)
        return out

    def passage(self, e: Entry, kind: str, lang: str) -> str | None:
        rows = self.by_entry.get((e.id, kind), [])
        want = "en" if lang == "en" else "ko"
        for r in rows:
            if r.get("label_lang") in (want, None):
                return r["text"]
        return rows[0]["text"] if rows else None


@dataclass
class _Labelled:
    """A usage sentence resolved against the glossary."""

    usage: UsageSentence
    senses: list[list[Entry]]
    gold: int
    entry: Entry
    spelled_out: bool = False


def label_contexts(contexts: Sequence[UsageSentence], entries: Sequence[Entry]
                   ) -> tuple[list[_Labelled], dict[str, int]]:
    """Usage sentences whose abbreviation and sense are in the glossary, and counts of
    those that are not."""
    groups = sense_groups(entries)
    out: list[_Labelled] = []
    skipped = {"abbreviation_not_in_glossary": 0, "sense_not_in_glossary": 0}
    for u in contexts:
        senses = groups.get(abbr_key(u.abbr))
        if not senses:
            skipped["abbreviation_not_in_glossary"] += 1
            continue
        found = resolve_sense(u.expansion, senses)
        if found is None:
            skipped["sense_not_in_glossary"] += 1
            continue
        out.append(_Labelled(u, senses, found[0], found[1]))
    return out, skipped


def _cap(items: list[_Labelled], per_doc_abbr: int, per_abbr: int, rng: random.Random
         ) -> list[_Labelled]:
    """At most ``per_doc_abbr`` sentences per (document, abbreviation) and ``per_abbr`` per
    abbreviation, sampled at random; one row per sentence text and abbreviation."""
    seen: set[tuple[str, str]] = set()
    by: dict[tuple[str, str], list[_Labelled]] = defaultdict(list)
    for x in items:
        key = (_norm_text(x.usage.text), abbr_key(x.usage.abbr))
        if key in seen:
            continue
        seen.add(key)
        by[(x.usage.source, abbr_key(x.usage.abbr))].append(x)
    picked: dict[str, list[_Labelled]] = defaultdict(list)
    for doc_abbr in sorted(by):
        group = by[doc_abbr]
        rng.shuffle(group)
        picked[doc_abbr[1]] += group[:per_doc_abbr]
    out: list[_Labelled] = []
    for abbr in sorted(picked):
        group = picked[abbr]
        rng.shuffle(group)
        out += group[:per_abbr]
    return out


def _norm_text(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold()).strip()


def crop(u: UsageSentence, words: int) -> UsageSentence:
    """``u`` cut to at most ``words`` words around its abbreviation (0: unchanged), so that
    a training query with its question fits a short training length."""
    spans = [m.span() for m in re.finditer(r"\S+", u.text)]
    if words <= 0 or len(spans) <= words:
        return u
    k = next(i for i, (a, b) in enumerate(spans) if b > u.start)
    first = min(max(0, k - words // 2), len(spans) - words)
    a, b = spans[first][0], spans[first + words - 1][1]
    if not (a <= u.start and u.end <= b):
        return u
    return UsageSentence(u.text[a:b], u.abbr, u.start - a, u.end - a, u.expansion, u.source,
                         u.line)


def _forms(single: bool, n: int, rng: random.Random) -> list[str]:
    """Training question wrappers for one sentence: one English (or the sentence alone,
    when it uses a single abbreviation), one Korean, then any."""
    en = [t[0] for t in question_templates("en", heldout=False)] + (["ctx"] if single else [])
    ko = [t[0] for t in question_templates("ko", heldout=False)]
    picks = [rng.choice(en), rng.choice(ko)]
    rest = [t for t in en + ko if t not in picks]
    rng.shuffle(rest)
    return (picks + rest)[:n]


def _lang(template_id: str) -> str:
    return "ko" if template_id.startswith("ko-") else "en"


def _train_rows(items: list[_Labelled], corpus: _Corpus, forms: int, words: int,
                rng: random.Random) -> list[dict]:
    uses: dict[tuple[str, str], set[str]] = defaultdict(set)
    for x in items:
        uses[(x.usage.source, _norm_text(x.usage.text))].add(abbr_key(x.usage.abbr))
    rows: list[dict] = []
    for x in items:
        single = len(uses[(x.usage.source, _norm_text(x.usage.text))]) == 1
        u = crop(x.usage, words)
        abbr = u.text[u.start:u.end]
        negs = [e for i, g in enumerate(x.senses) if i != x.gold for e in g]
        for k, tid in enumerate(_forms(single, forms, rng)):
            text = wrap(u.text, abbr, tid)
            lang = _lang(tid)
            pos = corpus.passage(x.entry, "expansion", lang)
            echo = corpus.passage(x.entry, "abbr", lang)
            if text is None or pos is None:
                continue
            row = {"anchor": QUERY_PROMPT + text, "positive": PASSAGE_PROMPT + pos,
                   "negative_echo": PASSAGE_PROMPT + (echo or pos), "entry_id": x.entry.id,
                   "lang": lang, "direction": "abbr2exp",
                   "template": ("ctx-spelled-" if x.spelled_out else "ctx-") + tid,
                   "source": u.source}
            if negs:
                neg = corpus.passage(negs[k % len(negs)], "expansion", lang)
                if neg is not None and neg != pos:
                    row["negative"] = PASSAGE_PROMPT + neg
            rows.append(row)
    return rows


def _eval_rows(name: str, items: list[_Labelled], corpus: _Corpus, seed: int) -> list[dict]:
    rows: list[dict] = []
    for x in items:
        u = x.usage
        abbr = u.text[u.start:u.end]
        rng = random.Random(f"{seed}/{name}/{u.source}/{u.line}/{abbr}/{u.text}")
        langs = ["en", "ko"] if rng.random() < 0.5 else ["ko", "en"]
        for lang in langs:
            tid = rng.choice([t[0] for t in question_templates(lang, heldout=True)])
            text = wrap(u.text, abbr, tid)
            if text is not None:
                break
        relevant = corpus.ids(x.senses[x.gold], "expansion")
        if text is None or not relevant:
            continue
        rows.append({
            "id": f"{name}-{len(rows):05d}", "text": text, "relevant": relevant,
            "entry_id": x.entry.id, "lang": lang, "direction": "abbr2exp",
            "template": f"ctx-{tid}", "ambiguous": len(x.senses) > 1, "kind": "context",
            "abbr": abbr, "source": u.source, "line": u.line,
            "candidates": [corpus.ids(g, "expansion") for g in x.senses],
        })
    return rows


def spelled_out(contexts: Sequence[UsageSentence], entries: Sequence[Entry]
                ) -> list[UsageSentence]:
    """Sentences that spell out a sense of an abbreviation with several distinct senses
    ("... Cyclic Prefix (CP) ..."), rewritten with the abbreviation and labelled with that
    sense; one row per (sentence, sense)."""
    groups = sense_groups(entries)
    phrases: dict[str, Entry] = {}
    for senses in groups.values():
        if len(senses) < 2:
            continue
        for group in senses:
            for e in group:
                if len(e.expansion.split()) >= 2 and len(e.expansion) > len(e.abbr):
                    phrases.setdefault(e.expansion.casefold(), e)
    if not phrases:
        return []
    pattern = re.compile(
        r"(?<![0-9A-Za-z])(" + "|".join(re.escape(p) for p in sorted(phrases, key=len,
                                                                      reverse=True))
        + r")(?![0-9A-Za-z])(\s*\([^()]{1,20}\))?", re.IGNORECASE)
    out: list[UsageSentence] = []
    seen: set[tuple[str, str]] = set()
    for u in contexts:
        for m in pattern.finditer(u.text):
            e = phrases[m.group(1).casefold()]
            if (u.text, e.id) in seen:
                continue
            seen.add((u.text, e.id))
            text = u.text[:m.start()] + e.abbr + u.text[m.end():]
            out.append(UsageSentence(text, e.abbr, m.start(), m.start() + len(e.abbr),
                                     e.expansion, u.source, u.line))
    return out


@dataclass
class ContextData:
    """Training rows and real-text query splits built from usage sentences."""

    train: list[dict]
    splits: dict[str, list[dict]]
    documents: dict[str, str]
    card: dict


def build_context_data(
    contexts: Sequence[UsageSentence],
    entries: Sequence[Entry],
    corpus: Sequence[dict],
    config: ContextConfig | None = None,
    seed: int = 42,
) -> ContextData:
    """Split usage sentences by document and build training rows (training documents
    only) and the ``realtext-dev``/``realtext-test`` queries over ``corpus`` (rows of
    ``corpus.jsonl``: id, text, entry_id, kind, label_lang)."""
    config = config or ContextConfig()
    config.check()
    if not contexts:
        raise InputError(Problem("--contexts", "no usage sentences"))
    docs = split_documents(contexts, config)
    labelled, skipped = label_contexts(contexts, entries)
    held_texts = {_norm_text(x.usage.text) for x in labelled if docs[x.usage.source] != "train"}
    held_texts |= {_norm_text(u.text) for u in contexts if docs[u.source] != "train"}
    side: dict[str, list[_Labelled]] = {"train": [], "dev": [], "test": []}
    leaked = 0
    for x in labelled:
        where = docs[x.usage.source]
        if where == "train" and _norm_text(x.usage.text) in held_texts:
            leaked += 1  # boilerplate shared with an evaluation document
            continue
        side[where].append(x)
    train_usage = [u for u in contexts if docs[u.source] == "train"
                   and _norm_text(u.text) not in held_texts]
    spelled, _ = label_contexts(spelled_out(train_usage, entries), entries)
    for x in spelled:
        x.spelled_out = True
    rng = random.Random(f"{seed}/realtext")
    cp = _Corpus(list(corpus))
    train_items = _cap(side["train"], config.train_per_doc_abbr, config.train_per_abbr, rng)
    spelled_items = _cap(spelled, config.spelled_out_per_abbr, config.spelled_out_per_abbr,
                         rng)
    train = _train_rows(train_items + spelled_items, cp, config.train_forms_per_sentence,
                        config.train_context_words, rng)
    splits = {}
    for name, where in (("realtext-dev", "dev"), ("realtext-test", "test")):
        items = _cap(side[where], config.eval_per_doc_abbr, config.eval_per_abbr,
                     random.Random(f"{seed}/{name}"))
        splits[name] = _eval_rows(name, items, cp, seed)
    card = {
        "documents": {s: sorted(d for d, v in docs.items() if v == s)
                      for s in ("train", "dev", "test")},
        "usage_sentences": len(contexts), "labelled": len(labelled), "skipped": skipped,
        "train_sentences_shared_with_evaluation_documents": leaked,
        "train_rows": len(train), "spelled_out_sentences": len(spelled_items),
        "queries": {k: len(v) for k, v in splits.items()},
        "ambiguous_queries": {k: sum(r["ambiguous"] for r in v) for k, v in splits.items()},
        "heldout_questions": [t[0] for t in question_templates(heldout=True)],
        "config": asdict(config),
    }
    return ContextData(train, splits, docs, card)


# ------------------------------------------------------------------ Korean questions

def korean_questions_path() -> Path:
    """The hand-written Korean questions shipped with the package."""
    return Path(str(resources.files("termfit").joinpath("data/eval/korean_questions.jsonl")))


def load_korean_questions(path: str | os.PathLike | None = None) -> list[dict]:
    """Read and check the hand-written Korean questions (default: the shipped file)."""
    path = Path(path) if path is not None else korean_questions_path()
    req: dict[str, type | tuple[type, ...]] = {"id": str, "question": str, "kind": str,
                                               "style": str, "abbr": str, "expansion": str}
    rows = read_jsonl(path, req)
    problems, seen = [], set()
    for i, r in enumerate(rows, 1):
        if r["kind"] not in KOREAN_KINDS:
            problems.append(Problem(str(path), f"row {i}: unknown kind {r['kind']!r}; expected "
                                    + ", ".join(KOREAN_KINDS), field="kind"))
        if r["style"] not in KOREAN_STYLES:
            problems.append(Problem(str(path), f"row {i}: unknown style {r['style']!r}; "
                                    "expected formal or casual", field="style"))
        if r["id"] in seen:
            problems.append(Problem(str(path), f"row {i}: duplicate id {r['id']!r}", field="id"))
        seen.add(r["id"])
    if not rows:
        problems.append(Problem(str(path), "no questions"))
    if problems:
        raise InputError(problems)
    return rows


def korean_queries(questions: Sequence[dict], entries: Sequence[Entry],
                   corpus: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    """(queries over ``corpus``, questions whose gold entry is not in ``entries``).

    Gold = the entry with the question's abbreviation whose expansion matches after
    normalising case, spaces and hyphens. Name/description questions are answered by the
    abbreviation's passage; meaning/context questions by the passages of the gold sense
    (its wordings), and list the abbreviation's candidate senses.
    """
    groups = sense_groups(entries)
    cp = _Corpus(list(corpus))
    queries, missing = [], []
    for q in questions:
        senses = groups.get(abbr_key(q["abbr"]), [])
        gold = None
        for level in (1, 3):
            want = normalize(q["expansion"], level)
            gold = next(((i, e) for i, g in enumerate(senses) for e in g
                         if normalize(e.expansion, level) == want), None)
            if gold:
                break
        if gold is None:
            missing.append(q)
            continue
        i, entry = gold
        to_abbr = q["kind"] in ("name2abbr", "desc2abbr")
        relevant = cp.ids([entry], "abbr") if to_abbr else cp.ids(senses[i], "expansion")
        if not relevant:
            missing.append(q)
            continue
        row = {"id": q["id"], "text": q["question"], "relevant": relevant,
               "entry_id": entry.id, "lang": "ko",
               "direction": "exp2abbr" if to_abbr else "abbr2exp", "template": q["kind"],
               "kind": q["kind"], "style": q["style"], "ambiguous": len(senses) > 1,
               "abbr": q["abbr"]}
        if not to_abbr:
            row["candidates"] = [cp.ids(g, "expansion") for g in senses]
        queries.append(row)
    return queries, missing


# ------------------------------------------------------------------ sense accuracy

def has_candidates(queries: Sequence[dict]) -> bool:
    """Whether any query lists candidate senses."""
    return any(q.get("candidates") for q in queries)


def gold_index(query: dict) -> int:
    """Index of the candidate sense that answers ``query`` (its passages are relevant)."""
    rel = set(query["relevant"])
    for i, ids in enumerate(query["candidates"]):
        if rel & set(ids):
            return i
    raise ValueError(f"query {query.get('id')!r}: no candidate sense is relevant")


def sense_credit(scores: Sequence[float], gold: int) -> float:
    """1 when the gold sense scores highest, 1/k when it ties with k-1 others, else 0."""
    best = max(scores)
    if scores[gold] < best:
        return 0.0
    return 1.0 / sum(s == best for s in scores)


def sense_accuracy(scores: Sequence[Sequence[float]], gold: Sequence[int]) -> dict:
    """Sense accuracy among candidates, on all queries and on those with several senses
    ("ambiguous"), each with the chance level (mean of 1 / number of senses)."""
    credit = np.asarray([sense_credit(s, g) for s, g in zip(scores, gold, strict=True)])
    n_senses = np.asarray([len(s) for s in scores])
    out = {}
    for name, mask in (("all", np.ones(len(credit), bool)), ("ambiguous", n_senses > 1)):
        n = int(mask.sum())
        out[name] = {"n": n,
                     "accuracy": float(credit[mask].mean()) if n else float("nan"),
                     "chance": float((1.0 / n_senses[mask]).mean()) if n else float("nan")}
    return out


class SenseCollector:
    """Collects each query's best score per candidate sense from score matrices
    (``collector(system, first_query_index, matrix)``), then reports sense accuracy."""

    def __init__(self, queries: Sequence[dict], corpus_ids: Sequence[str]):
        col = {str(c): j for j, c in enumerate(corpus_ids)}
        self.rows = [i for i, q in enumerate(queries) if q.get("candidates")]
        self.cols = {i: [[col[c] for c in ids if c in col] for ids in queries[i]["candidates"]]
                     for i in self.rows}
        self.gold = {i: gold_index(queries[i]) for i in self.rows}
        self.scores: dict[str, dict[int, list[float]]] = defaultdict(dict)

    def __call__(self, system: str, start: int, matrix: np.ndarray) -> None:
        for i in self.rows:
            if start <= i < start + len(matrix):
                row = matrix[i - start]
                self.scores[system][i] = [float(row[c].max()) if c else float("-inf")
                                          for c in self.cols[i]]

    def result(self, system: str) -> dict | None:
        got = self.scores.get(system)
        if not got:
            return None
        return sense_accuracy([got[i] for i in self.rows], [self.gold[i] for i in self.rows])


def sense_lines(report: dict) -> list[str]:
    """Markdown lines: sense accuracy among candidates per system, with chance."""
    systems = [s for s, r in report["systems"].items() if r.get("senses")]
    if not systems:
        return []
    lines = ["", "Sense accuracy among an abbreviation's candidate senses (ties share the "
             "credit):", "", "| Queries | n | chance | " + " | ".join(systems) + " |",
             "|:--|--:|--:|" + "|".join("--:" for _ in systems) + "|"]
    first = report["systems"][systems[0]]["senses"]
    for name in ("all", "ambiguous"):
        vals = [report["systems"][s]["senses"][name]["accuracy"] for s in systems]
        lines.append(f"| {name} | {first[name]['n']} | {first[name]['chance']:.3f} | "
                     + " | ".join(f"{v:.3f}" for v in vals) + " |")
    return lines


def add_context_data(data: dict[str, list[dict]], entries: Sequence[Entry],
                     contexts: Sequence[UsageSentence], config: ContextConfig | None = None,
                     seed: int = 42) -> dict:
    """Add context training rows and the real-text query splits to the in-memory output of
    :func:`termfit.dataset.generate`; returns the data card's ``realtext`` section.

    Rows whose sense is a held-out term (``entries`` rows with split "heldout-terms") are
    not trained on, so that split stays unseen.
    """
    held = {r["id"] for r in data["entries"] if r.get("split") == "heldout-terms"}
    built = build_context_data(contexts, entries, data["corpus"], config, seed)
    train = [r for r in built.train if r["entry_id"] not in held]
    data["train"].extend(train)
    data.update(built.splits)
    return built.card | {"train_rows": len(train),
                         "heldout_term_rows_dropped": len(built.train) - len(train)}


def context_summary(card: dict) -> str:
    """One paragraph on the real-text data of a data card's ``realtext`` section."""
    docs = card["documents"]
    q, amb = card["queries"], card["ambiguous_queries"]
    return (f"real text: {card['labelled']:,} of {card['usage_sentences']:,} usage sentences "
            f"labelled; {card['train_rows']:,} context training rows from "
            f"{len(docs['train'])} document(s); realtext-dev {q['realtext-dev']:,} queries "
            f"({amb['realtext-dev']} ambiguous) from {', '.join(docs['dev']) or '-'}; "
            f"realtext-test {q['realtext-test']:,} queries ({amb['realtext-test']} ambiguous) "
            f"from {', '.join(docs['test']) or '-'}")
