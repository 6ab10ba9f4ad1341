"""Evaluation: run retrieval systems side by side on the same queries and corpus.

Systems: ``bm25`` and ``acronym`` (:mod:`termfit.lexical`), ``dense`` (an embedding model,
E5 prompts), ``hybrid`` (:func:`termfit.hybrid.fuse` of the three, tuned on dev queries).
Metrics are the seed card's (:mod:`termfit.metrics`), overall and broken down by query
language, direction and ambiguous abbreviations. :func:`run_eval` writes a JSON report and,
through :mod:`termfit.report`, a markdown table in the seed card's layout and a PNG plot.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from termfit.errors import InputError, Problem, TermfitError
from termfit.fileio import atomic_write_bytes, atomic_write_text, read_jsonl, write_json
from termfit.hybrid import FusionConfig, fuse, tune_weights
from termfit.layout import QUERY_SPLITS, DataLayout
from termfit.lexical import AcronymScorer, BM25Scorer
from termfit.metrics import MAX_K, id_order, per_query_metrics, summarize, topk_indices
from termfit.realtext import REALTEXT_SPLITS, SenseCollector, has_candidates
from termfit.report import markdown_table, plot_report

logger = logging.getLogger(__name__)

SYSTEMS: tuple[str, ...] = ("bm25", "acronym", "dense", "hybrid")
SPLITS: tuple[str, ...] = (*QUERY_SPLITS, *REALTEXT_SPLITS)
#: Query fields that give a breakdown, when present.
BREAKDOWNS: tuple[str, ...] = ("lang", "direction", "ambiguous", "kind", "style")
#: Components of the hybrid system, in fusion-weight order.
HYBRID_COMPONENTS: tuple[str, ...] = ("dense", "bm25", "acronym")
# Floats held per query chunk and score matrix (bounds memory for large corpora: ~80 MB).
_CHUNK_CELLS = 20_000_000


@dataclass(frozen=True)
class EvalSettings:
    """How an evaluation runs (none of these change its results)."""

    tokenizer: str = "ngram"  # BM25 tokenizer (termfit.lexical.TOKENIZERS)
    batch_size: int = 64  # model encode batch size
    cache: str | os.PathLike | bool | None = None  # folder; None: $TERMFIT_HOME/cache; False
    show_progress: bool = True
    chunk_size: int | None = None  # queries scored at once (default: bounded by memory)


# --- inputs ------------------------------------------------------------------------------
def load_corpus(path: str | os.PathLike) -> list[dict]:
    """Read a corpus JSONL file ({id, text, ...}); bad lines and duplicate ids are errors."""
    rows = read_jsonl(path, {"id": (str, int), "text": str})
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for lineno, row in _numbered(path, rows):
        row["id"] = str(row["id"])
        if row["id"] in seen:
            problems.append(Problem(str(path), f"duplicate id {row['id']!r} (first on line "
                                    f"{seen[row['id']]})", lineno, "id"))
        seen.setdefault(row["id"], lineno)
    if not rows:
        problems.append(Problem(str(path), "the corpus is empty"))
    if problems:
        raise InputError(problems)
    return rows


def load_queries(path: str | os.PathLike, corpus_ids: set[str] | None = None) -> list[dict]:
    """Read a queries JSONL file ({id, text, relevant: [corpus ids], ...}).

    Every relevant id must be in ``corpus_ids`` (when given); a query needs at least one.
    """
    rows = read_jsonl(path, {"id": (str, int), "text": str, "relevant": list})
    problems = []
    for lineno, row in _numbered(path, rows):
        row["id"] = str(row["id"])
        rel = [str(r) for r in row["relevant"]]
        row["relevant"] = rel
        if not rel:
            problems.append(Problem(str(path), "no relevant corpus id", lineno, "relevant"))
        elif corpus_ids is not None:
            missing = [r for r in rel if r not in corpus_ids]
            if missing:
                problems.append(Problem(str(path), "relevant id(s) not in the corpus: "
                                        + ", ".join(map(repr, missing[:5])), lineno, "relevant"))
    if not rows:
        problems.append(Problem(str(path), "no queries"))
    if problems:
        raise InputError(problems)
    return rows


def _numbered(path: str | os.PathLike, rows: list[dict]):
    # read_jsonl skips blank lines; recover each row's line number for error messages.
    lines = [i for i, ln in enumerate(Path(path).read_bytes().split(b"\n"), 1) if ln.strip()]
    return zip(lines, rows, strict=True)


def split_paths(data_dir: str | os.PathLike, split: str) -> tuple[Path, Path]:
    """(queries file, corpus file) of ``split`` in a ``termfit data build`` folder."""
    if split not in SPLITS:
        raise InputError(Problem("--split", f"unknown split {split!r}; expected one of "
                                 + ", ".join(SPLITS)))
    lay = DataLayout(data_dir)
    q, c = lay.queries(split), lay.corpus
    for p in (c, q):
        if not p.is_file():
            raise InputError(Problem(str(p), "file not found (is this a `termfit data build` "
                                     "output folder?)"))
    return q, c


def sample(queries: Sequence[dict], n: int | None, seed: int = 0) -> list[dict]:
    """A fixed random sample of ``n`` queries (all of them when ``n`` is None or larger)."""
    if n is None or n >= len(queries):
        return list(queries)
    if n < 0:
        raise InputError(Problem("sample", f"expected a number of queries >= 0, got {n}"))
    rng = random.Random(seed)
    keep = sorted(rng.sample(range(len(queries)), n))
    return [queries[i] for i in keep]


# --- dense -------------------------------------------------------------------------------
def weights_fingerprint(model: Any) -> str:
    """Content fingerprint of a *loaded* SentenceTransformer (weights, prompts, settings),
    the key of the embedding cache. (:func:`termfit.index.model_fingerprint` hashes a
    model folder's files instead.)

    Hashes every parameter's name, shape and a cheap summary of its values (sum, first and
    last values), so a fine-tuned model never shares a fingerprint with its base.
    """
    import torch

    h = hashlib.sha256()
    h.update(repr(sorted((getattr(model, "prompts", None) or {}).items())).encode())
    h.update(repr(getattr(model, "max_seq_length", None)).encode())
    h.update(repr([type(m).__name__ for m in model]).encode() if hasattr(model, "__iter__")
             else b"")
    try:
        state = model.state_dict()
    except Exception:  # e.g. a non-torch backend
        state = {}
    with torch.no_grad():
        for name, t in state.items():
            flat = t.detach().reshape(-1).to(torch.float64)
            h.update(f"{name}:{tuple(t.shape)}:{t.dtype}".encode())
            if flat.numel():
                h.update(np.asarray([flat.sum().item(), flat.abs().sum().item()]).tobytes())
                h.update(flat[:64].cpu().numpy().tobytes() + flat[-64:].cpu().numpy().tobytes())
    if not state:
        h.update(repr(getattr(model, "model_card_data", "")).encode())
    return h.hexdigest()[:16]


def texts_hash(texts: Sequence[str]) -> str:
    """Fingerprint of a list of texts (order matters)."""
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """``$TERMFIT_HOME/cache`` (default ``~/.cache/termfit/cache``)."""
    from termfit.base_model import termfit_home

    return termfit_home() / "cache"


def corpus_embeddings(model: Any, texts: Sequence[str],
                      settings: EvalSettings = EvalSettings()) -> np.ndarray:
    """Normalised passage embeddings (prompt "passage"), cached by (model, corpus) fingerprint.

    ``settings.cache``: a folder, ``None`` for ``$TERMFIT_HOME/cache``, or ``False`` for none.
    """
    path = None
    cache = settings.cache
    if cache is not False:
        root = Path(cache) if isinstance(cache, str | os.PathLike) and cache else cache_dir()
        key = f"{weights_fingerprint(model)}-{texts_hash(texts)}"
        path = root / "embeddings" / f"{key}.npy"
        if path.is_file():
            try:
                emb = np.load(path)
                if emb.shape[0] == len(texts):
                    logger.info("corpus embeddings from cache %s", path)
                    return emb
            except (OSError, ValueError):
                logger.warning("ignoring unreadable cache file %s", path)
    emb = _encode(model, texts, "passage", settings, "corpus")
    if path is not None:
        buf = io.BytesIO()
        np.save(buf, emb)
        try:
            atomic_write_bytes(path, buf.getvalue())
        except OSError as exc:  # a read-only cache must not break evaluation
            logger.warning("could not cache embeddings at %s: %s", path, exc)
    return emb


def _encode(model: Any, texts: Sequence[str], prompt_name: str, settings: EvalSettings,
            what: str) -> np.ndarray:
    prompts = getattr(model, "prompts", None) or {}
    kw = {"prompt_name": prompt_name} if prompt_name in prompts else {}
    if settings.show_progress:
        logger.info("encoding %d %s texts", len(texts), what)
    emb = model.encode(list(texts), batch_size=settings.batch_size, normalize_embeddings=True,
                       convert_to_numpy=True, show_progress_bar=settings.show_progress, **kw)
    return np.asarray(emb, dtype=np.float32)


# --- scoring -----------------------------------------------------------------------------
@dataclass
class _Components:
    """Score providers for each component over one corpus."""

    corpus_texts: list[str]
    model: Any = None
    settings: EvalSettings = field(default_factory=EvalSettings)
    seconds: dict[str, float] = field(default_factory=dict)
    _bm25: BM25Scorer | None = None
    _acronym: AcronymScorer | None = None
    _emb: np.ndarray | None = None

    def _timed(self, name: str, t0: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0

    def prepare(self, names: set[str]) -> None:
        t0 = time.perf_counter()
        if "bm25" in names and self._bm25 is None:
            self._bm25 = BM25Scorer(self.corpus_texts, tokenizer=self.settings.tokenizer)
            self._timed("bm25", t0)
        t0 = time.perf_counter()
        if "acronym" in names and self._acronym is None:
            self._acronym = AcronymScorer(self.corpus_texts)
            self._timed("acronym", t0)
        t0 = time.perf_counter()
        if "dense" in names and self._emb is None:
            if self.model is None:
                raise TermfitError("the dense and hybrid systems need a model")
            self._emb = corpus_embeddings(self.model, self.corpus_texts, self.settings)
            self._timed("dense", t0)

    def query_embeddings(self, texts: Sequence[str]) -> np.ndarray:
        t0 = time.perf_counter()
        q = _encode(self.model, texts, "query", self.settings, "query")
        self._timed("dense", t0)
        return q

    def scores(self, name: str, texts: Sequence[str], q_emb: np.ndarray | None) -> np.ndarray:
        t0 = time.perf_counter()
        if name == "bm25":
            assert self._bm25 is not None, "prepare() builds it"
            out = self._bm25.score(texts)
        elif name == "acronym":
            assert self._acronym is not None, "prepare() builds it"
            out = self._acronym.score(texts)
        else:
            import torch

            # torch matmul as in sentence-transformers' cos_sim, so ties and rounding match.
            out = (torch.from_numpy(q_emb) @ torch.from_numpy(self._emb).T).numpy()
        self._timed(name, t0)
        return out


def _needed(systems: Sequence[str]) -> set[str]:
    need = set()
    for s in systems:
        need |= set(HYBRID_COMPONENTS) if s == "hybrid" else {s}
    return need


def rank_systems(
    systems: Sequence[str],
    queries: Sequence[dict],
    corpus: Sequence[dict],
    model: Any = None,
    fusion: FusionConfig | None = None,
    k: int = MAX_K,
    settings: EvalSettings = EvalSettings(),
    _components: _Components | None = None,
    on_scores: Any = None,
) -> tuple[dict[str, list[list[str]]], dict[str, float]]:
    """Top-``k`` corpus ids per query for each system, scored in bounded query chunks.

    ``on_scores(system, first_query_index, score_matrix)``, when given, sees every chunk's
    full score matrix (e.g. :class:`termfit.realtext.SenseCollector`).
    Returns ``({system: rankings}, {component: seconds})``.
    """
    for s in systems:
        if s not in SYSTEMS:
            raise InputError(Problem("--system", f"unknown system {s!r}; expected one of "
                                     + ", ".join(SYSTEMS) + " or all"))
    corpus_ids = [str(c["id"]) for c in corpus]
    comps = _components or _Components([c["text"] for c in corpus], model, settings)
    need = _needed(systems)
    comps.prepare(need)
    fusion = fusion or FusionConfig("rrf", [1.0, 1.0, 1.0], 60, None, list(HYBRID_COMPONENTS))
    texts = [q["text"] for q in queries]
    q_emb = comps.query_embeddings(texts) if "dense" in need else None
    tie = id_order(corpus_ids)
    chunk = settings.chunk_size or max(1, min(512, _CHUNK_CELLS // max(1, len(corpus_ids))))
    out: dict[str, list[list[str]]] = {s: [] for s in systems}
    bar = tqdm(total=len(texts), desc="scoring", unit="q", disable=not settings.show_progress)
    for start in range(0, len(texts), chunk):
        part = texts[start : start + chunk]
        emb = q_emb[start : start + chunk] if q_emb is not None else None
        mats = {name: comps.scores(name, part, emb) for name in sorted(need)}
        for s in systems:
            if s == "hybrid":
                t0 = time.perf_counter()
                m = fuse([mats[c] for c in HYBRID_COMPONENTS], fusion.weights,
                         method=fusion.method, rrf_k=fusion.rrf_k)
                comps._timed("hybrid", t0)
            else:
                m = mats[s]
            if on_scores is not None:
                on_scores(s, start, m)
            idx = topk_indices(m, k, tie)
            out[s].extend([corpus_ids[j] for j in row] for row in idx)
        bar.update(len(part))
    bar.close()
    return out, dict(comps.seconds)


def breakdowns(per_query: np.ndarray, queries: Sequence[dict]) -> dict[str, dict[str, dict]]:
    """Metrics per group of each breakdown field present in the queries."""
    out: dict[str, dict[str, dict]] = {}
    for name in BREAKDOWNS:
        values = [q.get(name) for q in queries]
        if all(v is None for v in values):
            continue
        groups: dict[str, list[int]] = {}
        for i, v in enumerate(values):
            key = "unknown" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
            groups.setdefault(key, []).append(i)
        out[name] = {g: {"n": len(ix), **summarize(per_query[ix])}
                     for g, ix in sorted(groups.items())}
    return out


def tune_fusion(
    dev_queries: Sequence[dict],
    corpus: Sequence[dict],
    model: Any,
    settings: EvalSettings = EvalSettings(),
    _components: _Components | None = None,
) -> FusionConfig:
    """Choose the hybrid's fusion method and weights on dev queries (keep them few: full
    score matrices are held in memory)."""
    comps = _components or _Components([c["text"] for c in corpus], model, settings)
    comps.prepare(set(HYBRID_COMPONENTS))
    texts = [q["text"] for q in dev_queries]
    q_emb = comps.query_embeddings(texts)
    mats = [comps.scores(c, texts, q_emb) for c in HYBRID_COMPONENTS]
    rel = [set(q["relevant"]) for q in dev_queries]
    return tune_weights(mats, rel, [str(c["id"]) for c in corpus], list(HYBRID_COMPONENTS))


def evaluate(
    systems: Sequence[str],
    queries: Sequence[dict],
    corpus: Sequence[dict],
    model: Any = None,
    *,
    fusion: FusionConfig | None = None,
    dev_queries: Sequence[dict] | None = None,
    settings: EvalSettings = EvalSettings(),
) -> dict[str, dict]:
    """Evaluate ``systems`` (sharing the work) on ``queries`` over ``corpus``.

    ``queries``: dicts with id, text, relevant (and optionally lang/direction/ambiguous);
    ``corpus``: dicts with id, text; ``model``: a loaded SentenceTransformer (for dense and
    hybrid). The hybrid's fusion is ``fusion``, else tuned on ``dev_queries``, else equal-
    weight RRF. Returns ``{system: {"metrics", "breakdowns", "seconds", "n_queries",
    "n_corpus"}}`` (and "fusion" for the hybrid).
    """
    if isinstance(systems, str):
        raise TypeError("systems must be a list of system names, e.g. ['dense']")
    systems = list(systems)
    comps = _Components([c["text"] for c in corpus], model, settings)
    if "hybrid" in systems and fusion is None and dev_queries:
        fusion = tune_fusion(dev_queries, corpus, model, _components=comps)
    senses = (SenseCollector(queries, [str(c["id"]) for c in corpus])
              if has_candidates(queries) else None)
    rankings, seconds = rank_systems(systems, queries, corpus, model, fusion,
                                     settings=settings, _components=comps,
                                     on_scores=senses)
    rel = [set(q["relevant"]) for q in queries]
    results = {}
    for s in systems:
        pq = per_query_metrics(rankings[s], rel)
        comp = _needed([s])
        secs = sum(seconds.get(c, 0.0) for c in comp | ({"hybrid"} if s == "hybrid" else set()))
        results[s] = {
            "metrics": summarize(pq),
            "breakdowns": breakdowns(pq, queries),
            "seconds": round(secs, 3),
            "n_queries": len(queries),
            "n_corpus": len(corpus),
        }
        if senses is not None:
            results[s]["senses"] = senses.result(s)
        if s == "hybrid":
            results[s]["fusion"] = (fusion or FusionConfig(
                "rrf", [1.0] * 3, 60, None, list(HYBRID_COMPONENTS))).to_dict()
    return results


# --- the evaluator used during training --------------------------------------------------
def ir_evaluator(
    queries: Sequence[dict] | str | os.PathLike,
    corpus: Sequence[dict] | str | os.PathLike,
    name: str = "",
    **kwargs: Any,
):
    """sentence-transformers' ``InformationRetrievalEvaluator`` with the seed's settings.

    accuracy/precision/recall@1/3/5/10, NDCG@10, MRR@10, MAP@100, E5 prompts via prompt
    names "query"/"passage" (the texts are raw, without prefixes). ``queries``/``corpus``
    are rows as in the data files, or paths to them; ``kwargs`` go to the evaluator.
    """
    from sentence_transformers.sentence_transformer.evaluation import (
        InformationRetrievalEvaluator,
    )

    if isinstance(corpus, str | os.PathLike):
        corpus = load_corpus(corpus)
    if isinstance(queries, str | os.PathLike):
        queries = load_queries(queries, {str(c["id"]) for c in corpus})
    settings: dict[str, Any] = dict(
        mrr_at_k=[10], ndcg_at_k=[10], accuracy_at_k=[1, 3, 5, 10],
        precision_recall_at_k=[1, 3, 5, 10], map_at_k=[100], batch_size=64,
        query_prompt_name="query", corpus_prompt_name="passage", name=name,
    )
    settings.update(kwargs)
    return InformationRetrievalEvaluator(
        queries={str(q["id"]): q["text"] for q in queries},
        corpus={str(c["id"]): c["text"] for c in corpus},
        relevant_docs={str(q["id"]): {str(r) for r in q["relevant"]} for q in queries},
        **settings,
    )


def run_eval(
    systems: Sequence[str],
    queries: Sequence[dict],
    corpus: Sequence[dict],
    model: str | os.PathLike | Any = None,
    *,
    dev_queries: Sequence[dict] | None = None,
    out: str | os.PathLike | None = None,
    name: str = "evaluation",
    settings: EvalSettings = EvalSettings(),
    extra: dict | None = None,
) -> dict:
    """Evaluate ``systems`` and write ``out`` (JSON), ``out``.md and ``out``.png.

    ``model``: anything :func:`termfit.models.load_model` accepts, or a loaded model; it is
    loaded only when a dense or hybrid system is asked for.
    """
    systems = list(dict.fromkeys(systems))
    st = None
    model_info: dict[str, Any] = {}
    if _needed(systems) & {"dense"}:
        if model is None or isinstance(model, str | os.PathLike):
            from termfit.models import load_model

            st = load_model(model)
            model_info["model"] = str(model) if model is not None else "default"
        else:
            st = model
            model_info["model"] = type(model).__name__
        model_info["model_fingerprint"] = weights_fingerprint(st)
    results = evaluate(systems, queries, corpus, st, dev_queries=dev_queries,
                       settings=settings)
    report = {
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_queries": len(queries),
        "n_corpus": len(corpus),
        **model_info,
        "tokenizer": settings.tokenizer,
        **(extra or {}),
        "systems": results,
    }
    if out is not None:
        out = Path(out)
        write_json(out, report)
        atomic_write_text(out.with_suffix(".md"), markdown_table(report))
        plot_report(report, out.with_suffix(".png"))
    return report
