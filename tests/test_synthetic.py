"""Tests for ibtools.synthetic: closed-form MI, samplers, transforms, suite, validation."""

import doctest
import math

import numpy as np
import pytest
from scipy.stats import multivariate_t

import ibtools.synthetic as syn
from ibtools.synthetic import _gaussian, _student, _suite, _tasks, _transforms, _uniform
from ibtools.synthetic._transforms import apply_transform

N_EMPIRICAL = 20_000


def gaussian_mi_from_samples(x: np.ndarray, y: np.ndarray) -> float:
    """Plug-in Gaussian MI 1/2 (log det S_x + log det S_y - log det S) from sample covariance."""
    dim_x = x.shape[1]
    cov = np.cov(np.hstack([x, y]), rowvar=False)
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    return 0.5 * (logdet(cov[:dim_x, :dim_x]) + logdet(cov[dim_x:, dim_x:]) - logdet(cov))


# --- closed forms -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (syn.bivariate_normal(0.75), 0.4133),
        (syn.bivariate_normal(0.0), 0.0),
        (syn.multinormal_dense(2), 0.2939),
        (syn.multinormal_dense(3), 0.4133),
        (syn.multinormal_dense(5), 0.5928),
        (syn.multinormal_dense(25), 1.2922),
        (syn.multinormal_dense(50), 1.6243),
        (syn.multinormal_sparse(2), 1.0217),
        (syn.multinormal_sparse(25), 1.0217),
        (syn.additive_uniform(0.1), 1.7094),
        (syn.additive_uniform(0.75), 0.3333),
    ],
    ids=lambda v: v.name if isinstance(v, syn.Task) else "",
)
def test_bmi_table_values(task, expected):
    assert task.mi == pytest.approx(expected, abs=1e-4)
    assert isinstance(task.mi, float)


@pytest.mark.parametrize(
    ("dims", "expected"),
    [
        ((1, 1, 1), 0.2242),
        ((2, 2, 1), 0.4319),
        ((2, 2, 2), 0.1931),
        ((3, 3, 2), 0.2909),
        ((3, 3, 3), 0.1787),
        ((5, 5, 2), 0.4482),
        ((5, 5, 3), 0.2985),
    ],
)
def test_student_t_mi_matches_table(dims, expected):
    task = syn.student_t(*dims)
    assert task.mi == pytest.approx(expected, abs=1e-4)
    assert task.name == f"student-t-{dims[0]}x{dims[1]}-dof{dims[2]}"


@pytest.mark.parametrize(("dim_x", "dim_y", "dof"), [(1, 1, 1.0), (2, 2, 1.0), (3, 2, 3.0)])
def test_student_t_mi_by_monte_carlo(dim_x, dim_y, dof):
    # I = E[log p(x, y) - log p(x) - log p(y)] with the exact multivariate-t densities; this
    # checks the sampler and the formula together. The pointwise MI has sd < 1, so the
    # standard error at n = 20000 is below 0.007; 0.03 is > 4 standard errors.
    task = syn.student_t(dim_x, dim_y, dof)
    x, y = task.sample(N_EMPIRICAL, seed=3)
    joint = multivariate_t(np.zeros(dim_x + dim_y), np.eye(dim_x + dim_y), df=dof)
    px = multivariate_t(np.zeros(dim_x), np.eye(dim_x), df=dof)
    py = multivariate_t(np.zeros(dim_y), np.eye(dim_y), df=dof)
    pmi = joint.logpdf(np.hstack([x, y])) - px.logpdf(x) - py.logpdf(y)
    assert pmi.mean() == pytest.approx(task.mi, abs=0.03)


def test_additive_uniform_is_continuous_at_one_half():
    left = syn.additive_uniform(0.5).mi
    right = syn.additive_uniform(0.5 + 1e-9).mi
    assert left == pytest.approx(0.5) and right == pytest.approx(0.5, abs=1e-8)
    x, y = syn.additive_uniform(0.1).sample(1000, seed=0)
    assert np.all((x >= 0) & (x <= 1)) and np.all(np.abs(y - x) <= 0.1)


# --- Gaussian samplers against their covariance -------------------------------------------
# The plug-in Gaussian MI at n = 20000 has standard error below rho sqrt(m / n) <= 0.02 for
# these cases and bias about dim_x dim_y / (2 n) <= 1e-3, so abs=0.05 is > 2.5 standard errors
# even in the worst case (and typically > 5).


@pytest.mark.parametrize(
    "task",
    [
        syn.bivariate_normal(0.75),
        syn.bivariate_normal(-0.9),
        syn.multinormal_dense(3),
        syn.multinormal_dense(2, 4),
        syn.multinormal_sparse(5),
        syn.multinormal_sparse(3, 2),
    ],
    ids=lambda t: t.name,
)
def test_bmi_gaussians_match_closed_form(task):
    x, y = task.sample(N_EMPIRICAL, seed=0)
    assert gaussian_mi_from_samples(x, y) == pytest.approx(task.mi, abs=0.05)


@pytest.mark.parametrize("mi", [0.0, 0.5, 2.0, 10.0, 12.0])
@pytest.mark.parametrize(("dim_x", "dim_y"), [(1, 1), (3, 3), (2, 5), (5, 2)])
@pytest.mark.parametrize("interaction", ["dense", "sparse"])
def test_correlated_gaussian_has_prescribed_mi(mi, dim_x, dim_y, interaction):
    task = syn.correlated_gaussian(mi, dim_x, dim_y, interaction=interaction)
    assert task.mi == mi
    x, y = task.sample(N_EMPIRICAL, seed=1)
    assert x.shape == (N_EMPIRICAL, dim_x) and y.shape == (N_EMPIRICAL, dim_y)
    assert gaussian_mi_from_samples(x, y) == pytest.approx(mi, abs=0.05)


def test_correlated_gaussian_marginals_are_standard_normal_after_rotation():
    task = syn.correlated_gaussian(3.0, 4, 3)
    x, y = task.sample(N_EMPIRICAL, seed=2)
    np.testing.assert_allclose(np.cov(x, rowvar=False), np.eye(4), atol=0.05)
    np.testing.assert_allclose(np.cov(y, rowvar=False), np.eye(3), atol=0.05)


def test_correlated_gaussian_sparse_unrotated_keeps_information_on_two_coordinates():
    task = syn.correlated_gaussian(2.0, 5, interaction="sparse", rotate=False)
    assert task.params["n_interacting"] == 2
    assert task.name == "gaussian-sparse-5x5-mi2"
    x, y = task.sample(N_EMPIRICAL, seed=0)
    # each of the two pairs carries 1 nat; the other coordinates are independent noise
    assert gaussian_mi_from_samples(x[:, :1], y[:, :1]) == pytest.approx(1.0, abs=0.05)
    assert gaussian_mi_from_samples(x[:, 2:], y[:, 2:]) == pytest.approx(0.0, abs=0.01)


def test_correlated_gaussian_dense_spreads_mi_evenly():
    task = syn.correlated_gaussian(3.0, 3, 4, rotate=False)
    assert task.params["n_interacting"] == 3
    assert task.params["rho"] == pytest.approx(math.sqrt(1 - math.exp(-2.0)))


def test_correlated_gaussian_is_deterministic_and_rotation_seed_matters():
    a = syn.correlated_gaussian(1.0, 3).sample(50, seed=7)
    b = syn.correlated_gaussian(1.0, 3).sample(50, seed=7)
    c = syn.correlated_gaussian(1.0, 3, rotation_seed=1).sample(50, seed=7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])
    assert syn.correlated_gaussian(1.0, 3, rotation_seed=1).name.endswith("-rot1")


# --- determinism and sample contract ------------------------------------------------------


@pytest.mark.parametrize("task", list(syn.task_suite().values()), ids=lambda t: t.name)
def test_suite_tasks_sample_deterministically(task):
    x1, y1 = task.sample(200, seed=11)
    x2, y2 = task.sample(200, seed=11)
    x3, _ = task.sample(200, seed=12)
    assert x1.dtype == np.float64 and y1.dtype == np.float64
    assert x1.shape == (200, task.dim_x) and y1.shape == (200, task.dim_y)
    assert np.isfinite(x1).all() and np.isfinite(y1).all()
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    assert task.mi > 0


def test_sample_does_not_touch_global_numpy_state():
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    syn.bivariate_normal().sample(10, seed=0)
    syn.correlated_gaussian(1.0, 3).sample(10, seed=0)
    np.testing.assert_array_equal(state, np.random.get_state()[1])  # noqa: NPY002


def test_seed_none_gives_fresh_samples():
    a, _ = syn.bivariate_normal().sample(20, seed=None)
    b, _ = syn.bivariate_normal().sample(20, seed=None)
    assert not np.array_equal(a, b)


def test_task_is_frozen_and_hashable():
    task = syn.bivariate_normal()
    with pytest.raises(AttributeError):
        task.mi = 1.0  # type: ignore[misc]
    assert hash(task) == hash(syn.bivariate_normal())
    assert task == syn.bivariate_normal()


# --- transforms ---------------------------------------------------------------------------

COORDINATEWISE = ["normal_cdf", "half_cube", "asinh", "wiggly"]


@pytest.mark.parametrize("name", syn.TRANSFORMS)
def test_transform_keeps_mi_shape_and_is_invertible(name):
    base = syn.multinormal_sparse(3)
    task = syn.transform(base, name)
    assert task.mi == base.mi
    assert (task.dim_x, task.dim_y) == (base.dim_x, base.dim_y)
    assert task.name == f"{name}-{base.name}"
    assert task.params["transforms"] == (name,)
    x, y = task.sample(2000, seed=4)
    x0, y0 = base.sample(2000, seed=4)  # the same stream before the map
    assert np.isfinite(x).all() and np.isfinite(y).all()
    xi, yi = apply_transform(name, x, y, inverse=True)
    # Phi(t) keeps fewer than 6 significant digits of 1 - Phi(t) beyond t ~ 5 (documented)
    keep_x = np.abs(x0) < 5 if name == "normal_cdf" else np.ones_like(x0, dtype=bool)
    keep_y = np.abs(y0) < 5 if name == "normal_cdf" else np.ones_like(y0, dtype=bool)
    np.testing.assert_allclose(xi[keep_x], x0[keep_x], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(yi[keep_y], y0[keep_y], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", COORDINATEWISE)
def test_coordinatewise_transforms_are_strictly_increasing(name):
    grid = np.linspace(-6, 6, 5001).reshape(-1, 1)
    fx, fy = apply_transform(name, grid, grid)
    assert np.all(np.diff(fx[:, 0]) > 0) and np.all(np.diff(fy[:, 0]) > 0)


def test_normal_cdf_gives_uniform_margins():
    x, y = syn.bivariate_normal().transformed("normal_cdf").sample(N_EMPIRICAL, seed=0)
    assert x.min() > 0 and x.max() < 1
    np.testing.assert_allclose(np.quantile(y, [0.1, 0.5, 0.9]), [0.1, 0.5, 0.9], atol=0.02)


def test_spiral_preserves_norms_and_needs_dimensions():
    base = syn.multinormal_sparse(3)
    x, y = base.transformed("spiral").sample(500, seed=0)
    x0, y0 = base.sample(500, seed=0)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), np.linalg.norm(x0, axis=1))
    assert not np.allclose(x, x0)
    with pytest.raises(ValueError, match=r"spiral.*dim_y >= 3.*dim_x=2, dim_y=2"):
        syn.multinormal_sparse(2).transformed("spiral")
    with pytest.raises(ValueError, match="dim_x >= 2"):
        syn.bivariate_normal().transformed("spiral")


def test_transforms_compose_and_keep_gaussian_copula_mi():
    task = syn.multinormal_sparse(3).transformed("normal_cdf").transformed("spiral")
    assert task.name == "spiral-normal_cdf-multinormal-sparse-3x3"
    assert task.params["transforms"] == ("normal_cdf", "spiral")
    # undoing the maps recovers Gaussian samples with the closed-form MI
    x, y = syn.bivariate_normal(0.75).transformed("half_cube").sample(N_EMPIRICAL, seed=0)
    xi, yi = apply_transform("half_cube", x, y, inverse=True)
    assert gaussian_mi_from_samples(xi, yi) == pytest.approx(0.4133, abs=0.03)


def test_transform_errors():
    with pytest.raises(ValueError, match=r"transform='cube' is not supported; choose one of"):
        syn.bivariate_normal().transformed("cube")
    with pytest.raises(TypeError, match="task must be an ibtools.synthetic Task"):
        syn.transform("normal", "asinh")


# --- suite --------------------------------------------------------------------------------


def test_task_suite_contents():
    suite = syn.task_suite()
    assert len(suite) == 34
    assert all(name == task.name for name, task in suite.items())
    assert max(max(t.dim_x, t.dim_y) for t in suite.values()) == 5
    big = syn.task_suite(max_dim=25)
    assert len(big) == 40 and "multinormal-sparse-25x25" in big
    assert set(syn.task_suite(max_dim=1)) < set(suite)
    assert "spiral-normal_cdf-multinormal-sparse-5x5" in suite


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: syn.correlated_gaussian(-0.1, 2), ValueError, r"mi=-0.1 is out of range"),
        (lambda: syn.correlated_gaussian(math.inf, 2), ValueError, "mi must be finite"),
        (lambda: syn.correlated_gaussian(1.0, 0), ValueError, r"dim_x=0 is out of range"),
        (lambda: syn.correlated_gaussian(1.0, 2.5), TypeError, "dim_x must be an integer"),
        (
            lambda: syn.correlated_gaussian(1.0, 2, interaction="full"),
            ValueError,
            r"interaction='full' is not supported; choose one of dense, sparse",
        ),
        (lambda: syn.correlated_gaussian(1.0, 2, rotate=1), TypeError, "rotate must be True"),
        (
            lambda: syn.correlated_gaussian(1.0, 2, rotation_seed=-1),
            ValueError,
            "rotation_seed=-1",
        ),
        (lambda: syn.bivariate_normal(1.0), ValueError, r"rho=1.0 is out of range; it must be <"),
        (
            lambda: syn.multinormal_sparse(1),
            ValueError,
            r"dim_x=1 is out of range; it must be >= 2",
        ),
        (lambda: syn.multinormal_dense(2, 0), ValueError, r"dim_y=0 is out of range"),
        (lambda: syn.student_t(2, 2, 0), ValueError, r"dof=0.0 is out of range"),
        (lambda: syn.additive_uniform(0.0), ValueError, r"epsilon=0.0 is out of range"),
        (lambda: syn.task_suite(0), ValueError, r"max_dim=0 is out of range"),
        (lambda: syn.bivariate_normal().sample(0, seed=0), ValueError, r"n_samples=0"),
        (lambda: syn.bivariate_normal().sample(10, seed=-1), ValueError, r"seed=-1"),
        (lambda: syn.bivariate_normal().sample(10, seed=1.5), TypeError, "seed must be an integer"),
        (lambda: syn.bivariate_normal().sample(10.0, seed=1), TypeError, "n_samples must be an"),
    ],
)
def test_bad_parameters_raise(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("module", [_tasks, _gaussian, _student, _uniform, _transforms, _suite])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_reexported_from_package():
    import ibtools as ib

    assert ib.synthetic.correlated_gaussian is syn.correlated_gaussian
