r"""Sample propagation (SP): entropy of a Gaussian mixture and I(X;T) of a noisy layer.

Goldfeld et al. (2019) estimate :math:`h(S+Z)`, :math:`Z\sim\mathcal N(0,\sigma^2 I_d)`, by
the differential entropy of :math:`g=\hat P_n*\varphi_\sigma`, a Gaussian mixture with one
component per sample, integrated by Monte Carlo. This module computes that integral exactly
in the centres (no kernel-density tolerance) and fast:

* the squared distances come from one small matrix product per block,
  :math:`\|t-s\|^2=\|t\|^2-2t\cdot s+\|s\|^2`, in float64 after centring and scaling by
  :math:`1/\sigma`;
* each Monte-Carlo point's own component is the offset of its log-sum-exp, so a block is
  one matrix product, one in-place ``exp`` and one sum (no max pass);
* duplicate centres (e.g. layer 1 of a noisy network, whose replicas coincide) are merged
  into weighted components;
* centres are sorted into k-d leaf tiles of 32 with bounding boxes, Monte-Carlo points into
  tiles of 32 neighbours; a (point tile, centre tile) pair is evaluated only if the centre
  tile can add more than :math:`10^{-16}` of the points' own-component terms, which changes
  no result beyond float64 rounding but makes narrow, spread-out mixtures (small
  :math:`\sigma`, the SZT regime) far cheaper than all pairs; the surviving pairs of a
  block run as one batched matrix product.

All pairwise work goes through :func:`ibtools._torch.reduce_row_chunks`: blocks of
Monte-Carlo points are compared with the centre tiles they need, at most 4096 tile pairs
(about 4M kernel values, 32 MiB) at a time.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from ibtools._torch import make_generator, reduce_row_chunks, resolve_device
from ibtools._validation import check_chunk_size, check_positive, check_samples, check_scalar

__all__ = [
    "EntropyBounds",
    "MonteCarloEstimate",
    "NoisyLayerMI",
    "entropy_gaussian_mixture",
    "entropy_gaussian_mixture_bounds",
    "mi_noisy_layer",
]

_ELEMENT_BUDGET = 2**22  # kernel values held at once per block (32 MiB in float64)
_TILE = 32  # centres per k-d leaf tile, and Monte-Carlo points per query tile
_DROP_REL = 1e-16  # a pruned leaf adds < _DROP_REL (summed over leaves) of a row's kernel sum
_NOISE_PAGE = 2**16  # Monte-Carlo points per noise page (pages make results chunk-independent)
_MAX_ROWS = 4096  # Monte-Carlo points per block when chunk_size is None (at most)
_MIN_EXPONENT = -700.0  # exp() of smaller float64 numbers hits a slow path; e^-700 adds nothing
_LOG_2PI = math.log(2.0 * math.pi)


class MonteCarloEstimate(NamedTuple):
    """A Monte-Carlo estimate in nats and its standard error (nats)."""

    value: float
    stderr: float


class EntropyBounds(NamedTuple):
    """Lower and upper bounds on an entropy, in nats."""

    lower: float
    upper: float


class NoisyLayerMI(NamedTuple):
    """Information terms of a noisy layer T = S + Z, all in nats.

    ``i_xt`` is I(X;T), ``i_yt`` is I(Y;T) (NaN without labels), ``h_t`` is h(T),
    ``h_t_given_x`` is h(T|X) and ``stderr_i_xt`` the Monte-Carlo standard error of ``i_xt``.
    """

    i_xt: float
    i_yt: float
    h_t: float
    h_t_given_x: float
    stderr_i_xt: float


# --------------------------------------------------------------------------- validation


def _auto_rows(mix: _Mixture) -> int:
    """Block rows whose tile-to-leaf bound matrix holds about _ELEMENT_BUDGET numbers."""
    n_tiles, dim = mix.lo.shape
    rows = _TILE * (_ELEMENT_BUDGET // (n_tiles * dim))
    return int(min(_MAX_ROWS, max(_TILE, rows)))


def _target_device(device):
    return None if device is None else resolve_device(device)


def _check_samples_3d(samples, device) -> torch.Tensor:
    """(n_inputs, n_replicas, dim) float64 tensor, finite."""
    if isinstance(samples, torch.Tensor):
        shape = tuple(samples.shape)
        flat_source = samples.detach()
    else:
        try:
            flat_source = np.asarray(samples)
        except Exception as err:  # ragged lists and the like
            raise TypeError(f"samples could not be converted to an array: {err}") from err
        shape = flat_source.shape
    if len(shape) != 3:
        hint = (
            "for one replica per input use samples[:, None, :]"
            if len(shape) == 2
            else "stack the replicas as samples[input, replica, neuron]"
        )
        raise ValueError(f"samples has shape {shape}; expected (n_inputs, n_replicas, dim); {hint}")
    if min(shape) == 0:
        raise ValueError(f"samples has shape {shape}; every axis needs at least one entry")
    flat = check_samples(flat_source.reshape(-1, shape[2]), "samples", min_samples=1, device=device)
    return flat.reshape(shape)


def _check_labels(labels, n_inputs: int) -> tuple[np.ndarray, int]:
    """Integer class codes 0..n_classes-1 for discrete labels of length n_inputs."""
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    try:
        array = np.asarray(labels)
    except Exception as err:
        raise TypeError(f"labels could not be converted to an array: {err}") from err
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"labels has shape {array.shape}; expected (n_inputs,) with one class per input"
        )
    if array.shape[0] != n_inputs:
        raise ValueError(
            f"labels has {array.shape[0]} entries but samples has {n_inputs} inputs; "
            f"pass one label per input (row of samples)"
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError("labels contains NaN or inf; pass discrete class labels")
    if array.dtype == object:
        array = array.astype(str)
    _, codes = np.unique(array, return_inverse=True)
    return codes.reshape(-1).astype(np.int64), int(codes.max()) + 1


# --------------------------------------------------------------------------- geometry


def _dedup(points: torch.Tensor, groups: torch.Tensor | None):
    """Merge identical rows (and identical group): representatives, inverse, counts."""
    keys = points.cpu().numpy()
    if groups is not None:
        keys = np.column_stack([keys, groups.cpu().numpy().astype(np.float64)])
    n = keys.shape[0]
    order = np.lexsort(keys.T[::-1])
    ordered = keys[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    uid_sorted = np.cumsum(new) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = uid_sorted
    return order[new], inverse, np.bincount(uid_sorted)


def _kd_leaves(points: np.ndarray, leaf_size: int):
    """Permutation that puts points in k-d leaf order (median splits on the widest axis)."""
    n = points.shape[0]
    perm = np.arange(n)
    starts = []
    stack = [(0, n)]
    while stack:
        a, b = stack.pop()
        if b - a <= leaf_size:
            starts.append(a)
            continue
        idx = perm[a:b]
        pts = points[idx]
        axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
        mid = (b - a) // 2
        perm[a:b] = idx[np.argpartition(pts[:, axis], mid)]
        stack.append((a + mid, b))
        stack.append((a, a + mid))
    return perm, np.asarray(starts, dtype=np.int64)


class _Mixture:
    r"""Kernel sums :math:`\sum_j w_j e^{-\|q-c_j\|^2/2}` over scaled centres, in tiles.

    ``centres`` are already divided by the kernel width; ``log_w`` are log weights (any
    normalisation); ``groups`` optionally assigns each centre to one of ``n_groups`` groups,
    and sums are then returned per group. The centres are sorted into k-d leaves of at most
    ``_TILE`` centres, each stored as one padded tile with its bounding box; queries are
    cut into tiles of ``_TILE`` consecutive rows. Every (query tile, centre tile) pair that
    can matter is evaluated in one batched matrix product.
    """

    def __init__(self, centres: torch.Tensor, log_w: torch.Tensor, groups=None, n_groups=1):
        device = centres.device
        perm_np, starts_np = _kd_leaves(centres.cpu().numpy(), _TILE)
        perm = torch.from_numpy(perm_np).to(device)
        self.order = perm  # sorted position -> input row
        self.c = centres[perm].contiguous()
        self.log_w = log_w[perm].contiguous()
        self.n_groups = n_groups
        self.groups = None if groups is None else groups[perm].contiguous()
        n, d = self.c.shape
        n_tiles = len(starts_np)
        c_np = self.c.cpu().numpy()
        self.lo = torch.from_numpy(np.minimum.reduceat(c_np, starts_np, axis=0)).to(device)
        self.hi = torch.from_numpy(np.maximum.reduceat(c_np, starts_np, axis=0)).to(device)
        sizes_np = np.diff(np.append(starts_np, n))
        lw = self.log_w.cpu().numpy()
        leaf_max = np.maximum.reduceat(lw, starts_np)
        leaf_sum = np.add.reduceat(np.exp(lw - np.repeat(leaf_max, sizes_np)), starts_np)
        self.leaf_log_w = torch.from_numpy(leaf_max + np.log(leaf_sum)).to(device)
        self.log_drop = math.log(_DROP_REL) - math.log(n_tiles)
        # Padded tiles: rows [c, log w - |c|^2/2, 1]; padding rows give exponent -1e5.
        tile_of = torch.from_numpy(np.repeat(np.arange(n_tiles), sizes_np)).to(device)
        slot = torch.arange(n, device=device) - torch.from_numpy(np.repeat(starts_np, sizes_np)).to(
            device
        )
        ones = torch.ones(n, 1, dtype=torch.float64, device=device)
        half_sq = 0.5 * (self.c * self.c).sum(dim=1, keepdim=True)
        c_aug = torch.cat([self.c, self.log_w[:, None] - half_sq, ones], dim=1)
        self.tiles = torch.zeros(n_tiles, _TILE, d + 2, dtype=torch.float64, device=device)
        self.tiles[:, :, d] = -1e5
        self.tiles[tile_of, slot] = c_aug
        self.tiles_t = self.tiles.transpose(1, 2).contiguous()  # (tiles, d + 2, _TILE)
        onehot = (
            ones
            if n_groups == 1
            else torch.nn.functional.one_hot(self.groups, n_groups).to(torch.float64)
        )
        self.group_tiles = torch.zeros(n_tiles, _TILE, n_groups, dtype=torch.float64, device=device)
        self.group_tiles[tile_of, slot] = onehot
        self.c_aug, self.onehot = c_aug, onehot

    def log_sums(self, q: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        """(rows, n_groups) log kernel sums; ``ref`` is a per-row lower bound of the total."""
        rows, d = q.shape
        n_qt = -(-rows // _TILE)
        pad = n_qt * _TILE - rows
        if pad:  # repeat the last row; its results are dropped
            q = torch.cat([q, q[-1:].expand(pad, d)])
            ref = torch.cat([ref, ref[-1:].expand(pad)])
        ones = torch.ones(q.shape[0], 1, dtype=torch.float64, device=q.device)
        q_aug = torch.cat([q, ones, (-0.5 * (q * q).sum(dim=1) - ref)[:, None]], dim=1)
        q_tiles = q_aug.view(n_qt, _TILE, d + 2)
        q3 = q.view(n_qt, _TILE, d)
        q_lo, q_hi = q3.amin(dim=1), q3.amax(dim=1)
        ref_min = ref.view(n_qt, _TILE).amin(dim=1)
        # Leaf bound: log W_leaf - min distance^2 / 2 against each query tile's box.
        gap = torch.clamp(
            torch.maximum(self.lo[None] - q_hi[:, None], q_lo[:, None] - self.hi[None]),
            min=0.0,
        )
        bound = self.leaf_log_w[None] - 0.5 * (gap * gap).sum(dim=2)
        pairs = (bound >= (ref_min + self.log_drop)[:, None]).nonzero()
        acc = torch.zeros(n_qt, _TILE, self.n_groups, dtype=torch.float64, device=q.device)
        step = max(1, _ELEMENT_BUDGET // (_TILE * _TILE))
        for start in range(0, pairs.shape[0], step):
            qt, ct = pairs[start : start + step].unbind(dim=1)
            kern = torch.bmm(q_tiles[qt], self.tiles_t[ct]).clamp_(min=_MIN_EXPONENT).exp_()
            per_pair = torch.bmm(kern, self.group_tiles[ct]).view(qt.shape[0], -1)
            # pairs come sorted by query tile: a segment sum (much faster than index_add_)
            lengths = torch.bincount(qt, minlength=n_qt)
            acc += torch.segment_reduce(per_pair, "sum", lengths=lengths, axis=0).view(acc.shape)
        acc = acc.view(-1, self.n_groups)[:rows]
        if not bool(torch.isfinite(acc).all()):  # an exponent above ~709: shift by the max
            return ref[:rows, None] + self._log_sums_shifted(q_aug[:rows])
        return ref[:rows, None] + torch.log(acc)

    def _log_sums_shifted(self, q_aug: torch.Tensor) -> torch.Tensor:
        """Fallback of :meth:`log_sums`: brute force with a max-shifted log-sum-exp."""
        step = max(1, _ELEMENT_BUDGET // q_aug.shape[0])
        out = torch.full(
            (q_aug.shape[0], self.n_groups), -math.inf, dtype=torch.float64, device=q_aug.device
        )
        for start in range(0, self.c_aug.shape[0], step):
            expo = torch.mm(q_aug, self.c_aug[start : start + step].T)
            mask = self.onehot[start : start + step].T.bool()  # (groups, cols)
            part = torch.stack(
                [torch.logsumexp(expo.masked_fill(~m, -math.inf), dim=1) for m in mask], dim=1
            )
            out = torch.logaddexp(out, part)
        return out


class _NoisePages:
    """Standard normal noise for Monte-Carlo rows, drawn in fixed pages of rows.

    Row r always gets the same vector for a given seed, whatever the chunk size.
    """

    def __init__(self, n_rows: int, dim: int, generator: torch.Generator, device):
        n_pages = max(1, -(-n_rows // _NOISE_PAGE))
        self.seeds = torch.randint(
            0, 2**62, (n_pages,), generator=generator, device=generator.device
        ).tolist()
        self.n_rows, self.dim, self.device = n_rows, dim, device
        self._cache: dict[int, torch.Tensor] = {}

    def _page(self, p: int) -> torch.Tensor:
        if p not in self._cache:
            if len(self._cache) > 1:
                self._cache.pop(min(self._cache))
            rows = min(_NOISE_PAGE, self.n_rows - p * _NOISE_PAGE)
            gen = make_generator(self.seeds[p], self.device)
            self._cache[p] = torch.randn(
                rows, self.dim, generator=gen, dtype=torch.float64, device=self.device
            )
        return self._cache[p]

    def rows(self, sl: slice) -> torch.Tensor:
        first, last = sl.start // _NOISE_PAGE, (sl.stop - 1) // _NOISE_PAGE
        parts = []
        for p in range(first, last + 1):
            lo = max(sl.start - p * _NOISE_PAGE, 0)
            hi = min(sl.stop - p * _NOISE_PAGE, _NOISE_PAGE)
            parts.append(self._page(p)[lo:hi])
        return parts[0] if len(parts) == 1 else torch.cat(parts)


def _sub_generators(seed, device, n: int) -> list[torch.Generator]:
    root = make_generator(seed, device)
    seeds = torch.randint(0, 2**62, (n,), generator=root, device=root.device).tolist()
    return [make_generator(s, device) for s in seeds]


# --------------------------------------------------------------------------- SP core


def _pooled_sp(
    x: torch.Tensor,
    sigma: float,
    points_per_centre: torch.Tensor,
    generator: torch.Generator,
    chunk_size: int | None,
    groups: torch.Tensor | None = None,
    n_groups: int = 1,
):
    """Monte-Carlo terms of the SP entropy with the rows of x as centres.

    Returns ``neg_log_g`` (-log g at each MC point, nats), the point's group, and (with
    groups) ``log_ratio`` = log g_group(t) - log g(t), where g_group is the mixture of the
    point's own group.
    """
    n, d = x.shape
    device = x.device
    u = (x - x.mean(dim=0)) / sigma
    first, inverse_np, counts_np = _dedup(u, groups)
    first_t = torch.from_numpy(first).to(device)
    counts = torch.from_numpy(counts_np).to(device=device, dtype=torch.float64)
    inverse = torch.from_numpy(inverse_np).to(device)
    ugroups = None if groups is None else groups[first_t]
    mix = _Mixture(u[first_t], torch.log(counts / n), ugroups, n_groups)
    per_unique = torch.zeros(len(first), dtype=torch.int64, device=device)
    per_unique.index_add_(0, inverse, points_per_centre)
    per_sorted = per_unique[mix.order]
    selected = per_sorted.nonzero()[:, 0]
    if selected.shape[0] < per_sorted.shape[0]:
        # A subset of the centres carries MC points: sort it into its own k-d order so that
        # consecutive rows (one block) stay close together and the leaf pruning works.
        sub_perm, _ = _kd_leaves(mix.c[selected].cpu().numpy(), _TILE)
        selected = selected[torch.from_numpy(sub_perm).to(device)]
    positions = torch.repeat_interleave(selected, per_sorted[selected])
    if chunk_size is None:
        chunk_size = _auto_rows(mix)
    noise = _NoisePages(positions.shape[0], d, generator, device)
    if n_groups > 1:
        group_size = torch.zeros(n_groups, dtype=torch.float64, device=device)
        group_size.index_add_(0, groups, torch.ones(n, dtype=torch.float64, device=device))
        log_group_frac = torch.log(group_size / n)

    def block_fn(pos: torch.Tensor, sl: slice) -> torch.Tensor:
        z = noise.rows(sl)
        ref = mix.log_w[pos] - 0.5 * (z * z).sum(dim=1)
        sums = mix.log_sums(mix.c[pos] + z, ref)
        if n_groups == 1:
            return sums
        own = mix.groups[pos]
        total = torch.logsumexp(sums, dim=1)
        ratio = sums.gather(1, own[:, None])[:, 0] - log_group_frac[own] - total
        return torch.stack([total, ratio], dim=1)

    out = reduce_row_chunks(positions, block_fn, chunk_size)
    const = 0.5 * d * _LOG_2PI + d * math.log(sigma)
    neg_log_g = const - out[:, 0]
    point_groups = None if n_groups == 1 else mix.groups[positions]
    log_ratio = None if n_groups == 1 else out[:, 1]
    return neg_log_g, point_groups, log_ratio


def _conditional_sp(samples: torch.Tensor, sigma: float, n_mc: int, generator) -> torch.Tensor:
    """Per input: mean and variance of -log g_i over its MC points (g_i: its replicas).

    Inputs are batched; the replicas of each input are centred on their mean first.
    Returns a (n_inputs, 2) tensor.
    """
    _, n_rep, d = samples.shape
    n_points = n_rep * n_mc
    batch = max(1, _ELEMENT_BUDGET // (n_points * n_rep))
    own = torch.arange(n_rep, device=samples.device).repeat_interleave(n_mc)
    ones_r = torch.ones(n_rep, 1, dtype=torch.float64, device=samples.device)
    const = 0.5 * d * _LOG_2PI + d * math.log(sigma) + math.log(n_rep)

    def block_fn(block: torch.Tensor, sl: slice) -> torch.Tensor:
        b = block.shape[0]
        c = (block - block.mean(dim=1, keepdim=True)) / sigma
        z = torch.randn(
            b, n_points, d, generator=generator, dtype=torch.float64, device=block.device
        )
        q = c[:, own, :] + z
        ref = -0.5 * (z * z).sum(dim=2)
        ones_q = torch.ones(b, n_points, 1, dtype=torch.float64, device=block.device)
        ones_c = torch.ones(b, n_rep, 1, dtype=torch.float64, device=block.device)
        q_aug = torch.cat([q, ones_q, (-0.5 * (q * q).sum(dim=2) - ref)[..., None]], dim=2)
        c_aug = torch.cat([c, -0.5 * (c * c).sum(dim=2, keepdim=True), ones_c], dim=2)
        expo = torch.bmm(q_aug, c_aug.transpose(1, 2))
        kern = torch.clamp(expo, min=_MIN_EXPONENT).exp_()
        acc = (kern.view(-1, n_rep) @ ones_r).view(b, n_points)  # faster than .sum(dim=2)
        if bool(torch.isfinite(acc).all()):
            log_sum = ref + torch.log(acc)
        else:  # an exponent above ~709: shift by the max instead
            log_sum = ref + torch.logsumexp(expo, dim=2)
        neg = const - log_sum
        var = neg.var(dim=1) if n_points > 1 else torch.zeros_like(neg[:, 0])
        return torch.stack([neg.mean(dim=1), var], dim=1)

    return reduce_row_chunks(samples, block_fn, batch)


# --------------------------------------------------------------------------- public API


def entropy_gaussian_mixture(
    centers,
    sigma: float,
    *,
    n_mc: int = 10,
    seed: int | None = None,
    device=None,
    chunk_size: int | None = None,
    return_stderr: bool = False,
):
    r"""SP estimate of :math:`h(S+Z)`: entropy of an equal-weight Gaussian mixture, in nats.

    The mixture is :math:`g(t)=\frac1n\sum_{i=1}^n\varphi_\sigma(t-s_i)`, the law of
    :math:`S+Z` with :math:`S` uniform on the centres and :math:`Z\sim\mathcal N(0,\sigma^2
    I_d)`; this is Goldfeld et al.'s sample-propagation estimator of :math:`h(S+Z)` from
    the samples :math:`s_i`.

    Parameters
    ----------
    centers : array-like or torch.Tensor of shape (n_centres, dim)
        The samples :math:`s_i` (a 1-D input is read as ``dim = 1``).
    sigma : float
        Noise standard deviation :math:`\sigma` (the papers' :math:`\beta`), ``> 0``.
    n_mc : int, default=10
        Monte-Carlo noise draws per centre; ``n_centres * n_mc`` points in all.
    seed : int, optional
        Seed of the local generator (``None``: fresh entropy).
    device : str or torch.device, optional
        Where to compute; ``None`` keeps a tensor where it is (numpy goes to the CPU).
    chunk_size : int, optional
        Monte-Carlo points per block (default: as many as keep the block's tile-to-leaf
        bound matrix near 4M numbers, at most 4096). Kernel values are computed at most
        4096 tile pairs (~4M values, 32 MiB) at a time, whatever ``n_centres``. The
        result does not depend on it beyond float64 rounding.
    return_stderr : bool, default=False
        Also return the Monte-Carlo standard error.

    Returns
    -------
    float or MonteCarloEstimate
        :math:`\hat h` in nats; with ``return_stderr=True`` a ``MonteCarloEstimate(value,
        stderr)``, ``stderr`` being the standard deviation of :math:`-\log g` over the
        Monte-Carlo points divided by the square root of their number.

    Raises
    ------
    TypeError
        If ``centers`` is not numeric, or ``n_mc``/``chunk_size`` is not an integer.
    ValueError
        If ``centers`` has NaN/inf, no rows or more than two axes, ``sigma <= 0``,
        ``n_mc < 1`` or ``chunk_size < 1``.

    See Also
    --------
    entropy_gaussian_mixture_bounds : deterministic bounds that bracket this value.
    mi_noisy_layer : I(X;T) and I(Y;T) of a noisy layer from these entropies.
    ibtools.closed_form.entropy_gaussian_mixture_1d : the exact 1-D value by quadrature.

    Notes
    -----
    .. math::
        \hat h = -\frac{1}{n\,n_{MC}}\sum_{i=1}^n\sum_{j=1}^{n_{MC}}\log g(s_i+\sigma z_{ij}),
        \qquad \log g(t) = -\tfrac d2\log(2\pi\sigma^2) - \log n
        + \operatorname{logsumexp}_k\Big(-\frac{\|t-s_k\|^2}{2\sigma^2}\Big).

    **Bias.** The Monte Carlo is unbiased for :math:`h(g)`; :math:`h(g)` itself, as an
    estimate of :math:`h(S+Z)`, is biased low when :math:`n` is small for the dimension
    (risk :math:`e^{O(d)} n^{-1/2}`). The MC variance is at most
    :math:`2d(4+\sigma^2)/(\sigma^2 n n_{MC})` for centres in :math:`[-1,1]^d`; in practice
    the variance of :math:`-\log g` is close to :math:`d/2`.

    **Cost.** The kernel is evaluated in float64 for every tile of 32 Monte-Carlo points
    against every tile of 32 centres that can contribute more than :math:`10^{-16}` of the
    points' own terms, i.e. :math:`O(n\,n_{MC}\,d)` times the number of centres near each
    point; in the worst case (overlapping components) :math:`O(n^2 n_{MC} d)`. Exact duplicate centres
    are merged first. Unlike the official code (scikit-learn KDE with ``rtol=1e-3``) there
    is no density tolerance.

    References
    ----------
    Goldfeld, Greenewald, Polyanskiy, *Estimating differential entropy under Gaussian
    convolutions*, arXiv:1810.11589, Sec. IV (MC integration, Thm. 5);
    Goldfeld et al., *Estimating Information Flow in Deep Neural Networks*, ICML 2019.

    Examples
    --------
    Two centres 100 sigma apart in 2-D: :math:`\log 2 + \log(2\pi e\sigma^2)`.

    >>> import math
    >>> h = entropy_gaussian_mixture([[0.0, 0.0], [1.0, 0.0]], sigma=0.01, n_mc=2000, seed=0)
    >>> exact = math.log(2) + math.log(2 * math.pi * math.e * 0.01**2)
    >>> abs(h - exact) < 0.05
    True
    """
    sigma = check_positive(sigma, "sigma")
    n_mc = check_scalar(n_mc, "n_mc", kind=int, low=1)
    chunk_size = check_chunk_size(chunk_size, allow_none=True)
    x = check_samples(centers, "centers", min_samples=1, device=_target_device(device))
    with torch.no_grad():
        (gen,) = _sub_generators(seed, x.device, 1)
        per_centre = torch.full((x.shape[0],), n_mc, dtype=torch.int64, device=x.device)
        neg_log_g, _, _ = _pooled_sp(x, sigma, per_centre, gen, chunk_size)
        value = float(neg_log_g.mean())
        if not return_stderr:
            return value
        m = neg_log_g.shape[0]
        stderr = float(neg_log_g.std()) / math.sqrt(m) if m > 1 else math.nan
        return MonteCarloEstimate(value, stderr)


def entropy_gaussian_mixture_bounds(
    centers, sigma: float, *, device=None, chunk_size: int | None = None
) -> EntropyBounds:
    r"""Kolchinsky-Tracey bounds on the entropy of an equal-weight Gaussian mixture, nats.

    Bounds :math:`h(g)` for :math:`g=\frac1n\sum_i\mathcal N(s_i,\sigma^2 I_d)`, the same
    mixture as :func:`entropy_gaussian_mixture`, without Monte Carlo.

    Parameters
    ----------
    centers : array-like or torch.Tensor of shape (n_centres, dim)
        Component means.
    sigma : float
        Component standard deviation, ``> 0``.
    device : str or torch.device, optional
        Where to compute; ``None`` keeps a tensor where it is (numpy goes to the CPU).
    chunk_size : int, optional
        Centres (rows) per block, compared with every centre tile they need (default:
        automatic, at most 4096).

    Returns
    -------
    EntropyBounds
        ``(lower, upper)`` in nats: the Bhattacharyya lower bound and the KL upper bound.
        Both are exact when the components are well separated or coincide.

    Raises
    ------
    TypeError
        If ``centers`` is not numeric or ``chunk_size`` is not an integer.
    ValueError
        If ``centers`` has NaN/inf or no rows, ``sigma <= 0`` or ``chunk_size < 1``.

    See Also
    --------
    entropy_gaussian_mixture : the Monte-Carlo value these bounds bracket.

    Notes
    -----
    .. math::
        H_{KL} &= \tfrac d2\log(2\pi e\sigma^2) - \frac1n\sum_i\log\frac1n\sum_j
                 e^{-\|s_i-s_j\|^2/(2\sigma^2)} \ \ge h(g),\\
        H_{BD} &= \tfrac d2\log(2\pi e\sigma^2) - \frac1n\sum_i\log\frac1n\sum_j
                 e^{-\|s_i-s_j\|^2/(8\sigma^2)} \ \le h(g).

    Cost: two chunked pairwise passes, :math:`O(n^2 d)` at worst, skipping k-d leaves
    that contribute below :math:`10^{-16}` (exact in float64); duplicates are merged.

    References
    ----------
    Kolchinsky & Tracey, *Estimating Mixture Entropy with Pairwise Distances*, Entropy
    19(7):361, 2017, Eqs. (9)-(10) with the Gaussian closed forms of Sec. 4.

    Examples
    --------
    >>> import math
    >>> b = entropy_gaussian_mixture_bounds([[0.0], [5.0]], sigma=0.1)
    >>> exact = math.log(2) + 0.5 * math.log(2 * math.pi * math.e * 0.01)
    >>> abs(b.lower - exact) < 1e-9 and abs(b.upper - exact) < 1e-9
    True
    """
    sigma = check_positive(sigma, "sigma")
    chunk_size = check_chunk_size(chunk_size, allow_none=True)
    x = check_samples(centers, "centers", min_samples=1, device=_target_device(device))
    n, d = x.shape
    with torch.no_grad():
        u = (x - x.mean(dim=0)) / sigma
        first, _, counts_np = _dedup(u, None)
        first_t = torch.from_numpy(first).to(x.device)
        log_w = torch.log(torch.from_numpy(counts_np).to(x.device, torch.float64) / n)
        base = 0.5 * d * (_LOG_2PI + 1.0 + 2.0 * math.log(sigma))
        values = []
        for width in (2.0, 1.0):  # Bhattacharyya: kernel width 2 sigma; KL: sigma
            mix = _Mixture(u[first_t] / width, log_w)

            def block_fn(pos: torch.Tensor, sl: slice, mix=mix) -> torch.Tensor:
                return mix.log_sums(mix.c[pos], mix.log_w[pos])

            positions = torch.arange(mix.c.shape[0], device=x.device)
            rows = _auto_rows(mix) if chunk_size is None else chunk_size
            sums = reduce_row_chunks(positions, block_fn, rows)[:, 0]
            values.append(base - float((torch.exp(mix.log_w) * sums).sum()))
    return EntropyBounds(values[0], values[1])


def mi_noisy_layer(
    samples,
    sigma: float,
    labels=None,
    *,
    n_mc: int | None = None,
    n_mc_total: int | None = 16384,
    seed: int | None = None,
    device=None,
    chunk_size: int | None = None,
) -> NoisyLayerMI:
    r"""I(X;T) and I(Y;T) of a noisy layer :math:`T=S+Z` by sample propagation, in nats.

    :math:`X` is uniform over ``n_inputs`` inputs; :math:`S` is the layer's pre-noise
    value, random through the noise of earlier layers; :math:`Z\sim\mathcal N(0,\sigma^2
    I_d)` is the layer's own noise.

    Parameters
    ----------
    samples : array-like or torch.Tensor of shape (n_inputs, n_replicas, dim)
        :math:`S` for each input and each independent noise replica of the earlier layers.
    sigma : float
        The layer's noise standard deviation, ``> 0``.
    labels : array-like of shape (n_inputs,), optional
        Discrete class of each input (ints, bools or strings). With labels, I(Y;T) is
        estimated too; otherwise ``i_yt`` is NaN.
    n_mc : int, optional
        Monte-Carlo points per centre (replica) for the conditional entropies h(T|X=x).
        Default: ``ceil(n_mc_total / (n_inputs * n_replicas))`` (10 when ``n_mc_total`` is
        None), so the averaged conditional term has at least as many points as h(T);
        1 at the SZT size, which already gives a standard error of ~0.004 nats.
    n_mc_total : int or None, default=16384
        Cap on the Monte-Carlo points of the pooled entropy h(T) (and of the class
        conditionals h(T|Y=y)): ``min(n_mc * n_inputs * n_replicas, n_mc_total)`` points,
        spread evenly over the centres (a random subset when fewer points than centres).
        ``None``: no cap.
    seed : int, optional
        Seed of the local generator (``None``: fresh entropy).
    device : str or torch.device, optional
        Where to compute; ``None`` keeps a tensor where it is (numpy goes to the CPU).
    chunk_size : int, optional
        Monte-Carlo points per block of the pooled term (default: automatic, at most
        4096); memory is bounded by ~4M kernel values at a time regardless.

    Returns
    -------
    NoisyLayerMI
        ``(i_xt, i_yt, h_t, h_t_given_x, stderr_i_xt)`` in nats. Raw estimates: negative
        values are not clipped to 0 (the official code clips), so their bias stays
        visible. ``stderr_i_xt`` is the Monte-Carlo standard error (not the estimator's
        bias).

    Raises
    ------
    TypeError
        If ``samples`` or ``labels`` is not numeric/discrete, or an integer option is not
        an integer.
    ValueError
        If ``samples`` is not 3-D or has NaN/inf, ``sigma <= 0``, ``labels`` has the wrong
        length, or ``n_mc``, ``n_mc_total`` or ``chunk_size`` is below 1.

    See Also
    --------
    entropy_gaussian_mixture : the SP entropy used for every term.
    entropy_gaussian_mixture_bounds : Kolchinsky-Tracey bounds on h(T).

    Notes
    -----
    .. math::
        \hat I(X;T) = \hat h(T) - \frac1m\sum_{i=1}^m \hat h(T\mid X=x_i),\qquad
        \hat I(Y;T) = \hat h(T) - \sum_y \hat p(y)\,\hat h(T\mid Y=y).

    * :math:`\hat h(T)`: SP entropy with all ``n_inputs * n_replicas`` samples pooled as
      centres (as the official code does). With labels its Monte-Carlo points are
      stratified by class (proportional allocation, at least one point per class) and the
      same points and kernel sums give every :math:`\hat h(T|Y=y)`, so I(Y;T) is a paired
      difference with low variance.
    * :math:`\hat h(T|X=x_i)`: SP entropy of input :math:`i`'s replicas, ``n_mc`` points
      per replica, batched over inputs. With one replica it is the closed form
      :math:`\tfrac d2\log(2\pi e\sigma^2)` (exact for layer 1).

    **Bias.** Each conditional term has only ``n_replicas`` centres and is biased low when
    the replicas spread over more than ~sigma (use ``n_replicas >= 100``). The MC standard
    error combines both terms; with :math:`\operatorname{Var}(-\log g)\approx d/2` and the
    default cap it is about :math:`\sqrt{d/2/16384}\approx 0.017` nats at ``d = 10``.

    **Cost** (float64, 2 CPU cores): conditionals
    :math:`n_{inputs}\,n_{rep}^2\,n_{MC}\,d`; pooled term ``n_mc_total`` times the number
    of centres within ~10 sigma of each point (all of them when the layer has collapsed
    into clusters of width ~sigma). The SZT layers (4096 inputs x 100 replicas,
    :math:`d\le 10`, sigma = 0.005) take a few seconds to ~20 s per layer with the
    defaults; see ``benchmarks/README.md``.

    References
    ----------
    Goldfeld et al., *Estimating Information Flow in Deep Neural Networks*, ICML 2019;
    Goldfeld, Greenewald, Polyanskiy, arXiv:1810.11589, Sec. V (I(X;T) and I(Y;T) from
    SP entropies).

    Examples
    --------
    Four inputs whose representations are far apart: I(X;T) = log 4 = 1.386 nats.

    >>> import numpy as np
    >>> s = np.repeat(np.array([[0.0], [1.0], [2.0], [3.0]])[:, None, :], 5, axis=1)
    >>> res = mi_noisy_layer(s, sigma=0.01, labels=[0, 0, 1, 1], seed=0)
    >>> round(res.i_xt, 2), round(res.i_yt, 2)
    (1.39, 0.69)
    """
    sigma = check_positive(sigma, "sigma")
    if n_mc is not None:
        n_mc = check_scalar(n_mc, "n_mc", kind=int, low=1)
    if n_mc_total is not None:
        n_mc_total = check_scalar(n_mc_total, "n_mc_total", kind=int, low=1)
    chunk_size = check_chunk_size(chunk_size, allow_none=True)
    s = _check_samples_3d(samples, _target_device(device))
    n_inputs, n_rep, d = s.shape
    if n_mc is None:
        n_mc = 10 if n_mc_total is None else max(1, -(-n_mc_total // (n_inputs * n_rep)))
    device_ = s.device
    codes, n_classes = (None, 1) if labels is None else _check_labels(labels, n_inputs)
    with torch.no_grad():
        gen_alloc, gen_pooled, gen_cond = _sub_generators(seed, device_, 3)
        n_centres = n_inputs * n_rep
        x = s.reshape(n_centres, d)
        if codes is None:
            strata = torch.zeros(n_centres, dtype=torch.int64, device=device_)
        else:
            strata = torch.from_numpy(codes).to(device_).repeat_interleave(n_rep)
        stratum_size = torch.bincount(strata, minlength=n_classes)
        weight = stratum_size.to(torch.float64) / n_centres
        total = n_mc * n_centres if n_mc_total is None else min(n_mc * n_centres, n_mc_total)
        per_centre = torch.empty(n_centres, dtype=torch.int64, device=device_)
        for y in range(n_classes):
            members = (strata == y).nonzero()[:, 0]
            n_y = members.shape[0]
            m_y = max(1, round(total * float(weight[y])))
            base, extra = divmod(m_y, n_y)
            counts = torch.full((n_y,), base, dtype=torch.int64, device=device_)
            if extra:
                pick = torch.randperm(n_y, generator=gen_alloc, device=device_)[:extra]
                counts[pick] += 1
            per_centre[members] = counts
        neg_log_g, point_groups, log_ratio = _pooled_sp(
            x,
            sigma,
            per_centre,
            gen_pooled,
            chunk_size,
            groups=None if codes is None else strata,
            n_groups=n_classes,
        )
        if point_groups is None:
            point_groups = torch.zeros_like(neg_log_g, dtype=torch.int64)
        h_t, var_h, i_yt = 0.0, 0.0, 0.0
        for y in range(n_classes):
            in_y = point_groups == y
            vals = neg_log_g[in_y]
            w = float(weight[y])
            h_t += w * float(vals.mean())
            if vals.shape[0] > 1:
                var_h += w * w * float(vals.var()) / vals.shape[0]
            if log_ratio is not None:
                i_yt += w * float(log_ratio[in_y].mean())
        if log_ratio is None:
            i_yt = math.nan

        if n_rep == 1:
            h_cond = 0.5 * d * (_LOG_2PI + 1.0 + 2.0 * math.log(sigma))
            var_cond = 0.0
        else:
            per_input = _conditional_sp(s, sigma, n_mc, gen_cond)
            h_cond = float(per_input[:, 0].mean())
            var_cond = float(per_input[:, 1].sum()) / (n_rep * n_mc) / n_inputs**2
        return NoisyLayerMI(
            i_xt=h_t - h_cond,
            i_yt=i_yt,
            h_t=h_t,
            h_t_given_x=h_cond,
            stderr_i_xt=math.sqrt(var_h + var_cond),
        )
