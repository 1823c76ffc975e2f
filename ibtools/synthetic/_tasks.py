"""The task type shared by every synthetic family: a sampler that knows its mutual information."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ibtools._validation import check_scalar

Sampler = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Task:
    """A joint distribution of (X, Y) with known mutual information, in nats.

    Tasks are built by the family functions of :mod:`ibtools.synthetic` (for example
    :func:`~ibtools.synthetic.correlated_gaussian` or :func:`~ibtools.synthetic.student_t`);
    they are not meant to be constructed by hand.

    Attributes
    ----------
    name : str
        Identifier that encodes the family, the dimensions and every parameter, e.g.
        ``"multinormal-sparse-3x3"`` or ``"half_cube-normal-1x1-rho0.75"``.
    params : dict
        The parameters the task was built from. Transformed tasks add the key
        ``"transforms"``: the tuple of transform names, innermost first.
    mi : float
        The closed-form mutual information I(X; Y) in nats.
    dim_x, dim_y : int
        Dimensions of one sample of X and of Y.

    Notes
    -----
    ``sample`` draws from a local :class:`numpy.random.Generator` built from ``seed``, so the
    same ``(n_samples, seed)`` always gives the same arrays and no global RNG is touched.
    Any fixed randomness of the task itself (such as the rotation of
    :func:`~ibtools.synthetic.correlated_gaussian`) is drawn once, when the task is built,
    from a seed stored in ``params``.
    """

    name: str
    params: Mapping = field(hash=False)
    mi: float
    dim_x: int
    dim_y: int
    _sampler: Sampler = field(repr=False, compare=False, hash=False)

    def sample(self, n_samples: int, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` independent pairs (x_i, y_i).

        Parameters
        ----------
        n_samples : int
            Number of pairs, at least 1.
        seed : int or None
            Seed of the local NumPy generator (a non-negative int). ``None`` draws fresh
            entropy, so the sample is not reproducible.

        Returns
        -------
        x : ndarray of shape (n_samples, dim_x), float64
        y : ndarray of shape (n_samples, dim_y), float64
            Row ``i`` of ``x`` is paired with row ``i`` of ``y``.

        Raises
        ------
        TypeError
            If ``n_samples`` or ``seed`` is not an integer.
        ValueError
            If ``n_samples < 1`` or ``seed < 0``.
        """
        n_samples = check_scalar(n_samples, "n_samples", kind=int, low=1)
        if seed is not None:
            seed = check_scalar(seed, "seed", kind=int, low=0)
        rng = np.random.default_rng(seed)
        x, y = self._sampler(rng, n_samples)
        x = np.ascontiguousarray(x, dtype=np.float64).reshape(n_samples, self.dim_x)
        y = np.ascontiguousarray(y, dtype=np.float64).reshape(n_samples, self.dim_y)
        return x, y

    def transformed(self, transform: str) -> Task:
        """Return this task with an MI-preserving map applied to X and Y.

        Shorthand for :func:`ibtools.synthetic.transform` ``(self, transform)``; see there for
        the available maps.
        """
        from ibtools.synthetic._transforms import transform as _transform

        return _transform(self, transform)


def fmt(value: float) -> str:
    """Short, stable text for a parameter inside a task name (0.75 -> '0.75', 2.0 -> '2')."""
    return f"{value:g}"
