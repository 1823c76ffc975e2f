"""Synthetic tasks with known mutual information (nats), in the style of cbg-ethz/bmi.

A task is a frozen :class:`Task` with ``name``, ``params``, ``mi`` (closed form, nats),
``dim_x``, ``dim_y`` and ``sample(n_samples, seed) -> (x, y)``. Invertible maps applied with
:func:`transform` (or ``task.transformed(name)``) keep the MI and give more test cases.
"""

from ibtools.synthetic._gaussian import (
    bivariate_normal,
    correlated_gaussian,
    multinormal_dense,
    multinormal_sparse,
)
from ibtools.synthetic._images import (
    IMAGE_FAMILIES,
    ImageTask,
    bump_images,
    image_task,
    rectangle_bounds,
    rectangle_images,
)
from ibtools.synthetic._student import student_t
from ibtools.synthetic._suite import task_suite
from ibtools.synthetic._tasks import Task
from ibtools.synthetic._transforms import TRANSFORMS, transform
from ibtools.synthetic._uniform import additive_uniform

__all__ = [
    "IMAGE_FAMILIES",
    "ImageTask",
    "TRANSFORMS",
    "Task",
    "additive_uniform",
    "bivariate_normal",
    "bump_images",
    "correlated_gaussian",
    "image_task",
    "multinormal_dense",
    "multinormal_sparse",
    "rectangle_bounds",
    "rectangle_images",
    "student_t",
    "task_suite",
    "transform",
]
