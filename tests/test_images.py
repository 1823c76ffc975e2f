"""Tests of the synthetic image maps with known MI (ibtools/synthetic/_images.py)."""

import numpy as np
import pytest
from scipy.special import ndtr

from ibtools.synthetic._images import (
    IMAGE_FAMILIES,
    ImageTask,
    bump_images,
    image_task,
    rectangle_bounds,
    rectangle_images,
)


@pytest.mark.parametrize("family, size", [("bumps", 16), ("rectangles", 32)])
def test_image_task_shapes_range_and_mi(family, size):
    task = image_task(family, 3.0)
    x, y = task.sample(50, seed=1)
    assert task.mi == 3.0
    assert task.dim_latent == IMAGE_FAMILIES[family]["dim"]
    for images in (x, y):
        assert images.shape == (50, 1, size, size)
        assert images.dtype == np.float32
        assert images.min() >= 0.0 and images.max() <= 1.0
    assert not np.allclose(x, y)


@pytest.mark.parametrize("family", ["bumps", "rectangles"])
def test_image_task_is_deterministic_given_seed(family):
    task = image_task(family, 2.0)
    a, b = task.sample(20, seed=7), task.sample(20, seed=7)
    c = task.sample(20, seed=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("family", ["bumps", "rectangles"])
def test_latent_marginals_are_uniform_after_the_cdf_whatever_the_mi(family):
    # the image marginal law must not depend on the MI (one compressor serves the whole grid)
    for mi in (0.0, 8.0):
        xi, _ = image_task(family, mi).sample_latent(4000, seed=3)
        u = ndtr(xi)
        np.testing.assert_allclose(u.mean(axis=0), 0.5, atol=0.03)
        np.testing.assert_allclose(u.var(axis=0), 1 / 12, atol=0.01)


def test_latent_pair_carries_the_prescribed_mi():
    # after the rotation, the Gaussian MI of the sample covariance is the prescribed MI
    xi, eta = image_task("rectangles", 4.0).sample_latent(20000, seed=0)
    cov = np.cov(np.hstack([xi, eta]).T)
    mi = 0.5 * (np.linalg.slogdet(cov[:4, :4])[1] + np.linalg.slogdet(cov[4:, 4:])[1]
                - np.linalg.slogdet(cov)[1])
    assert mi == pytest.approx(4.0, abs=0.1)


def test_bump_is_centred_where_asked():
    centres = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    images = bump_images(centres, size=17)[:, 0]
    peaks = [np.unravel_index(np.argmax(img), img.shape) for img in images]
    assert peaks == [(0, 0), (16, 16), (0, 16), (8, 8)]  # (row = vertical, column = horizontal)
    assert images.max() == pytest.approx(1.0)


def test_bump_map_separates_nearby_centres():
    # injectivity in practice: centres 1e-3 apart give different images
    u = np.array([[0.3, 0.6], [0.301, 0.6], [0.3, 0.601]])
    images = bump_images(u).reshape(3, -1)
    assert np.abs(images[0] - images[1]).max() > 1e-4
    assert np.abs(images[0] - images[2]).max() > 1e-4


def test_rectangle_bounds_are_uniform_on_the_admissible_triangle():
    rng = np.random.default_rng(0)
    bounds = rectangle_bounds(rng.uniform(size=(200000, 4)), size=32, min_len=2.0) / 32
    mu = 2.0 / 32
    left, right = bounds[:, 0], bounds[:, 1]
    assert left.min() >= 0 and right.max() <= 1
    assert (right - left).min() >= mu - 1e-12
    # uniform on {0 <= l, r <= 1, r - l >= mu}: E[l] = (1 - mu) / 3 and E[r] = 1 - (1 - mu) / 3
    assert left.mean() == pytest.approx((1 - mu) / 3, abs=3e-3)
    assert right.mean() == pytest.approx(1 - (1 - mu) / 3, abs=3e-3)
    # and the side length r - l - mu is distributed like the gap: E = (1 - mu) / 3
    assert (right - left - mu).mean() == pytest.approx((1 - mu) / 3, abs=3e-3)


def test_rectangle_pixels_are_the_covered_area():
    rng = np.random.default_rng(1)
    u = rng.uniform(size=(100, 4))
    bounds = rectangle_bounds(u)
    images = rectangle_images(u)[:, 0].astype(np.float64)
    areas = (bounds[:, 1] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 2])
    np.testing.assert_allclose(images.sum(axis=(1, 2)), areas, rtol=1e-5)


def test_rectangle_edge_at_the_border_stays_inside_the_image():
    # u0 = u1 = 1 puts the right edge exactly at size: must not index past the image
    images = rectangle_images(np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]), size=32)
    assert images.shape == (2, 1, 32, 32)
    assert images[0, 0, -1, -1] == pytest.approx(1.0)
    assert images[1, 0, 0, 0] == pytest.approx(1.0)


def test_rectangle_map_is_injective_on_sub_pixel_moves():
    u = np.array([[0.3, 0.5, 0.4, 0.6], [0.3005, 0.5, 0.4, 0.6], [0.3, 0.5, 0.4, 0.6005]])
    images = rectangle_images(u).reshape(3, -1)
    assert np.abs(images[0] - images[1]).max() > 1e-4
    assert np.abs(images[0] - images[2]).max() > 1e-4


def test_parameters_of_gives_the_structured_parameters():
    task = image_task("rectangles", 1.0)
    xi, _ = task.sample_latent(10, seed=0)
    params = task.parameters_of(xi)
    assert params.shape == (10, 4)
    assert params.min() >= 0 and params.max() <= 1


def test_errors():
    with pytest.raises(ValueError, match="family='circles' is not supported"):
        image_task("circles", 1.0)
    with pytest.raises(ValueError, match="mi=-1.0 is out of range"):
        image_task("bumps", -1.0)
    with pytest.raises(ValueError, match=r"expected \(n_samples, 2\) bump centres"):
        bump_images(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"expected \(n_samples, 4\) uniforms"):
        rectangle_images(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="min_len=40.0 is out of range"):
        rectangle_bounds(np.zeros((1, 4)), size=32, min_len=40)
    with pytest.raises(TypeError, match="latent must be a task"):
        ImageTask("bumps", latent=object())
    wrong = image_task("rectangles", 1.0).latent  # 4-D latent behind 2-D bumps
    with pytest.raises(ValueError, match=r"the bumps family needs \(n_samples, 2\)"):
        ImageTask("bumps", wrong).sample(5, seed=0)
