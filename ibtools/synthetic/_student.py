"""Heavy-tailed tasks: the multivariate Student-t with identity dispersion."""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from ibtools._validation import check_scalar
from ibtools.synthetic._tasks import Task, fmt


def _g(dof: float, dim: int) -> float:
    half = 0.5 * (dof + dim)
    return (gammaln(0.5 * dof) - gammaln(half) + half * (digamma(half) - digamma(0.5 * dof))).item()


def student_t_mi(dim_x: int, dim_y: int, dof: float) -> float:
    """MI of the Student-t pair with identity dispersion, in nats (the correction term c).

    See :func:`student_t` for the formula; the public function validates, this one trusts.
    """
    return _g(dof, dim_x) + _g(dof, dim_y) - _g(dof, dim_x + dim_y)


def student_t(dim_x: int = 1, dim_y: int | None = None, dof: float = 1.0) -> Task:
    """Multivariate Student-t pair with identity dispersion; MI > 0 from the shared scale, nats.

    Parameters
    ----------
    dim_x : int, default=1
        Dimension of X, at least 1.
    dim_y : int, optional
        Dimension of Y, at least 1; defaults to ``dim_x``.
    dof : float, default=1.0
        Degrees of freedom nu > 0. nu = 1 is the multivariate Cauchy (no mean, heaviest
        tails); the dependence vanishes as nu -> infinity.

    Returns
    -------
    Task
        Named ``"student-t-{dim_x}x{dim_y}-dof{dof}"``.

    Raises
    ------
    TypeError, ValueError
        If a dimension is not an integer >= 1 or ``dof`` is not a positive finite number.

    Notes
    -----
    (X, Y) = Z / sqrt(W / nu) with Z ~ N(0, I_{dx+dy}) and W ~ chi^2_nu shared by the
    whole row, so X and Y are uncorrelated but dependent through the common scale. With
    identity dispersion the Gaussian part of the MI is 0 and

    .. math::
        I(X;Y) = g(\\nu,d_x)+g(\\nu,d_y)-g(\\nu,d_x+d_y),\\quad
        g(\\nu,d)=\\log\\frac{\\Gamma(\\nu/2)}{\\Gamma((\\nu+d)/2)}
        +\\frac{\\nu+d}{2}\\Big[\\psi\\Big(\\frac{\\nu+d}{2}\\Big)-\\psi\\Big(\\frac{\\nu}{2}\\Big)\\Big].

    BMI's grid gives 0.2242 (1, 1, 1), 0.4319 (2, 2, 1), 0.1931 (2, 2, 2), 0.2909 (3, 3, 2),
    0.1787 (3, 3, 3), 0.4482 (5, 5, 2) and 0.2985 (5, 5, 3). kNN estimators underestimate
    these heavy-tailed tasks; ``task.transformed("asinh")`` keeps the MI and tames the tails.

    References
    ----------
    Czyż et al., NeurIPS 2023, tasks "student-identity-dx-dy-nu" and their Appendix on the
    Student-t MI.

    Examples
    --------
    >>> from ibtools.synthetic import student_t
    >>> round(student_t(2, 2, dof=1).mi, 4)
    0.4319
    """
    dim_x = check_scalar(dim_x, "dim_x", kind=int, low=1)
    dim_y = dim_x if dim_y is None else check_scalar(dim_y, "dim_y", kind=int, low=1)
    dof = check_scalar(dof, "dof", low=0.0, low_inclusive=False)
    dim = dim_x + dim_y

    def sampler(rng: np.random.Generator, n: int):
        scale = np.sqrt(dof / rng.chisquare(dof, size=(n, 1)))
        z = rng.standard_normal((n, dim)) * scale
        return z[:, :dim_x], z[:, dim_x:]

    mi = student_t_mi(dim_x, dim_y, dof)
    params = {"dim_x": dim_x, "dim_y": dim_y, "dof": dof}
    return Task(f"student-t-{dim_x}x{dim_y}-dof{fmt(dof)}", params, mi, dim_x, dim_y, sampler)
