"""The SZT driver: configuration checks, a tiny run's tidy output, compression and claims."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

import ibtools as ib
from ibtools.results import VERDICTS
from ibtools.szt import score_szt_claims

TINY = dict(epochs=4, n_eval_points=3, n_replicas=2, n_mc=1, n_mc_total=256)


@pytest.fixture(scope="module")
def tiny_run():
    threads = torch.get_num_threads()
    result = ib.run_szt(ib.SZTConfig(activation="tanh", **TINY), device="cpu")
    assert torch.get_num_threads() == threads  # restored
    return result


def test_config_checks_before_training():
    with pytest.raises(ValueError, match="activation='sigmoid' is not supported"):
        ib.SZTConfig(activation="sigmoid")
    with pytest.raises(ValueError, match="beta=-0.01 is out of range"):
        ib.SZTConfig(beta=-0.01)
    with pytest.raises(ValueError, match="epochs=0 is out of range"):
        ib.SZTConfig(epochs=0)
    with pytest.raises(ValueError, match="set orthonormal_alpha > 0"):
        ib.SZTConfig(reference=True)
    with pytest.raises(TypeError, match="config must be an SZTConfig"):
        ib.run_szt({"epochs": 3})


def test_paper_config_measures_at_the_official_epochs():
    assert ib.SZTConfig().eval_epochs.tolist() == ib.log_spaced_epochs().tolist()
    assert len(ib.SZTConfig().eval_epochs) == 84


def test_tiny_run_is_tidy(tiny_run):
    m = tiny_run.metrics
    assert {"quantity", "value", "epoch", "layer", "network"} <= set(m.columns)
    assert set(m["network"]) == {"noisy", "deterministic"}
    epochs = tiny_run.config.eval_epochs.tolist()
    assert sorted(m["epoch"].unique()) == epochs == [1, 2, 3]
    ixt = m[m["quantity"] == "I_XT_nats"]
    assert set(ixt["layer"]) == {1, 2, 3, 4, 5} and set(ixt["network"]) == {"noisy"}
    assert ixt["value"].between(-1, math.log(4096) + 0.5).all()
    hbin = m[m["quantity"] == "H_bin_nats"]
    assert set(hbin["bin_size"].round(6)) == {0.05, round(2 / 30, 6)}
    assert set(hbin["network"]) == {"noisy", "deterministic"}
    for q in ("I_YT_nats", "train_accuracy", "test_accuracy", "train_loss", "test_loss"):
        assert q in set(m["quantity"])
    assert m[m["quantity"] == "test_accuracy"]["value"].between(0, 1).all()
    assert [s.shape for s in tiny_run.snapshots[3]] == [(4096, w) for w in (10, 7, 5, 4, 3)]


def test_run_is_deterministic(tiny_run):
    again = ib.run_szt(ib.SZTConfig(activation="tanh", **TINY), device="cpu")
    pd.testing.assert_frame_equal(tiny_run.metrics, again.metrics)


def test_peak_and_fall():
    traj = pd.Series([2.0, 4.0, 5.0, 3.0, 2.5], index=[1, 2, 4, 8, 16])
    pf = ib.peak_and_fall(traj)
    assert (pf.peak, pf.peak_epoch, pf.final, pf.first) == (5.0, 4, 2.5, 2.0)
    assert pf.fall == pytest.approx(2.5) and pf.rise == pytest.approx(3.0)
    rising = ib.peak_and_fall(pd.Series([1.0, 2.0, 3.0], index=[1, 2, 3]))
    assert rising.fall == 0.0
    with pytest.raises(ValueError, match="no values"):
        ib.peak_and_fall(pd.Series([], dtype=float))


def test_claims_are_scored(tiny_run):
    for kind in ("tanh", "relu", "linear"):
        claims = score_szt_claims(tiny_run, kind)
        assert len(claims) == 3
        for c in claims:
            assert set(c) == {"claim", "paper", "measured", "verdict"}
            assert c["verdict"] in VERDICTS
    with pytest.raises(ValueError, match="chapter_kind='sigmoid'"):
        score_szt_claims(tiny_run, "sigmoid")


def test_orthonormal_run_has_reference():
    cfg = ib.SZTConfig(activation="tanh", orthonormal_alpha=0.01, reference=True, **TINY)
    result = ib.run_szt(cfg, device="cpu")
    assert set(result.metrics["network"]) == {"noisy", "deterministic", "noisy_unregularised"}
    ref = result.metrics.query("quantity == 'I_XT_nats' and network == 'noisy_unregularised'")
    assert set(ref["layer"]) == {5}
    gap = result.trajectory("orthonormality_gap")
    ref_gap = result.trajectory("orthonormality_gap", network="noisy_unregularised")
    assert gap.iloc[-1] < ref_gap.iloc[-1]
    claims = score_szt_claims(result, "tanh_orthonormal")
    assert claims[0]["verdict"] in VERDICTS


def test_nearest_epochs():
    eval_epochs = np.array([1, 2, 4, 8, 16, 32])
    assert ib.szt.nearest_epochs(eval_epochs, [1, 3, 30, 1000]) == [1, 4, 32]
