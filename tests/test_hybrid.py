"""Fusion methods and weight tuning."""

from __future__ import annotations

import numpy as np
import pytest

from termfit.hybrid import fuse, tune_weights


def test_rrf_hand_computed():
    a = np.array([[3.0, 2.0, 1.0]])
    b = np.array([[0.0, 1.0, 2.0]])  # the first text is not found by b
    out = fuse([a, b], [1.0, 0.5], method="rrf", rrf_k=60)
    expected = [1 / 61, 1 / 62 + 0.5 / 62, 1 / 63 + 0.5 / 61]
    np.testing.assert_allclose(out[0], expected, rtol=1e-6)
    assert out.dtype == np.float32


def test_minmax_and_zscore():
    a = np.array([[1.0, 3.0, 2.0]])
    b = np.array([[10.0, 10.0, 10.0]])  # constant rows contribute nothing
    np.testing.assert_allclose(fuse([a, b], [2.0, 1.0], method="minmax")[0], [0, 2, 1])
    z = fuse([a], [1.0], method="zscore")[0]
    assert z.mean() == pytest.approx(0, abs=1e-6) and z.argmax() == 1


def test_fuse_validates():
    a = np.zeros((1, 3))
    with pytest.raises(ValueError):
        fuse([a], [1.0, 1.0])
    with pytest.raises(ValueError):
        fuse([a, np.zeros((1, 4))], [1.0, 1.0])
    with pytest.raises(ValueError):
        fuse([a], [1.0], method="max")


def test_tune_weights_prefers_the_informative_component():
    rng = np.random.default_rng(0)
    n_q, n_c = 20, 50
    ids = [f"c{i:02d}" for i in range(n_c)]
    good = rng.random((n_q, n_c))
    gold = good.argmax(axis=1)
    noise = rng.random((n_q, n_c))
    cfg = tune_weights([noise, good], [{ids[g]} for g in gold], ids, ["dense", "bm25"],
                       steps=(0.0, 1.0, 10.0))
    assert cfg.dev_score == pytest.approx(1.0)
    assert cfg.weights[1] > cfg.weights[0]
    assert cfg.components == ["dense", "bm25"]
