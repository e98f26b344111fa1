"""PyTorch adapter: device choice, seeding, the evaluator and the training loop.

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


class AutoRec(nn.Module):
    """The chapter's item-based AutoRec as notebook 03 writes it out: a sigmoid
    encoder with dropout, an identity decoder, weights from Normal(0, 0.01),
    zero biases; in training mode the output is masked by ``sign(x)``. The
    benchmark and the tests use it; the notebooks write their models out."""

    def __init__(self, num_hidden: int, num_users: int, dropout: float = 0.05):
        super().__init__()
        self.encoder = nn.Linear(num_users, num_hidden)
        self.decoder = nn.Linear(num_hidden, num_users)
        self.dropout = nn.Dropout(dropout)
        for layer in (self.encoder, self.decoder):
            nn.init.normal_(layer.weight, mean=0.0, std=0.01)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        hidden = self.dropout(torch.sigmoid(self.encoder(x)))
        pred = self.decoder(hidden)
        return pred * torch.sign(x) if self.training else pred


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


def adam(params, **kwargs) -> torch.optim.Adam:
    """``torch.optim.Adam`` with its fused kernel where this PyTorch has one.

    The fused update does the same arithmetic as the default one (equal up to
    float32 rounding) in one pass over each parameter instead of about ten,
    which matters on a CPU, where every separate operation is a round of
    thread synchronisation.
    """
    params = list(params)
    try:
        return torch.optim.Adam(params, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):  # older PyTorch or device
        return torch.optim.Adam(params, **kwargs)


def train_autorec(net: nn.Module, train_mat, eval_mats=None, *, num_epochs: int = 25,
                  batch_size: int = 256, lr: float = 0.002, wd: float = 1e-5,
                  loss=l2_loss, device=None, seed: int | None = None,
                  patience: int | None = None, eval_every: int = 1, progress: bool = True,
                  desc: str = "PyTorch") -> History:
    """Train an autoencoder to reconstruct the rows of ``train_mat`` with Adam.

    ``eval_mats`` is a matrix (scored as "test") or a mapping of names to
    matrices with the same shape as ``train_mat``; after every epoch the
    network reconstructs ``train_mat`` and each is scored by masked RMSE. With
    ``patience``, training stops once the first evaluation set's RMSE has not
    improved for that many evaluations, and the best weights are restored.
    ``eval_every=k`` evaluates only every k-th epoch and after the last one
    (sweeps that need only the final RMSE save the per-epoch passes).

    Speed: the whole matrix lives on the device once (on a CPU it shares the
    caller's float32 array), each batch is one ``index_select`` of its rows
    (on a CPU several times faster than the equivalent ``data[rows]``), Adam runs
    as one fused kernel per parameter, and evaluation is one forward pass
    scored on the observed entries only.
    """
    device = device or try_gpu()
    if seed is not None:
        seed_everything(seed)
    net.to(device)
    data = torch.as_tensor(np.asarray(train_mat, dtype=np.float32), device=device)
    optimizer = adam(net.parameters(), lr=lr, weight_decay=wd)
    generator = torch.Generator().manual_seed(seed if seed is not None else 0)
    bar = progress_bar(num_epochs, progress, desc)
    end = EpochEnd(eval_mats, num_epochs, eval_every, patience,
                   snapshot=lambda: copy.deepcopy(net.state_dict()), bar=bar)
    for epoch in bar:
        net.train()
        start = time.perf_counter()
        order = torch.randperm(len(data), generator=generator).to(device)
        total = torch.zeros((), device=device)
        for i in range(0, len(data), batch_size):
            x = data.index_select(0, order[i:i + batch_size])  # = data[order[...]], faster
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
