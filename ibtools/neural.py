"""Neural variational lower bounds on mutual information: MINE (DV), NWJ, InfoNCE and SMILE.

One entry point, :func:`mi_neural`, trains a critic on a training split, chooses the stopping
point on a validation split and reports the bound on an untouched test split, in nats.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ibtools._torch import make_generator, resolve_device, row_chunks
from ibtools._validation import check_choice, check_samples, check_scalar

__all__ = ["BOUNDS", "SCORE_LIMIT", "NeuralMIResult", "mi_neural"]

#: Bound names accepted by :func:`mi_neural`.
BOUNDS: tuple[str, ...] = ("mine", "nwj", "infonce", "smile")

#: Critic scores beyond this magnitude count as divergence: e^f overflows every float type
#: and a critic that approximates a log density ratio never gets there.
SCORE_LIMIT = 1e4


@dataclass(frozen=True)
class NeuralMIResult:
    """Outcome of :func:`mi_neural` with ``return_details=True``; values in nats.

    Attributes
    ----------
    value : float
        The bound evaluated on the test split with the critic saved at ``best_step``; NaN when
        ``status == "diverged"``. A lower bound on I(X; Y) up to estimation error.
    bound : str
        ``"mine"``, ``"nwj"``, ``"infonce"`` or ``"smile"``.
    status : str
        ``"ok"`` (stopped by ``patience``), ``"max_steps"`` (the step budget ran out first; the
        value is valid but training may not have converged) or ``"diverged"`` (a non-finite
        loss or held-out bound; ``message`` says where).
    message : str
        Human-readable reason for ``status``.
    steps : int
        Training steps taken.
    best_step : int
        Step of the checkpoint used for ``value`` (0 means the untrained critic).
    history : dict of str to list
        ``"step"``, ``"train"`` (mean training-batch bound since the previous evaluation; NaN
        at step 0) and ``"val"`` (bound on the validation split), one entry per evaluation.
        ``pandas.DataFrame(result.history)`` gives a table.
    n_train, n_val, n_test : int
        Split sizes. ``n_val == 0`` means stopping was chosen on the test split.
    batch_size : int
        Training and evaluation batch size K.
    cap : float
        log(K) for InfoNCE (the value can never exceed it); ``inf`` for the other bounds.
    """

    value: float
    bound: str
    status: str
    message: str
    steps: int
    best_step: int
    history: dict = field(repr=False)
    n_train: int
    n_val: int
    n_test: int
    batch_size: int
    cap: float


class _ConcatMLP(nn.Module):
    """Default critic: an MLP on concat(x, y); ``pairwise`` reuses the first layer's halves."""

    def __init__(self, dim_x: int, dim_y: int, hidden: Sequence[int]):
        super().__init__()
        self.dim_x = dim_x
        self.first = nn.Linear(dim_x + dim_y, hidden[0])
        layers: list[nn.Module] = [nn.ReLU()]
        for width_in, width_out in zip(hidden[:-1], hidden[1:], strict=True):
            layers += [nn.Linear(width_in, width_out), nn.ReLU()]
        layers.append(nn.Linear(hidden[-1], 1))
        self.rest = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.rest(self.first(torch.cat([x, y], dim=1))).squeeze(-1)

    def pairwise(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        w = self.first.weight
        hx = x @ w[:, : self.dim_x].T + self.first.bias
        hy = y @ w[:, self.dim_x :].T
        return self.rest(hx[:, None, :] + hy[None, :, :]).squeeze(-1)


def _score_matrix(critic: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """S[i, j] = f(x_i, y_j) for one batch: the diagonal is joint, the rest product samples."""
    pairwise = getattr(critic, "pairwise", None)
    if callable(pairwise):
        return pairwise(x, y)
    k = x.shape[0]
    xr = x.unsqueeze(1).expand(k, k, *x.shape[1:]).reshape(k * k, *x.shape[1:])
    yr = y.unsqueeze(0).expand(k, k, *y.shape[1:]).reshape(k * k, *y.shape[1:])
    scores = critic(xr, yr)
    if not isinstance(scores, torch.Tensor) or tuple(scores.shape) not in ((k * k,), (k * k, 1)):
        shape = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ValueError(
            f"the critic returned {shape} for {k * k} (x, y) pairs; forward(x_batch, y_batch) "
            "must return a tensor of shape (batch,) or (batch, 1)"
        )
    return scores.reshape(k, k)


def _check_critic(critic: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    k = x.shape[0]
    try:
        with torch.no_grad():
            scores = _score_matrix(critic, x, y)
    except RuntimeError as err:
        raise ValueError(
            f"the critic failed on a batch of x with shape {tuple(x.shape)} and y with shape "
            f"{tuple(y.shape)}: {err}; the factory must return a module mapping "
            "(x_batch, y_batch) to one score per row"
        ) from err
    if not isinstance(scores, torch.Tensor) or tuple(scores.shape) != (k, k):
        shape = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ValueError(
            f"the critic's pairwise(x_batch, y_batch) returned {shape} for {k} x and {k} y "
            f"rows; it must return the ({k}, {k}) matrix of scores f(x_i, y_j)"
        )
    if not scores.is_floating_point():
        raise TypeError(f"the critic must return floating-point scores, got {scores.dtype}")


def _off_diagonal(scores: torch.Tensor) -> torch.Tensor:
    eye = torch.eye(scores.shape[0], dtype=torch.bool, device=scores.device)
    return scores.masked_fill(eye, -math.inf)


def _log_mean_exp_off(scores: torch.Tensor) -> torch.Tensor:
    k = scores.shape[0]
    return _off_diagonal(scores).logsumexp(dim=(0, 1)) - math.log(k * (k - 1))


def _batch_objective(bound, scores, *, smile_tau, ema_decay, state):
    """(training loss to minimise, value of the bound on this batch as a float)."""
    diag = scores.diagonal()
    k = scores.shape[0]
    if bound == "infonce":
        objective = (diag - scores.logsumexp(dim=1)).mean() + math.log(k)
        return -objective, objective.item()
    if bound == "nwj":
        objective = diag.mean() - torch.exp(_log_mean_exp_off(scores) - 1.0)
        return -objective, objective.item()
    if bound == "smile":
        joint = -nn.functional.softplus(-diag).mean()
        product = (nn.functional.softplus(scores).sum() - nn.functional.softplus(diag).sum()) / (
            k * (k - 1)
        )
        value = diag.mean() - _log_mean_exp_off(scores.clamp(-smile_tau, smile_tau))
        return -(joint - product), value.item()
    # MINE: the DV bound, with E_Q[e^T] in the gradient replaced by a moving average.
    log_et = _log_mean_exp_off(scores)
    prev = state.get("log_ema")
    current = log_et.detach()
    if prev is None or ema_decay == 0.0:
        log_ema = current
    else:
        log_ema = torch.logaddexp(prev + math.log(ema_decay), current + math.log1p(-ema_decay))
    state["log_ema"] = log_ema
    surrogate = diag.mean() - torch.exp(log_et - log_ema)
    return -surrogate, (diag.mean() - log_et).item()


@torch.no_grad()
def _evaluate(critic, bound, x, y, batch_size, smile_tau) -> float:
    """The bound on a held-out split, scored in blocks of ``batch_size`` rows (float64 sums).

    Returns NaN when a score is non-finite or beyond ``SCORE_LIMIT`` (a blown-up critic).
    """
    n = x.shape[0]
    blocks = list(row_chunks(n, batch_size))
    if bound == "infonce":
        blocks = [b for b in blocks if b.stop - b.start == batch_size]
    else:
        blocks = [b for b in blocks if b.stop - b.start >= 2]
    diag_sum, n_diag, lses, counts, max_abs = 0.0, 0, [], [], 0.0
    for block in blocks:
        scores = _score_matrix(critic, x[block], y[block]).double()
        max_abs = max(max_abs, float(scores.abs().max()))
        k = scores.shape[0]
        diag = scores.diagonal()
        if bound == "infonce":
            diag_sum += float((diag - scores.logsumexp(dim=1)).sum())
        else:
            diag_sum += float(diag.sum())
            if bound == "smile":
                scores = scores.clamp(-smile_tau, smile_tau)
            lses.append(_off_diagonal(scores).logsumexp(dim=(0, 1)))
            counts.append(k * (k - 1))
        n_diag += k
    if not max_abs <= SCORE_LIMIT:  # also catches NaN
        return math.nan
    mean_diag = diag_sum / n_diag
    if bound == "infonce":
        return mean_diag + math.log(batch_size)
    log_mean = float(torch.stack(lses).logsumexp(0)) - math.log(sum(counts))
    if bound == "nwj":
        return mean_diag - math.exp(log_mean - 1.0)
    return mean_diag - log_mean


def _as_samples(x, name: str, allow_high_rank: bool, device) -> torch.Tensor:
    """2-D (or, with a custom critic, higher-rank) finite float64 samples on ``device``."""
    if not isinstance(x, torch.Tensor):
        try:
            x = np.asarray(x)
        except Exception:  # ragged input: check_samples raises the TypeError
            return check_samples(x, name, device=device)
    if getattr(x, "ndim", 0) <= 2:
        return check_samples(x, name, device=device)
    shape = tuple(x.shape)
    if not allow_high_rank:
        raise ValueError(
            f"{name} has shape {shape}; the default MLP critic needs (n_samples, dim); flatten "
            f"with {name}.reshape(len({name}), -1) or pass a critic factory that accepts "
            f"samples of shape {shape[1:]}"
        )
    flat = check_samples(x.reshape(shape[0], -1), name, device=device)
    return flat.reshape(shape)


def _standardise(z: torch.Tensor, train: torch.Tensor) -> torch.Tensor:
    """Centre and scale with training statistics: per column for 2-D, one scalar otherwise."""
    if z.ndim == 2:
        mean, std = train.mean(dim=0), train.std(dim=0)
    else:
        mean, std = train.mean(), train.std()
    std = torch.where(std > 0, std, torch.ones_like(std))
    return (z - mean) / std


def mi_neural(
    x,
    y,
    bound: str = "mine",
    *,
    critic: Callable[..., nn.Module] | None = None,
    hidden: Sequence[int] = (32, 32),
    batch_size: int = 128,
    lr: float = 3e-3,
    max_steps: int = 3000,
    eval_every: int = 100,
    patience: int = 5,
    test_fraction: float = 0.5,
    val_fraction: float = 0.2,
    smile_tau: float = 5.0,
    ema_decay: float = 0.99,
    seed: int | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
    return_details: bool = False,
) -> float | NeuralMIResult:
    """Neural variational lower bound on I(X; Y), in nats, evaluated on held-out data.

    Parameters
    ----------
    x : array-like or tensor of shape (n_samples, dim_x) or (n_samples, ...)
        Samples of X, paired with ``y`` by row. Higher-rank inputs such as images
        (n, C, H, W) or (n, H, W) are accepted only together with a custom ``critic``.
    y : array-like or tensor of shape (n_samples, dim_y) or (n_samples, ...)
        Samples of Y, same number of rows as ``x``.
    bound : {"mine", "nwj", "infonce", "smile"}, default="mine"
        The variational bound (formulas in Notes).
    critic : callable, optional
        Factory ``critic(dim_x, dim_y) -> torch.nn.Module``. ``dim_x`` is an int for 2-D ``x``
        and the per-sample shape tuple (e.g. ``(1, 16, 16)``) otherwise; likewise ``dim_y``.
        The module's ``forward(x_batch, y_batch)`` returns one score per row, shape
        ``(batch,)`` or ``(batch, 1)``. Every bound scores all K x K pairs of a batch; by
        default this tiles the batch into K^2 rows. A module may instead define
        ``pairwise(x_batch, y_batch)`` returning the ``(K, K)`` matrix of f(x_i, y_j), which a
        conv critic should do (embed each image once, combine the embeddings K^2 times).
        Default: an MLP on concat(x, y) with ReLU layers of widths ``hidden``.
    hidden : sequence of int, default=(32, 32)
        Hidden widths of the default critic; ignored when ``critic`` is given.
    batch_size : int, default=128
        Batch size K for training and for scoring held-out data, >= 2.
    lr : float, default=3e-3
        Adam learning rate.
    max_steps : int, default=3000
        Maximum number of training steps.
    eval_every : int, default=100
        Steps between evaluations of the bound on the validation split.
    patience : int, default=5
        Stop after this many evaluations without a new best validation bound.
    test_fraction : float, default=0.5
        Fraction of rows held out for the reported estimate, in (0, 1).
    val_fraction : float, default=0.2
        Fraction of the remaining (non-test) rows used to choose the stopping point, in
        [0, 1). 0 chooses it on the test split itself, which is optimistic (see Notes).
    smile_tau : float, default=5.0
        SMILE clipping threshold tau > 0; ``math.inf`` is allowed (DV with a JS-trained
        critic).
    ema_decay : float, default=0.99
        MINE only: weight on the past in the moving average of E_Q[e^T] used in the gradient,
        in [0, 1); 0 reproduces the plain (biased-gradient) DV bound.
    seed : int, optional
        Seed for the split, the batches and the critic's initialisation. ``None`` draws fresh
        entropy.
    device : str or torch.device, optional
        Where to train; ``None`` uses the device of ``x`` (the CPU for NumPy input) and
        ``"auto"`` picks CUDA when available.
    progress : bool, default=True
        Show a tqdm progress bar.
    return_details : bool, default=False
        Return a :class:`NeuralMIResult` (value, status, history) instead of a float.

    Returns
    -------
    float or NeuralMIResult
        The bound on the test split in nats, a Python float; it may be negative (it is not
        clipped). NaN if training diverged (a ``RuntimeWarning`` is issued as well).

    Raises
    ------
    TypeError
        If an input is non-numeric or complex, or a hyperparameter has the wrong type.
    ValueError
        If an input has NaN or inf, the row counts differ, an input is not 2-D and no
        ``critic`` is given, ``bound`` is unknown, a hyperparameter is out of range, a split
        is too small for ``batch_size``, or the critic's output has the wrong shape.

    Notes
    -----
    With the critic scores S_ij = f(x_i, y_j) of a batch of K pairs, the diagonal holds
    joint samples (P) and the K(K - 1) off-diagonal entries product samples (Q = P_X P_Y):

    - MINE (Donsker-Varadhan): :math:`E_P[f] - \\log E_Q[e^f]`. The gradient uses an
      exponential moving average of E_Q[e^f] (weight ``ema_decay`` on the past, 0.99 as in
      MINE) in the denominator to reduce the minibatch bias of the gradient.
    - NWJ: :math:`E_P[f] - e^{-1} E_Q[e^f]`. Unbiased gradients, variance growing roughly
      like e^I.
    - InfoNCE: :math:`E[\\frac1K\\sum_i \\log \\frac{e^{S_{ii}}}{\\frac1K\\sum_j e^{S_{ij}}}]`,
      never above log K. Held-out data are scored in blocks of exactly K rows (a remainder
      is dropped), so the reported value respects the same log(batch_size) cap as training
      and is strongly biased low once I(X; Y) approaches log K.
    - SMILE: the critic is trained on the Jensen-Shannon objective
      :math:`-E_P[\\mathrm{sp}(-f)] - E_Q[\\mathrm{sp}(f)]`, and the estimate is
      :math:`E_P[f] - \\log E_Q[\\mathrm{clip}(e^f, e^{-\\tau}, e^{\\tau})]`.

    Protocol: the rows are split at random into test (``test_fraction``), validation
    (``val_fraction`` of the rest) and training; x and y are standardised with training
    statistics (per column for 2-D input, one mean and standard deviation for higher-rank
    input, so images keep their spatial structure). The critic is trained with Adam on
    batches of the training split; every ``eval_every`` steps the bound is evaluated on the
    validation split, the best critic is kept and training stops after ``patience``
    evaluations without improvement. The reported value is the bound of that critic on the
    test split, which took no part in training or stopping, so the choice of stopping point
    adds no optimism. (Reporting the best test value, as ``bmi`` does, is biased upwards;
    ``val_fraction=0`` reproduces that protocol.) Remaining biases: the bounds are below the
    true MI for any finite critic; for MINE, NWJ and SMILE the log/exp of an empirical mean
    adds an O(1 / n_test) bias; for large MI the variance grows roughly like (e^I - 1) / n
    (Song & Ermon 2020) and, by McAllester & Stratos (2020), no such lower bound can exceed
    O(log n). Training on the same samples that are scored inflates estimates badly, hence
    the held-out split.

    Divergence: training stops with ``status="diverged"`` and value NaN (plus a
    ``RuntimeWarning``; never an exception) when the loss or a held-out bound is not finite
    or any critic score exceeds ``SCORE_LIMIT`` = 1e4 in magnitude. The score check matters
    because SMILE's readout has an unclipped E_P[f] term and the JS loss stays finite for
    exploding weights, so a blown-up critic would otherwise report absurd finite values.

    Cost: every step scores K^2 pairs, so time is O(max_steps K^2) critic evaluations plus
    O(n K) per evaluation. Training runs in float32; held-out sums are accumulated in
    float64.

    Seeding uses local generators for the split and the batches; the critic is built and
    trained inside :func:`torch.random.fork_rng` seeded from ``seed``, so the global RNG
    state is restored afterwards and results are reproducible on the same device.

    References
    ----------
    Belghazi et al., "Mutual Information Neural Estimation", ICML 2018 (MINE, Eq. 12-13).
    Nguyen, Wainwright & Jordan, IEEE Trans. Inf. Theory 2010 (NWJ).
    van den Oord, Li & Vinyals, "Representation Learning with Contrastive Predictive
    Coding", 2018 (InfoNCE). Poole et al., "On Variational Bounds of Mutual Information",
    ICML 2019. Song & Ermon, "Understanding the Limitations of Variational Mutual
    Information Estimators", ICLR 2020 (SMILE, Eq. 17).

    Examples
    --------
    >>> import ibtools as ib
    >>> x, y = ib.synthetic.bivariate_normal(0.8).sample(2000, seed=0)
    >>> value = ib.mi_neural(x, y, "infonce", batch_size=64, max_steps=200, seed=0,
    ...                      progress=False)
    >>> 0.2 < value < 0.7  # true MI 0.511 nats
    True
    """
    bound = check_choice(bound, "bound", BOUNDS)
    if critic is not None and (isinstance(critic, nn.Module) or not callable(critic)):
        raise TypeError(
            f"critic must be a factory callable(dim_x, dim_y) -> nn.Module, got "
            f"{type(critic).__name__}; wrap a module instance as critic=lambda dx, dy: module"
        )
    if critic is None:
        hidden = tuple(hidden)
        if not hidden:
            raise ValueError("hidden=() has no layers; give at least one width, e.g. (32, 32)")
        hidden = tuple(check_scalar(h, "hidden[i]", kind=int, low=1) for h in hidden)
    batch_size = check_scalar(batch_size, "batch_size", kind=int, low=2)
    lr = check_scalar(lr, "lr", low=0.0, low_inclusive=False)
    max_steps = check_scalar(max_steps, "max_steps", kind=int, low=1)
    eval_every = check_scalar(eval_every, "eval_every", kind=int, low=1)
    patience = check_scalar(patience, "patience", kind=int, low=1)
    test_fraction = check_scalar(
        test_fraction,
        "test_fraction",
        low=0.0,
        high=1.0,
        low_inclusive=False,
        high_inclusive=False,
    )
    val_fraction = check_scalar(
        val_fraction, "val_fraction", low=0.0, high=1.0, high_inclusive=False
    )
    if smile_tau != math.inf:  # inf is allowed: DV readout of a JS-trained critic
        smile_tau = check_scalar(smile_tau, "smile_tau", low=0.0, low_inclusive=False)
    ema_decay = check_scalar(ema_decay, "ema_decay", low=0.0, high=1.0, high_inclusive=False)
    if seed is not None:
        seed = check_scalar(seed, "seed", kind=int, low=0)

    target = None if device is None else resolve_device(device)
    x_t = _as_samples(x, "x", critic is not None, target)
    y_t = _as_samples(y, "y", critic is not None, x_t.device)
    if x_t.shape[0] != y_t.shape[0]:
        raise ValueError(
            f"x and y must have the same number of samples (rows), got {x_t.shape[0]} and "
            f"{y_t.shape[0]}"
        )
    dev = x_t.device
    n = x_t.shape[0]

    n_test = int(round(test_fraction * n))
    n_rest = n - n_test
    n_val = int(round(val_fraction * n_rest))
    n_train = n_rest - n_val
    if n_train < batch_size:
        raise ValueError(
            f"the training split has {n_train} rows (n_samples={n}, test_fraction="
            f"{test_fraction}, val_fraction={val_fraction}) but batch_size={batch_size}; lower "
            "batch_size or provide more samples"
        )
    min_eval = batch_size if bound == "infonce" else 2  # InfoNCE scores full K-row blocks
    held_out = [("test", n_test)] + ([("validation", n_val)] if n_val > 0 else [])
    for split, size in held_out:
        if size < min_eval:
            raise ValueError(
                f"the {split} split has {size} rows (n_samples={n}) but bound={bound!r} needs "
                f"at least {min_eval} to score held-out batches of batch_size={batch_size}; "
                "lower batch_size or provide more samples"
            )

    cpu_gen = make_generator(seed, torch.device("cpu"))
    perm = torch.randperm(n, generator=cpu_gen).to(dev)
    test_idx, val_idx, train_idx = (
        perm[:n_test],
        perm[n_test : n_test + n_val],
        perm[n_test + n_val :],
    )
    x_std = _standardise(x_t, x_t[train_idx]).float()
    y_std = _standardise(y_t, y_t[train_idx]).float()
    x_train, y_train = x_std[train_idx], y_std[train_idx]
    x_test, y_test = x_std[test_idx], y_std[test_idx]
    if n_val > 0:
        x_val, y_val = x_std[val_idx], y_std[val_idx]
    else:
        x_val, y_val = x_test, y_test
    torch_seed = int(torch.randint(0, 2**62, (1,), generator=cpu_gen))
    dims = [z.shape[1] if z.ndim == 2 else tuple(z.shape[1:]) for z in (x_t, y_t)]

    cuda_devices = (
        [dev.index if dev.index is not None else torch.cuda.current_device()]
        if (dev.type == "cuda")
        else []
    )
    with torch.random.fork_rng(devices=cuda_devices):
        torch.default_generator.manual_seed(torch_seed)
        if dev.type == "cuda":
            with torch.cuda.device(dev):
                torch.cuda.manual_seed(torch_seed)
        model = _ConcatMLP(*dims, hidden) if critic is None else critic(*dims)
        if not isinstance(model, nn.Module):
            raise TypeError(
                f"the critic factory returned {type(model).__name__}; it must return a "
                "torch.nn.Module"
            )
        model = model.to(dev)
        _check_critic(model, x_train[:2], y_train[:2])
        result = _train(
            model,
            bound,
            x_train,
            y_train,
            x_val,
            y_val,
            x_test,
            y_test,
            batch_size=batch_size,
            lr=lr,
            max_steps=max_steps,
            eval_every=eval_every,
            patience=patience,
            smile_tau=smile_tau,
            ema_decay=ema_decay,
            generator=cpu_gen,
            progress=progress,
        )
    value, status, message, steps, best_step, history = result
    if status == "diverged":
        warnings.warn(f"mi_neural({bound!r}) diverged: {message}", RuntimeWarning, stacklevel=2)
    if not return_details:
        return value
    cap = math.log(batch_size) if bound == "infonce" else math.inf
    return NeuralMIResult(
        value=value,
        bound=bound,
        status=status,
        message=message,
        steps=steps,
        best_step=best_step,
        history=history,
        n_train=n_train,
        n_val=n_val,
        n_test=n_test,
        batch_size=batch_size,
        cap=cap,
    )


def _train(
    model,
    bound,
    x_train,
    y_train,
    x_val,
    y_val,
    x_test,
    y_test,
    *,
    batch_size,
    lr,
    max_steps,
    eval_every,
    patience,
    smile_tau,
    ema_decay,
    generator,
    progress,
):
    """Train with early stopping on the validation split; score the best critic on the test split."""
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    n_train = x_train.shape[0]
    history: dict[str, list] = {"step": [], "train": [], "val": []}
    state: dict = {}

    def evaluate(xs, ys) -> float:
        model.eval()
        value = _evaluate(model, bound, xs, ys, batch_size, smile_tau)
        model.train()
        return value

    def snapshot():
        return {k: v.detach().clone() for k, v in model.state_dict().items()}

    val0 = evaluate(x_val, y_val)
    history["step"].append(0)
    history["train"].append(math.nan)
    history["val"].append(val0)
    best_val, best_step, best_state = val0, 0, snapshot()
    status, message = "max_steps", f"stopped at max_steps={max_steps} before patience ran out"
    if not math.isfinite(val0):
        best_val = -math.inf
    since_best, train_values = 0, []
    order, cursor = torch.randperm(n_train, generator=generator), 0
    step = 0
    bar = tqdm(total=max_steps, desc=f"mi_neural[{bound}]", disable=not progress, leave=False)
    try:
        for step in range(1, max_steps + 1):
            if cursor + batch_size > n_train:
                order, cursor = torch.randperm(n_train, generator=generator), 0
            idx = order[cursor : cursor + batch_size].to(x_train.device)
            cursor += batch_size
            scores = _score_matrix(model, x_train[idx], y_train[idx])
            loss, batch_value = _batch_objective(
                bound, scores, smile_tau=smile_tau, ema_decay=ema_decay, state=state
            )
            max_abs = scores.detach().abs().max()
            if not (torch.isfinite(loss) & (max_abs <= SCORE_LIMIT)):
                status = "diverged"
                message = (
                    f"at step {step} the training loss was {loss.item():.4g} and the largest "
                    f"|critic score| {max_abs.item():.4g} (limit {SCORE_LIMIT:g}) with lr={lr}; "
                    "lower lr, shrink the critic or use bound='infonce' or 'smile', which are "
                    "more stable at high MI"
                )
                break
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            train_values.append(batch_value)
            bar.update(1)
            if step % eval_every and step != max_steps:
                continue
            val = evaluate(x_val, y_val)
            history["step"].append(step)
            history["train"].append(float(np.mean(train_values)))
            history["val"].append(val)
            train_values = []
            bar.set_postfix(val=f"{val:.4f}")
            if not math.isfinite(val):
                status = "diverged"
                message = (
                    f"at step {step} the validation bound became {val} (non-finite, or critic "
                    f"scores beyond +-{SCORE_LIMIT:g}) with lr={lr}; lower lr"
                )
                break
            if val > best_val:
                best_val, best_step, best_state, since_best = val, step, snapshot(), 0
            else:
                since_best += 1
                if since_best >= patience:
                    status = "ok"
                    message = (
                        f"early stop at step {step}: {patience} evaluations without improvement "
                        f"on the validation split; best at step {best_step}"
                    )
                    break
    finally:
        bar.close()
    if status == "diverged":
        return math.nan, status, message, step, best_step, history
    model.load_state_dict(best_state)
    value = evaluate(x_test, y_test)
    if not math.isfinite(value):
        status = "diverged"
        message = (
            f"the test-split bound of the step-{best_step} critic is {value} (non-finite, or "
            f"critic scores beyond +-{SCORE_LIMIT:g})"
        )
        value = math.nan
    return value, status, message, step, best_step, history
