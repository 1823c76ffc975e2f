"""Tests of the synthetic MI benchmark driver and its summaries (ibtools/mi_benchmark.py)."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from ibtools.compression import fit_compressor
from ibtools.mi_benchmark import (
    COLUMNS,
    ConvCritic,
    benchmark_guide,
    check_image_benchmark_parameters,
    default_image_estimators,
    error_table,
    fit_image_compressors,
    mi_entropy_whitened,
    mi_grid,
    mi_on_codes,
    run_image_benchmark,
    run_lowdim_benchmark,
    summarise,
    torch_threads,
    tracking_limit,
)
from ibtools.synthetic import correlated_gaussian


@pytest.fixture(autouse=True)
def one_thread():
    with torch_threads(1):
        yield


def gaussian_pair(mi, dim, n=2000, seed=0):
    return correlated_gaussian(mi, dim).sample(n, seed=seed)


@pytest.mark.parametrize("entropy, k", [("kl", 1), ("wkl", 5), ("kde", 0)])
def test_whitened_entropy_mi_matches_the_closed_form(entropy, k):
    x, y = gaussian_pair(2.0, 2, n=1000 if entropy == "kde" else 2000)
    value = mi_entropy_whitened(x, y, entropy=entropy, k=max(k, 1))
    assert value == pytest.approx(2.0, abs=0.25)


def test_whitened_mi_is_invariant_to_invertible_linear_maps():
    x, y = gaussian_pair(1.5, 2, n=1000)
    a = np.array([[3.0, 1.0], [0.5, -2.0]])
    base = mi_entropy_whitened(x, y, entropy="wkl", k=5)
    assert mi_entropy_whitened(x @ a.T + 7.0, y, entropy="wkl", k=5) == pytest.approx(base, abs=1e-6)


def test_independent_codes_give_about_zero():
    x, y = gaussian_pair(0.0, 2, n=1000)
    for estimator in ("kl", "wkl", "kde", "ksg"):
        assert abs(mi_on_codes(x, y, estimator)) < 0.15, estimator


def test_high_mi_is_tracked_by_wkl_with_joint_whitening():
    # joint whitening keeps the 4-D joint round even at 8 nats over two pairs
    x, y = gaussian_pair(8.0, 2)
    assert mi_on_codes(x, y, "wkl") == pytest.approx(8.0, abs=0.5)


def test_mi_grid():
    np.testing.assert_allclose(mi_grid(41), np.arange(41) * 0.25)
    with pytest.raises(ValueError, match="n_points=1 is out of range"):
        mi_grid(1)


def test_conv_critic_pairwise_equals_tiled_forward():
    torch.manual_seed(0)
    critic = ConvCritic((1, 16, 16), (1, 16, 16))
    x, y = torch.rand(5, 1, 16, 16), torch.rand(5, 1, 16, 16)
    with torch.no_grad():
        pair = critic.pairwise(x, y)
        tiled = critic(x.repeat_interleave(5, 0), y.repeat(5, 1, 1, 1)).reshape(5, 5)
    torch.testing.assert_close(pair, tiled, rtol=1e-5, atol=1e-6)
    assert critic(x, y).shape == (5,)
    with pytest.raises(ValueError, match="size >= 8"):
        ConvCritic((1, 4, 4), (1, 4, 4))


@pytest.fixture(scope="module")
def tiny_run():
    with torch_threads(1):
        comps = fit_image_compressors(["bumps"], n_train=200, epochs=2, batch_size=64, seed=0)
        frame = run_image_benchmark(
            ["bumps"],
            [0.0, 4.0],
            compressors=comps,
            n_samples=400,
            n_seeds=2,
            estimators=["ae_wkl", "pca_ksg", "raw_ksg", "params_wkl", "infonce"],
            neural_options={"batch_size": 32, "max_steps": 20, "eval_every": 10},
        )
    return comps, frame


def test_image_benchmark_rows(tiny_run):
    comps, frame = tiny_run
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 5 * 2 * 2  # estimators x MI points x seeds
    assert set(frame["seed"]) == {0, 1}
    assert comps[("bumps", "ae")].ok and comps[("bumps", "pca")].ok
    assert frame["status"].isin(["ok", "max_steps"]).all(), frame["status"].unique()
    assert np.isfinite(frame["value"]).all()
    infonce = frame[frame["estimator"] == "infonce"]["value"]
    assert len(infonce) == 4 and (infonce <= math.log(32) + 1e-9).all()
    params = frame[(frame["estimator"] == "params_wkl") & (frame["true_mi_nats"] == 4.0)]
    assert params["value"].mean() == pytest.approx(4.0, abs=0.8)


def test_image_benchmark_is_deterministic(tiny_run):
    comps, frame = tiny_run
    with torch_threads(1):
        again = run_image_benchmark(["bumps"], [0.0, 4.0], compressors=comps, n_samples=400,
                                    n_seeds=2, estimators=["ae_wkl", "raw_ksg"])
    first = frame[frame["estimator"].isin(["ae_wkl", "raw_ksg"])].reset_index(drop=True)
    np.testing.assert_allclose(again["value"], first["value"])


def test_failed_compressor_gives_failed_rows_not_numbers():
    x = np.full((20, 1, 16, 16), 1e38, dtype=np.float32)
    broken = fit_compressor(x, 2, epochs=2, batch_size=8, lr=1e3)
    assert not broken.ok
    pca_ok = fit_compressor(np.random.default_rng(0).uniform(size=(20, 1, 16, 16)), 2, method="pca")
    frame = run_image_benchmark(["bumps"], [1.0], compressors={("bumps", "ae"): broken,
                                ("bumps", "pca"): pca_ok}, n_samples=50,
                                estimators=["ae_kl", "ae_ksg", "pca_kl"])
    failed = frame[frame["estimator"].str.startswith("ae_")]
    assert failed["value"].isna().all()
    assert failed["status"].str.contains("diverged").all()
    assert frame.loc[frame["estimator"] == "pca_kl", "status"].item() == "ok"


def test_lowdim_benchmark_rows():
    tasks = [correlated_gaussian(1.0, 1), correlated_gaussian(0.5, 2)]
    frame = run_lowdim_benchmark(tasks, n_samples=500, n_seeds=1, estimators=["wkl", "ksg"])
    assert len(frame) == 4 and list(frame.columns) == COLUMNS
    assert set(frame["family"]) == {t.name for t in tasks}
    assert (frame["value"] - frame["true_mi_nats"]).abs().max() < 0.3


def synthetic_frame():
    rows = []
    for mi in (0.0, 1.0, 4.0, 8.0):
        for seed in (0, 1):
            rows.append(("good", "f", mi, seed, mi + 0.1 * (seed - 0.5), "ok", 0.0))
            rows.append(("capped", "f", mi, seed, min(mi, 3.0), "ok", 0.0))
            bad = seed == 1 and mi == 8.0
            rows.append(("flaky", "f", mi, seed, math.nan if bad else mi, "failed: x" if bad
                         else "ok", 0.0))
    return pd.DataFrame(rows, columns=COLUMNS)


def test_summarise_counts_failures():
    stats = summarise(synthetic_frame())
    flaky = stats[(stats["estimator"] == "flaky") & (stats["true_mi_nats"] == 8.0)]
    assert flaky["n_failed"].item() == 1 and flaky["n_ok"].item() == 1
    good = stats[(stats["estimator"] == "good") & (stats["true_mi_nats"] == 1.0)]
    assert good["mean"].item() == pytest.approx(1.0)
    assert good["std"].item() == pytest.approx(0.1 / math.sqrt(2))


def test_error_table():
    table = error_table(synthetic_frame(), regimes=((0, 2), (2, 10)))
    assert list(table.index) == ["good", "capped", "flaky"]
    assert list(table.columns) == ["MI 0-2", "MI 2-10", "failed"]
    assert table.loc["good", "MI 0-2"] == pytest.approx(0.05)
    assert table.loc["capped", "MI 2-10"] == pytest.approx((1.0 + 5.0) / 2)
    assert table.loc["flaky", "failed"] == 1 and table.loc["flaky", "MI 2-10"] == 0.0
    by_family = error_table(synthetic_frame(), by_family=True)
    assert by_family.index.names == ["estimator", "family"]
    with pytest.raises(ValueError, match="regimes is empty"):
        error_table(synthetic_frame(), regimes=())


def test_tracking_limit():
    frame = synthetic_frame()
    assert tracking_limit(frame, "good", "f") == 8.0
    assert tracking_limit(frame, "capped", "f") == 1.0  # 3 vs 4 is off by more than 0.5 + 0.4
    assert tracking_limit(frame, "flaky", "f") == 4.0  # a failed seed ends the tracked range
    with pytest.raises(ValueError, match="no rows for estimator='nope'"):
        tracking_limit(frame, "nope", "f")


def test_parameter_checks():
    check_image_benchmark_parameters(families=["bumps"], n_samples=400, critic_batch_size=32)
    with pytest.raises(ValueError, match="validation.*critic_batch_size=32"):
        check_image_benchmark_parameters(families=["bumps"], n_samples=300, critic_batch_size=32)
    with pytest.raises(TypeError, match="families must be a non-empty list"):
        check_image_benchmark_parameters(families="bumps", n_samples=400, critic_batch_size=2)
    with pytest.raises(ValueError, match="repeats a family"):
        check_image_benchmark_parameters(families=["bumps", "bumps"], n_samples=400,
                                         critic_batch_size=2)


def test_benchmark_guide_restates_the_table():
    table = error_table(synthetic_frame(), regimes=((0, 2), (2, 10)))
    guide = benchmark_guide(table, n_best=1)
    assert "**MI 0-2 nats**: most accurate `capped` (0.00)" in guide
    assert "least accurate `capped` (3.00" in guide
    assert "`flaky` 1" in guide


def test_estimator_names_and_errors():
    names = default_image_estimators()
    assert names[:4] == ("ae_kl", "ae_wkl", "ae_kde", "ae_ksg")
    assert {"raw_ksg", "params_wkl", "mine", "nwj", "infonce", "smile"} <= set(names)
    with pytest.raises(ValueError, match="estimator='ae_mine' is not supported"):
        run_image_benchmark(["bumps"], [0.0], compressors={}, estimators=["ae_mine"])
    with pytest.raises(ValueError, match="entropy='ksg' is not supported"):
        mi_entropy_whitened(np.zeros((5, 1)), np.zeros((5, 1)), entropy="ksg")
    with pytest.raises(ValueError, match="singular sample covariance"):
        mi_entropy_whitened(np.ones((50, 2)), np.random.default_rng(0).normal(size=(50, 2)))
    frame = run_image_benchmark(["bumps"], [0.0], compressors={}, n_samples=20,
                                estimators=["ae_kl"])
    assert frame["status"].item() == "failed: no ae compressor for bumps"
