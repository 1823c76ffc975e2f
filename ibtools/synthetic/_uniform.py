"""Bounded-support tasks: additive uniform noise."""

from __future__ import annotations

import math

import numpy as np

from ibtools._validation import check_scalar
from ibtools.synthetic._tasks import Task, fmt


def additive_uniform(epsilon: float = 0.1) -> Task:
    """X ~ U(0, 1) and Y = X + U(-epsilon, epsilon); MI in nats.

    Parameters
    ----------
    epsilon : float, default=0.1
        Half-width of the uniform noise, > 0. BMI uses 0.1 and 0.75.

    Returns
    -------
    Task
        A 1x1 task named ``"additive-uniform-eps{epsilon}"``.

    Raises
    ------
    ValueError
        If ``epsilon <= 0``.

    Notes
    -----
    I = h(Y) - h(Y | X) with h(Y | X) = log(2 epsilon) and h(Y) from the trapezoidal density
    of Y, which gives

    .. math::
        I(X;Y) = \\begin{cases} \\epsilon - \\log(2\\epsilon) & \\epsilon \\le 1/2, \\\\
        1/(4\\epsilon) & \\epsilon > 1/2, \\end{cases}

    i.e. 1.7094 nats at epsilon = 0.1 and 0.3333 nats at epsilon = 0.75. Both branches give
    1/2 at epsilon = 1/2.

    References
    ----------
    Czyż et al., NeurIPS 2023, tasks "1v1-additive-0.1" and "1v1-additive-0.75".

    Examples
    --------
    >>> from ibtools.synthetic import additive_uniform
    >>> round(additive_uniform(0.75).mi, 4)
    0.3333
    """
    epsilon = check_scalar(epsilon, "epsilon", low=0.0, low_inclusive=False)

    def sampler(rng: np.random.Generator, n: int):
        x = rng.uniform(0.0, 1.0, size=(n, 1))
        return x, x + rng.uniform(-epsilon, epsilon, size=(n, 1))

    mi = epsilon - math.log(2 * epsilon) if epsilon <= 0.5 else 1.0 / (4 * epsilon)
    name = f"additive-uniform-eps{fmt(epsilon)}"
    return Task(name, {"epsilon": epsilon}, mi, 1, 1, sampler)
