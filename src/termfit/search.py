"""Search an index: dense (the embedding model), lexical (BM25 + acronym match) or hybrid."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from termfit import hybrid
from termfit.errors import InputError, Problem
from termfit.index import (
    Index,
    check_model,
    index_passages,
    lexical_text,
    load_index,
    manifest_template,
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
    scorer: str  # "dense" | "bm25" | "acronym" | "hybrid": the scorer(s) that found it

    def to_dict(self) -> dict:
        return asdict(self)


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
    ):
        """Load ``index``; the model defaults to the one the index was built with.

        ``model`` is refused when its fingerprint differs from the index's. ``st_model`` is an
        already loaded SentenceTransformer for the same model folder (skips loading).
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
        rows = [_Row(e) for e in entries]
        self._bm25 = BM25Scorer([lexical_text(r) for r in rows])
        # The acronym scorer aligns abbreviation and expansion passages (the index's own,
        # termfit.passages); an entry scores the best of its passages. exact_match=1:
        # typing an abbreviation finds it.
        passages, owner = index_passages(entries, manifest_template(m))
        self._acronym = AcronymScorer(passages, exact_match=1.0)
        self._acr_starts = np.flatnonzero(np.diff(np.asarray(owner), prepend=-1))
        self._lock = threading.Lock()  # torch modules are not guaranteed re-entrant
        self._encode_cached = lru_cache(maxsize=query_cache)(self._encode_one)

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
    def search(self, query: str, k: int = 10, mode: Mode = "hybrid") -> list[Hit]:
        """The ``k`` best entries for ``query``."""
        return self.search_many([query], k=k, mode=mode)[0]

    def search_many(
        self, queries: Sequence[str], k: int = 10, mode: Mode = "hybrid"
    ) -> list[list[Hit]]:
        """Batch search: one embedding call for all queries."""
        if mode not in MODES:
            raise InputError(Problem("search", f"unknown mode {mode!r}; expected one of "
                                     + ", ".join(MODES), field="mode"))
        queries = [q.strip() for q in queries]
        bad = [i for i, q in enumerate(queries) if not q]
        if bad:
            raise InputError(Problem("search", f"empty query at position {bad[0]}", field="q"))
        if k < 1:
            raise InputError(Problem("search", f"k must be at least 1, got {k}", field="k"))
        if not queries:
            return []
        k = min(k, len(self.index.entries))
        mats: dict[str, np.ndarray] = {}
        if mode in ("hybrid", "dense"):
            mats["dense"] = self._dense_matrix(self.encode_queries(queries), k)
        if mode in ("hybrid", "lexical"):
            mats["bm25"] = self._bm25.score(queries)
            acr = self._acronym.score(queries)
            mats["acronym"] = np.maximum.reduceat(acr, self._acr_starts, axis=1)
        if mode == "dense":
            fused = mats["dense"]
        elif mode == "lexical":
            # Acronym matches first, BM25 breaks ties and ranks the rest.
            b = mats["bm25"]
            fused = mats["acronym"] * (1.0 + b.max(axis=1, keepdims=True)) + b
        else:
            fused = fuse(list(mats.values()), [1.0] * len(mats))
        return [self._hits(fused[i], {n: m[i] for n, m in mats.items()}, k, mode)
                for i in range(len(queries))]

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
            ))
        return hits

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


class _Row:
    """Attribute access over an ``entries.jsonl`` row (for :func:`lexical_text`)."""

    def __init__(self, row: dict):
        self.abbr = row["abbr"]
        self.expansion = row["expansion"]
        self.ko = row.get("ko") or []
        self.aliases = row.get("aliases") or []
        self.category = row.get("category")
        self.id = row.get("id", row["abbr"])
