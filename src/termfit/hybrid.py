"""Fusion of dense and lexical scores: reciprocal-rank fusion or weighted normalised scores.

Weights are tuned on a dev split with :func:`tune_weights`; never on the test split.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from termfit.metrics import MAX_K, PRIMARY_METRIC, compute_metrics, id_order, topk_indices

METHODS: tuple[str, ...] = ("rrf", "minmax", "zscore")


def _rrf(m: np.ndarray, rrf_k: float, depth: int | None) -> np.ndarray:
    # Ranks from a full argsort: rank r (1-based) contributes 1 / (rrf_k + r). Non-positive
    # scores mean "not found" for the lexical scorers and contribute nothing.
    order = np.argsort(-m, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, m.shape[1] + 1)[None, :].repeat(len(m), 0), 1)
    out = 1.0 / (rrf_k + ranks)
    out[m <= 0] = 0.0
    if depth is not None:
        out[ranks > depth] = 0.0
    return out


def _minmax(m: np.ndarray) -> np.ndarray:
    lo = m.min(axis=1, keepdims=True)
    span = m.max(axis=1, keepdims=True) - lo
    return np.where(span > 0, (m - lo) / np.where(span > 0, span, 1.0), 0.0)


def _zscore(m: np.ndarray) -> np.ndarray:
    sd = m.std(axis=1, keepdims=True)
    return np.where(sd > 0, (m - m.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0), 0.0)


def fuse(
    score_matrices: list[np.ndarray],
    weights: list[float],
    method: str = "rrf",
    rrf_k: int = 60,
    depth: int | None = None,
) -> np.ndarray:
    """Fuse ``[n_queries, n_texts]`` score matrices into one (float32, higher is better).

    - ``"rrf"``: ``sum_i w_i / (rrf_k + rank_i)``; texts scoring <= 0 (no lexical match)
      or ranked below ``depth`` contribute nothing;
    - ``"minmax"``: weighted sum of per-query min-max normalised scores;
    - ``"zscore"``: weighted sum of per-query standardised scores.
    """
    if not score_matrices:
        raise ValueError("nothing to fuse")
    if len(weights) != len(score_matrices):
        raise ValueError(f"{len(score_matrices)} score matrices but {len(weights)} weights")
    shape = score_matrices[0].shape
    if any(m.shape != shape for m in score_matrices):
        shapes = [m.shape for m in score_matrices]
        raise ValueError(f"score matrices differ in shape: {shapes}")
    if method not in METHODS:
        raise ValueError(f"unknown fusion method {method!r}; expected one of {METHODS}")
    total = np.zeros(shape, dtype=np.float64)
    for m, w in zip(score_matrices, weights, strict=True):
        if w:
            total += w * normalize(m, method, rrf_k, depth)
    return total.astype(np.float32)


def normalize(m: np.ndarray, method: str, rrf_k: int = 60, depth: int | None = None
              ) -> np.ndarray:
    """One component's contribution before weighting (see :func:`fuse`)."""
    m = np.asarray(m, dtype=np.float64)
    if method == "rrf":
        return _rrf(m, rrf_k, depth)
    return _minmax(m) if method == "minmax" else _zscore(m)


@dataclass
class FusionConfig:
    """A tuned fusion: method, one weight per component, RRF constant, and its dev score."""

    method: str = "rrf"
    weights: list[float] = field(default_factory=list)
    rrf_k: int = 60
    dev_score: float | None = None
    components: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _grid(n: int, steps: Sequence[float]) -> list[tuple[float, ...]]:
    # The first component (dense) keeps weight 1; the others range over ``steps``.
    return [(1.0, *rest) for rest in itertools.product(steps, repeat=n - 1)]


def tune_weights(
    score_matrices: list[np.ndarray],
    relevant: Sequence[set[str]],
    corpus_ids: Sequence[str],
    components: Sequence[str] | None = None,
    methods: Sequence[str] = METHODS,
    steps: Sequence[float] = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0),
    rrf_ks: Sequence[int] = (10, 60),
    metric: str = PRIMARY_METRIC,
) -> FusionConfig:
    """Grid-search fusion method and weights maximising ``metric`` on dev queries.

    ``score_matrices`` are full ``[n_dev_queries, n_corpus]`` matrices (keep the dev sample
    small). The first component's weight is fixed at 1 (only ratios matter).
    """
    tie = id_order(corpus_ids)
    best: FusionConfig | None = None
    best_score = float("-inf")
    for method in methods:
        for rk in rrf_ks if method == "rrf" else (60,):
            parts = [normalize(m, method, rk) for m in score_matrices]
            for w in _grid(len(score_matrices), steps):
                fused = sum((wi * p for wi, p in zip(w, parts, strict=True) if wi),
                            np.zeros_like(parts[0]))
                idx = topk_indices(fused, MAX_K, tie)
                ranked = [[corpus_ids[j] for j in row] for row in idx]
                score = compute_metrics(ranked, relevant)[metric]
                if best is None or score > best_score + 1e-12:
                    best_score = float(score)
                    best = FusionConfig(method, list(w), rk, float(score),
                                        list(components or []))
    assert best is not None
    return best
