"""MXNet Gluon adapter: the AutoRec model family, seeding, the evaluator and
the training loop.

Use it as ``from autorec_common import mxnet as arm``. Importing it switches
MXNet to its NumPy interface (``npx.set_np()``), as every MXNet section of the
book does; it changes nothing else in MXNet's runtime. The CPU speed settings
(engine, threads, operator tuning) are a separate, explicit call made before
MXNet is imported: :func:`autorec_common.mxnet_cpu.use_fast_cpu_settings`.

MXNet 1.9.1 refers to NumPy names that NumPy 1.24 and 2.0 removed
(``numpy.bool``, ``numpy.PZERO``, ...); they are restored before MXNet is
imported (:mod:`autorec_common._numpy_compat`), so it runs on NumPy 1 and 2.
"""

from __future__ import annotations

import random
import time

import numpy as onp

from ._numpy_compat import restore as _restore_numpy_names

_restore_numpy_names()  # before MXNet is imported: the NumPy names MXNet 1.9.1 still uses


import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon, np, npx  # noqa: E402

from .metrics import masked_rmse  # noqa: E402
from .training import EpochEnd, History, progress_bar  # noqa: E402

npx.set_np()


ACTIVATIONS = ("sigmoid", "identity", "relu", "tanh", "elu", "selu")
_DENSE_ACTIVATIONS = {"sigmoid", "relu", "tanh"}  # Gluon's Dense applies these itself


def _activation(name):
    """``(dense_activation, function)`` for an activation name or a callable:
    the name Gluon's ``Dense(activation=...)`` takes, or a function to apply
    after the layer (one of the two is ``None``)."""
    if callable(name):
        return None, name
    if name in _DENSE_ACTIVATIONS:
        return name, None
    if name == "identity":
        return None, None
    if name == "elu":  # MXNet's default slope (alpha) is 0.25; the usual ELU has 1
        return None, lambda x: npx.leaky_relu(x, act_type="elu", slope=1.0)
    if name == "selu":
        return None, lambda x: npx.leaky_relu(x, act_type="selu")
    raise ValueError(f"unknown activation {name!r}; use one of {ACTIVATIONS} or a callable")


def _widths_and_activations(num_hidden, g):
    widths = [int(num_hidden)] if onp.isscalar(num_hidden) else [int(w) for w in num_hidden]
    if not widths:
        raise ValueError("num_hidden: give at least one hidden width")
    if isinstance(g, (list, tuple)):
        if len(g) != len(widths):
            raise ValueError(f"g: {len(g)} activations for {len(widths)} hidden layers")
        gs = list(g)
    else:
        gs = [g] * len(widths)
    return widths, gs


class AutoRec(gluon.nn.Block):
    """AutoRec, h(r) = f(W g(V r + mu) + b), as a Gluon block (D2L 16.4.2).

    The defaults are the book's item-based model: ``num_hidden`` sigmoid units,
    dropout, an identity decoder, and in training (inside ``autograd.record()``)
    the output masked by ``sign(input)``, so that unobserved entries add
    neither error nor gradient.

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
    them (``net.initialize()`` then needs no initializer; one passed there
    does not override it), or ``"he"`` (He/MSRA for ReLU stacks); biases are zero.

    Layers: ``encoder`` (V, mu), ``hidden`` (the layers between, empty for the
    book's model) and ``decoder`` (W, b), each a ``gluon.nn.Dense`` with its
    weight stored as (out, in), as PyTorch's ``nn.Linear``.
    """

    def __init__(self, num_hidden, num_users: int, dropout: float = 0.05, *, g="sigmoid",
                 f="identity", mask: bool = True, init: str = "normal"):
        super().__init__()
        widths, gs = _widths_and_activations(num_hidden, g)
        if init == "normal":
            weight_init = mx.init.Normal(0.01)
        elif init == "he":
            weight_init = mx.init.MSRAPrelu(factor_type="in", slope=0.0)
        else:
            raise ValueError(f"init must be 'normal' or 'he', not {init!r}")
        acts = [_activation(a) for a in gs]
        dense_f, self._f = _activation(f)
        self._g = [fn for _, fn in acts]
        self.mask = mask
        self.encoder = gluon.nn.Dense(widths[0], activation=acts[0][0],
                                      weight_initializer=weight_init)
        self.hidden = gluon.nn.Sequential()
        for width, (dense_act, _) in zip(widths[1:], acts[1:]):
            self.hidden.add(gluon.nn.Dense(width, activation=dense_act,
                                           weight_initializer=weight_init))
        self.decoder = gluon.nn.Dense(num_users, activation=dense_f,
                                      weight_initializer=weight_init)
        self.dropout = gluon.nn.Dropout(dropout)

    @property
    def layers(self) -> list:
        """The dense layers from input to output: encoder, hidden..., decoder."""
        return [self.encoder] + [self.hidden[i] for i in range(len(self.hidden))] + [self.decoder]

    def forward(self, x):
        h = self.encoder(x)
        if self._g[0] is not None:
            h = self._g[0](h)
        h = self.dropout(h)
        for i, g in enumerate(self._g[1:]):
            h = self.hidden[i](h)
            if g is not None:
                h = g(h)
        pred = self.decoder(h)
        if self._f is not None:
            pred = self._f(pred)
        return pred * np.sign(x) if self.mask and autograd.is_training() else pred


class L2Loss(gluon.loss.Loss):
    """The book's loss, ``gluon.loss.L2Loss()``, for (batch, features) arrays,
    in three passes over the batch instead of four, forward and backward.

    Per row: ``0.5 * mean((label - pred) ** 2)``. Gluon halves every squared
    error and then averages each row with MXNet's reduction, which on a CPU
    is slow; here the factor 1/2 multiplies the row means, and each row is
    averaged as a matrix-vector product with ``1/m``. In training
    (``loss.backward()``) the gradients are Gluon's bit for bit: halving is
    exact in floating point, and the backward pass of either average then
    multiplies by the same rounded ``1/m`` (tested). The loss values agree to
    float32 rounding, since the sums run in another order.
    """

    def __init__(self, **kwargs):
        super().__init__(weight=None, batch_axis=0, **kwargs)
        self._row_weights = {}

    def _row_mean_weights(self, width: int, ctx):
        key = (width, ctx)
        if key not in self._row_weights:
            self._row_weights[key] = np.full((width,), 1.0 / width, ctx=ctx)
        return self._row_weights[key]

    def forward(self, pred, label):
        if pred.ndim != 2 or pred.shape != label.shape:
            raise ValueError(f"arm.L2Loss takes two (batch, features) arrays of one shape; "
                             f"got {pred.shape} and {label.shape} (use "
                             f"gluon.loss.L2Loss() for other shapes)")
        squared = np.square(label - pred)
        return 0.5 * np.dot(squared, self._row_mean_weights(pred.shape[1], pred.ctx))


def try_gpu(i: int = 0):
    """``mx.gpu(i)`` if there is such a GPU, else ``mx.cpu()``.

    (The book's ``d2l.try_all_gpus()`` returns ``[]`` without a GPU, and its
    evaluator's ``split_and_load`` then divides by zero.)
    """
    return mx.gpu(i) if mx.context.num_gpus() > i else mx.cpu()


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and MXNet's generators."""
    random.seed(seed)
    onp.random.seed(seed)
    mx.random.seed(seed)


def on_device(matrix, ctx) -> np.ndarray:
    """``matrix`` as a float32 MXNet array on ``ctx``.

    On a CPU the array *shares* the memory of a C-contiguous float32 NumPy
    matrix (MXNet's zero-copy import; MXNet only reads it here) instead of
    copying it, so training holds one copy of the data, the caller's; other
    inputs are converted once. On a GPU the matrix is copied to the device.
    """
    host = onp.ascontiguousarray(matrix, dtype=onp.float32)
    if ctx.device_type != "cpu":
        return np.array(host, ctx=ctx)
    # from_numpy marks the array it wraps read-only: wrap a view, not the caller's array
    return mx.nd.from_numpy(host.view(), zero_copy=True, array_cls=np.ndarray)


def predict(net, inter_matrix, ctx=None, batch_size: int | None = None) -> onp.ndarray:
    """Reconstruct every row of ``inter_matrix`` (outside ``autograd.record``,
    so dropout is off and the book's model returns unmasked predictions)."""
    ctx = ctx or try_gpu()
    x = inter_matrix if isinstance(inter_matrix, np.ndarray) else on_device(inter_matrix, ctx)
    size = batch_size or x.shape[0]
    parts = [net(x[i:i + size]).asnumpy() for i in range(0, x.shape[0], size)]
    return onp.concatenate(parts)


def evaluator(network, inter_matrix, test_data, devices=None) -> float:
    """The book's evaluator, made to run on a CPU: reconstruct the training
    matrix and score the observed test entries only (RMSE)."""
    if isinstance(devices, (list, tuple)):
        devices = devices[0] if devices else None
    return masked_rmse(predict(network, inter_matrix, devices), test_data)


def train_autorec(net, train_mat, eval_mats=None, *, num_epochs: int = 25,
                  batch_size: int = 256, lr: float = 0.002, wd: float = 1e-5,
                  loss=None, ctx=None, seed: int | None = None,
                  patience: int | None = None, eval_every: int = 1, progress: bool = True,
                  desc: str = "MXNet") -> History:
    """Train a Gluon autoencoder on the rows of ``train_mat`` with Adam.

    Same contract as :func:`autorec_common.torch.train_autorec`. ``loss``
    returns one value per row, as Gluon losses do (default: the book's L2 loss,
    as :class:`L2Loss`, which trains exactly as ``gluon.loss.L2Loss()`` does);
    ``trainer.step(batch)`` divides by the batch size.
    The network must already be initialised (``net.initialize(...)``).

    The matrix is put on the device once (on a CPU it shares the caller's
    array), each batch is one ``np.take`` of its rows, the loss is read back
    once per epoch, and evaluation is one forward pass scored on the observed
    entries only (appendix 13 and ``bench/`` measure what each of these saves).
    """
    ctx = ctx or try_gpu()
    if seed is not None:
        seed_everything(seed)
    loss = loss or L2Loss()
    data = on_device(train_mat, ctx)
    params = net.collect_params()
    trainer = gluon.Trainer(params, "adam", {"learning_rate": lr, "wd": wd})
    rng = onp.random.default_rng(seed if seed is not None else 0)
    bar = progress_bar(num_epochs, progress, desc)

    def restore(best):
        for k, p in params.items():
            p.set_data(best[k])

    end = EpochEnd(eval_mats, num_epochs, eval_every, patience,
                   snapshot=lambda: {k: p.data().copy() for k, p in params.items()}, bar=bar)
    for epoch in bar:
        start = time.perf_counter()
        order = np.array(rng.permutation(data.shape[0]), ctx=ctx, dtype="int64")
        total, rows = np.zeros((), ctx=ctx), 0
        for i in range(0, data.shape[0], batch_size):
            x = np.take(data, order[i:i + batch_size], axis=0)  # = data[order[...]]
            with autograd.record():
                batch_loss = loss(net(x), x)
            batch_loss.backward()
            trainer.step(x.shape[0])
            total = total + batch_loss.sum()
            rows += x.shape[0]
        train_loss = float(total.item()) / rows  # waits for the engine to finish
        if end(epoch, train_loss, time.perf_counter() - start,
               lambda: predict(net, data, ctx)):
            break
    return end.finish(restore)
