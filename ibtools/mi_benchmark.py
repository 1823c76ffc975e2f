"""The synthetic MI benchmark: compression + kNN versus neural bounds on data with known MI.

Butakov et al.'s Algorithm 1 turned into a report card. For every image family, grid point of
true MI and seed, one sample is drawn and every estimator runs on that same sample:

* compression then estimation: the codes of a convolutional autoencoder (``ae_*``) or of PCA
  (``pca_*``), fitted once per family on independent images, then Kozachenko-Leonenko (``kl``),
  weighted KL (``wkl``), KDE (``kde``) and KSG (``ksg``);
* ``raw_ksg``: KSG on the raw pixels, the naive baseline;
* ``params_wkl``: weighted KL on the structured parameters :math:`f_1(\\xi)` (bump centres or
  rectangle edges), the authors' "no compression" reference;
* ``mine``, ``nwj``, ``infonce``, ``smile``: :func:`ibtools.mi_neural` on the images with a
  small convolutional critic (:class:`ConvCritic`).

The low-dimensional known-MI tasks of :mod:`ibtools.synthetic` are run through the non-neural
estimators with :func:`run_lowdim_benchmark`. Results are tidy frames with one row per
estimate: ``estimator, family, true_mi_nats, seed, value, status, seconds``; a failed estimate
keeps its row with ``value`` NaN and ``status`` saying why. :func:`summarise`,
:func:`error_table` and :func:`tracking_limit` turn them into the chapter's tables and checks.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from ibtools._validation import check_choice, check_paired, check_scalar
from ibtools.compression import Compressor, fit_compressor
from ibtools.kde import entropy_kde
from ibtools.knn import entropy_knn, mi_ksg, whiten_columns
from ibtools.neural import mi_neural
from ibtools.synthetic._images import IMAGE_FAMILIES, image_task

__all__ = [
    "CODE_ESTIMATORS",
    "benchmark_guide",
    "check_image_benchmark_parameters",
    "NEURAL_ESTIMATORS",
    "ConvCritic",
    "default_image_estimators",
    "error_table",
    "fit_image_compressors",
    "mi_entropy_whitened",
    "mi_grid",
    "mi_on_codes",
    "run_image_benchmark",
    "run_lowdim_benchmark",
    "summarise",
    "torch_threads",
    "tracking_limit",
]

#: estimators applied to low-dimensional codes, parameters or known-MI task samples
CODE_ESTIMATORS = ("kl", "wkl", "kde", "ksg")
#: variational bounds of :func:`ibtools.mi_neural`
NEURAL_ESTIMATORS = ("mine", "nwj", "infonce", "smile")
_COMPRESSORS = {"ae": "autoencoder", "pca": "pca"}
COLUMNS = ["estimator", "family", "true_mi_nats", "seed", "value", "status", "seconds"]


def default_image_estimators() -> tuple[str, ...]:
    """Every image-benchmark estimator name, in report order."""
    names = [f"{c}_{e}" for c in _COMPRESSORS for e in CODE_ESTIMATORS]
    return tuple(names + ["raw_ksg", "params_wkl", *NEURAL_ESTIMATORS])


def mi_grid(n_points: int, max_mi: float = 10.0) -> np.ndarray:
    """``n_points`` equally spaced true-MI values from 0 to ``max_mi`` nats (41 -> 0, 0.25, ...)."""
    n_points = check_scalar(n_points, "n_points", kind=int, low=2)
    max_mi = check_scalar(max_mi, "max_mi", low=0.0, low_inclusive=False)
    return np.linspace(0.0, max_mi, n_points)


@contextlib.contextmanager
def torch_threads(num_threads: int | None) -> Iterator[None]:
    """Run a block with ``torch.set_num_threads(num_threads)``, restoring the old value after.

    Small convolutions on a shared CPU run far faster on one thread than on two that wait for
    each other; ``None`` leaves the setting alone.
    """
    if num_threads is None:
        yield
        return
    num_threads = check_scalar(num_threads, "num_threads", kind=int, low=1)
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def check_image_benchmark_parameters(
    *, families: Sequence[str], n_samples: int, critic_batch_size: int,
    test_fraction: float = 0.5, val_fraction: float = 0.2
) -> None:
    """Reject chapter parameters that cannot work, before anything long starts.

    Checks the family names (a non-empty list without repeats), and that the held-out splits of
    :func:`ibtools.mi_neural` on ``n_samples`` rows each hold at least one critic batch.
    """
    if isinstance(families, str) or not isinstance(families, Sequence) or not families:
        raise TypeError(f"families must be a non-empty list such as ['bumps'], got {families!r}")
    for family in families:
        check_choice(family, "family", IMAGE_FAMILIES)
    if len(set(families)) != len(families):
        raise ValueError(f"families={list(families)} repeats a family")
    n_samples = check_scalar(n_samples, "n_samples", kind=int, low=10)
    critic_batch_size = check_scalar(critic_batch_size, "critic_batch_size", kind=int, low=2)
    n_test = int(round(n_samples * test_fraction))  # the splits of ibtools.mi_neural
    n_val = int(round((n_samples - n_test) * val_fraction))
    if min(n_test, n_val, n_samples - n_test - n_val) < critic_batch_size:
        raise ValueError(
            f"n_samples={n_samples} gives neural splits of {n_samples - n_test - n_val} train, "
            f"{n_val} validation and {n_test} test rows; each needs at least "
            f"critic_batch_size={critic_batch_size}; raise n_samples or lower the batch size"
        )


# --------------------------------------------------------------------------- estimators on codes


def mi_entropy_whitened(
    x, y, *, entropy: str = "kl", k: int = 3, whiten: bool = True, bandwidth=None
) -> float:
    """Mutual information H(X) + H(Y) - H(X, Y) from three whitened entropy estimates, in nats.

    Parameters
    ----------
    x : array-like of shape (n_samples, dim_x)
    y : array-like of shape (n_samples, dim_y)
        Paired by row.
    entropy : {"kl", "wkl", "kde"}, default="kl"
        Kozachenko-Leonenko with the ``k``-th neighbour, the weighted KL of Berrett, Samworth &
        Yuan over orders 1..``k`` (:func:`ibtools.entropy_knn`), or leave-one-out Gaussian KDE
        with a bandwidth chosen by LOO likelihood per block (:func:`ibtools.entropy_kde`).
    k : int, default=3
        Neighbour order (KL, WKL); ignored by KDE.
    whiten : bool, default=True
        Whiten X, Y and the joint (X, Y) each with its own sample covariance and add
        :math:`\\tfrac12\\log\\det\\Sigma` to each entropy (Butakov et al.).
    bandwidth : float, optional
        Fixed KDE bandwidth in whitened units; ``None`` selects it per block.

    Returns
    -------
    float
        Raw estimate in nats (not clipped at 0).

    Notes
    -----
    For a linear map :math:`A`, :math:`H(AZ) = H(Z) + \\log|\\det A|`, so whitening changes no
    true entropy. With separate whitening of X, Y and the joint, the three corrections add up
    to :math:`\\tfrac12[\\log\\det\\Sigma_X + \\log\\det\\Sigma_Y - \\log\\det\\Sigma_{XY}]`, the
    MI of a Gaussian with the sample covariance; the kNN or KDE terms then estimate how far
    the data are from Gaussian. Whitening the joint (rather than only X and Y, as
    :func:`ibtools.mi_knn` does) makes its neighbourhoods round even when the MI is large and the
    joint is nearly degenerate.
    """
    entropy = check_choice(entropy, "entropy", ("kl", "wkl", "kde"))
    xt, yt = check_paired(x, y, min_samples=3)
    zt = torch.cat([xt, yt], dim=1)

    def h(block: torch.Tensor, name: str) -> float:
        correction = 0.0
        if whiten:
            block, correction = whiten_columns(block, name)
        if entropy == "kde":
            return entropy_kde(block, bandwidth) + correction
        return entropy_knn(block, k=k, weighted=entropy == "wkl") + correction

    return float(h(xt, "x") + h(yt, "y") - h(zt, "the joint (x, y)"))


def mi_on_codes(
    x, y, estimator: str, *, k_kl: int = 1, k_wkl: int = 5, k_ksg: int = 3
) -> float:
    """One of the code estimators (``kl``, ``wkl``, ``kde``, ``ksg``) on a low-dimensional pair.

    KL, WKL and KDE go through :func:`mi_entropy_whitened`; KSG is :func:`ibtools.mi_ksg` on
    per-coordinate standardised data. Returns nats.
    """
    estimator = check_choice(estimator, "estimator", CODE_ESTIMATORS)
    if estimator == "ksg":
        xt, yt = check_paired(x, y, min_samples=k_ksg + 1)
        xt = (xt - xt.mean(0)) / xt.std(0).clamp_min(1e-12)
        yt = (yt - yt.mean(0)) / yt.std(0).clamp_min(1e-12)
        return float(mi_ksg(xt, yt, k=k_ksg))
    k = k_kl if estimator == "kl" else k_wkl
    return mi_entropy_whitened(x, y, entropy=estimator, k=k)


# --------------------------------------------------------------------------- neural critic


class ConvCritic(nn.Module):
    """Separable-tower convolutional critic :math:`f(x, y)` for pairs of single-channel images.

    Each side has its own tower of stride-2 3x3 convolutions with ``channels`` filters and
    LeakyReLU (three layers, as in the authors' MINE critic: 16x16 -> 2x2, 32x32 -> 4x4),
    flattened and mapped to ``hidden`` units; the two are added (the first dense layer of a
    concatenation, split in two), followed by LeakyReLU -> Dense ``hidden`` -> LeakyReLU ->
    Dense 1. ``pairwise`` embeds each image once and combines all K x K pairs, which is what
    :func:`ibtools.mi_neural` uses for the product-of-marginals samples.

    Parameters
    ----------
    shape_x, shape_y : tuple of int
        Per-sample shapes ``(1, size, size)`` (what :func:`ibtools.mi_neural` passes).
    channels : int, default=8
    hidden : int, default=64
    """

    def __init__(self, shape_x, shape_y, channels: int = 8, hidden: int = 64):
        super().__init__()
        self.tower_x = self._tower(tuple(shape_x), channels, hidden)
        self.tower_y = self._tower(tuple(shape_y), channels, hidden)
        self.bias = nn.Parameter(torch.zeros(hidden))
        self.head = nn.Sequential(
            nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1)
        )

    @staticmethod
    def _tower(shape: tuple, channels: int, hidden: int) -> nn.Sequential:
        if len(shape) != 3 or shape[1] != shape[2] or shape[1] < 8:
            raise ValueError(f"ConvCritic needs (channels, size, size) images with size >= 8, got {shape}")
        layers: list[nn.Module] = []
        c_in, side = shape[0], shape[1]
        for _ in range(3):
            layers += [nn.Conv2d(c_in, channels, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
            c_in, side = channels, (side + 1) // 2
        layers += [nn.Flatten(), nn.Linear(channels * side * side, hidden, bias=False)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.head(self.tower_x(x) + self.tower_y(y) + self.bias).squeeze(-1)

    def pairwise(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        hx, hy = self.tower_x(x) + self.bias, self.tower_y(y)
        return self.head(hx[:, None, :] + hy[None, :, :]).squeeze(-1)


# --------------------------------------------------------------------------- driver


def _attempt(fn: Callable[..., float], *args, **kwargs) -> tuple[float, str, float]:
    """Run one estimate; a raised error or a non-finite value becomes (NaN, reason)."""
    start = time.perf_counter()
    try:
        value = float(fn(*args, **kwargs))
        status = "ok" if math.isfinite(value) else "failed: non-finite estimate"
    except (ValueError, RuntimeError, np.linalg.LinAlgError) as err:
        value, status = math.nan, f"failed: {type(err).__name__}: {err}"
    if not math.isfinite(value):
        value = math.nan
    return value, status, time.perf_counter() - start


def fit_image_compressors(
    families: Sequence[str],
    *,
    methods: Sequence[str] = ("ae", "pca"),
    n_train: int = 6000,
    seed: int = 0,
    device=None,
    **fit_kwargs,
) -> dict[tuple[str, str], Compressor]:
    """Fit one compressor per image family and method on fresh images from that family.

    The marginal law of the images does not depend on the MI (the latent marginals are always
    N(0, I)), so a compressor fitted on ``n_train`` images of the MI-0 task serves every grid
    point; those images are drawn with a seed (``10**6 + seed``) that no evaluation sample uses.

    Returns
    -------
    dict
        ``{(family, method): Compressor}``, e.g. ``("bumps", "ae")``; failed fits keep their
        ``status`` and make the corresponding estimates fail.
    """
    n_train = check_scalar(n_train, "n_train", kind=int, low=4)
    out = {}
    for family in families:
        check_choice(family, "family", IMAGE_FAMILIES)
        task = image_task(family, 0.0)
        x, y = task.sample(max(n_train // 2, 2), seed=10**6 + seed)
        images = np.concatenate([x, y])[:n_train]
        for method in methods:
            check_choice(method, "method", _COMPRESSORS)
            out[(family, method)] = fit_compressor(
                images,
                task.dim_latent,
                method=_COMPRESSORS[method],
                seed=seed,
                device=device,
                **(fit_kwargs if method == "ae" else {}),
            )
    return out


def _sample_seed(seed: int, replicate: int, point: int) -> int:
    return int(seed) * 1_000_003 + 10_007 * int(replicate) + int(point)


def run_image_benchmark(
    families: Sequence[str],
    mi_values: Iterable[float],
    *,
    compressors: dict[tuple[str, str], Compressor],
    n_samples: int = 5000,
    n_seeds: int = 1,
    seed: int = 0,
    estimators: Sequence[str] | None = None,
    k_kl: int = 1,
    k_wkl: int = 5,
    k_ksg: int = 3,
    neural_options: dict | None = None,
    device=None,
    progress: bool = False,
) -> pd.DataFrame:
    """Every estimator on the same image samples, for each family x true MI x seed.

    Parameters
    ----------
    families : sequence of {"bumps", "rectangles"}
    mi_values : iterable of float
        True MI grid, nats.
    compressors : dict
        From :func:`fit_image_compressors`; needed for the ``ae_*`` and ``pca_*`` estimators.
    n_samples : int, default=5000
        Pairs per (family, MI, seed); all estimators see the same ones.
    n_seeds : int, default=1
        Replicates; the ``seed`` column holds ``seed + replicate``.
    seed : int, default=0
        Base seed of the samples and of the critics.
    estimators : sequence of str, optional
        Subset of :func:`default_image_estimators` (all by default).
    k_kl, k_wkl, k_ksg : int
        Neighbour orders of KL, weighted KL and KSG.
    neural_options : dict, optional
        Keyword arguments for :func:`ibtools.mi_neural` (batch_size, max_steps, lr, ...).
        The critic is :class:`ConvCritic` and ``seed`` is the sample's seed.
    device : str or torch.device, optional
        Device of the neural critics.
    progress : bool, default=False
        Print one line per sample.

    Returns
    -------
    pandas.DataFrame
        Columns ``estimator, family, true_mi_nats, seed, value, status, seconds``; ``value`` is
        NaN whenever ``status`` is not ``"ok"`` (or ``"max_steps"`` for a neural bound whose
        step budget ran out before early stopping).
    """
    estimators = tuple(default_image_estimators() if estimators is None else estimators)
    for name in estimators:
        check_choice(name, "estimator", default_image_estimators())
    n_samples = check_scalar(n_samples, "n_samples", kind=int, low=10)
    n_seeds = check_scalar(n_seeds, "n_seeds", kind=int, low=1)
    seed = check_scalar(seed, "seed", kind=int, low=0)
    mi_values = [check_scalar(m, "mi_values[i]", low=0.0) for m in mi_values]
    neural = dict(neural_options or {})
    rows = []
    for family in families:
        for point, mi in enumerate(mi_values):
            task = image_task(family, mi)
            for rep in range(n_seeds):
                sample_seed = _sample_seed(seed, rep, point)
                start = time.perf_counter()
                xi, eta = task.sample_latent(n_samples, sample_seed)
                x_img, y_img = task.sample(n_samples, sample_seed)
                codes = {}
                for name in estimators:
                    method, _, base = name.partition("_")
                    if method in _COMPRESSORS and method not in codes:
                        comp = compressors.get((family, method))
                        if comp is None:
                            codes[method] = f"failed: no {method} compressor for {family}"
                        elif not comp.ok:
                            codes[method] = f"failed: {method} compressor {comp.status}"
                        else:
                            codes[method] = (comp.encode(x_img), comp.encode(y_img))
                for name in estimators:
                    method, _, base = name.partition("_")
                    if method in _COMPRESSORS:
                        got = codes[method]
                        if isinstance(got, str):
                            result = (math.nan, got, 0.0)
                        else:
                            result = _attempt(mi_on_codes, *got, base, k_kl=k_kl,
                                              k_wkl=k_wkl, k_ksg=k_ksg)
                    elif name == "raw_ksg":
                        result = _attempt(mi_on_codes, x_img.reshape(n_samples, -1),
                                          y_img.reshape(n_samples, -1), "ksg", k_ksg=k_ksg)
                    elif name == "params_wkl":
                        result = _attempt(mi_on_codes, task.parameters_of(xi),
                                          task.parameters_of(eta), "wkl", k_wkl=k_wkl)
                    else:
                        result = _neural(x_img, y_img, name, sample_seed, device, neural)
                    rows.append(dict(zip(COLUMNS, (name, family, mi, seed + rep, *result),
                                         strict=True)))
                if progress:
                    print(f"{family} MI={mi:.2f} seed={seed + rep}: "
                          f"{time.perf_counter() - start:.1f} s")
    return pd.DataFrame(rows, columns=COLUMNS)


def _neural(x, y, bound, sample_seed, device, options) -> tuple[float, str, float]:
    start = time.perf_counter()
    opts = {"progress": False, **options}
    try:
        res = mi_neural(x, y, bound, critic=ConvCritic, seed=sample_seed % 2**31, device=device,
                        return_details=True, **opts)
    except (ValueError, RuntimeError) as err:
        return math.nan, f"failed: {type(err).__name__}: {err}", time.perf_counter() - start
    seconds = time.perf_counter() - start
    if res.status == "diverged" or not math.isfinite(res.value):
        return math.nan, f"failed: diverged ({res.message})", seconds
    return float(res.value), res.status, seconds


def run_lowdim_benchmark(
    tasks,
    *,
    n_samples: int = 5000,
    n_seeds: int = 1,
    seed: int = 0,
    estimators: Sequence[str] = CODE_ESTIMATORS,
    k_kl: int = 1,
    k_wkl: int = 5,
    k_ksg: int = 3,
) -> pd.DataFrame:
    """The non-neural estimators on low-dimensional known-MI tasks (:mod:`ibtools.synthetic`).

    Parameters
    ----------
    tasks : dict of str to Task, or iterable of Task
        E.g. :func:`ibtools.synthetic.task_suite` ``()``.
    n_samples, n_seeds, seed, k_kl, k_wkl, k_ksg
        As in :func:`run_image_benchmark`.
    estimators : sequence of {"kl", "wkl", "kde", "ksg"}

    Returns
    -------
    pandas.DataFrame
        Same columns as :func:`run_image_benchmark`; ``family`` is the task name.
    """
    tasks = list(tasks.values()) if isinstance(tasks, dict) else list(tasks)
    for name in estimators:
        check_choice(name, "estimator", CODE_ESTIMATORS)
    n_samples = check_scalar(n_samples, "n_samples", kind=int, low=10)
    n_seeds = check_scalar(n_seeds, "n_seeds", kind=int, low=1)
    rows = []
    for point, task in enumerate(tasks):
        for rep in range(n_seeds):
            x, y = task.sample(n_samples, _sample_seed(seed, rep, point))
            for name in estimators:
                result = _attempt(mi_on_codes, x, y, name, k_kl=k_kl, k_wkl=k_wkl, k_ksg=k_ksg)
                rows.append(dict(zip(COLUMNS, (name, task.name, task.mi, seed + rep, *result),
                                     strict=True)))
    return pd.DataFrame(rows, columns=COLUMNS)


# --------------------------------------------------------------------------- summaries


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean, std over seeds, mean signed error, successes and failures per estimator x family x MI.

    Failed rows (NaN ``value``) count in ``n_failed`` and are left out of the statistics.
    """
    keys = ["estimator", "family", "true_mi_nats"]
    data = frame.assign(error=frame["value"] - frame["true_mi_nats"])
    grouped = data.groupby(keys, sort=False)
    out = grouped.agg(
        mean=("value", "mean"),
        std=("value", "std"),
        bias=("error", "mean"),
        n_ok=("value", "count"),
        n_failed=("value", lambda v: int(v.isna().sum())),
    )
    return out.reset_index()


def error_table(
    frame: pd.DataFrame,
    regimes: Sequence[tuple[float, float]] = ((0.0, 2.0), (2.0, 5.0), (5.0, 10.0)),
    *,
    by_family: bool = False,
) -> pd.DataFrame:
    """Mean absolute error (nats) per estimator and true-MI regime, over seeds and grid points.

    A regime ``(lo, hi)`` holds the grid points with ``lo <= MI <= hi`` for the first regime and
    ``lo < MI <= hi`` for the others. Failed estimates are left out of the mean and counted in
    the ``failed`` column (so an estimator that fails often does not look accurate).

    Returns
    -------
    pandas.DataFrame
        Index: estimator (and family if ``by_family``); one column per regime
        (``"MI 0-2"``, ...) plus ``failed``.
    """
    if not regimes:
        raise ValueError("regimes is empty; give at least one (low, high) range in nats")
    keys = ["estimator", "family"] if by_family else ["estimator"]
    data = frame.assign(abs_error=(frame["value"] - frame["true_mi_nats"]).abs())
    columns = {}
    for i, (lo, hi) in enumerate(regimes):
        mi = data["true_mi_nats"]
        mask = (mi <= hi) & ((mi >= lo) if i == 0 else (mi > lo))
        columns[f"MI {lo:g}-{hi:g}"] = data[mask].groupby(keys, sort=False)["abs_error"].mean()
    table = pd.DataFrame(columns)
    table["failed"] = data.groupby(keys, sort=False)["value"].apply(lambda v: int(v.isna().sum()))
    order = list(dict.fromkeys(frame["estimator"]))
    if by_family:
        return table.sort_index(level=0, key=lambda idx: idx.map(order.index))
    return table.loc[[e for e in order if e in table.index]]


def tracking_limit(
    frame: pd.DataFrame,
    estimator: str,
    family: str,
    *,
    abs_tol: float = 0.5,
    rel_tol: float = 0.1,
) -> float:
    """Largest true MI up to which an estimator tracks the truth, in nats.

    Walking up the grid, a point is tracked when its mean estimate over seeds is within
    ``abs_tol + rel_tol * MI`` of the true MI and no seed failed. The result is the last grid
    value before the first untracked point (NaN if the first point already fails).
    """
    abs_tol = check_scalar(abs_tol, "abs_tol", low=0.0)
    rel_tol = check_scalar(rel_tol, "rel_tol", low=0.0)
    rows = frame[(frame["estimator"] == estimator) & (frame["family"] == family)]
    if rows.empty:
        raise ValueError(f"no rows for estimator={estimator!r} and family={family!r}")
    stats = summarise(rows).sort_values("true_mi_nats")
    limit = math.nan
    for _, row in stats.iterrows():
        mi = row["true_mi_nats"]
        ok = row["n_failed"] == 0 and abs(row["mean"] - mi) <= abs_tol + rel_tol * mi
        if not ok:
            break
        limit = float(mi)
    return limit


def benchmark_guide(errors: pd.DataFrame, *, n_best: int = 3) -> str:
    """A short markdown guide from an :func:`error_table`: who to trust in which MI regime.

    For each regime column it lists the ``n_best`` estimators with the smallest mean absolute
    error (with the values) and the one with the largest; then every estimator with failed
    estimates. Nothing is hand-written: the text only restates the table.
    """
    regimes = [c for c in errors.columns if c != "failed"]
    if not regimes:
        raise ValueError("errors has no regime columns; build it with error_table()")
    lines = []
    for regime in regimes:
        col = errors[regime].dropna().sort_values()
        if col.empty:
            continue
        best = ", ".join(f"`{name}` ({value:.2f})" for name, value in col.iloc[:n_best].items())
        lines.append(
            f"- **{regime} nats**: most accurate {best}; least accurate `{col.index[-1]}` "
            f"({col.iloc[-1]:.2f} nats mean absolute error)."
        )
    failed = errors["failed"][errors["failed"] > 0] if "failed" in errors else pd.Series()
    if len(failed):
        lines.append("- **Failed estimates** (reported, not plotted as numbers): "
                     + ", ".join(f"`{n}` {int(c)}" for n, c in failed.items()) + ".")
    else:
        lines.append("- No estimate failed in this run.")
    return "\n".join(lines)
