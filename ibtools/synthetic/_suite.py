"""The default benchmark suite: low-dimensional known-MI tasks for the non-neural estimators."""

from __future__ import annotations

from ibtools._validation import check_scalar
from ibtools.synthetic._gaussian import (
    bivariate_normal,
    correlated_gaussian,
    multinormal_dense,
    multinormal_sparse,
)
from ibtools.synthetic._student import student_t
from ibtools.synthetic._tasks import Task
from ibtools.synthetic._uniform import additive_uniform


def task_suite(max_dim: int = 5) -> dict[str, Task]:
    """The benchmark's known-MI tasks (BMI v1 families plus prescribed-MI Gaussians), by name.

    Parameters
    ----------
    max_dim : int, default=5
        Keep only tasks with max(dim_x, dim_y) <= ``max_dim``. The default gives the
        low-dimensional suite run for every non-neural estimator; 25 adds BMI's 25 x 25
        dense, sparse and transformed-sparse tasks.

    Returns
    -------
    dict of str to Task
        Ordered by group: 1x1 tasks, multinormal, Student-t, transformed sparse Gaussians,
        prescribed-MI Gaussians. Keys equal ``task.name``.

    Raises
    ------
    TypeError, ValueError
        If ``max_dim`` is not an integer >= 1.

    Notes
    -----
    The groups, with the MI of each in nats:

    - 1x1: normal rho = 0.75 (0.4133) and its normal-CDF, half-cube and wiggly versions;
      additive uniform epsilon = 0.1 (1.7094) and 0.75 (0.3333); Student-t (1, 1, 1) (0.2242)
      and its asinh version.
    - multinormal: dense d x d for d in {2, 3, 5, 25} (0.2939, 0.4133, 0.5928, 1.2922) and
      sparse d x d for d in {2, 3, 5, 25} (1.0217 each).
    - Student-t (d, d, nu) for (2, 2, 1), (2, 2, 2), (3, 3, 2), (3, 3, 3), (5, 5, 2), (5, 5, 3),
      and asinh of (2, 2, 1), (3, 3, 2), (5, 5, 2).
    - sparse d x d for d in {3, 5, 25} under normal_cdf, half_cube, spiral and spiral of
      normal_cdf (1.0217 each).
    - :func:`~ibtools.synthetic.correlated_gaussian` at 2 nats (dense 3 x 3, sparse 5 x 5)
      and 5 nats (dense 2 x 2), where kNN and neural estimators start to underestimate.

    BMI's bimodal and Swiss-roll tasks and the 50 x 50 dense task are not included.

    References
    ----------
    Czyż et al., NeurIPS 2023, benchmark v1 (40 tasks); Butakov et al., ICLR 2024.

    Examples
    --------
    >>> from ibtools.synthetic import task_suite
    >>> suite = task_suite()
    >>> round(suite["multinormal-sparse-3x3"].mi, 4)
    1.0217
    """
    max_dim = check_scalar(max_dim, "max_dim", kind=int, low=1)
    normal = bivariate_normal(0.75)
    student_111 = student_t(1, 1, 1)
    tasks: list[Task] = [
        normal,
        normal.transformed("normal_cdf"),
        normal.transformed("half_cube"),
        normal.transformed("wiggly"),
        additive_uniform(0.1),
        additive_uniform(0.75),
        student_111,
        student_111.transformed("asinh"),
    ]
    tasks += [multinormal_dense(d) for d in (2, 3, 5, 25)]
    tasks += [multinormal_sparse(d) for d in (2, 3, 5, 25)]
    student_grid = [(2, 1), (2, 2), (3, 2), (3, 3), (5, 2), (5, 3)]
    tasks += [student_t(d, d, nu) for d, nu in student_grid]
    tasks += [student_t(d, d, nu).transformed("asinh") for d, nu in [(2, 1), (3, 2), (5, 2)]]
    for d in (3, 5, 25):
        sparse = multinormal_sparse(d)
        tasks += [
            sparse.transformed("normal_cdf"),
            sparse.transformed("half_cube"),
            sparse.transformed("spiral"),
            sparse.transformed("normal_cdf").transformed("spiral"),
        ]
    tasks += [
        correlated_gaussian(2.0, 3, interaction="dense"),
        correlated_gaussian(2.0, 5, interaction="sparse"),
        correlated_gaussian(5.0, 2, interaction="dense"),
    ]
    return {t.name: t for t in tasks if max(t.dim_x, t.dim_y) <= max_dim}
