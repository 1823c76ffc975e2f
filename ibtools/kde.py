"""Leave-one-out Gaussian kernel density estimates of differential entropy, in nats.

:func:`entropy_kde` scores each sample under the Gaussian KDE of the other ``n - 1`` samples
and averages ``-log`` of those densities. :func:`bandwidth_kde` picks the bandwidth that
maximises the same leave-one-out likelihood (Butakov et al. 2024's "KDE-ML").
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ibtools._torch import reduce_row_chunks
from ibtools._validation import check_chunk_size, check_positive, check_samples

__all__ = ["bandwidth_kde", "entropy_kde"]

_DEFAULT_CHUNK = 512
_COARSE = np.geomspace(1.0 / 32.0, 2.0, 12)  # coarse grid, in units of Scott's bandwidth
_FINE_POINTS = 7  # refinement grid between the coarse neighbours of the best point
_MAX_SHIFTS = 4  # times the coarse grid may move when the optimum sits on its edge


def _loo_log_density(x: torch.Tensor, bandwidths: torch.Tensor, chunk_size: int):
    """LOO log densities (n, G) for G bandwidths, and each row's nearest squared distance."""
    n, dim = x.shape
    log_norm = -math.log(n - 1) - 0.5 * dim * torch.log(2.0 * math.pi * bandwidths**2)
    inv_two_h2 = 1.0 / (2.0 * bandwidths**2)

    def block(rows: torch.Tensor, sl: slice) -> torch.Tensor:
        sq = torch.cdist(rows, x, compute_mode="donot_use_mm_for_euclid_dist").square_()
        local = torch.arange(rows.shape[0], device=x.device)
        sq[local, local + sl.start] = math.inf  # leave the point itself out
        nearest = sq.amin(dim=1, keepdim=True)
        shifted = sq - nearest  # log-sum-exp with the nearest neighbour as the shift
        out = [
            torch.log(torch.exp(-shifted * inv_two_h2[g]).sum(dim=1))
            - nearest[:, 0] * inv_two_h2[g]
            for g in range(len(bandwidths))
        ]
        return torch.cat([torch.stack(out, dim=1), nearest], dim=1)

    res = reduce_row_chunks(x, block, chunk_size)
    return res[:, :-1] + log_norm, res[:, -1]


def _scott(x: torch.Tensor) -> float:
    """Scott's rule for an isotropic kernel: rms coordinate std times n^(-1/(d+4))."""
    n, dim = x.shape
    scale = float(x.var(dim=0, unbiased=True).mean().sqrt())
    return scale * n ** (-1.0 / (dim + 4))


def _validate(x, device, chunk_size):
    chunk_size = check_chunk_size(chunk_size)
    xt = check_samples(x, "x", min_samples=3, device=device)
    return xt, chunk_size


@torch.no_grad()
def bandwidth_kde(x, *, device=None, chunk_size: int = _DEFAULT_CHUNK) -> float:
    r"""Gaussian-kernel bandwidth maximising the leave-one-out likelihood, in units of x.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, dim)
        Samples; a 1-D input is read as ``dim=1``.
    device : str or torch.device, optional
        Where to compute; ``None`` means where ``x`` is (numpy: CPU).
    chunk_size : int, default=512
        Rows compared with all samples at once.

    Returns
    -------
    float
        The standard deviation :math:`h` of the isotropic kernel :math:`\mathcal N(0, h^2 I)`.

    Raises
    ------
    ValueError
        If ``x`` has NaN/inf, fewer than 3 rows, zero spread, or duplicate rows (the LOO
        likelihood then grows without bound as :math:`h \to 0`).

    Notes
    -----
    Maximises :math:`\sum_i \log \hat p_{-i}(x_i)` over a logarithmic grid of 12 points from
    :math:`h_S/32` to :math:`2 h_S`, with :math:`h_S = s\, n^{-1/(d+4)}` (Scott's rule, ``s``
    the rms coordinate standard deviation; the grid moves when the optimum is on its edge),
    then over 7 points between the best point's neighbours: relative resolution about 13%,
    where the likelihood is flat (the entropy moves by < 0.01 nats in the tests).
    Cost: O(n^2 d) distances plus O(n^2) exponentials per grid point, 19 grid points.

    References
    ----------
    Duin (1976), IEEE Trans. Comput. C-25(11) (LOO likelihood bandwidth);
    Butakov et al. (2024), ICLR, section 5.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal(2000)
    >>> 0.1 < bandwidth_kde(x) < 0.5                  # Scott's rule gives 0.22
    True
    """
    xt, chunk_size = _validate(x, device, chunk_size)
    h_scott = _scott(xt)
    if h_scott <= 0:
        raise ValueError("x has zero spread (all rows equal); its entropy is -inf")
    grid = h_scott * _COARSE
    for _ in range(_MAX_SHIFTS + 1):
        h = torch.as_tensor(grid, dtype=xt.dtype, device=xt.device)
        log_p, nearest = _loo_log_density(xt, h, chunk_size)
        n_dup = int((nearest <= 0).sum())
        if n_dup:
            raise ValueError(
                f"x has {n_dup} rows with an exact duplicate; the leave-one-out likelihood "
                f"is unbounded as the bandwidth goes to 0; remove duplicates, add tiny noise, "
                f"or pass a fixed bandwidth"
            )
        score = log_p.sum(dim=0).cpu().numpy()
        best = int(np.argmax(score))
        if 0 < best < len(grid) - 1:
            break
        span = grid[-1] / grid[0]
        grid = grid / span if best == 0 else grid * span
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    fine = torch.as_tensor(np.geomspace(lo, hi, _FINE_POINTS), dtype=xt.dtype, device=xt.device)
    log_p, _ = _loo_log_density(xt, fine, chunk_size)
    return float(fine[int(torch.argmax(log_p.sum(dim=0)))])


@torch.no_grad()
def entropy_kde(x, bandwidth=None, *, device=None, chunk_size: int = _DEFAULT_CHUNK) -> float:
    r"""Differential entropy by leave-one-out Gaussian kernel density estimation, in nats.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, dim)
        Samples; a 1-D input is read as ``dim=1``.
    bandwidth : float, optional
        Standard deviation of the isotropic Gaussian kernel, in units of ``x``. ``None``
        selects it with :func:`bandwidth_kde` (maximum LOO likelihood); call that function
        yourself to record the chosen value.
    device : str or torch.device, optional
        Where to compute; ``None`` means where ``x`` is (numpy: CPU).
    chunk_size : int, default=512
        Rows compared with all samples at once (memory ``chunk_size * n_samples`` float64).

    Returns
    -------
    float
        Raw entropy estimate in nats (may be negative; no bias correction).

    Raises
    ------
    ValueError
        If ``x`` has NaN/inf or fewer than 3 rows, if ``bandwidth <= 0`` or not finite, or
        (only when selecting the bandwidth) if ``x`` has duplicate rows or zero spread.
    TypeError
        If ``bandwidth`` is not a real number or ``x`` is not numeric.

    Notes
    -----
    .. math:: \hat H = -\frac1n \sum_i \log \hat p_{-i}(x_i), \qquad
              \hat p_{-i}(x) = \frac1{n-1} \sum_{j \ne i} \varphi_h(x - x_j),

    with :math:`\varphi_h` the :math:`\mathcal N(0, h^2 I_d)` density; log-sum-exp in
    float64. *Bias*: with the bandwidth chosen by maximum LOO likelihood the estimate is the
    minimum over the grid of this same quantity, so it is optimistic (biased low) by a small
    amount; kernel smoothing biases upwards (towards the entropy of the density convolved with
    the kernel). In high dimension the kernel cannot adapt and the error grows quickly; use
    it for ``d`` up to a few. An isotropic kernel assumes comparable scales: standardise or
    whiten ``x`` first. *Cost*: O(n^2 d) time, O(chunk_size n) memory per bandwidth. *Ties*:
    harmless for a fixed bandwidth; duplicates make the selection degenerate (error).

    References
    ----------
    Joe (1989), Ann. Inst. Stat. Math. 41(4) (resubstitution KDE entropy);
    Butakov et al. (2024), ICLR, section 5.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal(2000)
    >>> h = entropy_kde(x)                            # true: 0.5 log(2 pi e) = 1.419
    >>> abs(h - 1.419) < 0.05
    True
    """
    xt, chunk_size = _validate(x, device, chunk_size)
    if bandwidth is None:
        bandwidth = bandwidth_kde(xt, chunk_size=chunk_size)
    else:
        bandwidth = check_positive(bandwidth, "bandwidth")
    h = torch.tensor([bandwidth], dtype=xt.dtype, device=xt.device)
    log_p, _ = _loo_log_density(xt, h, chunk_size)
    return float(-log_p[:, 0].mean())
