"""MI-preserving maps: diffeomorphisms applied to X and to Y separately keep I(X; Y)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from ibtools._validation import check_choice
from ibtools.synthetic._tasks import Task

Array = np.ndarray


def _half_cube(t: Array) -> Array:
    return t * np.sqrt(np.abs(t))


def _half_cube_inv(s: Array) -> Array:
    return np.sign(s) * np.abs(s) ** (2.0 / 3.0)


def _wiggle_x(t: Array) -> Array:
    return t + 0.4 * np.sin(t) + 0.2 * np.sin(1.7 * t + 1) + 0.03 * np.sin(3.3 * t - 2.5)


def _wiggle_y(t: Array) -> Array:
    return t - 0.4 * np.sin(0.4 * t) + 0.17 * np.sin(1.3 * t + 3.5) + 0.02 * np.sin(4.3 * t - 2.5)


def _invert_increasing(f: Callable[[Array], Array], s: Array, spread: float) -> Array:
    """Invert an increasing f with |f(t) - t| <= spread by vectorised bisection."""
    lo, hi = s - spread, s + spread
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        below = f(mid) < s
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def _plane_rotation(z: Array, i: int, j: int, speed: float, sign: float) -> Array:
    """Rotate plane (i, j) of each row by the angle sign * speed * ||row||^2 (norm-preserving)."""
    angle = sign * speed * np.sum(z * z, axis=1)
    c, s = np.cos(angle), np.sin(angle)
    out = z.copy()
    out[:, i] = c * z[:, i] - s * z[:, j]
    out[:, j] = s * z[:, i] + c * z[:, j]
    return out


@dataclass(frozen=True)
class _Map:
    forward_x: Callable[[Array], Array]
    forward_y: Callable[[Array], Array]
    inverse_x: Callable[[Array], Array]
    inverse_y: Callable[[Array], Array]
    min_dim_x: int = 1
    min_dim_y: int = 1


def _spiral(plane: tuple[int, int], sign: float) -> Callable[[Array], Array]:
    def f(z: Array) -> Array:
        return _plane_rotation(z, *plane, speed=1.0 / z.shape[1], sign=sign)

    return f


_MAPS: dict[str, _Map] = {
    "normal_cdf": _Map(ndtr, ndtr, ndtri, ndtri),
    "half_cube": _Map(_half_cube, _half_cube, _half_cube_inv, _half_cube_inv),
    "asinh": _Map(np.arcsinh, np.arcsinh, np.sinh, np.sinh),
    "wiggly": _Map(
        _wiggle_x,
        _wiggle_y,
        lambda s: _invert_increasing(_wiggle_x, s, 0.7),
        lambda s: _invert_increasing(_wiggle_y, s, 0.7),
    ),
    "spiral": _Map(
        _spiral((0, 1), 1.0),
        _spiral((1, 2), 1.0),
        _spiral((0, 1), -1.0),
        _spiral((1, 2), -1.0),
        min_dim_x=2,
        min_dim_y=3,
    ),
}

#: Names accepted by :func:`transform` and :meth:`Task.transformed`.
TRANSFORMS: tuple[str, ...] = tuple(_MAPS)


def apply_transform(name: str, x, y, *, inverse: bool = False) -> tuple[Array, Array]:
    """Apply the named map (or its inverse) to sample arrays of shape (n, dim_x) and (n, dim_y).

    Private helper of :func:`transform`, kept importable for tests; it trusts its inputs.
    """
    m = _MAPS[name]
    if inverse:
        return m.inverse_x(np.asarray(x, float)), m.inverse_y(np.asarray(y, float))
    return m.forward_x(np.asarray(x, float)), m.forward_y(np.asarray(y, float))


def transform(task: Task, name: str) -> Task:
    """Return ``task`` with an invertible map applied to X and to Y; the MI (nats) is unchanged.

    Parameters
    ----------
    task : Task
        The base task, for example from :func:`~ibtools.synthetic.bivariate_normal`.
    name : {"normal_cdf", "half_cube", "asinh", "wiggly", "spiral"}
        The map (definitions in Notes). Transforms compose:
        ``task.transformed("normal_cdf").transformed("spiral")`` is BMI's
        spiral-of-normal-CDF task.

    Returns
    -------
    Task
        Same ``mi``, ``dim_x`` and ``dim_y``; its name is ``f"{name}-{task.name}"`` and its
        params gain ``"transforms"``, the tuple of applied maps, innermost first.

    Raises
    ------
    TypeError
        If ``task`` is not a :class:`Task`.
    ValueError
        If ``name`` is unknown, or the task is too small for ``"spiral"`` (it needs
        dim_x >= 2 and dim_y >= 3).

    Notes
    -----
    If f and g are injective and smooth, I(f(X); g(Y)) = I(X; Y), so every transformed task
    has a known MI while its marginals and dependence shape change:

    - ``normal_cdf``: the standard normal CDF Phi coordinatewise (uniform margins on (0, 1)
      for standard normal coordinates). In float64, 1 - Phi(t) keeps ever fewer digits as
      t grows (about 1e-4 relative error at t = 7.5) and Phi(t) rounds to exactly 1.0 beyond
      t = 8.3, so the map is only numerically invertible in the bulk.
    - ``half_cube``: t -> t sqrt(|t|) coordinatewise (heavier tails).
    - ``asinh``: arcsinh coordinatewise (lighter tails, for Student-t tasks).
    - ``wiggly``: BMI's 1-D monotone wiggles, applied coordinatewise:
      x -> x + 0.4 sin x + 0.2 sin(1.7x + 1) + 0.03 sin(3.3x - 2.5) and
      y -> y - 0.4 sin(0.4y) + 0.17 sin(1.3y + 3.5) + 0.02 sin(4.3y - 2.5). Both derivatives
      stay above 0.16, so the maps are strictly increasing. BMI uses it on 1x1 tasks only.
    - ``spiral``: z -> exp(s ||z||^2 A) z with A the generator of rotations of one coordinate
      plane, (0, 1) for X and (1, 2) for Y, and speed s = 1 / dim. Each row is rotated by the
      angle s ||z||^2 in that plane; rotations keep the norm, so the inverse rotates back by
      the same angle.

    References
    ----------
    Czyż et al., NeurIPS 2023, Section 4 and the samplers in ``cbg-ethz/bmi``
    (``bmi.transforms``).

    Examples
    --------
    >>> from ibtools.synthetic import bivariate_normal, transform
    >>> task = transform(bivariate_normal(0.75), "half_cube")
    >>> task.name, round(task.mi, 4)
    ('half_cube-normal-1x1-rho0.75', 0.4133)
    """
    if not isinstance(task, Task):
        raise TypeError(
            f"task must be an ibtools.synthetic Task, got {type(task).__name__}; build one with "
            "a family function such as ibtools.synthetic.correlated_gaussian"
        )
    name = check_choice(name, "transform", TRANSFORMS)
    m = _MAPS[name]
    if task.dim_x < m.min_dim_x or task.dim_y < m.min_dim_y:
        raise ValueError(
            f"transform {name!r} needs dim_x >= {m.min_dim_x} and dim_y >= {m.min_dim_y}; task "
            f"{task.name!r} has dim_x={task.dim_x}, dim_y={task.dim_y}; use a larger task"
        )
    base_sampler = task._sampler

    def sampler(rng: np.random.Generator, n: int):
        x, y = base_sampler(rng, n)
        return m.forward_x(np.asarray(x, float)), m.forward_y(np.asarray(y, float))

    params = {**task.params, "transforms": (*task.params.get("transforms", ()), name)}
    return Task(f"{name}-{task.name}", params, task.mi, task.dim_x, task.dim_y, sampler)
