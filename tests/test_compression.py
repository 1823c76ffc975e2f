"""Tests of the image compressors (ibtools/compression.py)."""

import numpy as np
import pytest
import torch

from ibtools.compression import ConvAutoencoder, check_images, compress, fit_compressor
from ibtools.mi_benchmark import torch_threads
from ibtools.synthetic._images import image_task


@pytest.fixture(autouse=True)
def one_thread():
    # tiny convolutions: one thread is much faster than two on a shared CPU
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def bumps():
    x, y = image_task("bumps", 2.0).sample(96, seed=0)
    return x, y


def test_pca_codes_span_the_top_components():
    rng = np.random.default_rng(0)
    basis = rng.standard_normal((2, 64))
    images = (rng.standard_normal((200, 2)) @ basis).reshape(200, 1, 8, 8)
    pca = fit_compressor(images, 2, method="pca")
    assert pca.ok and pca.explained_variance_ratio.sum() == pytest.approx(1.0)
    codes = pca.encode(images)
    assert codes.shape == (200, 2) and codes.dtype == np.float64
    # a rank-2 sample is reconstructed exactly from its two codes
    recon = codes @ pca.components + pca.mean
    np.testing.assert_allclose(recon, images.reshape(200, -1), atol=1e-5)  # float32 images


@pytest.mark.parametrize("size", [8, 16, 32])
def test_autoencoder_shapes(size):
    model = ConvAutoencoder(size, 3)
    images = torch.rand(5, 1, size, size)
    assert model.encoder(images).shape == (5, 3)
    out = model(images)
    out = out.detach()
    assert out.shape == images.shape and float(out.min()) >= 0 and float(out.max()) <= 1


def test_autoencoder_is_seeded_and_leaves_the_global_rng_alone(bumps):
    x, _ = bumps
    state = torch.random.get_rng_state()
    a = fit_compressor(x, 2, epochs=2, batch_size=32, seed=3)
    assert torch.equal(state, torch.random.get_rng_state())
    b = fit_compressor(x, 2, epochs=2, batch_size=32, seed=3)
    c = fit_compressor(x, 2, epochs=2, batch_size=32, seed=4)
    assert a.ok and a.epochs_run == 2 and len(a.history) == 2
    np.testing.assert_array_equal(a.encode(x), b.encode(x))
    assert not np.array_equal(a.encode(x), c.encode(x))
    codes = a.encode(x)
    assert codes.shape == (96, 2) and np.abs(codes).max() <= 1.0  # tanh code


def test_autoencoder_stops_early_and_keeps_the_best_epoch(bumps):
    x, y = bumps
    fit = fit_compressor(np.concatenate([x, y]), 2, epochs=200, lr=1e-6, patience=1, seed=0)
    assert fit.ok and fit.epochs_run < 200
    losses = [h["val_loss"] for h in fit.history]
    # the kept epoch is within the improvement threshold (1e-5) of the best validation loss
    assert losses[fit.best_epoch - 1] <= min(losses) + 1e-5
    assert fit.epochs_run - fit.best_epoch == 1  # patience=1: stopped one epoch after it


def test_divergence_is_a_status_not_numbers(bumps):
    x, _ = bumps
    fit = fit_compressor(x * 1e38, 2, epochs=3, batch_size=32, lr=1e3, seed=0)
    assert fit.status.startswith("diverged: non-finite")
    assert not fit.ok
    with pytest.raises(RuntimeError, match="failed to fit"):
        fit.encode(x)
    result = compress(x * 1e38, x * 1e38, 2, epochs=3, batch_size=32, lr=1e3, seed=0)
    assert result.x_codes is None and result.status.startswith("diverged")


def test_compress_shares_one_compressor(bumps):
    x, y = bumps
    result = compress(x, y, 2, method="pca")
    assert result.x_codes.shape == (96, 2) and result.y_codes.shape == (96, 2)
    np.testing.assert_allclose(result.x_codes, result.compressor.encode(x))


def test_errors(bumps):
    x, y = bumps
    with pytest.raises(ValueError, match="expected square single-channel images"):
        check_images(np.zeros((4, 2, 8, 8)))
    with pytest.raises(ValueError, match="contains NaN or inf"):
        check_images(np.full((4, 8, 8), np.nan))
    with pytest.raises(TypeError, match="must be numeric"):
        check_images(np.array([["a"] * 4] * 4))
    with pytest.raises(ValueError, match="method='svd' is not supported"):
        fit_compressor(x, 2, method="svd")
    with pytest.raises(ValueError, match="latent_dim=0 is out of range"):
        fit_compressor(x, 0)
    with pytest.raises(ValueError, match="size=12 must be a power of two"):
        ConvAutoencoder(12, 2)
    with pytest.raises(ValueError, match="paired images of one size"):
        compress(x, y[:10], 2, method="pca")
    pca = fit_compressor(x, 2, method="pca")
    with pytest.raises(ValueError, match="fitted on 16x16"):
        pca.encode(np.zeros((3, 1, 32, 32)))
