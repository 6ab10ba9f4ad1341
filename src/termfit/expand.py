"""Find the abbreviations of a text and resolve each to a sense of the glossary.

For query rewriting in front of a retriever: "CP 길이가 긴 경우 PUSCH 성능은?" must reach it
with CP resolved to Cyclic Prefix, not Control Plane.

Detection: glossary abbreviations and their spelling variants (case, hyphens, a plural
``s``, Korean particles glued after them: "AMF는"), plus abbreviation-shaped tokens that
the glossary does not know (:func:`termfit.acronym.looks_like_abbreviation`), reported
with no sense unless the text defines them.

Resolution, strongest evidence first:

1. a definition in the text itself ("Cyclic Prefix (CP)", found by
   :func:`termfit.mining.find_inline_definitions`) or, for a document, anywhere in the
   document (its Abbreviations clause included);
2. a single sense in the glossary (spelling variants of one sense are one sense);
3. a sense spelled out in the text, checked by letter alignment
   (:func:`termfit.acronym.align`);
4. the model: the text around the abbreviation as a query against each sense's passages
   (the expansion passages of :func:`termfit.passages.entry_passages`; the abbreviation's
   own passage is the same for every sense), plus a prior for senses named by more
   specifications, a topic feature (the text's other abbreviations come from the same
   specifications) and a lexical one (the text uses the sense's words); softmax over the
   senses, weights fitted on training and development documents. For a document, the
   probabilities of every occurrence are pooled (one sense per document).

A best sense whose probability is under the threshold is returned flagged ``uncertain``.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from termfit.acronym import STOP_WORDS, align, looks_like_abbreviation
from termfit.glossary import Entry, is_specification_source, normalize
from termfit.ko_query import has_hangul, translate
from termfit.korean import readings
from termfit.mining import extract_mentions, find_inline_definitions
from termfit.passages import DEFAULT, PassageTemplate, entry_passages
from termfit.realtext import group_by_sense, same_sense

__all__ = [
    "Abbreviation",
    "Alternative",
    "ExpandResult",
    "Resolver",
    "Sense",
    "Settings",
    "expand",
    "index_resolver",
    "load_resolver",
    "rewrite_text",
    "same_sense",
    "content_words",
]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Alternative:
    """Another candidate sense and its probability."""

    expansion: str
    entry_id: str | None
    score: float


@dataclass(frozen=True)
class Abbreviation:
    """One abbreviation found in a text (``text[start:end]``) and the sense chosen for it.

    ``expansion`` and ``entry_id`` are None for an abbreviation that neither the glossary
    nor the text defines; ``entry_id`` is None for a sense that only the text defines.
    """

    abbr: str
    start: int
    end: int
    expansion: str | None
    entry_id: str | None
    score: float
    uncertain: bool
    alternatives: tuple[Alternative, ...] = ()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["alternatives"] = [asdict(a) for a in self.alternatives]
        return d


@dataclass(frozen=True)
class ExpandResult:
    """The abbreviations of one input text; ``rewritten`` when rewriting was asked for."""

    text: str
    abbreviations: tuple[Abbreviation, ...]
    rewritten: str | None = None

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"text": self.text,
                             "abbreviations": [a.to_dict() for a in self.abbreviations]}
        if self.rewritten is not None:
            d["rewritten"] = self.rewritten
        return d


# --------------------------------------------------------------------------- senses


@dataclass(frozen=True)
class Sense:
    """One candidate sense: glossary entries that are wordings of one sense, merged.

    ``entry_id``/``expansion`` are the first entry's; ``passages`` are the model passages
    of all of them; ``sources`` the distinct sources (specifications, lists) naming it,
    ``spec_sources`` those that are specifications; ``words`` the content words of its
    expansions (:func:`content_words`).
    """

    entry_id: str
    expansion: str
    entry_ids: tuple[str, ...]
    expansions: tuple[str, ...]
    passages: tuple[str, ...]
    sources: frozenset[str]
    spec_sources: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()


def content_words(text: str, drop: str = "") -> frozenset[str]:
    """Normalised words of ``text`` (plural and British/American spelling folded), without
    stop words, single characters and the words of ``drop`` (the abbreviation itself)."""
    dropped = {normalize(w) for w in _WORDS.findall(drop.casefold())}
    out = {normalize(w) for w in _WORDS.findall(text.casefold()) if w not in STOP_WORDS}
    return frozenset(w for w in out if len(w) > 1 and w not in dropped)


def _field(e: Any, name: str, default: Any = None) -> Any:
    return e.get(name, default) if isinstance(e, Mapping) else getattr(e, name, default)


def _as_entry(e: Any) -> Entry:
    if isinstance(e, Entry):
        return e
    return Entry(id=str(_field(e, "id") or _field(e, "abbr")), abbr=_field(e, "abbr"),
                 expansion=_field(e, "expansion"), ko=list(_field(e, "ko") or []),
                 category=_field(e, "category"), definition=_field(e, "definition"),
                 sources=list(_field(e, "sources") or []),
                 aliases=list(_field(e, "aliases") or []))


def _sense_passages(entries: Sequence[Entry], template: PassageTemplate) -> tuple[str, ...]:
    # Expansion passages only: the abbreviation's own passage is the same for every sense.
    return tuple(dict.fromkeys(p.text for e in entries for p in entry_passages(e, template)
                               if p.kind == "expansion"))


def group_senses(entries: Sequence[Entry], template: PassageTemplate = DEFAULT
                 ) -> list[Sense]:
    """Entries of one abbreviation grouped into senses (single link over
    :func:`same_sense`), in first-seen order; passages rendered with ``template``."""
    out = []
    for g in group_by_sense(entries):
        sources = frozenset(s for x in g for s in x.sources)
        expansions = tuple(dict.fromkeys(x.expansion for x in g))
        out.append(Sense(g[0].id, g[0].expansion, tuple(x.id for x in g), expansions,
                         _sense_passages(g, template), sources,
                         frozenset(s for s in sources if is_specification_source(s)),
                         frozenset().union(*(content_words(x) for x in expansions))))
    return out


# --------------------------------------------------------------------------- resolver


@dataclass(frozen=True)
class Settings:
    """How model scores become probabilities, and when a choice is flagged uncertain.

    A sense's logit is cosine / ``temperature`` + ``prior_weight`` * log(1 + number of
    specifications naming it) + ``topic_weight`` * the mean share of the specifications
    naming each of the text's other (single-sense) abbreviations that also name this
    sense (a physical-layer sentence's other abbreviations come from physical-layer
    specifications) + ``lexical_weight`` * the share of the sense's content words that the
    text uses ("... search space set ... CSS" favours Common Search Space). The weights and
    ``threshold`` were chosen on training and development documents by
    ``benchmarks/expand.py`` for the offline base model. ``window``: words of context on
    each side of the abbreviation in the query.
    """

    temperature: float = 0.02
    prior_weight: float = 2.0
    topic_weight: float = 2.0
    lexical_weight: float = 2.0
    threshold: float = 0.94
    window: int = 24


_KEY_DROP = re.compile(r"[\s\-\u2010-\u2015]")


def _key(abbr: str) -> str:
    return _KEY_DROP.sub("", abbr)


class Resolver:
    """A glossary's abbreviations grouped into senses, and a model to rank them.

    ``model`` is a loaded SentenceTransformer (or None: senses ranked by the prior only).
    Thread-safe; sense passages are embedded on first use and cached (in ``vector_cache``
    when given, to share it between resolvers over the same model).
    """

    def __init__(self, entries: Sequence[Any], model: Any = None,
                 settings: Settings | None = None,
                 vector_cache: dict[str, np.ndarray] | None = None, query_cache: int = 4096,
                 template: PassageTemplate = DEFAULT):
        self.model = model
        self.settings = settings or Settings()
        by_key: dict[str, list[Entry]] = defaultdict(list)
        for raw in entries:
            e = _as_entry(raw)
            if e.abbr and e.expansion and not e.abbr.startswith("("):
                by_key[_key(e.abbr)].append(e)
        self.senses: dict[str, list[Sense]] = {k: group_senses(v, template)
                                               for k, v in by_key.items()}
        self._folded: dict[str, list[str]] = defaultdict(list)
        for k in self.senses:
            self._folded[k.upper()].append(k)
        # First words of abbreviations written with spaces ("NZP CSI-RS", "5G LAN").
        self._multi_first: set[str] = set()
        self._multi_words = 1
        for e_list in by_key.values():
            words = e_list[0].abbr.split()
            if len(words) > 1:
                self._multi_first.add(_key(words[0]).upper())
                self._multi_words = max(self._multi_words, len(words))
        self._english = frozenset(readings()) | STOP_WORDS
        self._vectors = vector_cache if vector_cache is not None else {}
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_cache = query_cache
        self._lock = threading.Lock()

    # -- lookup
    def lookup(self, token: str, korean: bool = False) -> tuple[str, list[Sense]] | None:
        """(glossary key, senses) for a token as written, or None.

        Tries the exact spelling (hyphens and spaces ignored), then without a plural ``s``,
        then ignoring case: the latter only for abbreviation-shaped tokens, or lower-case
        non-English words in Korean text ("amf가").
        """
        key = _key(token)
        if not key:
            return None
        plural = key[:-1] if len(key) > 2 and key.endswith("s") and key[-2] != "s" else None
        for k in (key, plural):
            if k and k in self.senses:
                return k, self.senses[k]
        if key.lower() in self._english and not key.isupper():
            return None
        if not (looks_like_abbreviation(token) or (korean and key.islower())):
            return None
        for k in (key, plural):
            if k:
                found = self._folded.get(k.upper())
                if found:
                    return found[0], self.senses[found[0]]
        return None

    # -- model scores
    def _embed(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self.model.encode(
                list(texts), prompt_name=prompt, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
                batch_size=max(1, min(32, len(texts)))), dtype=np.float32)

    def passage_vectors(self, senses: Sequence[Sense]) -> list[np.ndarray]:
        """Embeddings ``[n_passages, dim]`` of each sense's passages (cached)."""
        missing = sorted({p for s in senses for p in s.passages if p not in self._vectors})
        if missing:
            for p, v in zip(missing, self._embed(missing, "passage"), strict=True):
                self._vectors[p] = v
        return [np.stack([self._vectors[p] for p in s.passages]) for s in senses]

    def warm(self) -> int:
        """Embed the passages of every abbreviation with several senses now (servers,
        benchmarks), not on first use; returns how many passages were embedded."""
        if self.model is None:
            return 0
        before = len(self._vectors)
        self.passage_vectors([x for v in self.senses.values() if len(v) > 1 for x in v])
        return len(self._vectors) - before

    def query_vectors(self, queries: Sequence[str]) -> np.ndarray:
        """Query embeddings (E5 query prompt) of context windows; recent ones cached."""
        missing = [q for q in dict.fromkeys(queries) if q not in self._queries]
        if missing:
            for q, v in zip(missing, self._embed(missing, "query"), strict=True):
                self._queries[q] = v
            while len(self._queries) > self._query_cache:
                self._queries.popitem(last=False)
        return np.stack([self._queries[q] for q in queries])

    def probabilities(self, senses: Sequence[Sense], query: np.ndarray | None,
                      context: Sequence[frozenset[str]] = (),
                      words: frozenset[str] = frozenset()) -> np.ndarray:
        """Softmax over ``senses`` of their logits (see :class:`Settings`); ``context``:
        the specification sets of the text's other known abbreviations; ``words``: the
        text's content words (:func:`content_words`)."""
        st = self.settings
        logits = st.prior_weight * np.log1p([len(s.spec_sources) for s in senses])
        context = [c for c in context if c]
        if context:
            topic = [sum(len(c & s.spec_sources) / len(c) for c in context) / len(context)
                     for s in senses]
            logits = logits + st.topic_weight * np.asarray(topic)
        if words:
            lexical = [len(s.words & words) / len(s.words) if s.words else 0.0
                       for s in senses]
            logits = logits + st.lexical_weight * np.asarray(lexical)
        if query is not None and self.model is not None and all(s.passages for s in senses):
            sims = [float((v @ query).max()) for v in self.passage_vectors(senses)]
            logits = logits + np.asarray(sims) / st.temperature
        logits = logits - logits.max()
        p = np.exp(logits)
        return p / p.sum()


def index_resolver(index: Any, model: Any, settings: Settings | None = None) -> Resolver:
    """A resolver over a loaded :class:`termfit.index.Index` and its loaded model."""
    from termfit.index import manifest_template

    return Resolver(index.entries, model, settings, template=manifest_template(index.manifest))


def load_resolver(index: str | os.PathLike | None = None,
                  glossary: Sequence[str | os.PathLike] | str | os.PathLike | None = None,
                  model: str | os.PathLike | None = None,
                  settings: Settings | None = None) -> Resolver:
    """A resolver from an index folder (its entries and its model, or ``model`` when it
    matches the index), or from glossary files plus a model (default: the offline one)."""
    from termfit.models import load_model, resolve_model_path

    if index is not None:
        from termfit.index import check_model, load_index

        ix = load_index(index)
        m = ix.manifest
        spec = model if model is not None else (
            m["model_path"] if Path(m["model_path"]).is_dir() else m["model"])
        path = resolve_model_path(spec)
        check_model(ix, path)
        return index_resolver(ix, load_model(path), settings)
    from termfit.glossary import default_glossary_path, load_glossary

    if glossary is None:
        glossary = [default_glossary_path()]
    elif isinstance(glossary, (str, os.PathLike)):
        glossary = [glossary]
    entries = load_glossary(list(glossary))
    return Resolver(entries, load_model(model), settings)


# --------------------------------------------------------------------------- detection

_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z](?:[0-9A-Za-z\-./&+]*[0-9A-Za-z+])?"
                    r"(?![0-9A-Za-z])")
_PART = re.compile(r"[^\-/]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_WORDS = re.compile(r"[0-9a-z]+")


@dataclass
class _Span:
    start: int
    end: int
    key: str | None  # glossary key; None for an abbreviation the glossary does not know
    senses: list[Sense] = field(default_factory=list)


def _parts(token: str, start: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in _PART.finditer(token)]


def _split_compound(text: str, start: int, end: int, resolver: Resolver, korean: bool
                    ) -> list[_Span]:
    """Known abbreviations inside "PDCCH-Config", "SS/PBCH", "CSI-RS-based": the longest
    run of parts that the glossary knows, left to right."""
    parts = _parts(text[start:end], start)
    out: list[_Span] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            s, e = parts[i][0], parts[j - 1][1]
            hit = resolver.lookup(text[s:e], korean)
            if hit:
                out.append(_Span(s, e, hit[0], hit[1]))
                i = j
                break
        else:
            s, e = parts[i]
            if looks_like_abbreviation(text[s:e]):
                out.append(_Span(s, e, None))
            i += 1
    return out


def _multiword(text: str, tokens: list[tuple[int, int]], i: int, resolver: Resolver,
               korean: bool) -> tuple[_Span, int] | None:
    """A glossary abbreviation written with spaces starting at token ``i`` ("NZP CSI-RS",
    "5G LAN") and the index of the token after it."""
    s = tokens[i][0]
    if _key(text[s:tokens[i][1]]).upper() not in resolver._multi_first:
        return None
    for j in range(min(len(tokens), i + resolver._multi_words), i + 1, -1):
        if all(text[tokens[k][1]:tokens[k + 1][0]] == " " for k in range(i, j - 1)):
            hit = resolver.lookup(text[s:tokens[j - 1][1]], korean)
            if hit:
                return _Span(s, tokens[j - 1][1], hit[0], hit[1]), j
    return None


# A camel-case part ("ConfigurationCommon", "StateId", "msgA") marks a hyphenated token as
# the name of a parameter or information element; abbreviations inside it are not uses.
_IDENTIFIER_PART = re.compile(r"[a-z][A-Z]")
_CLAUSE_NUMBER = re.compile(r"\d+(?:\.\d+)+(?=[A-Za-z])")


def _token_spans(text: str, s: int, e: int, resolver: Resolver, korean: bool
                 ) -> list[_Span]:
    number = _CLAUSE_NUMBER.match(text, s, e)  # converter output: "6.3.7RDI Length"
    if number:
        s = number.end()
    token = text[s:e]
    hit = resolver.lookup(token, korean)
    if hit:
        return [_Span(s, e, hit[0], hit[1])]
    if re.search(r"[\-/]", token):
        if any(_IDENTIFIER_PART.search(p) and not resolver.lookup(p, korean)
               for p in _PART.findall(token)):
            return []  # a parameter name ("tdd-UL-DL-ConfigurationCommon"), not prose
        inner = _split_compound(text, s, e, resolver, korean)
        if any(x.key for x in inner):
            return inner
    return [_Span(s, e, None)] if looks_like_abbreviation(token) else []


def detect(text: str, resolver: Resolver) -> list[_Span]:
    """Abbreviation spans of ``text``, glossary ones with their senses."""
    korean = bool(_HANGUL.search(text))
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    spans: list[_Span] = []
    i = 0
    while i < len(tokens):
        multi = _multiword(text, tokens, i, resolver, korean)
        if multi:
            spans.append(multi[0])
            i = multi[1]
            continue
        spans.extend(_token_spans(text, *tokens[i], resolver, korean))
        i += 1
    return spans


# --------------------------------------------------------------------------- evidence


def _definitions(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Upper-cased abbreviation key -> expansion (the first definition wins)."""
    out: dict[str, str] = {}
    for abbr, expansion in pairs:
        out.setdefault(_key(abbr).upper(), expansion)
    return out


def _defined(defs: Mapping[str, str], token: str) -> str | None:
    key = _key(token).upper()
    if key in defs:
        return defs[key]
    if key.endswith("S") and key[:-1] in defs:
        return defs[key[:-1]]
    return None


def _word_seq(text: str) -> str:
    return " " + " ".join(_WORDS.findall(text.casefold())) + " "


def _spelled_out(abbr: str, senses: Sequence[Sense], text: str) -> int | None:
    """Index of the only sense whose expansion the text spells out: word for word, or as
    a run of words whose initials the abbreviation's letters align with."""
    words = _word_seq(text)
    hits = {i for i, s in enumerate(senses)
            if any(_word_seq(x) in words for x in s.expansions)}
    if not hits:
        seq = words.split()
        n = sum(c.isalnum() for c in abbr)
        for i in range(len(seq)):
            for j in range(i + 2, min(len(seq), i + n + 3) + 1):
                phrase = " ".join(seq[i:j])
                a = align(abbr, phrase)
                if a is None or a.initials < a.matched or a.covered < 1:
                    continue
                hits |= {k for k, s in enumerate(senses)
                         if any(same_sense(phrase, x) for x in s.expansions)}
    return next(iter(hits)) if len(hits) == 1 else None


def _text_words(text: str) -> frozenset[str]:
    """The text's content words; for Korean text, also the English words of its Korean
    terms ("검색 공간" → search space), so the word feature works across languages."""
    words = content_words(text)
    if has_hangul(text):
        words |= content_words(translate(text))
    return words


def _window(text: str, start: int, end: int, words: int) -> str:
    """The abbreviation with up to ``words`` words of context on each side."""
    left = " ".join(text[:start].split()[-words:])
    right = " ".join(text[end:].split()[:words])
    before = " " if left and text[:start][-1:].isspace() else ""
    after = " " if right and text[end:][:1].isspace() else ""
    return f"{left}{before}{text[start:end]}{after}{right}"


def _match_sense(expansion: str, senses: Sequence[Sense]) -> int | None:
    return next((i for i, s in enumerate(senses)
                 if any(same_sense(expansion, x) for x in s.expansions)), None)


# --------------------------------------------------------------------------- resolving


@dataclass
class _Pending:
    text_index: int
    span: _Span
    window: str
    context: list[frozenset[str]]
    words: frozenset[str] = frozenset()
    probs: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _decided(text: str, span: _Span, sense: Sense | None, expansion: str | None,
             score: float, senses: Sequence[Sense] = ()) -> Abbreviation:
    alts = tuple(Alternative(s.expansion, s.entry_id, 0.0) for s in senses if s is not sense)
    return Abbreviation(text[span.start:span.end], span.start, span.end,
                        sense.expansion if sense else expansion,
                        sense.entry_id if sense else None, score, expansion is None
                        and sense is None, alts)


def _from_probs(text: str, span: _Span, probs: np.ndarray, threshold: float) -> Abbreviation:
    order = np.argsort(-probs, kind="stable")
    best = span.senses[int(order[0])]
    alts = tuple(Alternative(span.senses[int(i)].expansion, span.senses[int(i)].entry_id,
                             round(float(probs[i]), 4)) for i in order[1:])
    score = float(probs[order[0]])
    return Abbreviation(text[span.start:span.end], span.start, span.end, best.expansion,
                        best.entry_id, round(score, 4), score < threshold, alts)


def _resolve_span(text: str, span: _Span, defs: Mapping[str, str],
                  doc_defs: Mapping[str, str]) -> Abbreviation | None:
    """The sense of a span decided without the model, or None when the model must rank."""
    token = text[span.start:span.end]
    definition = _defined(defs, token) or _defined(doc_defs, token)
    if definition is not None:
        k = _match_sense(definition, span.senses)
        return _decided(text, span, span.senses[k] if k is not None else None, definition,
                        1.0, span.senses)
    if span.key is None:
        return _decided(text, span, None, None, 0.0)
    if len(span.senses) == 1:
        return _decided(text, span, span.senses[0], None, 1.0)
    k = _spelled_out(token, span.senses, text)
    if k is not None:
        return _decided(text, span, span.senses[k], None, 1.0, span.senses)
    return None


def _model_probs(pending: Sequence[_Pending], resolver: Resolver) -> None:
    if not pending:
        return
    queries = list(dict.fromkeys(p.window for p in pending))
    vecs = (dict(zip(queries, resolver.query_vectors(queries), strict=True))
            if resolver.model is not None else {})
    for p in pending:
        p.probs = resolver.probabilities(p.span.senses, vecs.get(p.window), p.context,
                                         p.words)


def _pool_document(pending: Sequence[_Pending], decided: Mapping[str, list[int]]) -> None:
    """One sense per document: every occurrence of an abbreviation gets the mean of the
    occurrences' probabilities (a sense spelled out somewhere counts as certain there)."""
    by_key: dict[str, list[_Pending]] = defaultdict(list)
    for p in pending:
        by_key[p.span.key or ""].append(p)
    for key, group in by_key.items():
        n = len(group[0].span.senses)
        extra = np.zeros(n)
        for k in decided.get(key, []):
            extra[k] += 1.0
        total = np.sum([p.probs for p in group], axis=0) + extra
        mean = total / (len(group) + len(decided.get(key, [])))
        for p in group:
            p.probs = mean


def expand(texts: str | Sequence[str], resolver: Resolver, rewrite: bool = False, *,
           document: bool = False) -> list[ExpandResult]:
    """Find the abbreviations of each text and resolve each to a sense.

    ``document=True``: the texts are the paragraphs of one document; its definitions
    (Abbreviations clause and inline ones) hold everywhere in it and the model's
    probabilities are pooled over all occurrences of an abbreviation. ``rewrite``: each
    result also carries the text with the expansion inserted after the first use of each
    resolved abbreviation ("CP (Cyclic Prefix)"; in a document, the first use in it).
    """
    texts = [texts] if isinstance(texts, str) else list(texts)
    doc_defs: dict[str, str] = {}
    if document:
        mentions = extract_mentions("document", [("", "\n".join(texts))])
        doc_defs = _definitions([(m.abbr, m.expansion) for m in mentions])
    found, inline, pending, decided = _first_pass(texts, resolver, doc_defs)
    _model_probs(pending, resolver)
    if document:
        _pool_document(pending, decided)
    threshold = resolver.settings.threshold
    results: list[ExpandResult] = []
    seen: set[str] = set()
    for text, row, defs in zip(texts, found, inline, strict=True):
        abbrs = tuple(_from_probs(text, x.span, x.probs, threshold) if isinstance(x, _Pending)
                      else x for x in row)
        rewritten = None
        if rewrite:
            rewritten = rewrite_text(text, abbrs, defs, seen if document else set())
        results.append(ExpandResult(text, abbrs, rewritten))
    return results


def _first_pass(texts: list[str], resolver: Resolver, doc_defs: Mapping[str, str]):
    """Per text: the decided abbreviations and the pending ones (the model must rank),
    the text's own definitions, and per glossary key the senses decided without the model."""
    found: list[list[Abbreviation | _Pending]] = []
    inline: list[dict[str, str]] = []
    pending: list[_Pending] = []
    decided: dict[str, list[int]] = defaultdict(list)
    for t, text in enumerate(texts):
        defs = _definitions([(a, x) for a, x, _ in find_inline_definitions(text)])
        inline.append(defs)
        row: list[Abbreviation | _Pending] = []
        spans = detect(text, resolver)
        words: frozenset[str] | None = None  # computed once, only if the model must rank
        for span in spans:
            done = _resolve_span(text, span, defs, doc_defs)
            if done is None:
                words = _text_words(text) if words is None else words
                context = [x.senses[0].spec_sources for x in spans
                           if len(x.senses) == 1 and x.key != span.key
                           and x.senses[0].spec_sources]
                p = _Pending(t, span, _window(text, span.start, span.end,
                                              resolver.settings.window), context,
                             words - content_words(text[span.start:span.end]))
                pending.append(p)
                row.append(p)
            else:
                row.append(done)
                if span.key and len(span.senses) > 1 and done.entry_id is not None:
                    decided[span.key].append(
                        next(i for i, s in enumerate(span.senses) if s.entry_id == done.entry_id))
        found.append(row)
    return found, inline, pending, decided


def rewrite_text(text: str, abbreviations: Sequence[Abbreviation],
                 defined: Mapping[str, str] | None = None, seen: set[str] | None = None) -> str:
    """``text`` with " (expansion)" after the first use of each resolved abbreviation.

    Skipped: abbreviations without a sense or flagged uncertain, those the text defines
    itself (``defined``: upper-cased key -> expansion) and those already in ``seen``
    (upper-cased keys, updated), so a document expands each abbreviation once.
    """
    seen = set() if seen is None else seen
    inserts: list[tuple[int, str]] = []
    for a in abbreviations:
        key = _key(a.abbr).upper()
        if a.expansion is None or a.uncertain or key in seen:
            continue
        seen.add(key)
        if defined and _defined(defined, a.abbr) is not None:
            continue
        if text[a.end:].lstrip().startswith("("):
            continue
        inserts.append((a.end, f" ({a.expansion})"))
    for pos, insert in sorted(inserts, reverse=True):
        text = text[:pos] + insert + text[pos:]
    return text
