"""Noisy MLP: evaluation epochs, shapes, hand-written training against autograd, bad input."""

import math

import numpy as np
import pytest
import torch

import ibtools as ib
from ibtools.noisy import NoisyMLP, train_noisy_mlp
from ibtools.sp import mi_noisy_layer

OFFICIAL_EPOCHS = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 18, 20, 22, 24, 26, 28, 31, 34, 38, 41,
    45, 50, 55, 60, 66, 72, 79, 87, 95, 105, 115, 126, 138, 152, 167, 183, 201, 221, 242, 266,
    291, 320, 351, 385, 423, 464, 509, 559, 614, 673, 739, 811, 890, 977, 1072, 1177, 1291,
    1417, 1556, 1707, 1874, 2056, 2257, 2477, 2718, 2983, 3274, 3593, 3944, 4328, 4750, 5214,
    5722, 6280, 6892, 7564, 8301, 9111, 9999,
]


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny products: one thread is faster and steadier on a shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, size=(n, 12)).astype(np.float32)
    y = (x.sum(axis=1) > 6).astype(np.int64)
    return x, y


def test_log_spaced_epochs_are_the_official_84():
    epochs = ib.log_spaced_epochs()
    assert len(epochs) == 84
    assert epochs.tolist() == OFFICIAL_EPOCHS


def test_log_spaced_epochs_short_runs():
    assert ib.log_spaced_epochs(1, 10).tolist() == [1]
    e = ib.log_spaced_epochs(2999, 24)
    assert e[0] == 1 and e[-1] == 2999 and np.all(np.diff(e) > 0)


def test_forward_shapes_and_noise():
    model = NoisyMLP("tanh", (0.005, 0.0), seed=0)
    x = torch.rand(7, 12)
    logits, hidden = model(x, return_hidden=True, generator=torch.Generator().manual_seed(0))
    assert logits.shape == (2, 7, 2)
    assert [h.shape[-1] for h in hidden] == [10, 7, 5, 4, 3]
    clean = model(x, noise=False)
    assert torch.equal(logits[1], clean[1])  # sigma = 0: the deterministic twin
    assert not torch.equal(logits[0], clean[0])
    assert torch.equal(model.weights[0][0], model.weights[0][1])  # shared initialisation
    bound = 1 / math.sqrt(12)
    assert model.weights[0].abs().max() <= bound


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_hand_written_training_matches_autograd_and_adam(activation):
    x, y = _data(40)
    model = NoisyMLP(activation, 0.0, seed=3, dtype=torch.float64)
    ref = [p.detach().clone().requires_grad_(True) for p in [*model.weights, *model.biases]]
    n_layers = len(model.weights)
    opt = torch.optim.Adam(ref, lr=1e-2)
    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y)
    act = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda s: s}[activation]
    for _ in range(4):  # full batch: one step per epoch, order irrelevant
        h = xt
        for i in range(n_layers):
            h = h @ ref[i][0].T + ref[n_layers + i][0]
            if i < n_layers - 1:
                h = act(h)
        loss = torch.nn.functional.cross_entropy(h, yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    train_noisy_mlp(model, x, y, epochs=4, lr=1e-2, batch_size=len(x), seed=0)
    for p, r in zip([*model.weights, *model.biases], ref, strict=True):
        torch.testing.assert_close(p.detach(), r.detach(), rtol=1e-9, atol=1e-10)


def test_training_is_seeded_and_twin_matches_solo_training():
    x, y = _data(300)
    a = NoisyMLP("tanh", (0.005, 0.0), seed=1)
    b = NoisyMLP("tanh", (0.005, 0.0), seed=1)
    solo = NoisyMLP("tanh", 0.0, seed=1)
    for m in (a, b, solo):
        train_noisy_mlp(m, x, y, epochs=3, batch_size=64, seed=5)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    torch.testing.assert_close(a.weights[2][1], solo.weights[2][0])
    assert not torch.equal(a.weights[2][0], a.weights[2][1])  # noise changed the noisy one


def test_callback_runs_at_eval_epochs():
    x, y = _data()
    seen = []
    train_noisy_mlp(NoisyMLP(seed=0), x, y, epochs=5, eval_epochs=[1, 3, 5, 9],
                    callback=lambda epoch, model: seen.append(epoch), seed=0)
    assert seen == [1, 3, 5]


def test_orthonormality_update_lowers_gap():
    model = NoisyMLP("tanh", 0.005, seed=0)
    before = float(model.orthonormality_gap()[0])
    for _ in range(200):
        model.orthonormalize_(0.05)
    assert float(model.orthonormality_gap()[0]) < 0.5 * before
    x, y = _data()
    reg = NoisyMLP("tanh", (0.005, 0.005), seed=0)
    train_noisy_mlp(reg, x, y, epochs=20, orthonormal_alpha=(0.01, 0.0), seed=0)
    gaps = reg.orthonormality_gap()
    assert gaps[0] < gaps[1]


def test_sample_layers_shapes_and_layer1_is_deterministic():
    x, _ = _data(16)
    model = NoisyMLP("tanh", 0.05, seed=0)
    samples = ib.sample_layers(model, x, 6, seed=0)
    assert [s.shape for s in samples] == [(16, 6, w) for w in (10, 7, 5, 4, 3)]
    assert torch.equal(samples[0][:, 0], samples[0][:, 5])
    assert not torch.equal(samples[1][:, 0], samples[1][:, 5])
    torch.testing.assert_close(samples[0][:, 0], ib.hidden_noiseless(model, x)[0])
    again = ib.sample_layers(model, x, 6, seed=0)
    assert all(torch.equal(s, t) for s, t in zip(samples, again, strict=True))


def test_layer1_closed_form_conditional_entropy():
    x = ((np.arange(64)[:, None] >> np.arange(12)) & 1).astype(np.float32)  # 64 distinct
    y = np.arange(64) % 2
    model = NoisyMLP("tanh", 0.005, seed=0)
    s1 = ib.sample_layers(model, x, 3, seed=0)[0][:, :1]
    res = mi_noisy_layer(s1, 0.005, y, n_mc=2, seed=0)
    assert res.h_t_given_x == pytest.approx(5 * math.log(2 * math.pi * math.e * 0.005**2))
    assert res.i_xt == pytest.approx(math.log(64), abs=0.05)  # 64 distinct, well separated


def test_evaluate_noiseless():
    x, y = _data()
    loss, acc = ib.evaluate_noiseless(NoisyMLP("relu", (0.1, 0.0), seed=0), x, y)
    assert loss.shape == acc.shape == (2,)
    assert loss[0] == pytest.approx(loss[1])  # no noise in evaluation


def test_bad_input():
    with pytest.raises(ValueError, match="activation='sigmoid' is not supported"):
        NoisyMLP("sigmoid")
    with pytest.raises(ValueError, match="sigma=-0.1 is out of range"):
        NoisyMLP("tanh", -0.1)
    x, y = _data()
    with pytest.raises(ValueError, match="epochs=0 is out of range"):
        train_noisy_mlp(NoisyMLP(), x, y, epochs=0)
    with pytest.raises(TypeError, match="epochs must be an integer"):
        train_noisy_mlp(NoisyMLP(), x, y, epochs=2.5)
    with pytest.raises(ValueError, match="expected \\(n, 12\\)"):
        train_noisy_mlp(NoisyMLP(), x[:, :5], y, epochs=1)
    with pytest.raises(ValueError, match="orthonormal_alpha has 1 values"):
        train_noisy_mlp(NoisyMLP(sigma=(0.1, 0.0)), x, y, epochs=1, orthonormal_alpha=[0.1])
