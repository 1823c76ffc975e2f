"""Cosine similarity within and between classes: brute force, clusters, errors."""

import numpy as np
import pytest

import ibtools as ib


def _brute_force(x, labels):
    u = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8)
    cos = u @ u.T
    same = labels[:, None] == labels[None, :]
    off = ~np.eye(len(x), dtype=bool)
    return cos[same & off].mean(), cos[~same].mean()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_matches_brute_force(n_classes):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    x[:3] = 0.0  # zero vectors (dead ReLU units) have cosine 0
    labels = rng.integers(0, n_classes, 200)
    res = ib.cosine_similarity_by_class(x, labels)
    within, between = _brute_force(x, labels)
    assert res.within == pytest.approx(within, abs=1e-12)
    assert res.between == pytest.approx(between, abs=1e-12)
    assert res.gap == pytest.approx(within - between, abs=1e-12)
    assert res.matrix.shape == (n_classes, n_classes)
    np.testing.assert_allclose(res.matrix, res.matrix.T)


def test_two_tight_clusters():
    rng = np.random.default_rng(1)
    a = np.array([1.0, 0.0, 0.0]) + 1e-3 * rng.normal(size=(50, 3))
    b = np.array([0.0, 1.0, 0.0]) + 1e-3 * rng.normal(size=(50, 3))
    res = ib.cosine_similarity_by_class(np.vstack([a, b]), np.repeat(["a", "b"], 50))
    assert res.within == pytest.approx(1.0, abs=1e-4)
    assert res.between == pytest.approx(0.0, abs=1e-2)
    assert list(res.classes) == ["a", "b"]


def test_bad_input():
    x = np.ones((4, 2))
    with pytest.raises(ValueError, match="labels has 3 entries but x has 4 rows"):
        ib.cosine_similarity_by_class(x, [0, 0, 1])
    with pytest.raises(ValueError, match="at least 2 are needed"):
        ib.cosine_similarity_by_class(x, [0, 0, 0, 0])
    with pytest.raises(ValueError, match="each class needs 2"):
        ib.cosine_similarity_by_class(x, [0, 0, 0, 1])
    with pytest.raises(ValueError, match="NaN or inf"):
        ib.cosine_similarity_by_class([[np.nan, 1], [1, 1]], [0, 1])
