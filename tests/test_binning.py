"""Binning: plug-in entropy of joint bin patterns and binned MI (nats)."""

import math

import numpy as np
import pytest
import torch

import ibtools as ib


def plugin(counts):
    p = np.asarray(counts, dtype=float) / np.sum(counts)
    return float(-(p * np.log(p)).sum())


def test_known_patterns_give_exact_entropy():
    # bin size 1, origin 0: patterns (0,0) x3, (0,1) x2, (1,1) x1 -> counts 3, 2, 1
    x = np.array([[0.1, 0.2], [0.5, 0.9], [0.99, 0.0], [0.3, 1.5], [0.7, 1.2], [1.1, 1.9]])
    assert ib.entropy_binned(x, 1.0) == pytest.approx(plugin([3, 2, 1]), abs=1e-12)
    # all distinct: log n; one bin: 0
    assert ib.entropy_binned(np.arange(10.0), 1.0) == pytest.approx(math.log(10), abs=1e-12)
    assert ib.entropy_binned(np.full((7, 3), 0.4), 1.0) == 0.0


def test_joint_patterns_not_per_neuron():
    # each neuron alone has 2 bins, the joint pattern has 4 equally likely values
    x = np.array([[0.5, 0.5], [0.5, 1.5], [1.5, 0.5], [1.5, 1.5]])
    assert ib.entropy_binned(x, 1.0) == pytest.approx(math.log(4), abs=1e-12)
    assert ib.entropy_binned(x[:, 0], 1.0) == pytest.approx(math.log(2), abs=1e-12)


def test_origin_moves_the_edges():
    x = np.array([0.05, 0.15])
    assert ib.entropy_binned(x, 0.2) == 0.0  # both in [0, 0.2)
    assert ib.entropy_binned(x, 0.2, origin=0.1) == pytest.approx(math.log(2))  # split at 0.1


def test_invariances():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(500, 3))
    h = ib.entropy_binned(x, 0.3)
    # row permutation and neuron permutation leave the pattern distribution unchanged
    assert ib.entropy_binned(x[rng.permutation(500)], 0.3) == pytest.approx(h, abs=1e-12)
    assert ib.entropy_binned(x[:, [2, 0, 1]], 0.3) == pytest.approx(h, abs=1e-12)
    # scaling data, bin size and origin together changes nothing (powers of 2: exact)
    assert ib.entropy_binned(4 * x, 1.2, origin=0.8) == pytest.approx(
        ib.entropy_binned(x, 0.3, origin=0.2), abs=1e-12
    )
    # coarser bins merge patterns: the entropy cannot grow when bins nest (0.3 -> 0.6)
    assert ib.entropy_binned(x, 0.6) <= h
    # tensors and numpy agree
    assert ib.entropy_binned(torch.from_numpy(x), 0.3) == pytest.approx(h, abs=1e-12)


def test_mi_binned_discrete_and_continuous_y():
    x = np.array([[0.01], [0.02], [0.51], [0.52], [0.53], [0.54]])
    labels = np.array([0, 0, 1, 1, 1, 1])
    h_y = plugin([2, 4])
    assert ib.mi_binned(x, labels, 0.1) == pytest.approx(h_y, abs=1e-12)
    assert ib.mi_binned(x, labels.astype(str), 0.1) == pytest.approx(h_y, abs=1e-12)
    # a label coding each input: I(X; Bin(T)) = H(Bin(T)) (deterministic network)
    idx = np.arange(6)
    assert ib.mi_binned(x, idx, 0.1) == pytest.approx(ib.entropy_binned(x, 0.1), abs=1e-12)
    # continuous y is binned with the same bin size: y = x + 1 carries all of Bin(x)
    assert ib.mi_binned(x, x[:, 0] + 1.0, 0.1) == pytest.approx(
        ib.entropy_binned(x, 0.1), abs=1e-12
    )
    # independent labels: 0
    x2 = np.array([[0.0], [0.0], [1.0], [1.0]])
    assert ib.mi_binned(x2, [0, 1, 0, 1], 0.5) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ib.entropy_binned([0.0, 1.0], 0.0), ValueError, "bin_size=0.0 is out of range"),
        (lambda: ib.entropy_binned([0.0, 1.0], -0.1), ValueError, "must be > 0"),
        (lambda: ib.entropy_binned([0.0, np.nan], 0.1), ValueError, "x contains NaN"),
        (lambda: ib.entropy_binned([[[0.0]]], 0.1), ValueError, "reshape"),
        (lambda: ib.entropy_binned(["a"], 0.1), TypeError, "x must be numeric"),
        (lambda: ib.entropy_binned([1e300], 1e-300), ValueError, "2\\*\\*62 bins"),
        (lambda: ib.entropy_binned([0.0], 0.1, origin="a"), TypeError, "origin must be"),
        (lambda: ib.mi_binned([0.0, 1.0], [0, 1, 1], 0.1), ValueError, "same number"),
        (lambda: ib.mi_binned([0.0, 1.0], [0.0, 1.0, 2.0], 0.1), ValueError, "same number"),
        (lambda: ib.mi_binned([0.0, 1.0], [0, 1], 0), ValueError, "bin_size=0.0"),
        (lambda: ib.mi_binned([0.0, 1.0], [0.0, np.inf], 0.1), ValueError, "y contains NaN"),
    ],
)
def test_binning_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
