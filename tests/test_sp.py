"""Sample propagation: SP entropy, Kolchinsky-Tracey bounds and I(X;T) of a noisy layer."""

import math

import numpy as np
import pytest
import torch

import ibtools as ib
from ibtools import sp


def h_normal(sigma, d=1):
    return 0.5 * d * math.log(2 * math.pi * math.e * sigma**2)


# --- the kernel-sum core (pruning, fallback) ---------------------------------------------


@pytest.mark.parametrize("width", [0.02, 1.0])  # narrow: most leaves pruned; broad: none
def test_pruned_kernel_sums_equal_brute_force(width):
    rng = np.random.default_rng(0)
    centres = torch.from_numpy(np.tanh(rng.normal(size=(700, 3)))) / width
    log_w = torch.from_numpy(np.log(rng.uniform(0.5, 2.0, size=700)))
    groups = torch.from_numpy(rng.integers(0, 3, size=700))
    mix = sp._Mixture(centres, log_w, groups, 3)
    own = torch.arange(0, 700, 7)
    q = mix.c[own] + torch.from_numpy(rng.normal(size=(100, 3)))
    expo = mix.log_w[None, :] - 0.5 * torch.cdist(q, mix.c) ** 2
    ref = mix.log_w[own] - 0.5 * ((q - mix.c[own]) ** 2).sum(1)  # the own-centre term
    got = mix.log_sums(q, ref)
    for g in range(3):
        expected = torch.logsumexp(expo.masked_fill(mix.groups[None, :] != g, -math.inf), 1)
        own_group = mix.groups[own] == g  # only the own group's sum is guaranteed accurate
        # 1e-9: cdist itself rounds at ~1e-12 relative on squared distances up to 1e4
        torch.testing.assert_close(got[own_group, g], expected[own_group], rtol=0, atol=1e-9)


def test_kernel_sums_fall_back_when_exponents_overflow():
    rng = np.random.default_rng(1)
    centres = torch.from_numpy(rng.normal(size=(50, 2)))
    mix = sp._Mixture(centres, torch.zeros(50))
    q = mix.c[:5].clone()
    ref = torch.full((5,), -2000.0)  # a far too low reference: exp(a - ref) overflows
    expected = torch.logsumexp(-0.5 * torch.cdist(q, mix.c) ** 2, 1)
    torch.testing.assert_close(mix.log_sums(q, ref)[:, 0], expected, rtol=0, atol=1e-10)


# --- entropy_gaussian_mixture --------------------------------------------------------------


def test_sp_matches_exact_1d_quadrature():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=20)
    exact = ib.entropy_gaussian_mixture_1d(centres, 0.3)
    est = ib.entropy_gaussian_mixture(centres, 0.3, n_mc=500, seed=0, return_stderr=True)
    assert isinstance(est, ib.MonteCarloEstimate)
    assert 0 < est.stderr < 0.02
    assert abs(est.value - exact) < 4 * est.stderr  # unbiased MC: 4 standard errors


@pytest.mark.parametrize("d", [2, 5])
def test_sp_well_separated_centres(d):
    rng = np.random.default_rng(d)
    sigma, n = 0.01, 40
    centres = rng.uniform(-1, 1, size=(n, d)) * 100  # ~100 sigma apart at least
    est = ib.entropy_gaussian_mixture(centres, sigma, n_mc=100, seed=1, return_stderr=True)
    expected = math.log(n) + h_normal(sigma, d)
    # Var(-log g) = d/2 here, so the stderr is known: sqrt(d / 2 / 4000).
    assert est.stderr == pytest.approx(math.sqrt(d / 2 / (n * 100)), rel=0.1)
    assert abs(est.value - expected) < 4 * est.stderr


def test_duplicate_centres_are_merged_exactly():
    centres = np.array([0.0, 0.0, 0.0, 1.0])  # weights 3/4, 1/4 once merged
    exact = ib.entropy_gaussian_mixture_1d([0.0, 1.0], 0.4, weights=[3, 1])
    est = ib.entropy_gaussian_mixture(centres, 0.4, n_mc=3000, seed=3, return_stderr=True)
    assert abs(est.value - exact) < 4 * est.stderr


@pytest.mark.parametrize("sigma", [0.05, 0.3, 2.0])
def test_bounds_bracket_sp(sigma):
    rng = np.random.default_rng(4)
    centres = rng.normal(size=(60, 3))
    lower, upper = ib.entropy_gaussian_mixture_bounds(centres, sigma)
    est = ib.entropy_gaussian_mixture(centres, sigma, n_mc=50, seed=5, return_stderr=True)
    assert lower <= upper
    assert lower - 4 * est.stderr <= est.value <= upper + 4 * est.stderr


def test_bounds_exact_in_the_limits():
    sigma = 0.01
    separated = np.arange(8.0)[:, None] * np.ones((1, 2))
    b = ib.entropy_gaussian_mixture_bounds(separated, sigma)
    assert isinstance(b, ib.EntropyBounds)
    expected = math.log(8) + h_normal(sigma, 2)
    assert b.lower == pytest.approx(expected, abs=1e-10)
    assert b.upper == pytest.approx(expected, abs=1e-10)
    same = np.ones((5, 3))
    b = ib.entropy_gaussian_mixture_bounds(same, sigma)
    assert b.lower == pytest.approx(h_normal(sigma, 3), abs=1e-10)
    assert b.upper == pytest.approx(h_normal(sigma, 3), abs=1e-10)


def test_bounds_match_direct_formula():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(40, 2))
    sigma = 0.4
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    kl = h_normal(sigma, 2) - np.log(np.exp(-d2 / (2 * sigma**2)).mean(1)).mean()
    bd = h_normal(sigma, 2) - np.log(np.exp(-d2 / (8 * sigma**2)).mean(1)).mean()
    b = ib.entropy_gaussian_mixture_bounds(x, sigma, chunk_size=7)
    assert b.lower == pytest.approx(bd, abs=1e-12)
    assert b.upper == pytest.approx(kl, abs=1e-12)


def test_chunked_equals_unchunked():
    rng = np.random.default_rng(7)
    centres = np.tanh(rng.normal(size=(150, 3)))
    for sigma in (0.01, 0.5):  # pruned and dense regimes
        small = ib.entropy_gaussian_mixture(centres, sigma, n_mc=4, seed=3, chunk_size=13)
        auto = ib.entropy_gaussian_mixture(centres, sigma, n_mc=4, seed=3)
        whole = ib.entropy_gaussian_mixture(centres, sigma, n_mc=4, seed=3, chunk_size=10**6)
        assert small == pytest.approx(whole, abs=1e-10)
        assert auto == pytest.approx(whole, abs=1e-10)
        b1 = ib.entropy_gaussian_mixture_bounds(centres, sigma, chunk_size=11)
        b2 = ib.entropy_gaussian_mixture_bounds(centres, sigma, chunk_size=10**6)
        assert b1.lower == pytest.approx(b2.lower, abs=1e-10)
        assert b1.upper == pytest.approx(b2.upper, abs=1e-10)


def test_seed_reproducibility_and_dtype():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(100, 2))
    a = ib.entropy_gaussian_mixture(x, 0.2, seed=11)
    assert isinstance(a, float)
    assert ib.entropy_gaussian_mixture(x, 0.2, seed=11) == a
    assert ib.entropy_gaussian_mixture(x, 0.2, seed=12) != a
    x32 = x.astype(np.float32)
    v32 = ib.entropy_gaussian_mixture(x32, 0.2, seed=11)
    assert v32 == ib.entropy_gaussian_mixture(x32.astype(np.float64), 0.2, seed=11)
    # float32 rounding moves centres by ~1e-7, i.e. 5e-7 sigma: the value moves by less
    assert v32 == pytest.approx(a, abs=1e-5)
    assert ib.entropy_gaussian_mixture(torch.from_numpy(x), 0.2, seed=11) == a


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"centers": [[0.0], [np.nan]], "sigma": 0.1}, ValueError, "centers contains NaN"),
        ({"centers": [[0.0], [np.inf]], "sigma": 0.1}, ValueError, "NaN or inf"),
        ({"centers": [[0.0]], "sigma": 0.0}, ValueError, "sigma=0.0 is out of range"),
        ({"centers": [[0.0]], "sigma": -1}, ValueError, "sigma=-1.0 is out of range"),
        ({"centers": [[0.0]], "sigma": 0.1, "n_mc": 0}, ValueError, "n_mc=0 is out of range"),
        ({"centers": [[0.0]], "sigma": 0.1, "n_mc": 2.5}, TypeError, "n_mc must be an integer"),
        ({"centers": [[0.0]], "sigma": 0.1, "chunk_size": 0}, ValueError, "chunk_size=0"),
        ({"centers": np.zeros((2, 2, 2)), "sigma": 0.1}, ValueError, "reshape"),
        ({"centers": [["a"]], "sigma": 0.1}, TypeError, "centers must be numeric"),
    ],
)
def test_entropy_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        ib.entropy_gaussian_mixture(**kwargs)


def test_bounds_errors():
    with pytest.raises(ValueError, match="sigma=0.0 is out of range"):
        ib.entropy_gaussian_mixture_bounds([[0.0]], 0.0)
    with pytest.raises(ValueError, match="centers contains NaN"):
        ib.entropy_gaussian_mixture_bounds([[np.nan]], 0.1)


# --- mi_noisy_layer ------------------------------------------------------------------------


def separated_layer(n_inputs=8, n_rep=20, d=2, spread=1e-3, seed=0):
    """Inputs 1 apart, replicas within `spread` of their input."""
    rng = np.random.default_rng(seed)
    means = np.arange(n_inputs)[:, None] * np.ones((1, d))
    return means[:, None, :] + spread * rng.normal(size=(n_inputs, n_rep, d))


def test_noisy_layer_one_replica_uses_closed_form():
    s = separated_layer(n_rep=1)
    res = ib.mi_noisy_layer(s, 0.01, seed=0)
    assert isinstance(res, ib.NoisyLayerMI)
    assert res.h_t_given_x == pytest.approx(h_normal(0.01, 2), rel=1e-14)
    assert math.isnan(res.i_yt)
    assert res.i_xt == pytest.approx(math.log(8), abs=4 * res.stderr_i_xt)


def test_noisy_layer_separated_inputs_give_log_n():
    sigma = 0.01
    res = ib.mi_noisy_layer(separated_layer(), sigma, n_mc=5, seed=1)
    # replicas spread 0.1 sigma: h(T|X) is the Gaussian entropy up to ~0.01 nats of
    # smoothing bias, and I(X;T) = log 8; both within 4 Monte-Carlo standard errors
    tol = 4 * res.stderr_i_xt + 0.01
    assert res.h_t_given_x == pytest.approx(h_normal(sigma, 2), abs=tol)
    assert res.i_xt == pytest.approx(math.log(8), abs=tol)
    assert res.i_xt == pytest.approx(res.h_t - res.h_t_given_x, abs=1e-12)


def test_noisy_layer_identical_inputs_give_zero():
    rng = np.random.default_rng(2)
    cloud = rng.normal(size=(1, 30, 2)) * 0.05
    s = np.repeat(cloud, 6, axis=0)  # every input has the same replica cloud
    res = ib.mi_noisy_layer(s, 0.02, n_mc=20, n_mc_total=None, seed=3)
    # raw value, not clipped: 0 within Monte-Carlo error (plus tiny positive SP bias)
    assert abs(res.i_xt) < 4 * res.stderr_i_xt + 0.01


def test_noisy_layer_labels():
    sigma = 0.01
    s = separated_layer(n_inputs=8)
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1])  # p = (3/4, 1/4)
    res = ib.mi_noisy_layer(s, sigma, labels, n_mc=5, seed=4)
    h_y = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    # classes far apart: I(Y;T) = H(Y); the paired estimator is exact up to e^-2500 here
    assert res.i_yt == pytest.approx(h_y, abs=1e-6)
    assert res.i_yt <= res.i_xt + 4 * res.stderr_i_xt
    # string labels give the same answer
    res_str = ib.mi_noisy_layer(s, sigma, labels.astype(str), n_mc=5, seed=4)
    assert res_str.i_yt == res.i_yt


def test_noisy_layer_overlapping_classes_and_inputs():
    rng = np.random.default_rng(5)
    s = rng.normal(size=(40, 10, 2)) * 0.05
    labels = rng.integers(0, 2, size=40)
    res = ib.mi_noisy_layer(s, 0.05, labels, n_mc=4, seed=6)
    # data processing (Y - X - T): I(Y;T) <= I(X;T) <= log 40, up to MC error
    tol = 4 * res.stderr_i_xt
    assert -tol <= res.i_yt <= res.i_xt + tol
    assert res.i_xt <= math.log(40) + tol


def test_noisy_layer_chunks_seed_device():
    s = separated_layer(n_inputs=5, n_rep=10, spread=0.01)
    a = ib.mi_noisy_layer(s, 0.01, [0, 1, 0, 1, 1], n_mc=3, seed=7, chunk_size=3)
    b = ib.mi_noisy_layer(s, 0.01, [0, 1, 0, 1, 1], n_mc=3, seed=7, chunk_size=10**6)
    for x, y in zip(a, b, strict=True):
        assert x == pytest.approx(y, abs=1e-10)
    c = ib.mi_noisy_layer(torch.from_numpy(s).float(), 0.01, n_mc=3, seed=7, device="cpu")
    assert c.i_xt == pytest.approx(a.i_xt, abs=1e-3)  # float32 rounding of 1e-7 << sigma


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((np.zeros((4, 2)), 0.1), {}, ValueError, r"samples\[:, None, :\]"),
        ((np.zeros((4,)), 0.1), {}, ValueError, "expected \\(n_inputs, n_replicas, dim\\)"),
        ((np.full((2, 2, 2), np.nan), 0.1), {}, ValueError, "samples contains NaN"),
        ((np.zeros((2, 2, 2)), 0.0), {}, ValueError, "sigma=0.0 is out of range"),
        ((np.zeros((2, 2, 2)), 0.1, [0, 1, 1]), {}, ValueError, "labels has 3 entries"),
        ((np.zeros((2, 2, 2)), 0.1, [[0, 1]]), {}, ValueError, "labels has shape"),
        ((np.zeros((2, 2, 2)), 0.1, [0.0, np.nan]), {}, ValueError, "labels contains NaN"),
        ((np.zeros((2, 2, 2)), 0.1), {"n_mc": 0}, ValueError, "n_mc=0 is out of range"),
        ((np.zeros((2, 2, 2)), 0.1), {"n_mc_total": 0}, ValueError, "n_mc_total=0"),
        ((np.zeros((2, 0, 2)), 0.1), {}, ValueError, "at least one entry"),
    ],
)
def test_noisy_layer_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        ib.mi_noisy_layer(*args, **kwargs)
