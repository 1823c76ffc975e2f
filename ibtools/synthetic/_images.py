"""High-dimensional images with known mutual information (Butakov et al. 2024, Algorithm 1).

A low-dimensional latent pair :math:`(\\xi, \\eta)` with a known :math:`I(\\xi;\\eta)` is mapped
coordinatewise through the standard normal CDF :math:`\\Phi` and then rendered as an image by an
injective map :math:`f`, the same for both sides. Injective maps keep mutual information, so
:math:`I(f(\\xi); f(\\eta)) = I(\\xi; \\eta)`: a 256- or 1024-pixel pair whose MI is known exactly.

Two image families, as in the authors' code:

* ``bumps``: 16x16 images of an isotropic 2-D Gaussian bump whose centre is :math:`\\Phi(\\xi)`
  (2 latent dimensions);
* ``rectangles``: 32x32 anti-aliased images of an axis-aligned rectangle whose sides are drawn
  uniformly from the admissible ranges (4 latent dimensions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from ibtools._validation import check_choice, check_scalar
from ibtools.synthetic._gaussian import correlated_gaussian

__all__ = [
    "IMAGE_FAMILIES",
    "ImageTask",
    "bump_images",
    "image_task",
    "rectangle_bounds",
    "rectangle_images",
]

#: latent dimension and default image side of every image family
IMAGE_FAMILIES = {"bumps": {"dim": 2, "size": 16}, "rectangles": {"dim": 4, "size": 32}}


def bump_images(u, size: int = 16, sharpness: float = 10.0) -> np.ndarray:
    """Images of a 2-D Gaussian bump centred at ``u`` in the unit square.

    Pixel ``(i, j)`` of image ``n`` is
    :math:`\\exp(-a[(g_j - u_{n,0})^2 + (g_i - u_{n,1})^2])` with :math:`g = \\mathrm{linspace}(0, 1,
    \\mathrm{size})` and :math:`a` = ``sharpness`` (the authors' 10, a bump std of
    :math:`1/\\sqrt{20} \\approx 0.224`).

    Parameters
    ----------
    u : array-like of shape (n_samples, 2)
        Bump centres (column 0 horizontal, column 1 vertical), usually in [0, 1].
    size : int, default=16
        Image side in pixels.
    sharpness : float, default=10.0
        The factor :math:`a` in the exponent.

    Returns
    -------
    ndarray of shape (n_samples, 1, size, size), float32, values in (0, 1]

    Notes
    -----
    The map is injective: the log-image is a quadratic in the pixel coordinates whose linear
    coefficients are :math:`2a\\,u`, so two different centres give two different images.
    """
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 2 or u.shape[1] != 2:
        raise ValueError(f"u has shape {u.shape}; expected (n_samples, 2) bump centres")
    size = check_scalar(size, "size", kind=int, low=2)
    sharpness = check_scalar(sharpness, "sharpness", kind=float, low=0.0, low_inclusive=False)
    grid = np.linspace(0.0, 1.0, size)
    gx = np.exp(-sharpness * (grid[None, :] - u[:, :1]) ** 2)  # (n, size) along columns
    gy = np.exp(-sharpness * (grid[None, :] - u[:, 1:2]) ** 2)  # along rows
    return (gy[:, :, None] * gx[:, None, :])[:, None].astype(np.float32)


def rectangle_bounds(u, size: int = 32, min_len: float = 2.0) -> np.ndarray:
    """Rectangle edges ``(x0, x1, y0, y1)`` in pixels from uniforms, uniform over admissible sides.

    Each axis uses two uniforms :math:`(u_0, u_1)`. With :math:`\\mu` = ``min_len / size``,

    .. math:: \\ell = (1-\\mu)(1-\\sqrt{1-u_0}), \\qquad r = \\ell + \\mu + u_1 (1 - \\ell - \\mu),

    which is uniform on the triangle :math:`\\{0 \\le \\ell,\\ r \\le 1,\\ r - \\ell \\ge \\mu\\}`
    (the marginal density of :math:`\\ell` is proportional to :math:`1-\\mu-\\ell`; the square root
    inverts its CDF; :math:`r \\mid \\ell` is uniform). Both ends are then scaled by ``size``.

    Parameters
    ----------
    u : array-like of shape (n_samples, 4)
        Uniforms in [0, 1]: columns 0-1 give the horizontal side, columns 2-3 the vertical one.
    size : int, default=32
        Image side in pixels (the longest possible side).
    min_len : float, default=2.0
        Shortest side in pixels; must be in [1, size).

    Returns
    -------
    ndarray of shape (n_samples, 4), float64, ``0 <= x0 < x1 <= size`` and likewise for y
    """
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 2 or u.shape[1] != 4:
        raise ValueError(f"u has shape {u.shape}; expected (n_samples, 4) uniforms")
    size = check_scalar(size, "size", kind=int, low=2)
    min_len = check_scalar(min_len, "min_len", kind=float, low=1.0, high=size, high_inclusive=False)
    u = np.clip(u, 0.0, 1.0)
    mu = min_len / size
    bounds = np.empty_like(u)
    for axis in (0, 1):
        u0, u1 = u[:, 2 * axis], u[:, 2 * axis + 1]
        left = (1.0 - mu) * (1.0 - np.sqrt(1.0 - u0))
        right = left + mu + u1 * (1.0 - left - mu)
        bounds[:, 2 * axis] = left * size
        bounds[:, 2 * axis + 1] = right * size
    return np.clip(bounds, 0.0, float(size))


def _coverage(lo: np.ndarray, hi: np.ndarray, size: int) -> np.ndarray:
    """Fraction of each unit pixel ``[i, i+1)`` covered by ``[lo, hi]``; shape (n, size)."""
    edges = np.arange(size, dtype=np.float64)
    overlap = np.minimum(hi[:, None], edges + 1.0) - np.maximum(lo[:, None], edges)
    return np.clip(overlap, 0.0, 1.0)


def rectangle_images(u, size: int = 32, min_len: float = 2.0) -> np.ndarray:
    """Anti-aliased images of an axis-aligned rectangle drawn from uniforms ``u``.

    The edges come from :func:`rectangle_bounds`; each pixel's value is the fraction of its area
    covered by :math:`[x_0, x_1] \\times [y_0, y_1]`, i.e. the product of the horizontal and the
    vertical overlap of the pixel with the two sides.

    Parameters
    ----------
    u : array-like of shape (n_samples, 4)
        Uniforms in [0, 1], as for :func:`rectangle_bounds`.
    size : int, default=32
        Image side in pixels.
    min_len : float, default=2.0
        Shortest side in pixels.

    Returns
    -------
    ndarray of shape (n_samples, 1, size, size), float32, values in [0, 1]

    Notes
    -----
    The rendering is injective on the admissible edges: every side spans at least ``min_len >= 1``
    pixels, so its two ends fall in different pixels or on pixel borders, and the coverage of the
    first and last touched pixels gives back each end exactly. Edges are clipped to
    ``[0, size]`` so that an end equal to ``size`` never indexes past the image.
    """
    bounds = rectangle_bounds(u, size=size, min_len=min_len)
    cx = _coverage(bounds[:, 0], bounds[:, 1], size)
    cy = _coverage(bounds[:, 2], bounds[:, 3], size)
    return (cy[:, :, None] * cx[:, None, :])[:, None].astype(np.float32)


def _render(family: str, latent: np.ndarray, size: int) -> np.ndarray:
    u = ndtr(latent)  # standard normal CDF: uniform marginals
    if family == "bumps":
        return bump_images(u, size=size)
    return rectangle_images(u, size=size)


@dataclass(frozen=True)
class ImageTask:
    """A pair of image arrays whose mutual information is that of a latent Gaussian pair.

    Parameters
    ----------
    family : {"bumps", "rectangles"}
        Image map: Gaussian bumps (2 latent dimensions) or rectangles (4 latent dimensions).
    latent : task
        Any task with ``mi`` (nats), ``sample(n_samples, seed) -> (x, y)`` and ``x``, ``y`` of
        the family's latent dimension, e.g. :func:`~ibtools.synthetic.correlated_gaussian`.
    size : int, optional
        Image side in pixels; 16 for bumps and 32 for rectangles by default.

    Notes
    -----
    ``sample`` returns :math:`X = f(\\Phi(\\xi))` and :math:`Y = f(\\Phi(\\eta))`. :math:`\\Phi` is
    strictly increasing and each renderer is injective (see :func:`bump_images`,
    :func:`rectangle_images`), so :math:`f \\circ \\Phi` is an injective measurable map and
    :math:`I(X;Y) = I(\\xi;\\eta)`, which is ``mi``.
    """

    family: str
    latent: object
    size: int | None = None
    name: str = field(init=False)
    params: dict = field(init=False)

    def __post_init__(self):
        check_choice(self.family, "family", IMAGE_FAMILIES)
        size = IMAGE_FAMILIES[self.family]["size"] if self.size is None else self.size
        size = check_scalar(size, "size", kind=int, low=4)
        if not hasattr(self.latent, "sample") or not hasattr(self.latent, "mi"):
            raise TypeError(
                f"latent must be a task with .mi and .sample(n_samples, seed), got "
                f"{type(self.latent).__name__}"
            )
        object.__setattr__(self, "size", size)
        object.__setattr__(
            self, "name", f"{self.family}{size}-{getattr(self.latent, 'name', 'latent')}"
        )
        object.__setattr__(
            self,
            "params",
            {"family": self.family, "size": size, "latent": getattr(self.latent, "params", {})},
        )

    @property
    def mi(self) -> float:
        """True mutual information in nats (that of the latent pair)."""
        return float(self.latent.mi)

    @property
    def dim_latent(self) -> int:
        return IMAGE_FAMILIES[self.family]["dim"]

    def sample_latent(self, n_samples: int, seed: int | None = None):
        """The latent pair ``(xi, eta)`` behind :meth:`sample` with the same ``seed``."""
        xi, eta = self.latent.sample(n_samples, seed)
        xi, eta = np.asarray(xi, dtype=np.float64), np.asarray(eta, dtype=np.float64)
        for name, arr in (("x", xi), ("y", eta)):
            if arr.ndim != 2 or arr.shape[1] != self.dim_latent:
                raise ValueError(
                    f"latent {name} has shape {arr.shape}; the {self.family} family needs "
                    f"(n_samples, {self.dim_latent})"
                )
        return xi, eta

    def sample(self, n_samples: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` image pairs, each of shape (n_samples, 1, size, size), float32."""
        xi, eta = self.sample_latent(n_samples, seed)
        return _render(self.family, xi, self.size), _render(self.family, eta, self.size)

    def parameters_of(self, latent: np.ndarray) -> np.ndarray:
        """The structured parameters :math:`f_1(\\xi)` (bump centres or rectangle edges / size)."""
        u = ndtr(np.asarray(latent, dtype=np.float64))
        if self.family == "bumps":
            return u
        return rectangle_bounds(u, size=self.size) / self.size


def image_task(family: str, mi: float, *, size: int | None = None, rotation_seed: int = 0):
    """The benchmark's image task: ``family`` images of Butakov's prescribed-MI Gaussian latent.

    The latent is :func:`~ibtools.synthetic.correlated_gaussian` ``(mi, d, interaction="dense")``
    with d = 2 for bumps and 4 for rectangles: the MI split equally over d coordinate pairs,
    then a fixed Haar-random rotation of each block.

    Parameters
    ----------
    family : {"bumps", "rectangles"}
        16x16 Gaussian bumps (latent dimension 2) or 32x32 rectangles (latent dimension 4).
    mi : float
        True mutual information in nats.
    size : int, optional
        Image side; the family's default when omitted.
    rotation_seed : int, default=0
        Seed of the latent's random rotations.

    Returns
    -------
    ImageTask

    Examples
    --------
    >>> task = image_task("bumps", 2.0)
    >>> x, y = task.sample(5, seed=0)
    >>> x.shape, task.mi
    ((5, 1, 16, 16), 2.0)
    """
    check_choice(family, "family", IMAGE_FAMILIES)
    latent = correlated_gaussian(
        mi, IMAGE_FAMILIES[family]["dim"], interaction="dense", rotation_seed=rotation_seed
    )
    return ImageTask(family, latent, size=size)
