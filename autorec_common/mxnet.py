"""MXNet Gluon adapter: device choice, seeding, the evaluator and the training loop.

Use it as ``from autorec_common import mxnet as arm``. Importing it switches
MXNet to its NumPy interface (``npx.set_np()``), as the book does.

MXNet 1.9.1 refers to NumPy names that NumPy 1.24 and 2.0 removed
(``numpy.bool``, ``numpy.PZERO``, ...); they are restored before MXNet is
imported (:mod:`autorec_common._numpy_compat`), so it runs on NumPy 1 and 2.

Threads: on Intel CPUs MXNet 1.x runs its operators on half as many threads
as the machine has logical CPUs, assuming two hyper-threads per core. Where
the cores have no hyper-threads (many cloud machines; 2 cores give 1 thread)
that wastes half the machine. Imported before MXNet, this module sets
``MXNET_OMP_MAX_THREADS`` to the number of physical cores the process may use,
unless ``OMP_NUM_THREADS`` or ``MXNET_OMP_MAX_THREADS`` is already set.

Operator tuning: at start-up MXNet times its elementwise operators and, from
those timings and the same halved core count, decides per operator whether
running it on several threads pays. On a 2-core machine it decides that it
does not, and the chapter's model then runs its elementwise operators (the
loss, the mask, the sigmoid) on one thread, two to three times slower than on
two in our measurements. With the CPU-only build this module turns the tuning
off (``MXNET_USE_OPERATOR_TUNING=0``, documented in MXNet's list of environment
variables), so that every operator large enough uses the threads above, unless
that variable is already set.
Only the threading changes: the results are the same (tested).

Engine: MXNet schedules every operator through an asynchronous engine whose
worker threads, on a CPU, compete with the operators' own OpenMP threads for
the same few cores. With MXNet's CPU-only build (the ``mxnet`` package, as
pinned here; GPU builds are called ``mxnet-cu...``) this module selects the
synchronous ``NaiveEngine`` instead, unless ``MXNET_ENGINE_TYPE`` is already
set: the same operators in the same order, so the same results, and on a
2-core machine a time per epoch of the chapter's model that is steadier (the
asynchronous engine has been both faster and much slower in our runs; see
``bench/results.md``). Gluon's ``DataLoader`` worker *processes*
wait forever under that engine, so while it is active this module makes a
``DataLoader`` with ``num_workers > 0`` use worker threads
(``thread_pool=True``) instead, with a warning.
"""

from __future__ import annotations

import functools
import inspect
import os
import random
import sys
import time
import warnings

import numpy as onp

from ._numpy_compat import restore as _restore_numpy_names

_restore_numpy_names()  # before MXNet is imported: the NumPy names MXNet 1.9.1 still uses


def physical_cores() -> int | None:
    """Physical cores this process may run on (Linux), counting the
    hyper-threads of one core once; ``None`` where that cannot be read."""
    try:
        cores = set()
        for cpu in os.sched_getaffinity(0):
            path = f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list"
            with open(path) as siblings:
                cores.add(siblings.read().strip())
        return len(cores) or None
    except (AttributeError, OSError):
        return None


if "mxnet" not in sys.modules and not {"OMP_NUM_THREADS", "MXNET_OMP_MAX_THREADS"} & set(os.environ):
    _cores = physical_cores()
    if _cores:
        os.environ["MXNET_OMP_MAX_THREADS"] = str(_cores)


def _cpu_only_build() -> bool:
    """Whether the installed MXNet is the CPU-only ``mxnet`` distribution."""
    from importlib import metadata

    try:
        metadata.version("mxnet")
        return True
    except metadata.PackageNotFoundError:  # mxnet-cu112 and the like, or a source build
        return False


_SETTING_UP_CPU_BUILD = "mxnet" not in sys.modules and _cpu_only_build()
_CHOOSE_ENGINE = _SETTING_UP_CPU_BUILD and "MXNET_ENGINE_TYPE" not in os.environ
if _CHOOSE_ENGINE:
    os.environ["MXNET_ENGINE_TYPE"] = "NaiveEngine"
if _SETTING_UP_CPU_BUILD:
    os.environ.setdefault("MXNET_USE_OPERATOR_TUNING", "0")

import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon, np, npx  # noqa: E402

from .metrics import masked_rmse  # noqa: E402
from .training import EpochEnd, History, progress_bar  # noqa: E402

npx.set_np()


def _threads_for_dataloader_workers() -> None:
    """Under the NaiveEngine, give ``gluon.data.DataLoader`` worker threads
    instead of worker processes (which would never answer)."""
    loader = gluon.data.DataLoader
    if getattr(loader.__init__, "_autorec_patched", False):
        return
    original = loader.__init__
    signature = inspect.signature(original)

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        if bound.arguments["num_workers"] > 0 and not bound.arguments["thread_pool"]:
            warnings.warn("MXNet runs its synchronous NaiveEngine here (set by "
                          "autorec_common.mxnet or MXNET_ENGINE_TYPE), under which "
                          "DataLoader worker processes never answer; this DataLoader "
                          "uses worker threads instead (thread_pool=True).", stacklevel=2)
            bound.arguments["thread_pool"] = True
        original(*bound.args, **bound.kwargs)

    __init__._autorec_patched = True
    loader.__init__ = __init__


def _start_engine_quietly() -> None:
    """Start MXNet's engine now, without the line it writes to the process's
    standard error when an engine was chosen explicitly ("MXNet start using
    engine: NaiveEngine"), which would otherwise land in a notebook's output."""
    try:
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except OSError:
        mx.nd.zeros((1,)).wait_to_read()
        return
    try:
        os.dup2(devnull, 2)
        mx.nd.zeros((1,)).wait_to_read()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


if _CHOOSE_ENGINE:
    _start_engine_quietly()
if os.environ.get("MXNET_ENGINE_TYPE") == "NaiveEngine":
    _threads_for_dataloader_workers()


class AutoRec(gluon.nn.Block):
    """The book's item-based AutoRec (D2L 16.4.2) as notebook 02 writes it out:
    a sigmoid encoder, dropout, an identity decoder; in training mode the
    output is masked by ``sign(input)``. Initialise it with
    ``mx.init.Normal(0.01)``. The benchmark and the tests use it; the notebooks
    write their models out."""

    def __init__(self, num_hidden: int, num_users: int, dropout: float = 0.05):
        super().__init__()
        self.encoder = gluon.nn.Dense(num_hidden, activation="sigmoid", use_bias=True)
        self.decoder = gluon.nn.Dense(num_users, use_bias=True)
        self.dropout = gluon.nn.Dropout(dropout)

    def forward(self, x):
        hidden = self.dropout(self.encoder(x))
        pred = self.decoder(hidden)
        return pred * np.sign(x) if autograd.is_training() else pred


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
    as :class:`L2Loss`, which trains exactly as ``gluon.loss.L2Loss()`` does,
    faster); ``trainer.step(batch)`` divides by the batch size.
    The network must already be initialised (``net.initialize(...)``).

    Speed: the matrix is on the device once (on a CPU it shares the caller's
    array), each batch is one ``np.take`` of its rows (on a CPU several times
    faster than the equivalent ``data[rows]``), the loss makes three passes
    over the batch instead of four (:class:`L2Loss`), its value is read back once
    per epoch (with the asynchronous engine of a GPU build, Python does not
    wait after each batch), and evaluation is one forward pass scored on the
    observed entries only.
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
            x = np.take(data, order[i:i + batch_size], axis=0)  # = data[order[...]], faster
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
