"""Clustering of representations by class: mean cosine similarity within and between classes."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ibtools._validation import check_positive, check_samples


class ClassCosine(NamedTuple):
    """Mean pairwise cosine similarities of representations grouped by class.

    ``within`` is the mean over all pairs of distinct samples in the same class, ``between``
    the mean over all pairs in different classes, ``gap = within - between`` and ``matrix``
    the (n_classes, n_classes) array of class-by-class means (diagonal: distinct pairs
    only); ``classes`` are the class values in the matrix's order.
    """

    within: float
    between: float
    gap: float
    matrix: np.ndarray
    classes: np.ndarray


def cosine_similarity_by_class(x, labels, *, eps: float = 1e-8) -> ClassCosine:
    r"""Mean cosine similarity of representations within a class and between classes.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, dim)
        One representation per sample, e.g. a layer's noiseless values :math:`S_\ell(x_i)`.
    labels : array-like of shape (n_samples,)
        Class of each sample; at least two classes.
    eps : float, default=1e-8
        Norms are clamped below at ``eps`` (as in ``torch.nn.functional.cosine_similarity``),
        so a zero vector (a dead ReLU layer) has cosine 0 with everything.

    Returns
    -------
    ClassCosine
        ``within``, ``between``, ``gap``, ``matrix``, ``classes``; cosines lie in [-1, 1].

    Raises
    ------
    ValueError
        If ``x`` is not 2-D or has NaN/inf, the lengths differ, fewer than two classes are
        present, or a class has a single sample only (no within-class pair).

    Notes
    -----
    With :math:`u_i = r_i/\max(\|r_i\|,\epsilon)` and :math:`U_c=\sum_{i\in c}u_i`, the sum of
    :math:`\cos(i,j)` over ordered pairs of distinct samples in class :math:`c` is
    :math:`\|U_c\|^2-\sum_{i\in c}\|u_i\|^2`, and between classes :math:`a\ne b` it is
    :math:`U_a\cdot U_b`. The cost is therefore :math:`O(n\,d)`, not :math:`O(n^2 d)`.
    A within-class mean rising above the between-class mean means the representations
    cluster by class (Goldfeld et al. 2019, Sec. 5 and the MNIST experiment).

    Examples
    --------
    >>> res = cosine_similarity_by_class([[1, 0], [2, 0], [0, 1], [0, 3]], [0, 0, 1, 1])
    >>> res.within, res.between
    (1.0, 0.0)
    """
    eps = check_positive(eps, "eps")
    x_t = check_samples(x, "x", min_samples=2)
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    labels = np.asarray(labels).reshape(-1)
    if labels.shape[0] != x_t.shape[0]:
        raise ValueError(
            f"labels has {labels.shape[0]} entries but x has {x_t.shape[0]} rows; pass one per row"
        )
    classes, codes = np.unique(labels, return_inverse=True)
    counts = np.bincount(codes.reshape(-1), minlength=len(classes))
    if len(classes) < 2:
        raise ValueError(f"labels has {len(classes)} class; at least 2 are needed")
    if counts.min() < 2:
        raise ValueError(
            f"class {classes[counts.argmin()]!r} has {counts.min()} sample; each class needs 2"
        )
    with torch.no_grad():
        norms = torch.linalg.vector_norm(x_t, dim=1, keepdim=True).clamp_min(eps)
        u = x_t / norms
        codes_t = torch.from_numpy(codes.reshape(-1)).to(u.device)
        sums = torch.zeros(len(classes), u.shape[1], dtype=u.dtype, device=u.device)
        sums.index_add_(0, codes_t, u)
        self_terms = torch.zeros(len(classes), dtype=u.dtype, device=u.device)
        self_terms.index_add_(0, codes_t, (u * u).sum(dim=1))
        pair_sums = (sums @ sums.T).cpu().numpy()
        pair_sums[np.diag_indices(len(classes))] -= self_terms.cpu().numpy()
    n = counts.astype(np.float64)
    pairs = np.outer(n, n)
    pairs[np.diag_indices(len(classes))] = n * (n - 1)
    matrix = pair_sums / pairs
    diag = np.eye(len(classes), dtype=bool)
    within = float(pair_sums[diag].sum() / pairs[diag].sum())
    between = float(pair_sums[~diag].sum() / pairs[~diag].sum())
    return ClassCosine(within, between, within - between, matrix, classes)
