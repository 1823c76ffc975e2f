"""Noisy fully connected networks: the model, seeded training, and layer samples for SP.

Every hidden layer computes :math:`S_\\ell = a(W_\\ell T_{\\ell-1} + b_\\ell)` and adds noise,
:math:`T_\\ell = S_\\ell + Z_\\ell` with :math:`Z_\\ell \\sim \\mathcal N(0, \\sigma^2 I)`; the output
layer gives logits with no activation and no noise (Goldfeld et al. 2019, Sec. 1.2 and 5.2).

:class:`NoisyMLP` holds several *members* that share one architecture and one initialisation
and differ only in their noise level ``sigma`` (and, in training, their orthonormality
strength). Training them together in batched matrix products costs about as much as training
one, which is how a chapter trains the noisy network and its deterministic twin (``sigma=0``)
side by side. Adam is elementwise, so a member trained in an ensemble follows the same update
rule as a member trained alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch

from ibtools._torch import make_generator
from ibtools._validation import check_choice, check_scalar

ACTIVATIONS = ("tanh", "relu", "linear")
SZT_WIDTHS = (12, 10, 7, 5, 4, 3, 2)

_ACTIVATION_FNS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda s: s,
}


def check_activation(activation) -> str:
    """``activation`` as one of :data:`ACTIVATIONS`, or a ``ValueError`` listing them."""
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a string, got {activation!r}")
    return check_choice(activation, "activation", ACTIVATIONS)


def check_sigma(sigma, name: str = "sigma") -> float:
    """A noise standard deviation: finite and >= 0 (0 is a deterministic network)."""
    return check_scalar(sigma, name, kind=float, low=0.0)


def check_epochs(epochs, name: str = "epochs") -> int:
    """A number of training epochs: an integer >= 1."""
    return check_scalar(epochs, name, kind=int, low=1)


def _per_member(values, n_members: int | None, name: str, check) -> list[float]:
    if isinstance(values, (int, float, np.floating, np.integer)) and not isinstance(values, bool):
        values = [values] * (1 if n_members is None else n_members)
    values = [check(v, name) for v in values]
    if not values:
        raise ValueError(f"{name} needs at least one value, got an empty sequence")
    if n_members is not None and len(values) != n_members:
        raise ValueError(f"{name} has {len(values)} values; expected one per member ({n_members})")
    return values


def log_spaced_epochs(last: int = 9999, n_points: int = 100, first: int = 1) -> np.ndarray:
    """Log-spaced evaluation epochs in ``[first, last]``, rounded and deduplicated.

    With the defaults this is the official code's list of 84 epochs 1, 2, ..., 9111, 9999
    (Goldfeld et al. 2019, official code; ``np.logspace(0, log10(9999), 100)`` rounded).

    Parameters
    ----------
    last : int, default=9999
        Last epoch (included).
    n_points : int, default=100
        Number of log-spaced points before rounding and deduplication.
    first : int, default=1
        First epoch (included), at least 1.

    Returns
    -------
    ndarray of int64
        Strictly increasing epochs; at most ``n_points`` of them.
    """
    first = check_scalar(first, "first", kind=int, low=1)
    last = check_scalar(last, "last", kind=int, low=first)
    n_points = check_scalar(n_points, "n_points", kind=int, low=1)
    if n_points == 1:
        return np.array([last], dtype=np.int64)
    grid = np.logspace(math.log10(first), math.log10(last), n_points)
    return np.unique(np.round(grid)).astype(np.int64)


class NoisyMLP(torch.nn.Module):
    """Fully connected network with Gaussian noise after every hidden activation.

    Parameters
    ----------
    activation : {"tanh", "relu", "linear"}, default="tanh"
        Hidden-layer activation.
    sigma : float or sequence of float, default=0.005
        Noise standard deviation (the papers' beta) of every hidden layer, >= 0. A sequence
        makes one member per value, e.g. ``(0.005, 0.0)`` for a noisy network and its
        deterministic twin.
    widths : sequence of int, default=(12, 10, 7, 5, 4, 3, 2)
        Input width, hidden widths, output width.
    seed : int or None, default=None
        Seed of the initialisation, PyTorch's default for ``nn.Linear``: weights and biases
        uniform on :math:`\\pm 1/\\sqrt{\\text{fan-in}}`. Every member gets the same values.
    device : str or torch.device, default="cpu"
    dtype : torch.dtype, default=torch.float32

    Notes
    -----
    Weights are stored per layer as tensors of shape ``(n_members, width_out, width_in)``.
    ``forward`` takes inputs of shape ``(n, width_in)`` (shared by the members) or
    ``(n_members, n, width_in)`` and returns logits of shape ``(n_members, n, width_out)``.
    """

    def __init__(
        self,
        activation: str = "tanh",
        sigma: float | Sequence[float] = 0.005,
        *,
        widths: Sequence[int] = SZT_WIDTHS,
        seed: int | None = None,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ):
        super().__init__()
        self.activation = check_activation(activation)
        sigmas = _per_member(sigma, None, "sigma", check_sigma)
        widths = tuple(check_scalar(w, "widths", kind=int, low=1) for w in widths)
        if len(widths) < 2:
            raise ValueError(f"widths={widths} needs at least an input and an output width")
        self.widths = widths
        self.n_members = len(sigmas)
        device = torch.device(device)
        self.register_buffer("sigma", torch.tensor(sigmas, dtype=dtype, device=device))
        generator = make_generator(seed, torch.device("cpu"))
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            bound = 1.0 / math.sqrt(fan_in)
            w = (torch.rand(fan_out, fan_in, generator=generator, dtype=torch.float64) * 2 - 1) * bound
            b = (torch.rand(fan_out, generator=generator, dtype=torch.float64) * 2 - 1) * bound
            w = w.to(device=device, dtype=dtype).expand(self.n_members, -1, -1).clone()
            b = b.to(device=device, dtype=dtype).expand(self.n_members, -1).clone()
            self.weights.append(torch.nn.Parameter(w))
            self.biases.append(torch.nn.Parameter(b))

    @property
    def n_hidden(self) -> int:
        """Number of hidden (noisy) layers."""
        return len(self.widths) - 2

    def forward(
        self,
        x: torch.Tensor,
        *,
        noise: bool = True,
        generator: torch.Generator | None = None,
        return_hidden: bool = False,
    ):
        """Logits of every member, shape (n_members, n, width_out).

        Parameters
        ----------
        x : Tensor of shape (n, width_in) or (n_members, n, width_in)
        noise : bool, default=True
            Add each member's hidden-layer noise; False gives the noiseless network used for
            losses and accuracies.
        generator : torch.Generator, optional
            Source of the noise (seeded by the caller for reproducibility).
        return_hidden : bool, default=False
            Also return the list of pre-noise hidden values :math:`S_\\ell`, each of shape
            (n_members, n, width_l); earlier layers carry their noise.
        """
        act = _ACTIVATION_FNS[self.activation]
        h = x.expand(self.n_members, -1, -1) if x.ndim == 2 else x
        hidden = []
        sigma = self.sigma.view(-1, 1, 1)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
            if i == last:
                break
            h = act(h)
            if return_hidden:
                hidden.append(h)
            if noise:
                z = torch.randn(h.shape, generator=generator, device=h.device, dtype=h.dtype)
                h = h + sigma * z
        return (h, hidden) if return_hidden else h

    @torch.no_grad()
    def orthonormalize_(self, alpha: float | Sequence[float]) -> None:
        """One step :math:`W \\leftarrow W - \\alpha (W W^\\top W - W)` on every hidden layer.

        The step pulls the rows of each hidden weight matrix towards orthonormality (official
        code of Goldfeld et al. 2019); the output layer is left alone. ``alpha`` may differ per
        member; 0 leaves a member unchanged.
        """
        alphas = _per_member(alpha, self.n_members, "orthonormal_alpha", _check_alpha)
        if not any(alphas):
            return
        a = torch.tensor(alphas, dtype=self.sigma.dtype, device=self.sigma.device).view(-1, 1, 1)
        for w in list(self.weights)[:-1]:
            w.sub_(a * (torch.bmm(torch.bmm(w, w.transpose(1, 2)), w) - w))

    @torch.no_grad()
    def orthonormality_gap(self) -> torch.Tensor:
        """:math:`\\sum_\\ell \\|W_\\ell W_\\ell^\\top - I\\|_F` over the hidden layers, per member."""
        gaps = []
        for w in list(self.weights)[:-1]:
            eye = torch.eye(w.shape[1], dtype=w.dtype, device=w.device)
            gaps.append(torch.linalg.matrix_norm(torch.bmm(w, w.transpose(1, 2)) - eye))
        return torch.stack(gaps).sum(dim=0)


def _check_alpha(alpha, name: str) -> float:
    return check_scalar(alpha, name, kind=float, low=0.0)


def _check_xy(model: NoisyMLP, x, y, name: str):
    device, dtype = model.sigma.device, model.sigma.dtype
    x_t = torch.as_tensor(x).to(device=device, dtype=dtype)
    y_t = torch.as_tensor(y).to(device=device, dtype=torch.long).reshape(-1)
    if x_t.ndim != 2 or x_t.shape[1] != model.widths[0]:
        raise ValueError(f"{name} has shape {tuple(x_t.shape)}; expected (n, {model.widths[0]})")
    if y_t.shape[0] != x_t.shape[0]:
        raise ValueError(f"{name} has {x_t.shape[0]} rows but {y_t.shape[0]} labels")
    if ((y_t < 0) | (y_t >= model.widths[-1])).any():
        raise ValueError(f"labels must lie in 0..{model.widths[-1] - 1}")
    return x_t, y_t


def train_noisy_mlp(
    model: NoisyMLP,
    x,
    y,
    *,
    epochs: int,
    lr: float = 4e-4,
    batch_size: int = 256,
    orthonormal_alpha: float | Sequence[float] = 0.0,
    eval_epochs: Iterable[int] = (),
    callback: Callable[[int, NoisyMLP], None] | None = None,
    seed: int | None = None,
) -> NoisyMLP:
    """Train every member with cross-entropy and Adam on full tensors, in seeded batches.

    Each epoch draws a permutation of the rows from a seeded generator and takes consecutive
    slices of ``batch_size`` rows (the last one may be smaller); there is no DataLoader. The
    loss is the sum over members of each member's mean cross-entropy, so each member gets the
    gradient it would get alone. Noise is on during training (for members with sigma > 0).

    Parameters
    ----------
    model : NoisyMLP
    x : array-like of shape (n_train, width_in)
    y : array-like of shape (n_train,), int labels
    epochs : int
        Number of passes over the data, >= 1.
    lr : float, default=4e-4
        Adam learning rate (official code); betas (0.9, 0.999), eps 1e-8 as in PyTorch.
    batch_size : int, default=256
    orthonormal_alpha : float or sequence of float, default=0.0
        Strength of the orthonormality step applied after every optimiser step
        (:meth:`NoisyMLP.orthonormalize_`), per member; 0 turns it off.
    eval_epochs : iterable of int, default=()
        Epochs (1-based, counted after training that epoch) at which ``callback`` runs.
    callback : callable(epoch, model), optional
        Called under ``torch.no_grad()``; it must not change the parameters.
    seed : int or None, default=None
        Seed of the batch order and the training noise.

    Returns
    -------
    NoisyMLP
        The same model, trained in place.

    Raises
    ------
    ValueError
        For epochs < 1, lr <= 0, batch_size < 1, negative alpha or mismatched data.

    Notes
    -----
    The network is tiny, so autograd and ``torch.optim`` overheads would dominate on a CPU.
    The gradients are therefore written out by hand (the backward pass of an MLP with a
    softmax cross-entropy head) and Adam runs on one flat parameter vector; a test checks
    both against autograd and ``torch.optim.Adam``. Per epoch the noise of all batches is
    drawn in one call.
    """
    epochs = check_epochs(epochs)
    lr = check_scalar(lr, "lr", low=0.0, low_inclusive=False)
    batch_size = check_scalar(batch_size, "batch_size", kind=int, low=1)
    alphas = _per_member(orthonormal_alpha, model.n_members, "orthonormal_alpha", _check_alpha)
    x_t, y_t = _check_xy(model, x, y, "x")
    eval_set = {int(e) for e in eval_epochs}
    trainer = _FlatAdamTrainer(model, lr=lr, alphas=alphas)
    device = x_t.device
    order_gen = make_generator(seed, torch.device("cpu"))
    noise_gen = make_generator(None if seed is None else seed + 1, device)
    x_cols = x_t.T.contiguous()  # (width_in, n): features first, samples along columns
    onehot = torch.nn.functional.one_hot(y_t, model.widths[-1]).to(x_t.dtype).T.contiguous()
    # One thread is fastest for these tiny products; the callback gets the caller's threads.
    threads = torch.get_num_threads()
    single_thread = device.type == "cpu" and threads > 1
    try:
        if single_thread:
            torch.set_num_threads(1)
        _train_epochs(trainer, x_cols, onehot, epochs, batch_size, order_gen, noise_gen,
                      eval_set, callback, threads if single_thread else None)
    finally:
        if single_thread:
            torch.set_num_threads(threads)
    return model


def _train_epochs(trainer, x_cols, onehot, epochs, batch_size, order_gen, noise_gen, eval_set,
                  callback, callback_threads):
    model, device, n = trainer.model, x_cols.device, x_cols.shape[1]
    for epoch in range(1, epochs + 1):
        order = torch.randperm(n, generator=order_gen).to(device)
        x_epoch, y_epoch = x_cols[:, order], onehot[:, order]
        noise = trainer.draw_noise(n, noise_gen)
        for start in range(0, n, batch_size):
            cols = slice(start, start + batch_size)
            trainer.step(x_epoch[:, cols], y_epoch[:, cols], None if noise is None else noise[..., cols])
        if callback is not None and epoch in eval_set:
            if callback_threads:
                torch.set_num_threads(callback_threads)
            with torch.no_grad():
                callback(epoch, model)
            if callback_threads:
                torch.set_num_threads(1)


class _FlatAdamTrainer:
    """Hand-written forward/backward and Adam on one flat vector holding every parameter.

    The model's parameters are re-pointed at views of the flat vector, so the model sees
    every update. Tensors are laid out features-first: activations are (members, width, batch).
    """

    def __init__(self, model: NoisyMLP, *, lr: float, alphas: list[float],
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.model, self.lr, self.betas, self.eps = model, lr, betas, eps
        params = list(model.weights) + list(model.biases)
        total = sum(p.numel() for p in params)
        ref = model.sigma
        self.flat = torch.empty(total, dtype=ref.dtype, device=ref.device)
        self.grad = torch.zeros_like(self.flat)
        self.m = torch.zeros_like(self.flat)
        self.v = torch.zeros_like(self.flat)
        self.w, self.b, self.gw, self.gb = [], [], [], []
        offset = 0
        for w, b in zip(model.weights, model.biases, strict=True):
            for p, views, grads, shape in ((w, self.w, self.gw, w.shape), (b, self.b, self.gb, (*b.shape, 1))):
                size = p.numel()
                self.flat[offset : offset + size] = p.detach().reshape(-1)
                view = self.flat[offset : offset + size].view(shape)
                p.data = view.view(p.shape)
                views.append(view)
                grads.append(self.grad[offset : offset + size].view(shape))
                offset += size
        self.t = 0
        self.act = model.activation
        sigma = model.sigma
        self.noisy = (sigma > 0).nonzero()[:, 0]
        self.all_noisy = int(self.noisy.numel()) == model.n_members
        self.sigma_noisy = sigma[self.noisy].view(-1, 1, 1)
        self.hidden_widths = list(model.widths[1:-1])
        self.alphas = None
        if any(alphas):
            self.alphas = torch.tensor(alphas, dtype=ref.dtype, device=ref.device).view(-1, 1, 1)

    def draw_noise(self, n: int, generator: torch.Generator) -> torch.Tensor | None:
        if self.noisy.numel() == 0:
            return None
        shape = (int(self.noisy.numel()), sum(self.hidden_widths), n)
        z = torch.randn(shape, generator=generator, dtype=self.flat.dtype, device=self.flat.device)
        return z.mul_(self.sigma_noisy)

    def step(self, x: torch.Tensor, onehot: torch.Tensor, noise: torch.Tensor | None) -> None:
        k = self.model.n_members
        h = x.expand(k, -1, -1)
        inputs, outputs = [h], []
        row = 0
        last = len(self.w) - 1
        for i in range(last + 1):
            a = torch.baddbmm(self.b[i], self.w[i], h)
            if i == last:
                break
            s = _ACTIVATION_FNS[self.act](a)
            outputs.append(s)
            width = s.shape[1]
            if noise is None:
                h = s
            elif self.all_noisy:
                h = s + noise[:, row : row + width]
            else:
                h = s.index_add(0, self.noisy, noise[:, row : row + width])
            row += width
            inputs.append(h)
        e = (a - a.amax(dim=1, keepdim=True)).exp_()
        d = (e / e.sum(dim=1, keepdim=True) - onehot) / x.shape[1]
        for i in range(last, -1, -1):
            torch.bmm(d, inputs[i].transpose(1, 2), out=self.gw[i])
            torch.sum(d, dim=2, keepdim=True, out=self.gb[i])
            if i == 0:
                break
            d = torch.bmm(self.w[i].transpose(1, 2), d)
            s = outputs[i - 1]
            if self.act == "tanh":
                d = d * (1 - s * s)
            elif self.act == "relu":
                d = d * (s > 0)
        self._adam()
        if self.alphas is not None:
            for w in self.w[:-1]:
                w.sub_(self.alphas * (torch.bmm(torch.bmm(w, w.transpose(1, 2)), w) - w))

    def _adam(self) -> None:
        self.t += 1
        beta1, beta2 = self.betas
        self.m.lerp_(self.grad, 1 - beta1)
        self.v.mul_(beta2).addcmul_(self.grad, self.grad, value=1 - beta2)
        bias1 = 1 - beta1**self.t
        bias2 = 1 - beta2**self.t
        denom = (self.v.sqrt() / math.sqrt(bias2)).add_(self.eps)
        self.flat.addcdiv_(self.m, denom, value=-self.lr / bias1)


@torch.no_grad()
def evaluate_noiseless(model: NoisyMLP, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy (nats) and accuracy of every member's noiseless network.

    Returns
    -------
    loss, accuracy : ndarray of shape (n_members,)
    """
    x_t, y_t = _check_xy(model, x, y, "x")
    logits = model(x_t, noise=False)
    n_out = model.widths[-1]
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, n_out).double(), y_t.repeat(model.n_members), reduction="none"
    ).reshape(model.n_members, -1)
    accuracy = (logits.argmax(dim=-1) == y_t).double().mean(dim=1)
    return loss.mean(dim=1).cpu().numpy(), accuracy.cpu().numpy()


@torch.no_grad()
def hidden_noiseless(model: NoisyMLP, x, member: int = 0) -> list[torch.Tensor]:
    """Noiseless hidden values :math:`S_\\ell(x)` of one member, each of shape (n, width_l)."""
    x_t = torch.as_tensor(x).to(device=model.sigma.device, dtype=model.sigma.dtype)
    _, hidden = model(x_t, noise=False, return_hidden=True)
    return [h[member] for h in hidden]


@torch.no_grad()
def sample_layers(
    model: NoisyMLP,
    x,
    n_replicas: int,
    *,
    member: int = 0,
    seed: int | None = None,
) -> list[torch.Tensor]:
    """Samples of every hidden layer's pre-noise value for every input, in one batched pass.

    Each input is pushed through the noisy network ``n_replicas`` times with fresh noise. For
    layer :math:`\\ell` the value kept is :math:`S_\\ell`, taken before the layer's own noise
    :math:`Z_\\ell`, with the noise of layers :math:`1..\\ell-1` drawn (Goldfeld et al. 2019,
    Sec. 3). These are the ``samples`` that :func:`ibtools.mi_noisy_layer` expects.

    Parameters
    ----------
    model : NoisyMLP
    x : array-like of shape (n_inputs, width_in)
    n_replicas : int
        Noise passes per input, >= 1.
    member : int, default=0
        Which member of the model to sample.
    seed : int or None, default=None
        Seed of the noise.

    Returns
    -------
    list of Tensor
        One tensor per hidden layer, of shape (n_inputs, n_replicas, width_l), on the model's
        device and in its dtype. Layer 1 is the same for every replica.
    """
    n_replicas = check_scalar(n_replicas, "n_replicas", kind=int, low=1)
    member = check_scalar(member, "member", kind=int, low=0, high=model.n_members - 1)
    x_t = torch.as_tensor(x).to(device=model.sigma.device, dtype=model.sigma.dtype)
    if x_t.ndim != 2 or x_t.shape[1] != model.widths[0]:
        raise ValueError(f"x has shape {tuple(x_t.shape)}; expected (n_inputs, {model.widths[0]})")
    n_inputs = x_t.shape[0]
    single = _member_view(model, member)
    generator = make_generator(seed, x_t.device)
    repeated = x_t.repeat_interleave(n_replicas, dim=0)
    _, hidden = single(repeated, generator=generator, return_hidden=True)
    return [h[0].reshape(n_inputs, n_replicas, -1) for h in hidden]


def _member_view(model: NoisyMLP, member: int) -> NoisyMLP:
    """A one-member NoisyMLP sharing (not copying) the chosen member's parameters."""
    if model.n_members == 1:
        return model
    view = NoisyMLP.__new__(NoisyMLP)
    torch.nn.Module.__init__(view)
    view.activation, view.widths, view.n_members = model.activation, model.widths, 1
    view.register_buffer("sigma", model.sigma[member : member + 1])
    view.weights = torch.nn.ParameterList(
        [torch.nn.Parameter(w[member : member + 1], requires_grad=False) for w in model.weights]
    )
    view.biases = torch.nn.ParameterList(
        [torch.nn.Parameter(b[member : member + 1], requires_grad=False) for b in model.biases]
    )
    return view
