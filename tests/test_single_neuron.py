"""The single-neuron toy: training dynamics and exact I(X;T) against known levels."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ibtools as ib

LN2 = math.log(2)


def test_mi_levels_of_the_reference_configurations():
    beta = 0.01
    # all four means far apart (w large, b centred): log2(4) bits
    assert ib.mi_single_neuron(0.2, 0.0, beta) / LN2 == pytest.approx(2.0, abs=1e-4)
    # all four means equal: no information
    assert ib.mi_single_neuron(0.0, 0.0, beta) / LN2 == pytest.approx(0.0, abs=1e-6)
    # means -1, 0, 1, 1: two merged, two apart: 1.5 bits
    assert ib.mi_single_neuron(5.0, 5.0, beta) / LN2 == pytest.approx(1.5, abs=2e-3)
    # the three negative inputs merged, +1 apart: H_b(1/4) = 0.811 bits
    h_quarter = -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))
    assert ib.mi_single_neuron(6.0, -12.0, beta) / LN2 == pytest.approx(h_quarter, abs=1e-3)


def test_trajectory_matches_the_reference_table():
    # goldfeld2019.md section 4.3 (derived): w, b after 1000 epochs from (0, 0) at lr 0.01
    trajectory = ib.train_single_neuron(epochs=1000, n_records=20)
    last = trajectory.iloc[-1]
    assert last.epoch == 1000
    assert last.w == pytest.approx(0.90, abs=0.01)
    assert last.b == pytest.approx(-1.65, abs=0.01)
    assert trajectory.loss.iloc[-1] < trajectory.loss.iloc[0]


def test_sp_estimate_agrees_with_the_exact_value():
    for w, b in [(0.5, -0.5), (1.6, -3.0)]:
        exact = ib.mi_single_neuron(w, b, 0.01)
        estimate = ib.mi_single_neuron_sp(w, b, 0.01, n_mc=20_000, seed=1)
        assert abs(estimate.value - exact) <= 4 * estimate.stderr + 1e-9


def test_density_integrates_to_one():
    grid = np.linspace(-1.2, 1.2, 200_001)
    density = ib.density_single_neuron(1.0, -2.0, 0.01, grid)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-6)


def test_phases_of_a_synthetic_trajectory():
    epochs = np.array([0, 1, 10, 100, 1000, 10000])
    bits = np.array([0.5, 2.0, 1.52, 1.49, 1.5, 1.2])
    phases = ib.single_neuron_phases(epochs, bits)
    assert phases["peak_bits"] == 2.0 and phases["peak_epoch"] == 1
    assert phases["plateau_first_epoch"] == 10 and phases["plateau_last_epoch"] == 1000
    assert phases["plateau_decades"] == pytest.approx(2.0)
    assert phases["final_bits"] == 1.2


def test_log_spaced_epochs_start_at_zero_and_end_at_the_last():
    epochs = ib.single_neuron.log_spaced_epochs(1000, 30)
    assert epochs[0] == 0 and epochs[1] == 1 and epochs[-1] == 1000
    assert np.all(np.diff(epochs) > 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta": -0.01}, "beta=-0.01"),
        ({"beta": 0.0}, "beta=0.0"),
        ({"lr": 0.0}, "lr=0.0"),
        ({"epochs": 0}, "epochs=0"),
        ({"epochs": 10.5}, "epochs must be an integer"),
        ({"n_sp_checks": 50, "n_records": 10}, "n_sp_checks=50 exceeds"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, match):
    params = dict(beta=0.01, lr=0.01, epochs=100, n_records=20, n_sp_checks=3, n_mc=100)
    params.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        ib.check_single_neuron_parameters(**params)


def test_divergent_training_is_reported():
    with pytest.raises(FloatingPointError, match="lower lr"):
        ib.train_single_neuron(lr=1e308, epochs=5)
