"""Data sets the chapters train on: finding the data folder, the SZT 12-bit set, seeded splits.

The data folder is looked up in one order everywhere (:func:`find_data_dir`): an explicit
argument, then the environment variable ``IBTOOLS_DATA``, then ``<repo>/../shared/data``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ibtools._validation import check_scalar

DATA_ENV = "IBTOOLS_DATA"
_REPO_ROOT = Path(__file__).resolve().parents[1]
SZT_FILE = Path("szt") / "var_u.mat"


def find_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder holding the reference data (``szt/``, ``mnist/``).

    Parameters
    ----------
    data_dir : str or path-like, optional
        Used as given when not None. Otherwise the environment variable ``IBTOOLS_DATA``
        is used when set, and ``<repo>/../shared/data`` when not.

    Returns
    -------
    Path
        An existing directory.

    Raises
    ------
    FileNotFoundError
        When the chosen folder does not exist; the message says where it looked and how to
        point the project elsewhere.
    """
    if data_dir is not None:
        candidate, source = Path(data_dir), "the data_dir argument"
    elif os.environ.get(DATA_ENV):
        candidate, source = Path(os.environ[DATA_ENV]), f"the environment variable {DATA_ENV}"
    else:
        candidate, source = _REPO_ROOT.parent / "shared" / "data", "the default <repo>/../shared/data"
    candidate = candidate.expanduser().resolve()
    if not candidate.is_dir():
        raise FileNotFoundError(
            f"data folder {candidate} (from {source}) does not exist; pass data_dir=... or set "
            f"{DATA_ENV} to the folder that holds szt/var_u.mat"
        )
    return candidate


@dataclass(frozen=True)
class SZTData:
    """The 12-bit data set of Shwartz-Ziv & Tishby (2017).

    Attributes
    ----------
    x : ndarray of shape (4096, 12), float32
        Every 12-bit input once, bits as 0.0 / 1.0.
    y : ndarray of shape (4096,), int64
        Binary labels (2118 of them are 1).
    path : Path
        The ``var_u.mat`` file read.
    """

    x: np.ndarray
    y: np.ndarray
    path: Path

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])


def load_szt(data_dir: str | os.PathLike | None = None) -> SZTData:
    """Load ``szt/var_u.mat``: all 4096 12-bit inputs and their binary labels.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Folder holding ``szt/var_u.mat``; see :func:`find_data_dir` for the default.

    Returns
    -------
    SZTData
        ``x`` of shape (4096, 12) (float32 bits) and ``y`` of shape (4096,) (int64 labels).

    Raises
    ------
    FileNotFoundError
        When the folder or the file is missing.
    ValueError
        When the file is not a MATLAB file or its ``F`` and ``y`` are not 4096 distinct
        12-bit rows with one binary label each.

    References
    ----------
    Shwartz-Ziv & Tishby (2017), arXiv:1703.00810; the file is ``var_u.mat`` of
    ravidziv/IDNNs. Goldfeld et al. (2019), Sec. 5.
    """
    from scipy.io import loadmat

    path = find_data_dir(data_dir) / SZT_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist; the SZT data set is the file szt/var_u.mat inside the data "
            f"folder (pass data_dir=... or set {DATA_ENV})"
        )
    try:
        contents = loadmat(path)
    except Exception as err:  # scipy raises ValueError, TypeError or struct errors
        raise ValueError(f"{path} is not a readable MATLAB file: {err}") from err
    missing = [key for key in ("F", "y") if key not in contents]
    if missing:
        raise ValueError(f"{path} lacks the variables {missing}; expected F (4096 x 12) and y (1 x 4096)")
    features, labels = np.asarray(contents["F"]), np.asarray(contents["y"])
    if features.shape != (4096, 12):
        raise ValueError(f"{path}: F has shape {features.shape}; expected (4096, 12)")
    labels = labels.reshape(-1)
    if labels.shape != (4096,):
        raise ValueError(f"{path}: y has {labels.size} entries; expected 4096 (one per row of F)")
    if not np.isin(features, (0, 1)).all() or not np.isin(labels, (0, 1)).all():
        raise ValueError(f"{path}: F and y must hold only 0 and 1")
    n_unique = len(np.unique(features, axis=0))
    if n_unique != 4096:
        raise ValueError(f"{path}: F has {n_unique} distinct rows; expected all 4096 12-bit patterns")
    return SZTData(x=features.astype(np.float32), y=labels.astype(np.int64), path=path)


def split_train_test(
    n_samples: int, *, test_fraction: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of ``range(n_samples)`` into train and test indices.

    Parameters
    ----------
    n_samples : int
        Number of samples to split (at least 2).
    test_fraction : float, default=0.2
        Fraction of samples in the test part; the test size is ``round(test_fraction *
        n_samples)``, at least 1 and at most ``n_samples - 1``. For the SZT set this gives
        3277 / 819.
    seed : int or None, default=0
        Seed of the permutation.

    Returns
    -------
    train_idx, test_idx : ndarray of int64
        Sorted, disjoint, together ``range(n_samples)``.
    """
    n_samples = check_scalar(n_samples, "n_samples", kind=int, low=2)
    test_fraction = check_scalar(
        test_fraction, "test_fraction", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    n_test = min(max(int(round(test_fraction * n_samples)), 1), n_samples - 1)
    order = np.random.default_rng(seed).permutation(n_samples)
    return np.sort(order[n_test:]), np.sort(order[:n_test])
