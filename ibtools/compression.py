"""Lossy compression of images before entropy estimation (Butakov et al. 2024).

High-dimensional samples are first mapped to a few dimensions, then a kNN or KDE estimator is
run on the codes. By data processing :math:`I(E(X);E(Y)) \\le I(X;Y)`, with equality when the
encoder is injective on the data, so compressed estimates are lower bounds up to estimator error.

Two compressors, fitted once on training images and then applied to both sides of a pair:

* a seeded convolutional autoencoder (:func:`fit_compressor` with ``method="autoencoder"``) with a
  ``tanh`` code of ``latent_dim`` units, L1 reconstruction loss, early stopping on a held-out
  split, and a divergence check: a non-finite loss stops training and is reported in
  :attr:`Compressor.status` instead of producing numbers;
* PCA with ``latent_dim`` components (``method="pca"``).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ibtools._torch import make_generator, resolve_device, row_chunks
from ibtools._validation import check_choice, check_scalar

__all__ = ["CompressionResult", "Compressor", "ConvAutoencoder", "compress", "fit_compressor"]

METHODS = ("autoencoder", "pca")


def check_images(images, name: str = "images", *, min_samples: int = 2) -> np.ndarray:
    """Convert single-channel square images to a finite float32 array (n, 1, size, size).

    Accepts (n, size, size) and (n, 1, size, size); raises ``TypeError`` for non-numeric input and
    ``ValueError`` for other shapes, NaN or inf, or fewer than ``min_samples`` images.
    """
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().numpy()
    array = np.asarray(images)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be numeric, got an array of dtype {array.dtype}")
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4 or array.shape[1] != 1 or array.shape[2] != array.shape[3]:
        raise ValueError(
            f"{name} has shape {array.shape}; expected square single-channel images "
            f"(n_samples, 1, size, size) or (n_samples, size, size)"
        )
    if array.shape[0] < min_samples:
        raise ValueError(f"{name} has {array.shape[0]} images; at least {min_samples} are needed")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or inf; remove or impute those images")
    return array


class ConvAutoencoder(nn.Module):
    """Small convolutional autoencoder for square single-channel images with a tanh code.

    Encoder: stride-2 3x3 convolutions (8, 16, 16, ... filters, LeakyReLU(0.2)) down to 4x4, then
    Dense ``hidden`` -> Dense ``latent_dim`` -> tanh. Decoder: Dense ``hidden`` -> Dense to a 4x4
    feature map, stride-2 transposed convolutions back to full size, and a sigmoid (pixels are in
    [0, 1]). It follows the authors' Keras model (tanh code of size n', sigmoid output) but is
    smaller, without batch normalisation (the map is the same in training and evaluation) and
    with strided instead of pooled convolutions, so that it trains in seconds on a CPU.

    Parameters
    ----------
    size : int
        Image side in pixels, a power of two >= 8.
    latent_dim : int
        Code size (Butakov et al. use the latent dimension of the data).
    width : int, default=16
        Filters of the inner convolutions.
    hidden : int, default=64
        Width of the dense layers.
    """

    def __init__(self, size: int, latent_dim: int, width: int = 16, hidden: int = 64):
        super().__init__()
        n_blocks = int(round(math.log2(size))) - 2
        if size < 8 or 2 ** (n_blocks + 2) != size:
            raise ValueError(f"size={size} must be a power of two >= 8")
        channels = [1, 8] + [width] * (n_blocks - 1)
        enc: list[nn.Module] = []
        for c_in, c_out in zip(channels[:-1], channels[1:], strict=True):
            enc += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
        flat = channels[-1] * 16
        self.encoder = nn.Sequential(
            *enc,
            nn.Flatten(),
            nn.Linear(flat, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, latent_dim),
            nn.Tanh(),
        )
        dec: list[nn.Module] = [
            nn.Linear(latent_dim, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, flat),
            nn.LeakyReLU(0.2),
            nn.Unflatten(1, (channels[-1], 4, 4)),
        ]
        up = list(reversed(channels))
        for i, (c_in, c_out) in enumerate(zip(up[:-1], up[1:], strict=True)):
            dec.append(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1))
            dec.append(nn.LeakyReLU(0.2) if i < n_blocks - 1 else nn.Sigmoid())
        self.decoder = nn.Sequential(*dec)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(images))


@dataclass
class Compressor:
    """A fitted compressor: ``encode(images)`` gives codes of shape (n_samples, latent_dim).

    Attributes
    ----------
    method : {"autoencoder", "pca"}
    latent_dim : int
    size : int
        Image side it was fitted on.
    status : str
        ``"ok"`` or why the fit failed (e.g. ``"diverged: non-finite training loss at epoch 3"``);
        a failed compressor refuses to encode.
    history : list of dict
        Autoencoder: per epoch ``epoch``, ``train_loss``, ``val_loss`` (the reconstruction loss
        per pixel). PCA: empty.
    best_epoch, epochs_run : int
        Autoencoder epoch whose weights were kept, and epochs actually run (early stopping).
    explained_variance_ratio : ndarray or None
        PCA only: the fraction of pixel variance each component keeps.
    seconds : float
        Fitting time.
    """

    method: str
    latent_dim: int
    size: int
    status: str = "ok"
    history: list = field(default_factory=list)
    best_epoch: int = 0
    epochs_run: int = 0
    explained_variance_ratio: np.ndarray | None = None
    seconds: float = 0.0
    model: nn.Module | None = field(default=None, repr=False)
    mean: np.ndarray | None = field(default=None, repr=False)
    components: np.ndarray | None = field(default=None, repr=False)
    device: str = "cpu"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def encode(self, images, batch_size: int = 2048) -> np.ndarray:
        """Codes of ``images`` as a float64 array of shape (n_samples, latent_dim)."""
        if not self.ok:
            raise RuntimeError(f"this {self.method} compressor failed to fit ({self.status})")
        images = check_images(images, min_samples=1)
        if images.shape[-1] != self.size:
            raise ValueError(
                f"images are {images.shape[-1]}x{images.shape[-1]}; this compressor was fitted "
                f"on {self.size}x{self.size}"
            )
        if self.method == "pca":
            flat = images.reshape(len(images), -1).astype(np.float64)
            return (flat - self.mean) @ self.components.T
        device = torch.device(self.device)
        # float64 keeps saturated tanh codes apart (float32 rounds tanh(t) to 1 beyond t ~ 9)
        encoder = copy.deepcopy(self.model.encoder).to(dtype=torch.float64).eval()
        codes = []
        with torch.no_grad():
            for sl in row_chunks(len(images), batch_size):
                batch = torch.from_numpy(images[sl]).to(device=device, dtype=torch.float64)
                codes.append(encoder(batch).cpu().numpy())
        return np.concatenate(codes)


@dataclass
class CompressionResult:
    """Codes of a paired sample and the compressor that produced them."""

    x_codes: np.ndarray | None
    y_codes: np.ndarray | None
    compressor: Compressor

    @property
    def status(self) -> str:
        return self.compressor.status


def _fit_pca(images: np.ndarray, latent_dim: int) -> Compressor:
    start = time.perf_counter()
    flat = images.reshape(len(images), -1).astype(np.float64)
    if latent_dim > min(flat.shape):
        raise ValueError(
            f"latent_dim={latent_dim} exceeds min(n_images, n_pixels)={min(flat.shape)}"
        )
    mean = flat.mean(axis=0)
    centred = flat - mean
    variance, vectors = np.linalg.eigh(centred.T @ centred / (len(flat) - 1))
    variance, vectors = variance[::-1].clip(min=0.0), vectors[:, ::-1]
    return Compressor(
        method="pca",
        latent_dim=latent_dim,
        size=images.shape[-1],
        explained_variance_ratio=variance[:latent_dim] / variance.sum(),
        mean=mean,
        components=np.ascontiguousarray(vectors[:, :latent_dim].T),
        seconds=time.perf_counter() - start,
    )


def _fit_autoencoder(
    images: np.ndarray,
    latent_dim: int,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    patience: int,
    val_fraction: float,
    code_noise: float,
    loss_name: str,
    seed: int,
    device: torch.device,
    progress: bool,
) -> Compressor:
    start = time.perf_counter()
    size = images.shape[-1]
    generator = make_generator(seed, torch.device("cpu"))
    order = torch.randperm(len(images), generator=generator).numpy()
    n_val = max(1, int(round(val_fraction * len(images))))
    val = torch.from_numpy(images[order[:n_val]]).to(device)
    train = torch.from_numpy(images[order[n_val:]]).to(device)
    with torch.random.fork_rng(devices=[]):  # seeded initialisation, global state restored
        torch.manual_seed(seed)
        model = ConvAutoencoder(size, latent_dim).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    result = Compressor("autoencoder", latent_dim, size, model=model, device=str(device))
    best, best_state, stale = math.inf, None, 0
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(len(train), generator=generator)
        total, count = 0.0, 0
        for sl in row_chunks(len(train), batch_size):
            batch = train[perm[sl].to(device)]
            code = model.encoder(batch)
            if code_noise > 0:
                noise = torch.randn(code.shape, generator=generator).to(device)
                code = code + code_noise * noise
            error = model.decoder(code) - batch
            loss = error.abs().mean() if loss_name == "l1" else error.square().mean()
            if not torch.isfinite(loss):
                result.status = f"diverged: non-finite training loss at epoch {epoch}"
                break
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(batch)
            count += len(batch)
        if result.status != "ok":
            break
        model.eval()
        with torch.no_grad():
            val_err = torch.cat([(model(val[sl]) - val[sl]).flatten() for sl in
                                 row_chunks(len(val), 2048)])
            val_loss = float(val_err.abs().mean() if loss_name == "l1" else val_err.square().mean())
        result.history.append({"epoch": epoch, "train_loss": total / count, "val_loss": val_loss})
        result.epochs_run = epoch
        if progress:
            print(f"epoch {epoch}: train {total / count:.4f}  val {val_loss:.4f}")
        if not math.isfinite(val_loss):
            result.status = f"diverged: non-finite validation loss at epoch {epoch}"
            break
        if val_loss < best - 1e-5:
            best, stale, result.best_epoch = val_loss, 0, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= patience:
                break
    if result.status == "ok" and best_state is not None:
        model.load_state_dict(best_state)
    if result.status != "ok":
        result.model = None
    result.seconds = time.perf_counter() - start
    return result


def fit_compressor(
    images,
    latent_dim: int,
    *,
    method: str = "autoencoder",
    epochs: int = 200,
    batch_size: int = 128,
    lr: float = 1e-3,
    patience: int = 10,
    val_fraction: float = 0.1,
    code_noise: float = 0.02,
    loss: str = "mse",
    seed: int = 0,
    device=None,
    progress: bool = False,
) -> Compressor:
    """Fit a compressor of square images to ``latent_dim`` dimensions.

    Parameters
    ----------
    images : array-like of shape (n_samples, 1, size, size) or (n_samples, size, size)
        Training images, pixel values in [0, 1]. Fit on images that are independent of the
        ones you will estimate MI on.
    latent_dim : int
        Code size; Butakov et al. use the latent dimension of the data.
    method : {"autoencoder", "pca"}, default="autoencoder"
    epochs : int, default=200
        Maximum autoencoder epochs (early stopping usually ends sooner).
    batch_size : int, default=128
    lr : float, default=1e-3
        Adam learning rate.
    patience : int, default=10
        Epochs without a validation improvement before stopping; the best weights are kept.
    val_fraction : float, default=0.1
        Share of ``images`` held out for early stopping.
    code_noise : float, default=0.02
        Std of Gaussian noise added to the code during training (the authors use 0.02).
    loss : {"mse", "l1"}, default="mse"
        Reconstruction loss. The authors use L1; with a short CPU budget MSE trains faster
        (L1 on mostly-dark images tends to stall at a blank reconstruction).
    seed : int, default=0
        Seeds the initialisation (under a forked global RNG), the split, shuffling and noise.
    device : str or torch.device, optional
        ``None`` or ``"auto"`` picks CUDA when available.
    progress : bool, default=False
        Print the loss every epoch.

    Returns
    -------
    Compressor
        ``status`` is ``"ok"``, or says why training failed (a NaN/inf loss); a failed
        compressor keeps its history but cannot encode.

    Raises
    ------
    TypeError, ValueError
        For invalid images or hyperparameters.
    """
    method = check_choice(method, "method", METHODS)
    images = check_images(images, min_samples=4)
    latent_dim = check_scalar(latent_dim, "latent_dim", kind=int, low=1)
    if method == "pca":
        return _fit_pca(images, latent_dim)
    return _fit_autoencoder(
        images,
        latent_dim,
        epochs=check_scalar(epochs, "epochs", kind=int, low=1),
        batch_size=check_scalar(batch_size, "batch_size", kind=int, low=1),
        lr=check_scalar(lr, "lr", low=0.0, low_inclusive=False),
        patience=check_scalar(patience, "patience", kind=int, low=1),
        val_fraction=check_scalar(val_fraction, "val_fraction", low=0.0, high=0.5,
                                  low_inclusive=False),
        code_noise=check_scalar(code_noise, "code_noise", low=0.0),
        loss_name=check_choice(loss, "loss", ("mse", "l1")),
        seed=check_scalar(seed, "seed", kind=int, low=0),
        device=resolve_device(device),
        progress=bool(progress),
    )


def compress(
    x, y, latent_dim: int, *, method: str = "autoencoder", train=None, **fit_kwargs
) -> CompressionResult:
    """Compress a paired image sample with one compressor shared by ``x`` and ``y``.

    Parameters
    ----------
    x, y : array-like of shape (n_samples, 1, size, size)
        Paired images (row i of ``x`` with row i of ``y``).
    latent_dim : int
        Code size.
    method : {"autoencoder", "pca"}, default="autoencoder"
    train : array-like of images, optional
        Images to fit the compressor on. By default ``x`` and ``y`` stacked (the compressor
        sees no pairing, so it cannot learn the dependence, but its codes are fitted on the
        evaluation images themselves).
    **fit_kwargs
        Passed to :func:`fit_compressor` (epochs, lr, seed, device, ...).

    Returns
    -------
    CompressionResult
        ``x_codes`` and ``y_codes`` of shape (n_samples, latent_dim), float64, or ``None``
        when the compressor failed (see ``status``).
    """
    x = check_images(x, "x")
    y = check_images(y, "y")
    if len(x) != len(y) or x.shape[-1] != y.shape[-1]:
        raise ValueError(f"x and y must be paired images of one size, got {x.shape} and {y.shape}")
    train = np.concatenate([x, y]) if train is None else train
    compressor = fit_compressor(train, latent_dim, method=method, **fit_kwargs)
    if not compressor.ok:
        return CompressionResult(None, None, compressor)
    return CompressionResult(compressor.encode(x), compressor.encode(y), compressor)
