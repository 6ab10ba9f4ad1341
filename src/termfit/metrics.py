"""Retrieval metrics of the seed model card, from ranked lists or score matrices.

The definitions follow sentence-transformers' ``InformationRetrievalEvaluator`` exactly
(accuracy/precision/recall@1/3/5/10, NDCG@10 with binary gains, MRR@10, MAP@100 normalised
by ``min(k, #relevant)``; ties broken by ascending corpus id), so lexical and hybrid systems
are scored the same way as dense models. The evaluator only reports means; breakdowns need
per-query values, hence this small re-implementation (checked against it in the tests).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ACCURACY_AT = (1, 3, 5, 10)
PRECISION_RECALL_AT = (1, 3, 5, 10)
NDCG_AT = 10
MRR_AT = 10
MAP_AT = 100
#: Deepest rank any metric looks at.
MAX_K = max(*ACCURACY_AT, *PRECISION_RECALL_AT, NDCG_AT, MRR_AT, MAP_AT)

#: Metric names in the seed card's order.
METRIC_NAMES: tuple[str, ...] = (
    *(f"accuracy@{k}" for k in ACCURACY_AT),
    *(f"precision@{k}" for k in PRECISION_RECALL_AT),
    *(f"recall@{k}" for k in PRECISION_RECALL_AT),
    f"ndcg@{NDCG_AT}",
    f"mrr@{MRR_AT}",
    f"map@{MAP_AT}",
)
PRIMARY_METRIC = f"ndcg@{NDCG_AT}"


def query_metrics(ranked: Sequence[str], relevant: set[str] | Sequence[str]) -> np.ndarray:
    """Every metric of :data:`METRIC_NAMES` for one query, as a float64 vector.

    ``ranked`` holds corpus ids, best first (at least :data:`MAX_K` of them when the corpus
    has that many); ``relevant`` must not be empty.
    """
    rel = set(relevant)
    if not rel:
        raise ValueError("a query needs at least one relevant document")
    hits = np.fromiter((cid in rel for cid in ranked[:MAX_K]), dtype=bool, count=-1)
    cum = np.cumsum(hits)

    def n_correct(k: int) -> int:
        return int(cum[min(k, len(cum)) - 1]) if len(cum) else 0

    out: list[float] = []
    out += [float(n_correct(k) > 0) for k in ACCURACY_AT]
    out += [n_correct(k) / k for k in PRECISION_RECALL_AT]
    out += [n_correct(k) / len(rel) for k in PRECISION_RECALL_AT]
    discounts = 1.0 / np.log2(np.arange(2, NDCG_AT + 2))
    dcg = float((hits[:NDCG_AT] * discounts[: len(hits[:NDCG_AT])]).sum())
    idcg = float(discounts[: min(len(rel), NDCG_AT)].sum())
    out.append(dcg / idcg)
    first = np.flatnonzero(hits[:MRR_AT])
    out.append(1.0 / (first[0] + 1) if len(first) else 0.0)
    top = hits[:MAP_AT]
    ranks = np.flatnonzero(top) + 1
    precisions = np.arange(1, len(ranks) + 1) / ranks
    out.append(float(precisions.sum()) / min(MAP_AT, len(rel)))
    return np.asarray(out, dtype=np.float64)


def per_query_metrics(
    rankings: Sequence[Sequence[str]], relevant: Sequence[set[str] | Sequence[str]]
) -> np.ndarray:
    """``[n_queries, len(METRIC_NAMES)]`` matrix of per-query metric values."""
    if len(rankings) != len(relevant):
        raise ValueError(f"{len(rankings)} rankings but {len(relevant)} relevance sets")
    if not rankings:
        return np.zeros((0, len(METRIC_NAMES)))
    return np.stack([query_metrics(r, rel) for r, rel in zip(rankings, relevant, strict=True)])


def summarize(per_query: np.ndarray) -> dict[str, float]:
    """Mean of each metric over the rows of a :func:`per_query_metrics` matrix."""
    if len(per_query) == 0:
        return {name: float("nan") for name in METRIC_NAMES}
    means = per_query.mean(axis=0)
    return {name: float(v) for name, v in zip(METRIC_NAMES, means, strict=True)}


def compute_metrics(
    rankings: Sequence[Sequence[str]], relevant: Sequence[set[str] | Sequence[str]]
) -> dict[str, float]:
    """Mean metrics over queries, keyed by :data:`METRIC_NAMES`."""
    return summarize(per_query_metrics(rankings, relevant))


def id_order(corpus_ids: Sequence[str]) -> np.ndarray:
    """Rank of each corpus id in ascending string order (the evaluator's tie-break key)."""
    order = sorted(range(len(corpus_ids)), key=corpus_ids.__getitem__)
    ranks = np.empty(len(corpus_ids), dtype=np.int64)
    ranks[np.asarray(order, dtype=np.int64)] = np.arange(len(corpus_ids))
    return ranks


def topk_indices(scores: np.ndarray, k: int, tie_rank: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` best columns of each row of ``scores``, best first.

    Ties are broken by ``tie_rank`` (lower first; default the column index), the same total
    order as the evaluator's ``(-score, corpus_id)``, so that results do not depend on how
    the corpus is chunked. Works in ``O(n)`` per row (partition, then sort ``k`` items).
    """
    scores = np.asarray(scores)
    n_rows, n = scores.shape
    k = min(k, n)
    if k == 0:
        return np.zeros((n_rows, 0), dtype=np.int64)
    if tie_rank is None:
        tie_rank = np.arange(n, dtype=np.int64)
    # k-th best score per row: everything above it is in, ties at it are taken by tie rank.
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
    key = np.where(scores > kth, tie_rank, np.int64(2 * n))
    key = np.where(scores == kth, tie_rank + n, key)
    if k < n:
        cand = np.argpartition(key, k - 1, axis=1)[:, :k]
    else:
        cand = np.tile(np.arange(n), (n_rows, 1))
    cand_scores = np.take_along_axis(scores, cand, axis=1)
    cand_ties = tie_rank[cand]
    order = np.lexsort((cand_ties, -cand_scores), axis=1)
    return np.take_along_axis(cand, order, axis=1)
