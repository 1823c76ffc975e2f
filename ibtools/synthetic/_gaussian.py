"""Gaussian tasks: BMI's bivariate and multivariate normals and Butakov's prescribed-MI pairs."""

from __future__ import annotations

import math

import numpy as np

from ibtools._validation import check_choice, check_scalar
from ibtools.synthetic._tasks import Task, fmt


def _check_dims(dim_x, dim_y, *, minimum: int = 1) -> tuple[int, int]:
    dim_x = check_scalar(dim_x, "dim_x", kind=int, low=minimum)
    dim_y = dim_x if dim_y is None else check_scalar(dim_y, "dim_y", kind=int, low=minimum)
    return dim_x, dim_y


def bivariate_normal(rho: float = 0.75) -> Task:
    """Bivariate normal with correlation ``rho``: I(X; Y) = -1/2 log(1 - rho^2) nats.

    Parameters
    ----------
    rho : float, default=0.75
        Correlation between the standard normal X and Y, in (-1, 1). 0 gives independence.

    Returns
    -------
    Task
        A 1x1 task named ``"normal-1x1-rho{rho}"``.

    Raises
    ------
    ValueError
        If ``rho`` is not in the open interval (-1, 1).

    Notes
    -----
    .. math:: I(X;Y) = -\\tfrac12 \\log(1-\\rho^2).

    BMI's default, rho = 0.75, gives 0.4133 nats.

    References
    ----------
    Czyż et al., "Beyond Normal: On the Evaluation of Mutual Information Estimators",
    NeurIPS 2023, task "1v1-normal".

    Examples
    --------
    >>> from ibtools.synthetic import bivariate_normal
    >>> round(bivariate_normal(0.75).mi, 4)
    0.4133
    """
    rho = check_scalar(rho, "rho", low=-1.0, high=1.0, low_inclusive=False, high_inclusive=False)
    noise = math.sqrt(1.0 - rho * rho)

    def sampler(rng: np.random.Generator, n: int):
        x = rng.standard_normal((n, 1))
        y = rho * x + noise * rng.standard_normal((n, 1))
        return x, y

    mi = -0.5 * math.log1p(-rho * rho)
    return Task(f"normal-1x1-rho{fmt(rho)}", {"rho": rho}, mi, 1, 1, sampler)


def multinormal_dense(dim_x: int, dim_y: int | None = None) -> Task:
    """BMI dense multinormal: every pair of coordinates has correlation 0.5; MI in nats.

    Parameters
    ----------
    dim_x : int
        Dimension of X, at least 1.
    dim_y : int, optional
        Dimension of Y; defaults to ``dim_x`` (BMI uses d x d with d in {2, 3, 5, 25, 50}).

    Returns
    -------
    Task
        Named ``"multinormal-dense-{dim_x}x{dim_y}"``.

    Raises
    ------
    TypeError, ValueError
        If a dimension is not an integer >= 1.

    Notes
    -----
    (X, Y) is N(0, Sigma) over all dim_x + dim_y coordinates with
    Sigma = 0.5 I + 0.5 11^T. Since det(0.5 I_m + 0.5 11^T) = 0.5^m (1 + m),

    .. math:: I(X;Y) = \\tfrac12\\left[\\log(1+d_x) + \\log(1+d_y) - \\log(1+d_x+d_y)\\right],

    which for d_x = d_y = d is 1/2 log((1+d)^2 / (1+2d)): 0.2939, 0.4133, 0.5928, 1.2922 and
    1.6243 nats for d = 2, 3, 5, 25, 50. Samples are drawn exactly as
    sqrt(0.5) (e + c 1) with e ~ N(0, I) and one shared c ~ N(0, 1) per row.

    References
    ----------
    Czyż et al., NeurIPS 2023, tasks "multinormal-dense-d-d-0.5".

    Examples
    --------
    >>> from ibtools.synthetic import multinormal_dense
    >>> round(multinormal_dense(3).mi, 4)
    0.4133
    """
    dim_x, dim_y = _check_dims(dim_x, dim_y)
    dim = dim_x + dim_y
    scale = math.sqrt(0.5)

    def sampler(rng: np.random.Generator, n: int):
        z = scale * (rng.standard_normal((n, dim)) + rng.standard_normal((n, 1)))
        return z[:, :dim_x], z[:, dim_x:]

    mi = 0.5 * (math.log1p(dim_x) + math.log1p(dim_y) - math.log1p(dim))
    name = f"multinormal-dense-{dim_x}x{dim_y}"
    params = {"dim_x": dim_x, "dim_y": dim_y, "correlation": 0.5}
    return Task(name, params, mi, dim_x, dim_y, sampler)


def multinormal_sparse(dim_x: int, dim_y: int | None = None) -> Task:
    """BMI sparse ("2-pair") multinormal: MI = -log(1 - 0.8^2) = 1.0217 nats in any dimension.

    Parameters
    ----------
    dim_x : int
        Dimension of X, at least 2.
    dim_y : int, optional
        Dimension of Y, at least 2; defaults to ``dim_x`` (BMI uses d in {2, 3, 5, 25}).

    Returns
    -------
    Task
        Named ``"multinormal-sparse-{dim_x}x{dim_y}"``.

    Raises
    ------
    ValueError
        If a dimension is below 2.

    Notes
    -----
    BMI's latent-variable construction: for i in {1, 2},
    X_i = lambda Z_i + E_i and Y_i = lambda Z_i + E'_i with lambda = 2; every other
    coordinate is eta W_j + E_j with its own latent W_j and eta = 2. All noises are N(0, 1), so
    every coordinate has variance 5 and the two interacting pairs have correlation
    lambda^2 / (1 + lambda^2) = 0.8 while everything else is independent. Hence

    .. math:: I(X;Y) = 2\\cdot\\left(-\\tfrac12\\log(1-0.8^2)\\right) = -\\log 0.36 = 1.0217.

    The information sits on 2 of the coordinates whatever the dimension, which is what makes
    the high-dimensional versions hard for kNN estimators.

    References
    ----------
    Czyż et al., NeurIPS 2023, tasks "multinormal-sparse-d-d-2-2.0".

    Examples
    --------
    >>> from ibtools.synthetic import multinormal_sparse
    >>> round(multinormal_sparse(5).mi, 4)
    1.0217
    """
    dim_x, dim_y = _check_dims(dim_x, dim_y, minimum=2)
    lam, eta, n_pairs = 2.0, 2.0, 2

    def sampler(rng: np.random.Generator, n: int):
        shared = lam * rng.standard_normal((n, n_pairs))
        x = rng.standard_normal((n, dim_x))
        y = rng.standard_normal((n, dim_y))
        x[:, :n_pairs] += shared
        y[:, :n_pairs] += shared
        x[:, n_pairs:] += eta * rng.standard_normal((n, dim_x - n_pairs))
        y[:, n_pairs:] += eta * rng.standard_normal((n, dim_y - n_pairs))
        return x, y

    rho = lam**2 / (1 + lam**2)
    mi = -n_pairs * 0.5 * math.log1p(-rho * rho)
    params = {"dim_x": dim_x, "dim_y": dim_y, "n_interacting": n_pairs, "lambda": lam, "eta": eta}
    return Task(f"multinormal-sparse-{dim_x}x{dim_y}", params, mi, dim_x, dim_y, sampler)


def _haar_orthogonal(rng: np.random.Generator, dim: int) -> np.ndarray:
    """A Haar-distributed orthogonal matrix: QR of a Gaussian matrix with the sign fix."""
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def correlated_gaussian(
    mi: float,
    dim_x: int,
    dim_y: int | None = None,
    *,
    interaction: str = "dense",
    rotate: bool = True,
    rotation_seed: int = 0,
) -> Task:
    """Gaussian pair with prescribed mutual information ``mi`` (nats) in any dimension.

    Butakov et al.'s construction: the MI is split over coordinate pairs (X_i, Y_i), each a
    standard bivariate normal with its own correlation, and then each block is rotated by a
    fixed random orthogonal matrix.

    Parameters
    ----------
    mi : float
        The target I(X; Y) in nats, >= 0. 0 gives independent X and Y; values of 10 nats and
        more are exact too (see Notes).
    dim_x : int
        Dimension of X, at least 1.
    dim_y : int, optional
        Dimension of Y, at least 1; defaults to ``dim_x``.
    interaction : {"dense", "sparse"}, default="dense"
        ``"dense"`` spreads ``mi`` evenly over all m = min(dim_x, dim_y) pairs (Butakov's
        choice). ``"sparse"`` puts it evenly on the first min(2, m) pairs only (BMI's
        "2-pair" pattern); the other coordinates are independent noise.
    rotate : bool, default=True
        Apply Haar-random orthogonal matrices Q_X and Q_Y within the X and Y blocks, so the
        dependence is not aligned with the coordinate axes. ``False`` keeps the pairs on the
        axes (with ``"sparse"`` that makes the information sit on one or two coordinates).
    rotation_seed : int, default=0
        Seed of the rotation, drawn once when the task is built; it is part of the task's
        parameters and name, so the task is deterministic.

    Returns
    -------
    Task
        Named ``"gaussian-{interaction}-{dim_x}x{dim_y}-mi{mi}"`` plus ``"-rot{seed}"`` when
        rotated. ``task.mi`` equals ``mi``.

    Raises
    ------
    TypeError
        If a dimension or ``rotation_seed`` is not an integer.
    ValueError
        If ``mi < 0`` or is not finite, a dimension is below 1, ``rotation_seed < 0``, or
        ``interaction`` is not "dense" or "sparse".

    Notes
    -----
    With k interacting pairs each pair carries mi_i = mi / k and has correlation

    .. math:: \\rho_i = \\sqrt{1 - e^{-2\\,mi_i}},\\qquad -\\tfrac12\\log(1-\\rho_i^2) = mi_i,

    and MI adds over independent pairs. Samples are drawn as X = U, Y_i = rho_i U_i +
    e^{-mi_i} V_i with U, V ~ N(0, I) (note sqrt(1 - rho_i^2) = e^{-mi_i}), so no covariance
    matrix is factorised and mi = 0 or mi = 20 is as exact as mi = 1. The rotations keep the
    MI and the N(0, I) marginals of each block, so a coordinatewise normal CDF afterwards still
    gives uniform margins.

    References
    ----------
    Butakov et al., "Information Bottleneck Analysis of Deep Neural Networks via Lossy
    Compression", ICLR 2024, Algorithm 1 (official code ``VanessB/Information-v3``).

    Examples
    --------
    >>> from ibtools.synthetic import correlated_gaussian
    >>> task = correlated_gaussian(2.0, 5, interaction="sparse")
    >>> task.name, task.mi
    ('gaussian-sparse-5x5-mi2-rot0', 2.0)
    >>> x, y = task.sample(100, seed=0)
    >>> x.shape, y.shape
    ((100, 5), (100, 5))
    """
    mi = check_scalar(mi, "mi", low=0.0)
    dim_x, dim_y = _check_dims(dim_x, dim_y)
    interaction = check_choice(interaction, "interaction", ("dense", "sparse"))
    if not isinstance(rotate, bool):
        raise TypeError(f"rotate must be True or False, got {rotate!r}")
    rotation_seed = check_scalar(rotation_seed, "rotation_seed", kind=int, low=0)

    m = min(dim_x, dim_y)
    n_pairs = m if interaction == "dense" else min(2, m)
    mi_pair = mi / n_pairs
    rho = math.sqrt(-math.expm1(-2.0 * mi_pair))
    noise = math.exp(-mi_pair)
    if rotate:
        rot_rng = np.random.default_rng(rotation_seed)
        q_x = _haar_orthogonal(rot_rng, dim_x)
        q_y = _haar_orthogonal(rot_rng, dim_y)

    def sampler(rng: np.random.Generator, n: int):
        x = rng.standard_normal((n, dim_x))
        y = rng.standard_normal((n, dim_y))
        y[:, :n_pairs] = rho * x[:, :n_pairs] + noise * y[:, :n_pairs]
        if rotate:
            x = x @ q_x.T
            y = y @ q_y.T
        return x, y

    name = f"gaussian-{interaction}-{dim_x}x{dim_y}-mi{fmt(mi)}"
    if rotate:
        name += f"-rot{rotation_seed}"
    params = {
        "mi": mi,
        "dim_x": dim_x,
        "dim_y": dim_y,
        "interaction": interaction,
        "n_interacting": n_pairs,
        "rho": rho,
        "rotate": rotate,
        "rotation_seed": rotation_seed,
    }
    return Task(name, params, mi, dim_x, dim_y, sampler)
