"""Metrics: hand-computed cases and agreement with sentence-transformers' evaluator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from termfit.metrics import (
    METRIC_NAMES,
    compute_metrics,
    id_order,
    query_metrics,
    topk_indices,
)


def _m(ranked, relevant):
    return dict(zip(METRIC_NAMES, query_metrics(ranked, relevant), strict=True))


def test_single_relevant_at_rank_two():
    m = _m(["a", "b", "c"], {"b"})
    assert m["accuracy@1"] == 0 and m["accuracy@3"] == 1
    assert m["precision@1"] == 0 and m["precision@3"] == pytest.approx(1 / 3)
    assert m["recall@1"] == 0 and m["recall@3"] == 1
    assert m["mrr@10"] == pytest.approx(0.5)
    assert m["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert m["map@100"] == pytest.approx(0.5)


def test_two_relevant():
    m = _m(["a", "b", "c", "d"], {"a", "c"})
    assert m["precision@3"] == pytest.approx(2 / 3)
    assert m["recall@1"] == pytest.approx(0.5)
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert m["map@100"] == pytest.approx((1 + 2 / 3) / 2)
    assert m["mrr@10"] == 1


def test_miss_and_beyond_cutoff():
    ranked = [f"x{i}" for i in range(10)] + ["hit"]
    m = _m(ranked, {"hit"})
    assert m["accuracy@10"] == 0 and m["mrr@10"] == 0 and m["ndcg@10"] == 0
    assert m["map@100"] == pytest.approx(1 / 11)


def test_mean_over_queries_and_empty_relevant():
    m = compute_metrics([["a", "b"], ["b", "a"]], [{"a"}, {"a"}])
    assert m["accuracy@1"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        query_metrics(["a"], set())


def test_topk_breaks_ties_by_corpus_id():
    ids = ["d", "b", "c", "a"]
    scores = np.array([[1.0, 1.0, 2.0, 1.0]])
    idx = topk_indices(scores, 3, id_order(ids))
    assert [ids[j] for j in idx[0]] == ["c", "a", "b"]
    # k larger than the corpus
    assert topk_indices(scores, 10).shape == (1, 4)


class _FixedModel:
    """Stands in for a SentenceTransformer: returns fixed embeddings per text."""

    def __init__(self, table):
        self.table = table

    def _enc(self, texts, **kw):
        return torch.tensor(np.stack([self.table[t] for t in texts]), dtype=torch.float32)

    encode_query = encode_document = _enc


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_information_retrieval_evaluator(seed):
    """Same scores (with many ties) -> same metrics as sentence-transformers, within 1e-6."""
    try:
        from sentence_transformers.sentence_transformer.evaluation import (
            InformationRetrievalEvaluator,
        )
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.evaluation import InformationRetrievalEvaluator

    rng = np.random.default_rng(seed)
    n_q, n_c = 40, 150
    q_emb = rng.integers(0, 3, size=(n_q, 4)).astype(np.float32)  # integer dot products: ties
    c_emb = rng.integers(0, 3, size=(n_c, 4)).astype(np.float32)
    qids = [f"q{i}" for i in range(n_q)]
    cids = [f"c{rng.integers(0, 10**6):07d}-{i}" for i in range(n_c)]
    relevant = {q: set(rng.choice(cids, size=rng.integers(1, 4), replace=False)) for q in qids}
    table = {f"Q{i}": q_emb[i] for i in range(n_q)} | {f"C{i}": c_emb[i] for i in range(n_c)}
    ev = InformationRetrievalEvaluator(
        {q: f"Q{i}" for i, q in enumerate(qids)}, {c: f"C{i}" for i, c in enumerate(cids)},
        relevant, score_functions={"dot": lambda a, b: a @ b.T}, corpus_chunk_size=37,
    )
    theirs = ev.compute_all_metrics(_FixedModel(table))["dot"]
    scores = q_emb @ c_emb.T
    idx = topk_indices(scores, 100, id_order(cids))
    ours = compute_metrics([[cids[j] for j in row] for row in idx], [relevant[q] for q in qids])
    for name, value in ours.items():
        metric, k = name.split("@")
        assert value == pytest.approx(float(theirs[f"{metric}@k"][int(k)]), abs=1e-6), name
