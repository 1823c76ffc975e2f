"""Closed forms: Gaussian entropy and MI, and the exact 1-D mixture entropy by quadrature."""

import math

import numpy as np
import pytest
from scipy import integrate

import ibtools as ib

LN2 = math.log(2.0)


def h_normal(sigma, d=1):
    return 0.5 * d * math.log(2 * math.pi * math.e * sigma**2)


def quad_mixture_entropy(centers, sigma, weights=None):
    """Reference -int p log p by adaptive quadrature, split at the centres and +-12 sigma."""
    c = np.asarray(centers, dtype=float)
    w = np.full(len(c), 1 / len(c)) if weights is None else np.asarray(weights) / np.sum(weights)
    norm = 1 / math.sqrt(2 * math.pi * sigma**2)

    def integrand(t):
        p = norm * float((w * np.exp(-((t - c) ** 2) / (2 * sigma**2))).sum())
        return -p * math.log(p) if p > 0 else 0.0

    breaks = np.unique(np.concatenate([c - 12 * sigma, c, c + 12 * sigma]))
    return sum(
        integrate.quad(integrand, a, b, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
        for a, b in zip(breaks[:-1], breaks[1:], strict=True)
    )


# --- Gaussian entropy and MI -------------------------------------------------------------


def test_entropy_gaussian_scalar_and_matrix_agree():
    assert ib.entropy_gaussian(1.0) == pytest.approx(0.5 * math.log(2 * math.pi * math.e))
    assert ib.entropy_gaussian(0.005, dim=10) == pytest.approx(-38.794, abs=5e-4)  # notes §1.2
    cov = 0.3**2 * np.eye(4)
    assert ib.entropy_gaussian(cov) == pytest.approx(ib.entropy_gaussian(0.3, dim=4), rel=1e-12)


def test_entropy_gaussian_general_covariance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    cov = a @ a.T + 0.5 * np.eye(3)
    expected = 0.5 * math.log(np.linalg.det(2 * math.pi * math.e * cov))
    assert ib.entropy_gaussian(cov) == pytest.approx(expected, rel=1e-12)


def test_mi_gaussian_matches_correlation_form():
    rho = 0.75
    cov = [[1.0, rho], [rho, 1.0]]
    assert ib.mi_gaussian(cov, dim_x=1) == pytest.approx(0.41334, abs=1e-5)  # notes: 0.4133
    assert ib.mi_gaussian(cov, 1) == pytest.approx(ib.mi_gaussian_from_correlation(rho), rel=1e-12)
    # two independent pairs with rho = 0.8 (BMI sparse "2-pair" task): -log(1 - 0.64)
    block = np.eye(4)
    block[0, 2] = block[2, 0] = block[1, 3] = block[3, 1] = 0.8
    assert ib.mi_gaussian(block, 2) == pytest.approx(-math.log(0.36), rel=1e-12)
    assert ib.mi_gaussian_from_correlation([0.8, 0.8]) == pytest.approx(-math.log(0.36))
    assert ib.mi_gaussian_from_correlation(0.0) == 0.0


def test_mi_gaussian_dense_bmi_task():
    # Sigma = 0.5 I + 0.5 11^T over 2d coordinates: MI = 1/2 log((1+d)^2 / (1+2d)) (notes §5.1)
    for d, expected in [(2, 0.2939), (5, 0.5928), (25, 1.2922)]:
        cov = 0.5 * np.eye(2 * d) + 0.5
        assert ib.mi_gaussian(cov, d) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ib.entropy_gaussian(0.0), ValueError, "cov_or_sigma=0.0 is out of range"),
        (lambda: ib.entropy_gaussian(-1.0, dim=2), ValueError, "must be > 0"),
        (lambda: ib.entropy_gaussian(float("nan")), ValueError, "must be finite"),
        (lambda: ib.entropy_gaussian(1.0, dim=0), ValueError, "dim=0"),
        (lambda: ib.entropy_gaussian(1.0, dim=2.5), TypeError, "dim must be an integer"),
        (lambda: ib.entropy_gaussian([1.0, 2.0]), ValueError, r"np.diag\(s\*\*2\)"),
        (lambda: ib.entropy_gaussian(np.ones((2, 3))), ValueError, "square"),
        (lambda: ib.entropy_gaussian([[1, 2], [0, 1]]), ValueError, "not symmetric"),
        (lambda: ib.entropy_gaussian([[1, 2], [2, 1]]), ValueError, "not positive definite"),
        (lambda: ib.entropy_gaussian(np.eye(2), dim=3), ValueError, "dim=3 disagrees"),
        (lambda: ib.mi_gaussian(np.eye(3), dim_x=3), ValueError, "dim_x=3 must satisfy"),
        (lambda: ib.mi_gaussian([[1, np.nan], [np.nan, 1]], 1), ValueError, "NaN or inf"),
        (lambda: ib.mi_gaussian_from_correlation(1.0), ValueError, r"\|rho\| >= 1"),
        (lambda: ib.mi_gaussian_from_correlation([[0.1]]), ValueError, "expected a scalar"),
        (lambda: ib.mi_gaussian_from_correlation(np.inf), ValueError, "NaN or inf"),
    ],
)
def test_closed_form_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- 1-D mixture by quadrature -----------------------------------------------------------


@pytest.mark.parametrize(
    ("centers", "sigma", "weights"),
    [
        ([0.0, 0.1, 0.25, 0.3], 0.05, None),  # overlapping
        ([-1.0, -0.99, 0.5], 0.01, [0.2, 0.3, 0.5]),  # weighted, two merged
        ([-0.3, 1.2, 0.4, 2.0, -1.1], 0.3, None),  # broad
        ([0.0, 0.02], 0.01, None),  # 2 sigma apart: strongest log p curvature
    ],
)
def test_mixture_1d_matches_adaptive_quadrature(centers, sigma, weights):
    # Both rules are converged far below 1e-9 nats; the tolerance only absorbs rounding.
    expected = quad_mixture_entropy(centers, sigma, weights)
    got = ib.entropy_gaussian_mixture_1d(centers, sigma, weights)
    assert got == pytest.approx(expected, abs=1e-9)


def test_mixture_1d_limits():
    sigma = 0.01
    # Well separated: log n + h(N(0, sigma^2)); exact up to e^-(separation/2sigma)^2 terms.
    centres = np.linspace(-10, 10, 50)  # 0.41 = 41 sigma apart
    got = ib.entropy_gaussian_mixture_1d(centres, sigma)
    assert got == pytest.approx(math.log(50) + h_normal(sigma), abs=1e-10)
    # Identical components: one Gaussian.
    assert ib.entropy_gaussian_mixture_1d([0.3] * 7, sigma) == pytest.approx(
        h_normal(sigma), abs=1e-10
    )
    # Separated with weights: H(w) + h(N(0, sigma^2)).
    w = np.array([0.1, 0.2, 0.7])
    got = ib.entropy_gaussian_mixture_1d([0.0, 1.0, 2.0], sigma, w)
    assert got == pytest.approx(-(w * np.log(w)).sum() + h_normal(sigma), abs=1e-10)


def test_mixture_1d_single_neuron_reference_levels():
    # goldfeld2019.md §4.2: I(X;T) = h(P_T) - h(N(0, beta^2)), beta = 0.01, in bits.
    beta = 0.01
    levels = {
        2.0: [-0.9, -0.3, 0.3, 0.9],  # all separated
        1.5: [-1.0, -1.0, 0.2, 0.9],  # two merged, two separate
        math.log2(4) - 0.75 * math.log2(3): [-1.0, -1.0, -1.0, 0.9],  # H_b(1/4) = 0.811
        0.0: [0.0, 0.0, 0.0, 0.0],  # w = b = 0
    }
    for bits, means in levels.items():
        got = (ib.entropy_gaussian_mixture_1d(means, beta) - h_normal(beta)) / LN2
        assert got == pytest.approx(bits, abs=1e-9)
    assert math.log2(4) - 0.75 * math.log2(3) == pytest.approx(0.811, abs=5e-4)


def test_mixture_1d_narrow_far_components_are_cheap_and_exact():
    # sigma = 1e-4 and centres 2 apart: a uniform grid would need 1e5 nodes per unit.
    got = ib.entropy_gaussian_mixture_1d([-1.0, 1.0], 1e-4)
    assert got == pytest.approx(math.log(2) + h_normal(1e-4), abs=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"centers": [0.0, np.nan], "sigma": 0.1}, ValueError, "centers contains NaN"),
        ({"centers": [[0.0, 1.0]], "sigma": 0.1}, ValueError, "expected \\(n_components,\\)"),
        ({"centers": [0.0], "sigma": 0.0}, ValueError, "sigma=0.0 is out of range"),
        ({"centers": ["a"], "sigma": 0.1}, TypeError, "centers must be numeric"),
        ({"centers": [0.0, 1.0], "sigma": 0.1, "weights": [1.0]}, ValueError, "one weight"),
        ({"centers": [0.0, 1.0], "sigma": 0.1, "weights": [1.0, -1]}, ValueError, "non-negative"),
    ],
)
def test_mixture_1d_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        ib.entropy_gaussian_mixture_1d(**kwargs)
