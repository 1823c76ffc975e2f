"""Tests for ibtools.kde: leave-one-out Gaussian KDE entropy and LOO-ML bandwidth.

Local samplers, fixed seeds. Tolerances follow from the estimator's error at n=500: the
standard error of a resubstitution entropy is about std(log p)/sqrt(n) = 0.7/sqrt(500) =
0.03 nats in 1-D, and the smoothing bias at the LOO-ML bandwidth is a few hundredths.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ibtools as ib


def gaussian(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d))


def loo_entropy_numpy(x: np.ndarray, h: float) -> float:
    """Direct O(n^2) evaluation of the LOO KDE entropy formula."""
    n, d = x.shape
    sq = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    k = np.exp(-sq / (2 * h * h)) / (2 * math.pi * h * h) ** (d / 2)
    np.fill_diagonal(k, 0.0)
    return float(-np.mean(np.log(k.sum(1) / (n - 1))))


@pytest.mark.parametrize("d", [1, 2])
def test_entropy_kde_gaussian(d):
    x = gaussian(500, d, seed=d)
    true = 0.5 * d * math.log(2 * math.pi * math.e)
    # standard error ~0.03 sqrt(d), smoothing bias a few 0.01: 0.1 is about 2.5 se + bias
    assert ib.entropy_kde(x) == pytest.approx(true, abs=0.1)


def test_entropy_kde_fixed_bandwidth_matches_formula():
    x = gaussian(200, 2, seed=3)
    assert ib.entropy_kde(x, bandwidth=0.4) == pytest.approx(loo_entropy_numpy(x, 0.4), rel=1e-10)


def test_bandwidth_maximises_loo_likelihood():
    x = gaussian(200, 1, seed=4)
    h = ib.bandwidth_kde(x)
    # the LOO-ML bandwidth minimises the LOO entropy: neighbours on a 30% wider grid are worse
    assert ib.entropy_kde(x, bandwidth=h) <= ib.entropy_kde(x, bandwidth=1.3 * h)
    assert ib.entropy_kde(x, bandwidth=h) <= ib.entropy_kde(x, bandwidth=h / 1.3)
    assert ib.entropy_kde(x) == ib.entropy_kde(x, bandwidth=h)


def test_bandwidth_scales_with_data():
    x = gaussian(200, 1, seed=5)
    # selection is scale-equivariant up to the grid resolution (the grid scales with the std)
    assert ib.bandwidth_kde(10.0 * x) == pytest.approx(10.0 * ib.bandwidth_kde(x), rel=1e-9)
    # entropy shifts by d log 10 under x -> 10 x
    assert ib.entropy_kde(10.0 * x) == pytest.approx(ib.entropy_kde(x) + math.log(10.0), abs=1e-9)


def test_chunked_equals_unchunked_and_deterministic():
    x = gaussian(150, 2, seed=6)
    a = ib.entropy_kde(x, chunk_size=33)
    b = ib.entropy_kde(x, chunk_size=150)
    assert a == pytest.approx(b, rel=1e-12)
    assert ib.entropy_kde(x) == ib.entropy_kde(torch.from_numpy(x))


def test_float32_matches_float64():
    x = gaussian(300, 2, seed=7)
    # float32 rounding (1e-7 relative) moves a smooth LOO log-likelihood by ~1e-7
    assert ib.entropy_kde(x.astype(np.float32), bandwidth=0.3) == pytest.approx(
        ib.entropy_kde(x, bandwidth=0.3), abs=1e-5
    )
    assert type(ib.entropy_kde(x, bandwidth=0.3)) is float


def test_errors():
    x = gaussian(30, 2, seed=8)
    with pytest.raises(ValueError, match="bandwidth=0.0 is out of range; it must be > 0"):
        ib.entropy_kde(x, bandwidth=0.0)
    with pytest.raises(ValueError, match="bandwidth=-1.0 is out of range"):
        ib.entropy_kde(x, bandwidth=-1.0)
    with pytest.raises(ValueError, match="bandwidth must be finite"):
        ib.entropy_kde(x, bandwidth=float("inf"))
    with pytest.raises(TypeError, match="bandwidth must be a real number"):
        ib.entropy_kde(x, bandwidth="scott")
    bad = x.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        ib.entropy_kde(bad)
    with pytest.raises(ValueError, match="x has 2 samples"):
        ib.entropy_kde(x[:2], bandwidth=0.5)
    with pytest.raises(ValueError, match="chunk_size=0 is out of range"):
        ib.entropy_kde(x, chunk_size=0)
    dup = np.vstack([x, x[:3]])
    with pytest.raises(ValueError, match="3 rows with an exact duplicate|6 rows with an exact"):
        ib.entropy_kde(dup)
    assert math.isfinite(ib.entropy_kde(dup, bandwidth=0.5))  # fine with a fixed bandwidth
    with pytest.raises(ValueError, match="zero spread"):
        ib.bandwidth_kde(np.ones((10, 1)))
