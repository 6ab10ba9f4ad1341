"""Search an index: dense (the embedding model), lexical (BM25 + acronym match) or hybrid.

An abbreviation named in the query ("CP 길이가 긴 경우 PUSCH 성능은?") is detected and
resolved in context by :func:`termfit.expand.expand`; the entries of its senses become
candidates (the "abbreviation" scorer, each scored by its sense's probability) fused with
the dense or hybrid ranking; in a question naming several, the one it asks about
("SMF가 PCF한테 정책 받아온다는데 PCF 뭐야?") comes first
(:func:`termfit.ko_query.asked_abbreviations`).

Korean queries get two more hybrid scorers: "names", the query embedding against the
entries' Korean-name and description passages (:func:`termfit.passages.name_passages`), and
"translated", BM25 over the entries' English text with the query's Korean terms translated
(:func:`termfit.ko_query.translate`). Fusion weights come from the index folder's
``search_settings.json`` (:func:`tune_settings` on real-text dev queries) or defaults.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from termfit import hybrid
from termfit.errors import InputError, Problem
from termfit.expand import Abbreviation, Resolver, expand
from termfit.fileio import write_json
from termfit.index import (
    Index,
    check_model,
    english_text,
    index_passages,
    lexical_text,
    load_index,
    manifest_template,
)
from termfit.ko_query import (
    asked_abbreviations,
    asks_about_abbreviation,
    has_hangul,
    translate,
)
from termfit.lexical import AcronymScorer, BM25Scorer

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[str, ...] = ("hybrid", "dense", "lexical")
RRF_K = 60
#: Longest query accepted by ``termfit search`` and the server's /search.
MAX_QUERY_CHARS = 256
# How many candidates each scorer contributes to the fusion, at least.
CANDIDATES = 50


@dataclass(frozen=True)
class Hit:
    """One ranked glossary entry."""

    id: str
    abbr: str
    expansion: str
    ko: list[str]
    category: str | None
    score: float
    #: "dense" | "bm25" | "acronym" | "abbreviation" | "hybrid": the scorer(s) that found it
    scorer: str
    #: every scorer that ranks it in its own top k ("abbreviation": a sense of an
    #: abbreviation named in the query)
    found_by: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["found_by"] = list(self.found_by)
        return d


@dataclass(frozen=True)
class SearchResult:
    """The hits for one query and the abbreviations the query names (as
    :func:`termfit.expand.expand` returns them)."""

    query: str
    hits: list[Hit]
    abbreviations: tuple[Abbreviation, ...] = ()

    def to_dict(self) -> dict:
        return {"query": self.query,
                "abbreviations": [a.to_dict() for a in self.abbreviations],
                "results": [h.to_dict() for h in self.hits]}


#: Scorers fused by hybrid search, in the order of :attr:`SearchSettings.weights`.
COMPONENTS: tuple[str, ...] = ("dense", "bm25", "acronym", "abbreviation", "names",
                               "translated")
#: The scorers :func:`tune_settings` tunes. "names" and "translated" score Korean queries
#: only, and the real-text dev queries are English: they keep their default weight.
TUNED_COMPONENTS: tuple[str, ...] = COMPONENTS[:4]
#: Default RRF weights: every scorer counts the same (nothing to tune the Korean scorers on
#: without scoring on the evaluation questions themselves).
DEFAULT_WEIGHTS: dict[str, float] = dict.fromkeys(COMPONENTS, 1.0)
#: An abbreviation a question names but does not ask about keeps its candidates, scored
#: this much lower than those of the one it asks about.
NOT_ASKED = 1e-3
#: The fusion settings file of an index folder.
SETTINGS_FILE = "search_settings.json"


@dataclass(frozen=True)
class SearchSettings:
    """RRF weights per scorer (:data:`COMPONENTS`); ``tuned_on`` names the dev queries
    they were chosen on (None: defaults), ``dev_score`` their score there."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    tuned_on: str | None = None
    dev_score: float | None = None

    def weight(self, name: str) -> float:
        return float(self.weights.get(name, DEFAULT_WEIGHTS.get(name, 1.0)))

    def to_dict(self) -> dict:
        return asdict(self)


def load_settings(index_dir: str | os.PathLike) -> SearchSettings:
    """The index folder's :data:`SETTINGS_FILE`, or defaults when it has none."""
    path = Path(index_dir) / SETTINGS_FILE
    if not path.is_file():
        return SearchSettings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        weights = {str(k): float(v) for k, v in raw["weights"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(Problem(str(path), f"not a search settings file: expected "
                                 f'{{"weights": {{scorer: number}}}} ({exc})',
                                 field="weights")) from None
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise InputError(Problem(str(path), f"unknown scorer(s) {', '.join(unknown)}; "
                                 f"expected {', '.join(COMPONENTS)}", field="weights"))
    return SearchSettings(weights, raw.get("tuned_on"), raw.get("dev_score"))


def write_settings(index_dir: str | os.PathLike, settings: SearchSettings) -> Path:
    """Write ``settings`` into the index folder (atomically); returns the file."""
    path = Path(index_dir) / SETTINGS_FILE
    write_json(path, settings.to_dict())
    return path


def fuse(mats: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Reciprocal-rank fusion (:func:`termfit.hybrid.fuse`), scaled so that rank 1 for every
    scorer gives 1.0."""
    total = hybrid.fuse(list(mats), list(weights), method="rrf", rrf_k=RRF_K)
    return total / (sum(weights) / (RRF_K + 1))


class QueryError(InputError):
    """A query refused by :func:`check_query`; ``code`` names the reason for HTTP errors
    ("empty_query", "query_too_long", "invalid_text")."""

    def __init__(self, problem: Problem, code: str):
        super().__init__(problem)
        self.code = code


def check_query(q: str, max_chars: int = MAX_QUERY_CHARS, name: str = "q") -> str:
    """The stripped query, or :class:`QueryError` when it is empty, longer than
    ``max_chars`` characters, or not text (undecodable bytes, lone surrogates)."""
    q = q.strip()
    if not q:
        raise QueryError(Problem(name, f"{name} must not be empty", field=name), "empty_query")
    if len(q) > max_chars:
        raise QueryError(Problem(name, f"{name} is {len(q)} characters; the limit is "
                                 f"{max_chars}", field=name), "query_too_long")
    try:
        q.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise QueryError(Problem(name, f"{name} is not valid UTF-8 text (undecodable bytes "
                                 f"at character {exc.start + 1})", field=name),
                         "invalid_text") from None
    return q


# --- the searcher ------------------------------------------------------------------------
class Searcher:
    """An index and its model, loaded once; thread-safe for concurrent ``search`` calls."""

    def __init__(
        self,
        index: str | os.PathLike | Index,
        model: str | os.PathLike | None = None,
        st_model: Any = None,
        query_cache: int = 1024,
        settings: SearchSettings | None = None,
    ):
        """Load ``index``; the model defaults to the one the index was built with.

        ``model`` is refused when its fingerprint differs from the index's. ``st_model`` is an
        already loaded SentenceTransformer for the same model folder (skips loading).
        ``settings``: fusion weights (default: the index folder's, see :func:`load_settings`).
        """
        from termfit.models import load_model, resolve_model_path

        self.index = index if isinstance(index, Index) else load_index(index)
        m = self.index.manifest
        if model is not None:
            spec = model
        else:  # the folder it was built with; the spec ("default", hub id) on another machine
            spec = m["model_path"] if Path(m["model_path"]).is_dir() else m["model"]
        self.model_path = resolve_model_path(spec)
        check_model(self.index, self.model_path)
        self.model = st_model if st_model is not None else load_model(self.model_path)
        self.model_name = str(model) if model is not None else m.get("model", "default")
        entries = self.index.entries
        self._bm25 = BM25Scorer([lexical_text(e) for e in entries])
        # Korean queries, translated term by term, against the English expansions
        self._english = BM25Scorer([english_text(e) for e in entries], tokenizer="prefix")
        # The acronym scorer aligns abbreviation and expansion passages (the index's own,
        # termfit.passages); an entry scores the best of its passages. exact_match=1:
        # typing an abbreviation finds it.
        passages, owner = index_passages(entries, manifest_template(m))
        self._acronym = AcronymScorer(passages, exact_match=1.0)
        self._acr_starts = np.flatnonzero(np.diff(np.asarray(owner), prepend=-1))
        self._lock = threading.Lock()  # torch modules are not guaranteed re-entrant
        self._encode_cached = lru_cache(maxsize=query_cache)(self._encode_one)
        self.settings = (settings if settings is not None else
                         load_settings(self.index.path) if self.index.path else SearchSettings())
        # The abbreviation path: the index's entries grouped into senses, ranked in context
        # by the same model (its own lock: the model is shared).
        self.resolver = Resolver(entries, self.model, template=manifest_template(m))
        self._row = {str(e.get("id", e["abbr"])): i for i, e in enumerate(entries)}
        self._sense_rows = {s.entry_id: [self._row[x] for x in s.entry_ids if x in self._row]
                            for senses in self.resolver.senses.values() for s in senses}

    # -- embeddings
    def _encode_one(self, text: str) -> np.ndarray:
        return self.encode([text], prompt_name="query")[0]

    def encode(self, texts: Sequence[str], prompt_name: str | None = "query") -> np.ndarray:
        """Normalised embeddings; ``prompt_name`` query|passage applies the E5 prefix."""
        with self._lock:
            return self.model.encode(
                list(texts), prompt_name=prompt_name, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
                batch_size=max(1, min(64, len(texts))),
            ).astype(np.float32)

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        """Query embeddings, repeated queries served from an LRU cache."""
        if len(queries) == 1:
            return self._encode_cached(queries[0])[None, :]
        return self.encode(queries, prompt_name="query")

    # -- search
    def search(self, query: str, k: int = 10, mode: Mode = "hybrid",
               abbreviations: bool = True) -> list[Hit]:
        """The ``k`` best entries for ``query``."""
        return self.search_results([query], k, mode, abbreviations)[0].hits

    def search_many(self, queries: Sequence[str], k: int = 10, mode: Mode = "hybrid",
                    abbreviations: bool = True) -> list[list[Hit]]:
        """Batch search: one embedding call for all queries."""
        return [r.hits for r in self.search_results(queries, k, mode, abbreviations)]

    def search_results(self, queries: Sequence[str], k: int = 10, mode: Mode = "hybrid",
                       abbreviations: bool = True) -> list[SearchResult]:
        """Batch search, each result with the abbreviations its query names.

        ``abbreviations=False`` leaves the abbreviation path out of the ranking (the
        abbreviations are then not reported either). In lexical mode they are reported but
        not fused: the acronym scorer already matches an abbreviation exactly.
        """
        queries = self._check(queries, k, mode)
        if not queries:
            return []
        k = min(k, len(self.index.entries))
        found: list[tuple[Abbreviation, ...]] = [() for _ in queries]
        if abbreviations:
            found = [r.abbreviations for r in expand(queries, self.resolver)]
        mats = self.score_matrices(queries, mode, found if abbreviations else None, k)
        fused = self._fuse(mats, mode)
        return [SearchResult(q, self._hits(fused[i], {n: m[i] for n, m in mats.items()}, k,
                                           mode), found[i])
                for i, q in enumerate(queries)]

    def _check(self, queries: Sequence[str], k: int, mode: str) -> list[str]:
        if mode not in MODES:
            raise InputError(Problem("search", f"unknown mode {mode!r}; expected one of "
                                     + ", ".join(MODES), field="mode"))
        queries = [q.strip() for q in queries]
        bad = [i for i, q in enumerate(queries) if not q]
        if bad:
            raise InputError(Problem("search", f"empty query at position {bad[0]}", field="q"))
        if k < 1:
            raise InputError(Problem("search", f"k must be at least 1, got {k}", field="k"))
        return queries

    def score_matrices(self, queries: Sequence[str], mode: Mode,
                       found: Sequence[Sequence[Abbreviation]] | None, k: int = CANDIDATES
                       ) -> dict[str, np.ndarray]:
        """Per scorer, ``[n_queries, n_entries]`` scores (0 or less: not found).
        ``found``: the abbreviations of each query (None: no abbreviation scorer)."""
        mats: dict[str, np.ndarray] = {}
        emb = self.encode_queries(queries) if mode in ("hybrid", "dense") else None
        if emb is not None:
            mats["dense"] = self._dense_matrix(emb, k)
        if mode in ("hybrid", "lexical"):
            mats["bm25"] = self._bm25.score(queries)
            acr = self._acronym.score(queries)
            mats["acronym"] = np.maximum.reduceat(acr, self._acr_starts, axis=1)
        if found is not None and mode != "lexical":
            mats["abbreviation"] = self.abbreviation_matrix(found, queries)
        if mode == "hybrid" and emb is not None:
            mats.update(self.korean_matrices(queries, emb, found))
        return mats

    def korean_matrices(self, queries: Sequence[str], emb: np.ndarray,
                        found: Sequence[Sequence[Abbreviation]] | None = None
                        ) -> dict[str, np.ndarray]:
        """The "names" (dense over name and description passages) and "translated" (BM25
        over English text, Korean terms translated) scores; 0 for queries without Hangul
        and for questions about an abbreviation they name ("AMF는 무슨 뜻?": the answer is
        its entry, not one that a Korean name describes; ``found``: the queries'
        abbreviations, default their abbreviation-shaped words)."""
        korean = np.array([has_hangul(q) and not asks_about_abbreviation(
            q, found[i] if found is not None else None) for i, q in enumerate(queries)],
            dtype=bool)
        names = np.where(korean[:, None], self.index.name_scores(emb), 0.0)
        translated = self._english.score([translate(q) if k else ""
                                          for q, k in zip(queries, korean, strict=True)])
        return {"names": names.astype(np.float32), "translated": translated}

    def abbreviation_matrix(self, found: Sequence[Sequence[Abbreviation]],
                            queries: Sequence[str] | None = None) -> np.ndarray:
        """``[n_queries, n_entries]``: each entry of a sense of an abbreviation the query
        names, scored by that sense's probability in context (never 0: every sense is a
        candidate); 0 elsewhere. With ``queries``, the senses of abbreviations the question
        does not ask about (:func:`termfit.ko_query.asked_abbreviations`) score
        :data:`NOT_ASKED` times less."""
        out = np.zeros((len(found), len(self.index.entries)), dtype=np.float32)
        for i, abbrs in enumerate(found):
            asked = (asked_abbreviations(queries[i], abbrs) if queries is not None
                     else [True] * len(abbrs))
            for a, is_asked in zip(abbrs, asked, strict=True):
                scale = 1.0 if is_asked else NOT_ASKED
                senses = [(a.entry_id, a.score)] + [(x.entry_id, x.score)
                                                    for x in a.alternatives]
                for eid, score in senses:
                    for r in self._sense_rows.get(eid, ()) if eid else ():
                        out[i, r] = max(out[i, r], scale * max(float(score), 1e-4))
        return out

    def _fuse(self, mats: dict[str, np.ndarray], mode: str) -> np.ndarray:
        if mode == "lexical":
            # Acronym matches first, BM25 breaks ties and ranks the rest.
            b = mats["bm25"]
            return mats["acronym"] * (1.0 + b.max(axis=1, keepdims=True)) + b
        if len(mats) == 1:
            return mats["dense"]
        return fuse(list(mats.values()), [self.settings.weight(n) for n in mats])

    def _dense_matrix(self, q: np.ndarray, k: int) -> np.ndarray:
        if self.index.ann is None:
            return self.index.dense_scores(q)
        out = np.full((q.shape[0], len(self.index.entries)), -1.0, dtype=np.float32)
        for i, top in enumerate(self.index.dense_topk(q, max(k, CANDIDATES))):
            for e, s in top:
                out[i, e] = s
        return out

    def _hits(self, fused: np.ndarray, per: dict[str, np.ndarray], k: int, mode: str
              ) -> list[Hit]:
        idx = np.argsort(-fused, kind="stable")[:k]
        hits = []
        for i in idx:
            if mode != "dense" and fused[i] <= 0:
                break
            e = self.index.entries[int(i)]
            hits.append(Hit(
                id=str(e.get("id", e["abbr"])), abbr=e["abbr"], expansion=e["expansion"],
                ko=list(e.get("ko") or []), category=e.get("category"),
                score=round(float(fused[i]), 4), scorer=self._scorer(int(i), per, k),
                found_by=tuple(n for n, row in per.items()
                               if self._ranks_in(row, int(i), k, n == "dense")),
            ))
        return hits

    @staticmethod
    def _ranks_in(row: np.ndarray, i: int, k: int, dense: bool) -> bool:
        """Whether entry ``i`` is in the scorer's own top ``k`` (lexical and abbreviation
        scores of 0 or less mean not found)."""
        return (dense or row[i] > 0) and int((row > row[i]).sum()) < k

    @staticmethod
    def _scorer(i: int, per: dict[str, np.ndarray], k: int) -> str:
        """Which scorer found entry ``i``: one that ranks it in its own top ``k``;
        "hybrid" when several do."""
        if len(per) == 1:
            return next(iter(per))
        found, best, best_rank = [], None, None
        for name, row in per.items():
            if row[i] <= 0 and name != "dense":
                continue
            rank = int((row > row[i]).sum()) + 1
            if rank <= k:
                found.append(name)
            if best_rank is None or rank < best_rank:
                best, best_rank = name, rank
        if len(found) > 1:
            return "hybrid"
        return found[0] if found else (best or "dense")

    def info(self) -> dict:
        """What is loaded, for /readyz and the CLI."""
        m = self.index.manifest
        return {"index": str(self.index.path), "model": self.model_name,
                "model_fingerprint": m["model_fingerprint"], "entries": m["n_entries"],
                "passages": m["n_passages"], "dim": m["dim"], "created": m["created"],
                "ann": bool(m.get("ann"))}



def tune_settings(searcher: Searcher, dev_queries: Sequence[dict], tuned_on: str = "realtext-dev",
                  steps: Sequence[float] = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)) -> SearchSettings:
    """Hybrid fusion weights chosen on dev queries (rows with "text" and the gold
    "entry_id"; any entry of the gold's sense counts) by :func:`termfit.hybrid.tune_weights`.
    Never pass test queries. Queries whose gold is not in the index are skipped."""
    entries = searcher.index.entries
    ids = [str(e.get("id", e["abbr"])) for e in entries]
    known = set(ids)
    sense_of = {x: set(s.entry_ids) for senses in searcher.resolver.senses.values()
                for s in senses for x in s.entry_ids}
    rows = [q for q in dev_queries if q["entry_id"] in known]
    if not rows:
        raise InputError(Problem(tuned_on, "no dev query has its gold entry in the index"))
    texts = [q["text"] for q in rows]
    found = [r.abbreviations for r in expand(texts, searcher.resolver)]
    mats = searcher.score_matrices(texts, "hybrid", found, k=len(entries))
    relevant = [sense_of.get(q["entry_id"], {q["entry_id"]}) for q in rows]
    cfg = hybrid.tune_weights([mats[c] for c in TUNED_COMPONENTS], relevant, ids,
                              components=TUNED_COMPONENTS, methods=("rrf",), steps=steps,
                              rrf_ks=(RRF_K,))
    tuned = dict(zip(TUNED_COMPONENTS, map(float, cfg.weights), strict=True))
    return SearchSettings(DEFAULT_WEIGHTS | tuned, tuned_on, cfg.dev_score)



def tune_index(index_dir: str | os.PathLike, data: str | os.PathLike,
               searcher: Searcher | None = None) -> SearchSettings | None:
    """Tune the index folder's fusion weights on ``data``'s realtext-dev queries and write
    them (:data:`SETTINGS_FILE`); None (nothing written) when the data folder has none."""
    from termfit.fileio import read_jsonl
    from termfit.layout import DataLayout

    dev_path = DataLayout(Path(data)).queries("realtext-dev")
    if not dev_path.is_file():
        return None
    dev = read_jsonl(dev_path, {"text": str, "entry_id": str})
    searcher = searcher or Searcher(index_dir, settings=SearchSettings())
    settings = tune_settings(searcher, dev, tuned_on=dev_path.name)
    write_settings(index_dir, settings)
    return settings
