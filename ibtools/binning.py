"""Binning (histogram) estimators: plug-in entropy of joint bin patterns, in nats.

For a deterministic network with X uniform over m inputs, ``entropy_binned(T, B)`` equals
the binned I(X; Bin(T)) that earlier information-plane papers report. Goldfeld et al. (2019,
section 6 of the paper notes) show that it measures clustering of the representations at
scale B rather than a mutual information.
"""

from __future__ import annotations

import numpy as np
import torch

from ibtools._validation import check_paired, check_positive, check_samples, check_scalar

__all__ = ["entropy_binned", "mi_binned"]

_MAX_CODE = 2.0**62  # bin indices must fit in int64


def _bin_codes(x: torch.Tensor, bin_size: float, origin: float, name: str) -> np.ndarray:
    """Integer bin index of every coordinate: floor((x - origin) / bin_size)."""
    scaled = torch.floor((x - origin) / bin_size)
    if bool((scaled.abs() > _MAX_CODE).any()):
        raise ValueError(
            f"{name} spans more than 2**62 bins of size {bin_size}; "
            f"increase bin_size or move origin closer to the data"
        )
    return scaled.to(torch.int64).cpu().numpy()


def _plugin_entropy(codes: np.ndarray) -> float:
    """Plug-in entropy (nats) of the distinct rows of an integer matrix."""
    _, counts = np.unique(codes, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def _discrete_codes(y) -> np.ndarray | None:
    """Integer codes for discrete labels (int, bool, str, object); None for floats."""
    if isinstance(y, torch.Tensor):
        if y.is_floating_point() or y.is_complex():
            return None
        y = y.detach().cpu().numpy()
    array = np.asarray(y)
    if array.dtype.kind in "iub":
        pass
    elif array.dtype.kind in "USO":
        array = array.astype(str)
    else:
        return None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"y has shape {array.shape}; expected (n_samples,) or (n_samples, dim_y)")
    _, codes = np.unique(array, axis=0, return_inverse=True)
    return codes.reshape(-1, 1).astype(np.int64)


def entropy_binned(x, bin_size: float, *, origin: float = 0.0) -> float:
    r"""Plug-in entropy of the joint bin pattern of the samples, in nats.

    Every coordinate is binned as :math:`\lfloor (x - \text{origin}) / B\rfloor`; each
    row's vector of bin indices is one pattern, and the entropy of the empirical pattern
    distribution is returned.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, dim)
        Samples, e.g. a layer's activations for each input (a 1-D input is one neuron).
    bin_size : float
        Bin width :math:`B` in the units of ``x``, ``> 0``.
    origin : float, default=0.0
        A bin edge; bins are :math:`[\text{origin} + kB, \text{origin} + (k+1)B)`.

    Returns
    -------
    float
        :math:`H(\mathrm{Bin}(x))` in nats, between 0 and :math:`\log n_{samples}`.

    Raises
    ------
    TypeError
        If ``x`` is not numeric or ``bin_size``/``origin`` is not a real number.
    ValueError
        If ``x`` has NaN/inf, no rows or more than two axes, ``bin_size <= 0``, or the data
        span more than :math:`2^{62}` bins.

    See Also
    --------
    mi_binned : I(Bin(x); Bin(y)) from three such entropies.

    Notes
    -----
    .. math:: \hat H = -\sum_k \hat p_k\log\hat p_k,\quad \hat p_k =
              \frac{\#\{i: \lfloor (x_i-\text{origin})/B\rfloor = k\}}{n}.

    The plug-in estimate is biased low for the entropy of a continuous variable's bins
    (by about :math:`(K-1)/(2n)` with :math:`K` occupied patterns); for a deterministic
    network and X uniform over the n inputs it is exactly :math:`I(X;\mathrm{Bin}(T))`.
    Cost: :math:`O(n\,d\log n)` (a sort of the patterns).

    References
    ----------
    Shwartz-Ziv & Tishby, *Opening the Black Box of Deep Neural Networks via Information*,
    2017; Goldfeld et al., ICML 2019, Sec. 6 (binning as a clustering measure).

    Examples
    --------
    Four distinct patterns, one of them twice: :math:`H = \log 5 - \tfrac25\log 2`.

    >>> import math
    >>> x = [[0.05, 0.05], [0.05, 0.15], [0.15, 0.05], [0.15, 0.15], [0.06, 0.07]]
    >>> round(entropy_binned(x, 0.1), 10) == round(math.log(5) - 0.4 * math.log(2), 10)
    True
    """
    bin_size = check_positive(bin_size, "bin_size")
    origin = check_scalar(origin, "origin", kind=float)
    x_t = check_samples(x, "x", min_samples=1)
    return _plugin_entropy(_bin_codes(x_t, bin_size, origin, "x"))


def mi_binned(x, y, bin_size: float, *, origin: float = 0.0) -> float:
    r"""Mutual information between binned x and binned (or discrete) y, in nats.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, dim_x)
        Continuous samples (e.g. a layer's activations); binned jointly over coordinates.
    y : array-like of shape (n_samples,) or (n_samples, dim_y)
        Paired with ``x`` by row. Integer, boolean or string arrays are **discrete labels**
        and used as they are; floating-point arrays are **continuous** and binned with the
        same ``bin_size`` and ``origin`` as ``x``.
    bin_size : float
        Bin width :math:`B`, ``> 0``.
    origin : float, default=0.0
        A bin edge shared by all coordinates.

    Returns
    -------
    float
        :math:`I(\mathrm{Bin}(x);\mathrm{Bin}(y))` in nats (plug-in; non-negative up to
        rounding).

    Raises
    ------
    TypeError
        If ``x`` or ``y`` is not numeric/discrete or ``bin_size`` is not a real number.
    ValueError
        If the inputs have NaN/inf, different numbers of rows, more than two axes, or
        ``bin_size <= 0``.

    See Also
    --------
    entropy_binned : the entropy of the joint bin pattern.

    Notes
    -----
    .. math:: \hat I = \hat H(\mathrm{Bin}(x)) + \hat H(\mathrm{Bin}(y))
              - \hat H(\mathrm{Bin}(x), \mathrm{Bin}(y)).

    With ``y`` a one-to-one code of the inputs (e.g. their indices) this is
    :math:`H(\mathrm{Bin}(x))`, the "binned I(X;T)" of the information-plane papers; with
    class labels it is the binned I(T;Y). The plug-in estimate is biased upwards for
    small samples. Cost: three sorts, :math:`O(n\,d\log n)`.

    References
    ----------
    Shwartz-Ziv & Tishby (2017); Saxe et al., *On the Information Bottleneck Theory of Deep
    Learning*, ICLR 2018; Goldfeld et al., ICML 2019, Sec. 6.

    Examples
    --------
    Bins that determine a balanced label: :math:`I = \log 2`.

    >>> import math
    >>> x = [[0.01], [0.02], [0.51], [0.52]]
    >>> abs(mi_binned(x, [0, 0, 1, 1], bin_size=0.1) - math.log(2)) < 1e-12
    True
    """
    bin_size = check_positive(bin_size, "bin_size")
    origin = check_scalar(origin, "origin", kind=float)
    y_codes = _discrete_codes(y)
    if y_codes is None:
        x_t, y_t = check_paired(x, y, min_samples=1)
        y_codes = _bin_codes(y_t, bin_size, origin, "y")
    else:
        x_t = check_samples(x, "x", min_samples=1)
        if x_t.shape[0] != y_codes.shape[0]:
            raise ValueError(
                f"x and y must have the same number of samples (rows), got {x_t.shape[0]} "
                f"and {y_codes.shape[0]}"
            )
    x_codes = _bin_codes(x_t, bin_size, origin, "x")
    return (
        _plugin_entropy(x_codes)
        + _plugin_entropy(y_codes)
        - _plugin_entropy(np.column_stack([x_codes, y_codes]))
    )
