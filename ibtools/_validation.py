"""Input checks at the public boundary. Private helpers trust what these return."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np
import torch


def check_samples(
    x,
    name: str = "x",
    *,
    min_samples: int = 2,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Convert ``x`` to a finite 2-D tensor of shape (n_samples, dim).

    A 1-D input is read as n samples of dimension 1. Raises ``TypeError`` for non-numeric input
    and ``ValueError`` for the wrong number of dimensions, NaN or inf, or fewer than
    ``min_samples`` rows. ``device=None`` keeps a tensor where it is (numpy goes to the CPU).
    """
    if isinstance(x, torch.Tensor):
        tensor = x.detach()
    else:
        try:
            array = np.asarray(x)
        except Exception as err:  # ragged lists and the like
            raise TypeError(f"{name} could not be converted to an array: {err}") from err
        if array.dtype == object or not (
            np.issubdtype(array.dtype, np.number) or array.dtype == bool
        ):
            raise TypeError(f"{name} must be numeric, got an array of dtype {array.dtype}")
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.is_complex():
        raise TypeError(f"{name} must be real-valued, got dtype {tensor.dtype}")
    if tensor.ndim == 1:
        tensor = tensor.reshape(-1, 1)
    elif tensor.ndim != 2:
        raise ValueError(
            f"{name} has shape {tuple(tensor.shape)}; expected (n_samples, dim); "
            f"flatten the feature axes with {name}.reshape(len({name}), -1)"
        )
    target = tensor.device if device is None else torch.device(device)
    tensor = tensor.to(device=target, dtype=dtype)
    if not torch.isfinite(tensor).all():
        n_bad = int((~torch.isfinite(tensor)).any(dim=1).sum())
        raise ValueError(f"{name} contains NaN or inf in {n_bad} rows; remove or impute them")
    if tensor.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {tensor.shape[0]} samples (shape {tuple(tensor.shape)}); "
            f"at least {min_samples} are needed"
        )
    return tensor


def check_paired(x, y, *, min_samples: int = 2, device=None, dtype=torch.float64):
    """Validate two sample arrays paired by row; return both as 2-D tensors on one device."""
    x_t = check_samples(x, "x", min_samples=min_samples, device=device, dtype=dtype)
    y_t = check_samples(y, "y", min_samples=min_samples, device=x_t.device, dtype=dtype)
    if x_t.shape[0] != y_t.shape[0]:
        raise ValueError(
            f"x and y must have the same number of samples (rows), got {x_t.shape[0]} and "
            f"{y_t.shape[0]}"
        )
    return x_t, y_t


def check_scalar(
    value,
    name: str,
    *,
    kind: type = float,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
):
    """Check a scalar hyperparameter's type and range; return it as ``kind``.

    ``kind=int`` rejects floats and bools; ``kind=float`` accepts any real number.
    """
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
        value = int(value)
    else:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
        value = float(value)
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name}={value} is out of range; it must be {op} {low}")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name}={value} is out of range; it must be {op} {high}")
    return value


def check_positive(value, name: str) -> float:
    """A strictly positive finite float (noise levels, bandwidths, bin sizes)."""
    return check_scalar(value, name, kind=float, low=0.0, low_inclusive=False)


def check_choice(value, name: str, choices: Iterable[str]) -> str:
    """One of a fixed set of strings, e.g. an activation or a bound name."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not supported; choose one of {', '.join(choices)}")
    return value


def check_neighbours(k, n_samples: int, name: str = "k") -> int:
    """A neighbour count that the sample size supports (k >= 1 and n_samples > k)."""
    k = check_scalar(k, name, kind=int, low=1)
    if n_samples <= k:
        raise ValueError(f"{name}={k} needs at least {k + 1} samples, got {n_samples}")
    return k


def check_chunk_size(chunk_size, *, allow_none: bool = False) -> int | None:
    """Rows per block of pairwise work: a positive integer (None means automatic when allowed)."""
    if chunk_size is None and allow_none:
        return None
    return check_scalar(chunk_size, "chunk_size", kind=int, low=1)
