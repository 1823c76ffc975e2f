"""Goldfeld et al.'s single noisy tanh neuron: training, exact I(X;T) and its phases.

X is uniform on {-3, -1, 1, 3} with labels -1, -1, -1, +1, and T = tanh(wX + b) + Z with
Z ~ N(0, beta^2). P_T is a four-component Gaussian mixture, so I(X;T) = h(P_T) - h(Z) can be
computed exactly by 1-D quadrature.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ibtools._validation import check_positive, check_scalar
from ibtools.closed_form import entropy_gaussian_mixture_1d
from ibtools.noisy import log_spaced_epochs as noisy_log_spaced_epochs
from ibtools.sp import MonteCarloEstimate, entropy_gaussian_mixture

SINGLE_NEURON_INPUTS = np.array([-3.0, -1.0, 1.0, 3.0])
SINGLE_NEURON_LABELS = np.array([-1.0, -1.0, -1.0, 1.0])


def log_spaced_epochs(epochs: int, n_points: int) -> np.ndarray:
    """About ``n_points`` distinct integer epochs log-spaced in [1, epochs], plus epoch 0."""
    return np.concatenate([[0], noisy_log_spaced_epochs(epochs, n_points)])


def train_single_neuron(
    w0: float = 0.0,
    b0: float = 0.0,
    lr: float = 0.01,
    epochs: int = 100_000,
    n_records: int = 200,
) -> pd.DataFrame:
    """Full-batch gradient descent of the single tanh neuron on the MSE loss.

    Parameters
    ----------
    w0, b0 : float, default=0.0
        Initial weight and bias.
    lr : float, default=0.01
        Learning rate.
    epochs : int, default=100000
        Number of full-batch gradient steps.
    n_records : int, default=200
        Number of log-spaced epochs at which (w, b, loss) are recorded (epoch 0 is added).

    Returns
    -------
    pandas.DataFrame
        Columns ``epoch``, ``w``, ``b``, ``loss`` (the mean squared error of the noiseless output).

    Notes
    -----
    The loss is L(w, b) = (1/4) sum_i (tanh(w x_i + b) - y_i)^2. With the noise inside the loss,
    E_Z[(tanh(.) + Z - y)^2] = (tanh(.) - y)^2 + beta^2, so its gradient equals the noiseless one:
    training on the noiseless output is exact expected-loss gradient descent, and the trajectory
    does not depend on beta.
    """
    w = check_scalar(w0, "w0")
    b = check_scalar(b0, "b0")
    lr = check_positive(lr, "lr")
    record_at = set(log_spaced_epochs(epochs, n_records).tolist())
    x, y = SINGLE_NEURON_INPUTS, SINGLE_NEURON_LABELS
    rows = []
    for epoch in range(epochs + 1):
        t = np.tanh(w * x + b)
        residual = t - y
        if epoch in record_at:
            rows.append((epoch, w, b, float(np.mean(residual**2))))
        if epoch == epochs:
            break
        slope = 2.0 * residual * (1.0 - t * t) / x.size
        w -= lr * float(np.dot(slope, x))
        b -= lr * float(slope.sum())
        if not (math.isfinite(w) and math.isfinite(b)):
            raise FloatingPointError(f"training diverged at epoch {epoch}; lower lr={lr}")
    return pd.DataFrame(rows, columns=["epoch", "w", "b", "loss"])


def neuron_means(w: float, b: float) -> np.ndarray:
    """The four component means tanh(w x + b) of P_T."""
    return np.tanh(w * SINGLE_NEURON_INPUTS + b)


def mi_single_neuron(w: float, b: float, beta: float) -> float:
    """Exact I(X;T) in nats for T = tanh(wX + b) + N(0, beta^2), X uniform on {-3, -1, 1, 3}.

    I(X;T) = h(P_T) - (1/2) log(2 pi e beta^2), with h(P_T) by 1-D quadrature of the
    four-component mixture (:func:`ibtools.entropy_gaussian_mixture_1d`).
    """
    beta = check_positive(beta, "beta")
    h_noise = 0.5 * math.log(2 * math.pi * math.e * beta**2)
    return entropy_gaussian_mixture_1d(neuron_means(w, b), beta) - h_noise


def mi_single_neuron_sp(
    w: float, b: float, beta: float, n_mc: int = 10_000, seed: int | None = None
) -> MonteCarloEstimate:
    """I(X;T) in nats by the sample-propagation Monte-Carlo estimator, with its standard error."""
    beta = check_positive(beta, "beta")
    h_noise = 0.5 * math.log(2 * math.pi * math.e * beta**2)
    estimate = entropy_gaussian_mixture(
        neuron_means(w, b).reshape(-1, 1), beta, n_mc=n_mc, seed=seed, return_stderr=True
    )
    return MonteCarloEstimate(estimate.value - h_noise, estimate.stderr)


def density_single_neuron(w: float, b: float, beta: float, grid: np.ndarray) -> np.ndarray:
    """The density of T on ``grid``: the equal-weight mixture of N(tanh(w x_i + b), beta^2)."""
    beta = check_positive(beta, "beta")
    z = (np.asarray(grid, dtype=float)[:, None] - neuron_means(w, b)[None, :]) / beta
    return np.exp(-0.5 * z**2).mean(axis=1) / (beta * math.sqrt(2 * math.pi))


def single_neuron_phases(
    epochs: np.ndarray, mi_bits: np.ndarray, plateau_bits: float = 1.5, tolerance_bits: float = 0.05
) -> dict:
    """Summarise an I(X;T) trajectory (bits, epochs >= 1) into the paper's three phases.

    Returns a dict with ``peak_bits`` and ``peak_epoch``; ``plateau_first_epoch`` and
    ``plateau_last_epoch`` (the epochs after the peak where I is within ``tolerance_bits`` of
    ``plateau_bits``, NaN when never), ``plateau_decades`` (log10 of last/first plateau epoch) and
    ``final_bits`` (I at the last epoch).
    """
    epochs = np.asarray(epochs, dtype=float)
    mi_bits = np.asarray(mi_bits, dtype=float)
    if epochs.shape != mi_bits.shape or epochs.ndim != 1 or epochs.size < 2:
        raise ValueError("epochs and mi_bits must be 1-D arrays of the same length >= 2")
    keep = epochs >= 1
    epochs, mi_bits = epochs[keep], mi_bits[keep]
    peak = int(np.argmax(mi_bits))
    after = np.arange(mi_bits.size) >= peak
    on_plateau = after & (np.abs(mi_bits - plateau_bits) <= tolerance_bits)
    if on_plateau.any():
        first, last = epochs[on_plateau][0], epochs[on_plateau][-1]
        decades = math.log10(last / first)
    else:
        first = last = decades = math.nan
    return {
        "peak_bits": float(mi_bits[peak]),
        "peak_epoch": float(epochs[peak]),
        "plateau_first_epoch": float(first),
        "plateau_last_epoch": float(last),
        "plateau_decades": float(decades),
        "final_bits": float(mi_bits[-1]),
    }


def check_single_neuron_parameters(
    *, beta: float, lr: float, epochs: int, n_records: int, n_sp_checks: int, n_mc: int
) -> None:
    """Reject single-neuron chapter parameters that cannot work, before any training starts."""
    check_positive(beta, "beta")
    check_positive(lr, "lr")
    check_scalar(epochs, "epochs", kind=int, low=1)
    check_scalar(n_records, "n_records", kind=int, low=2)
    check_scalar(n_sp_checks, "n_sp_checks", kind=int, low=1)
    check_scalar(n_mc, "n_mc", kind=int, low=2)
    if n_sp_checks > n_records:
        raise ValueError(f"n_sp_checks={n_sp_checks} exceeds n_records={n_records}; lower it")
