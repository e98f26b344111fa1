"""PyTorch adapter: the AutoRec model family, device choice, seeding, the
evaluator and the training loop.

Imports PyTorch and the framework-neutral core only; neither MXNet nor d2l is
needed. Use it as ``from autorec_common import torch as art``.
"""

from __future__ import annotations

import copy
import random
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .metrics import masked_rmse
from .training import EpochEnd, History, progress_bar


def try_gpu(i: int = 0) -> torch.device:
    """The ``i``-th CUDA GPU if there is one, else the CPU.

    (The book's ``d2l.try_all_gpus()`` returns an empty list on a machine
    without a GPU, and its evaluator then has no device to run on.)
    """
    if torch.cuda.device_count() > i:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's generators (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _identity(x):
    return x


_ACTIVATION_FUNCTIONS = {"sigmoid": torch.sigmoid, "identity": _identity, "relu": F.relu,
                         "tanh": torch.tanh, "elu": F.elu, "selu": F.selu}
ACTIVATIONS = tuple(_ACTIVATION_FUNCTIONS)


def activation(name):
    """The function for an activation name in :data:`ACTIVATIONS`, or ``name``
    itself if it is callable."""
    if callable(name):
        return name
    try:
        return _ACTIVATION_FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; use one of {ACTIVATIONS} "
                         f"or a callable") from None


class AutoRec(nn.Module):
    """AutoRec, h(r) = f(W g(V r + mu) + b), as a PyTorch module (D2L 16.4.2).

    The defaults are the book's item-based model: ``num_hidden`` sigmoid units,
    dropout, an identity decoder, and in training mode the output masked by
    ``sign(input)``, so that unobserved entries add neither error nor gradient.

    ``num_hidden``: the width k of the hidden layer, or a list of widths for
    a deeper stack (``[500, 250, 500]``: three hidden layers).
    ``num_users``: the width of the input and of the output, the book's name
    (for I-AutoRec each row is an item's ratings by all users; pass the number
    of items for U-AutoRec).
    ``dropout``: applied once, to the first hidden layer's output (after its
    activation), as the book does; ``0`` switches it off.
    ``g``: the encoder activation, a name in :data:`ACTIVATIONS` or a callable;
    for a stack, one for all hidden layers or a list with one per layer.
    ``f``: the decoder (output) activation.
    ``mask``: multiply the training output by ``sign(input)``.
    ``init``: ``"normal"``, weights from Normal(0, 0.01) as the book initialises
    them, or ``"he"`` (Kaiming normal, fan-in, for ReLU stacks); biases are zero.

    Layers: ``encoder`` (V, mu), ``hidden`` (the layers between, empty for the
    book's model) and ``decoder`` (W, b), each an ``nn.Linear``.
    """

    def __init__(self, num_hidden, num_users: int, dropout: float = 0.05, *, g="sigmoid",
                 f="identity", mask: bool = True, init: str = "normal"):
        super().__init__()
        widths = [int(num_hidden)] if np.isscalar(num_hidden) else [int(w) for w in num_hidden]
        if not widths:
            raise ValueError("num_hidden: give at least one hidden width")
        gs = list(g) if isinstance(g, (list, tuple)) else [g] * len(widths)
        if len(gs) != len(widths):
            raise ValueError(f"g: {len(gs)} activations for {len(widths)} hidden layers")
        if init not in ("normal", "he"):
            raise ValueError(f"init must be 'normal' or 'he', not {init!r}")
        self.g = [activation(a) for a in gs]
        self.f = activation(f)
        self.mask = mask
        self.encoder = nn.Linear(num_users, widths[0])
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.decoder = nn.Linear(widths[-1], num_users)
        self.dropout = nn.Dropout(dropout)
        for layer in self.layers:
            if init == "normal":
                nn.init.normal_(layer.weight, mean=0.0, std=0.01)
            else:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)

    @property
    def layers(self) -> list:
        """The linear layers from input to output: encoder, hidden..., decoder."""
        return [self.encoder, *self.hidden, self.decoder]

    def forward(self, x):
        h = self.dropout(self.g[0](self.encoder(x)))
        for layer, g in zip(self.hidden, self.g[1:]):
            h = g(layer(h))
        pred = self.f(self.decoder(h))
        return pred * torch.sign(x) if self.mask and self.training else pred


def l2_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The book's objective: ``0.5 * (pred - target)**2``, averaged over all
    entries of the batch (Gluon's ``L2Loss`` per row, divided by the batch size
    in ``Trainer.step``).

    Written with ``F.mse_loss``, one fused operation forward and one backward,
    rather than as ``0.5 * torch.mean((pred - target) ** 2)``, which is the
    same number but four separate passes over the batch each way.
    """
    return 0.5 * F.mse_loss(pred, target)


@torch.no_grad()
def predict(net: nn.Module, inter_matrix, device=None, batch_size: int | None = None
            ) -> np.ndarray:
    """Reconstruct every row of ``inter_matrix`` with the network in eval mode."""
    device = device or next(net.parameters()).device
    x = torch.as_tensor(np.asarray(inter_matrix, dtype=np.float32), device=device)
    was_training = net.training
    net.eval()
    size = batch_size or len(x)
    parts = [net(x[i:i + size]) for i in range(0, len(x), size)]
    out = parts[0] if len(parts) == 1 else torch.cat(parts)  # one pass: no copy
    net.train(was_training)
    return out.cpu().numpy()


def evaluator(network: nn.Module, inter_matrix, test_data, device=None) -> float:
    """The book's evaluator: reconstruct the training matrix, score observed
    test entries only (RMSE)."""
    return masked_rmse(predict(network, inter_matrix, device), test_data)


def adam(params, lr: float, weight_decay: float = 0.0) -> torch.optim.Adam:
    """``torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)``, with its
    fused kernel where this PyTorch has one.

    The fused update does the same arithmetic as the default one (equal up to
    float32 rounding) in one pass over each parameter instead of about ten,
    which matters on a CPU, where every separate operation is a round of
    thread synchronisation.
    """
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):  # older PyTorch or device
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def train_autorec(net: nn.Module, train_mat, eval_mats=None, *, num_epochs: int = 25,
                  batch_size: int = 256, lr: float = 0.002, wd: float = 1e-5,
                  loss=l2_loss, device=None, seed: int | None = None,
                  patience: int | None = None, eval_every: int = 1, progress: bool = True,
                  desc: str = "PyTorch", fused: bool = True, stop_at=None) -> History:
    """Train an autoencoder to reconstruct the rows of ``train_mat`` with Adam.

    ``eval_mats`` is a matrix (scored as "test") or a mapping of names to
    matrices with the same shape as ``train_mat``; after every epoch the
    network reconstructs ``train_mat`` and each is scored by masked RMSE. With
    ``patience``, training stops once the first evaluation set's RMSE has not
    improved for that many evaluations, and the best weights are restored.
    ``eval_every=k`` evaluates only every k-th epoch and after the last one
    (sweeps that need only the final RMSE save the per-epoch passes).
    ``stop_at(epoch, best_epoch)`` is asked after each evaluation whether to
    stop there too.

    The whole matrix is put on the device once (on a CPU it shares the
    caller's float32 array), each batch is one ``index_select`` of its rows,
    Adam runs as one fused kernel per parameter, and evaluation is one forward
    pass scored on the observed entries only. ``fused=False`` uses PyTorch's default
    Adam update instead of the fused one (equal up to float32 rounding): then
    the run is, bit for bit, the loop that notebook 03 writes out.
    """
    device = device or try_gpu()
    if seed is not None:
        seed_everything(seed)
    net.to(device)
    data = torch.as_tensor(np.asarray(train_mat, dtype=np.float32), device=device)
    optimizer = (adam(net.parameters(), lr=lr, weight_decay=wd) if fused
                 else torch.optim.Adam(net.parameters(), lr=lr, weight_decay=wd))
    generator = torch.Generator().manual_seed(seed if seed is not None else 0)
    bar = progress_bar(num_epochs, progress, desc)
    end = EpochEnd(eval_mats, num_epochs, eval_every, patience,
                   snapshot=lambda: copy.deepcopy(net.state_dict()), bar=bar,
                   stop_at=stop_at)
    for epoch in bar:
        net.train()
        start = time.perf_counter()
        order = torch.randperm(len(data), generator=generator).to(device)
        total = torch.zeros((), device=device)
        for i in range(0, len(data), batch_size):
            x = data.index_select(0, order[i:i + batch_size])  # = data[order[...]]
            optimizer.zero_grad(set_to_none=True)
            batch_loss = loss(net(x), x)
            batch_loss.backward()
            optimizer.step()
            total += batch_loss.detach() * len(x)
        train_loss = float(total) / len(data)  # waits for the device to finish
        if end(epoch, train_loss, time.perf_counter() - start,
               lambda: predict(net, data, device)):
            break
    return end.finish(net.load_state_dict)
