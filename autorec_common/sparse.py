"""The exact sparse training path of AutoRec in PyTorch.

The dense path (:func:`autorec_common.torch.train_autorec`) multiplies every
entry of the interaction matrix, zeros included, and masks the output. This
module computes only what the masked objective needs: the encoder as a
sparse-times-dense product over a batch's observed ratings, the decoder only at
those ratings, and the evaluator only at the test entries. It trains the same
:class:`~autorec_common.torch.AutoRec` with the same loss scale, dropout, Adam,
weight decay, batch order and random numbers, so a seeded run gives the dense
path's numbers to float tolerance. Use it as
``from autorec_common import sparse as ars``.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn import functional as F

from .torch import AutoRec, adam, seed_everything, try_gpu
from .training import EpochEnd, History, as_eval_dict, progress_bar


def as_csr(mat) -> sp.csr_matrix:
    """``mat`` (a dense array or any SciPy sparse matrix) as a float32 CSR matrix
    with sorted indices and no stored zeros."""
    csr = sp.csr_matrix(mat, dtype=np.float32)
    csr.eliminate_zeros()
    csr.sort_indices()
    if csr.nnz and csr.data.min() < 0:
        raise ValueError("the sparse path needs positive ratings (0 = unobserved), as "
                         "the dense path's sign(input) mask assumes; shift the ratings")
    return csr


class Batch:
    """The observed entries of a batch of rows, in row order, with what the
    sparse products need: ``offsets`` (where each row's entries start),
    ``rows`` (each entry's row within the batch), ``cols``, ``values``, the
    CSR row pointer ``crow``, and the column-sorted view (``by_col``, the
    permutation; ``col_offsets``, where each column's entries start;
    ``col_crow`` and ``rows_by_col``, the transposed pattern in CSR form)."""

    def __init__(self, lengths, cols, values, width):
        device = cols.device
        self.size, self.width = len(lengths), width
        ends = torch.cumsum(lengths, 0)
        self.crow = torch.cat([ends.new_zeros(1), ends])
        self.offsets = self.crow[:-1]
        self.rows = torch.repeat_interleave(torch.arange(len(lengths), device=device),
                                            lengths)
        self.cols, self.values = cols, values
        self.by_col = torch.argsort(cols, stable=True)
        counts = torch.bincount(cols, minlength=width)
        self.col_offsets = torch.cumsum(counts, 0) - counts
        self.col_crow = torch.cat([self.col_offsets, counts.new_full((1,), len(cols))])
        self.rows_by_col = self.rows[self.by_col]

    def __len__(self):
        return self.size


def _rows_times(offsets, cols, values, dense):
    """``S @ dense`` for the sparse rows ``S`` given by ``offsets``, ``cols``
    and ``values`` (one embedding-bag sum per row)."""
    return F.embedding_bag(cols, dense, offsets, mode="sum", per_sample_weights=values)


def _csr(crow, cols, values, shape):
    """A PyTorch CSR matrix (for the sampled and the in-place products)."""
    with warnings.catch_warnings():  # "CSR support is in beta": we use 2 products
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, cols, values, shape, check_invariants=False)


def _pattern(crow, cols, shape):
    """A CSR matrix of zeros with the given sparsity pattern (for sampled products)."""
    return _csr(crow, cols, torch.zeros(len(cols), device=cols.device), shape)


#: Weight gradients of at least this many bytes (on the CPU) are written into
#: a buffer kept from step to step. glibc's allocator maps every block above
#: 32 MiB afresh, so a new gradient that large costs a page fault per 4 KiB and
#: the kernel's zeroing of it, every step: more than the product itself.
KEEP_BYTES = 32 * 2**20


def _add_cols_times(weight, kept: list, batch: Batch, values, dense):
    """Add ``S.T @ dense`` to ``weight.grad`` (setting it where it is ``None``),
    for the batch's sparse pattern ``S`` carrying ``values``.

    A weight of :data:`KEEP_BYTES` or more gets the product in place: where
    ``weight.grad`` is ``None`` (as ``zero_grad`` leaves it) it is written into
    ``kept[0]``, this weight's buffer of an earlier step, unless something else
    still references that buffer.
    """
    p = batch.by_col
    small = weight.numel() * weight.element_size() < KEEP_BYTES
    if weight.device.type != "cpu" or small:
        out = F.embedding_bag(batch.rows_by_col, dense, batch.col_offsets, mode="sum",
                              per_sample_weights=values[p])
        if weight.grad is None:
            weight.grad = out
        else:
            weight.grad += out
        return
    st = _csr(batch.col_crow, batch.rows_by_col, values[p], (batch.width, len(batch)))
    if weight.grad is not None:
        weight.grad.addmm_(st, dense)
        return
    # Two references to a free buffer: the list's and getrefcount's argument.
    if (not kept or sys.getrefcount(kept[0]) > 2 or kept[0].shape != weight.shape
            or kept[0].dtype != weight.dtype or kept[0].device != weight.device):
        kept[:] = [torch.empty_like(weight)]
    weight.grad = kept[0]
    weight.grad.addmm_(st, dense, beta=0.0)  # beta=0: the old contents are not read


class _Encode(torch.autograd.Function):
    """``X @ weight`` for a batch's sparse ratings ``X``. Backward adds the
    gradient for ``weight`` to ``weight.grad`` itself (see
    :func:`_add_cols_times`, with ``kept``); the ratings are data."""

    @staticmethod
    def forward(ctx, weight, batch, kept):
        ctx.batch, ctx.weight, ctx.kept = batch, weight, kept
        return _rows_times(batch.offsets, batch.cols, batch.values, weight)

    @staticmethod
    def backward(ctx, grad):
        if ctx.needs_input_grad[0]:
            _add_cols_times(ctx.weight, ctx.kept, ctx.batch, ctx.batch.values,
                            grad.contiguous())
        return None, None, None


class _ObservedDot(torch.autograd.Function):
    """``out[e] = h[rows[e]] . weight[cols[e]]`` at the batch's observed entries:
    the entries of ``h @ weight.T`` the loss needs, and no others. Backward
    adds the gradient for ``weight`` to ``weight.grad`` itself, as
    :class:`_Encode` does."""

    @staticmethod
    def forward(ctx, h, weight, batch, kept):
        ctx.save_for_backward(h, weight)  # autograd checks they are unchanged
        ctx.batch, ctx.weight, ctx.kept = batch, weight, kept  # weight: for .grad
        pattern = _pattern(batch.crow, batch.cols, (len(batch), len(weight)))
        return torch.sparse.sampled_addmm(pattern, h, weight.t(), beta=0.0).values()

    @staticmethod
    def backward(ctx, grad):
        h, weight = ctx.saved_tensors
        b = ctx.batch
        grad = grad.contiguous()
        if ctx.needs_input_grad[1]:
            _add_cols_times(ctx.weight, ctx.kept, b, grad, h)
        dh = None
        if ctx.needs_input_grad[0]:
            dh = _rows_times(b.offsets, b.cols, grad, weight)
        return dh, None, None, None


class Rows:
    """A CSR matrix held as PyTorch tensors, cut into batches of its rows."""

    def __init__(self, mat, device=None):
        csr = as_csr(mat)
        self.shape = csr.shape
        self.nnz = csr.nnz
        self.indptr = torch.as_tensor(csr.indptr.astype(np.int64), device=device)
        self.lengths = torch.diff(self.indptr)
        self.indices = torch.as_tensor(csr.indices.astype(np.int64), device=device)
        self.data = torch.as_tensor(csr.data, device=device)

    def __len__(self):
        return self.shape[0]

    def batches(self, order: torch.Tensor, batch_size: int):
        """The batches of rows ``order[i:i + batch_size]``, in turn."""
        lengths = self.lengths[order]
        ends = torch.cumsum(lengths, 0)
        pos = torch.arange(int(ends[-1]) if len(ends) else 0, device=order.device)
        pos += (self.indptr[order] - (ends - lengths)).repeat_interleave(lengths)
        cols, values = self.indices[pos], self.data[pos]
        last = list(range(batch_size - 1, len(order), batch_size))
        if len(order) % batch_size:
            last.append(len(order) - 1)
        bounds = [0, *ends[last].tolist()]
        for k, i in enumerate(range(0, len(order), batch_size)):
            a, b = bounds[k], bounds[k + 1]
            yield Batch(lengths[i:i + batch_size], cols[a:b], values[a:b], self.shape[1])

    def batch(self, rows: torch.Tensor) -> Batch:
        """One batch of the given rows."""
        return next(self.batches(rows, max(len(rows), 1)))


class SparseAutoRec(nn.Module):
    """The weights of an :class:`~autorec_common.torch.AutoRec`, laid out for
    sparse inputs: the encoder's weight transposed (one row per input column),
    so that a batch's observed ratings pick the rows they multiply.

    Built from a network; :meth:`copy_to` writes the weights back. Adam and
    weight decay act entry by entry, so training these tensors is training the
    network's.
    """

    def __init__(self, net: AutoRec):
        super().__init__()
        if not net.mask:
            raise ValueError("the sparse path computes the masked objective; "
                             "this network has mask=False: train it densely")
        self.encoder_weight = nn.Parameter(net.encoder.weight.detach().t().contiguous())
        self.encoder_bias = nn.Parameter(net.encoder.bias.detach().clone())
        self.hidden = nn.ModuleList(nn.Linear(layer.in_features, layer.out_features)
                                    for layer in net.hidden)
        self.hidden.load_state_dict(net.hidden.state_dict())
        self.decoder_weight = nn.Parameter(net.decoder.weight.detach().clone())
        self.decoder_bias = nn.Parameter(net.decoder.bias.detach().clone())
        self.dropout = nn.Dropout(net.dropout.p)
        self.g, self.f = net.g, net.f
        self.to(net.encoder.weight.device)
        # The two weight gradients' buffers, kept from step to step (_add_cols_times).
        self._kept = {"encoder": [], "decoder": []}

    @torch.no_grad()
    def copy_to(self, net: AutoRec) -> AutoRec:
        """Write these weights into ``net`` (the network they came from), giving
        back any weight matrix :func:`train_sparse` released while training."""
        for layer, weight in ((net.encoder, self.encoder_weight.t()),
                              (net.decoder, self.decoder_weight)):
            if layer.weight.shape != weight.shape:  # released: allocate it again
                layer.weight.data = torch.empty(weight.shape, dtype=weight.dtype,
                                                device=weight.device)
        net.encoder.weight.copy_(self.encoder_weight.t())
        net.encoder.bias.copy_(self.encoder_bias)
        net.hidden.load_state_dict(self.hidden.state_dict())
        net.decoder.weight.copy_(self.decoder_weight)
        net.decoder.bias.copy_(self.decoder_bias)
        return net

    def encode(self, batch: Batch) -> torch.Tensor:
        """The last hidden layer for a batch of rows: ``g(V r + mu)``, dropout
        (in training mode), then the stack."""
        pre = _Encode.apply(self.encoder_weight, batch, self._kept["encoder"])
        pre = pre + self.encoder_bias
        h = self.dropout(self.g[0](pre))
        for layer, g in zip(self.hidden, self.g[1:]):
            h = g(layer(h))
        return h

    def decode_at(self, h, batch: Batch) -> torch.Tensor:
        """The output ``f(W h + b)`` at the batch's observed entries only."""
        dot = _ObservedDot.apply(h, self.decoder_weight, batch, self._kept["decoder"])
        return self.f(dot + self.decoder_bias.index_select(0, batch.cols))

    def batch_loss(self, batch: Batch) -> torch.Tensor:
        """The dense path's ``l2_loss`` on a batch: half the squared error at the
        observed entries, divided by all entries of the batch (observed or not)."""
        pred = self.decode_at(self.encode(batch), batch)
        return 0.5 * torch.sum((pred - batch.values) ** 2) / (len(batch) * batch.width)


@torch.no_grad()
def predict_at(model: SparseAutoRec, data: Rows, where: Rows,
               batch_size: int = 4096) -> np.ndarray:
    """Reconstructions of ``data``'s rows at the observed entries of ``where``
    (a matrix of the same shape) only, in eval mode (no dropout), in the CSR
    order of ``where``, as float32 NumPy values."""
    if where.shape != data.shape:
        raise ValueError(f"shapes differ: training {data.shape}, evaluation {where.shape}")
    device = data.indices.device
    was_training = model.training
    model.eval()
    order = torch.arange(len(data), device=device)
    h = torch.cat([model.encode(b) for b in data.batches(order, batch_size)])
    pattern = _pattern(where.indptr, where.indices, where.shape)
    dot = torch.sparse.sampled_addmm(pattern, h, model.decoder_weight.t(), beta=0.0)
    out = model.f(dot.values() + model.decoder_bias.index_select(0, where.indices))
    model.train(was_training)
    return out.cpu().numpy()


class EntryScorer:
    """Masked RMSE at each evaluation matrix's observed entries, from
    predictions made at those entries only."""

    def __init__(self, evals: dict, shape, device=None):
        self.entries = {}
        for name, mat in evals.items():
            if tuple(mat.shape) != tuple(shape):
                raise ValueError(f"shapes differ: training {tuple(shape)}, "
                                 f"{name!r} {tuple(mat.shape)}")
            where = Rows(mat, device)
            if not where.nnz:
                raise ValueError(f"no observed entries to score in {name!r}")
            self.entries[name] = where, where.data.cpu().numpy().astype(np.float64)

    def __call__(self, predict) -> dict:
        """``{name: rmse}``; ``predict(where)`` gives the predictions at the
        observed entries of ``where`` (a :class:`Rows`)."""
        scores = {}
        for name, (where, target) in self.entries.items():
            err = predict(where).astype(np.float64) - target
            scores[name] = float(np.sqrt(np.sum(err ** 2) / len(target)))
        return scores


class _EntryEpochEnd(EpochEnd):
    """:class:`EpochEnd` scoring predictions at the evaluation entries only."""

    def __init__(self, evals: dict, shape, device, *args, **kwargs):
        super().__init__(None, *args, **kwargs)
        self.evals = evals
        self.scorer = EntryScorer(evals, shape, device)
        self.first = next(iter(evals), None)


def train_sparse(net: AutoRec, train_mat, eval_mats=None, *, num_epochs: int = 25,
                 batch_size: int = 256, lr: float = 0.002, wd: float = 1e-5, device=None,
                 seed: int | None = None, patience: int | None = None,
                 eval_every: int = 1, progress: bool = True, desc: str = "sparse",
                 fused: bool = True, stop_at=None) -> History:
    """Train ``net`` as :func:`autorec_common.torch.train_autorec` does, touching
    only the observed entries; the trained weights end up in ``net``.

    ``train_mat`` and the evaluation matrices may be dense arrays or SciPy
    sparse matrices of the same shape. The arguments mean what they mean there;
    the loss is the book's ``l2_loss`` (the only one the masked objective
    allows). With the same seed and initial weights the batches and the dropout
    masks are the same as the dense path's.
    """
    device = device or try_gpu()
    if seed is not None:
        seed_everything(seed)
    net.to(device)
    data = Rows(train_mat, device)
    model = SparseAutoRec(net)
    # The sparse model holds its own copy of the two weight matrices: free the
    # network's while training (on ML-20M's shape, 0.55 GB), and give them back,
    # trained, at the end or if training stops with an error.
    for layer in (net.encoder, net.decoder):
        layer.weight.data = layer.weight.data.new_empty(0)
    try:
        history = _train(model, data, eval_mats, num_epochs=num_epochs,
                         batch_size=batch_size, lr=lr, wd=wd, device=device, seed=seed,
                         patience=patience, eval_every=eval_every, progress=progress,
                         desc=desc, fused=fused, stop_at=stop_at)
    finally:
        model.copy_to(net)
    return history


def _train(model, data, eval_mats, *, num_epochs, batch_size, lr, wd, device, seed,
           patience, eval_every, progress, desc, fused, stop_at) -> History:
    """The loop of :func:`train_sparse` on a :class:`SparseAutoRec`."""
    optimizer = (adam(model.parameters(), lr=lr, weight_decay=wd) if fused
                 else torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd))
    generator = torch.Generator().manual_seed(seed if seed is not None else 0)
    bar = progress_bar(num_epochs, progress, desc)

    def snapshot():
        return {k: v.detach().clone() for k, v in model.state_dict().items()}

    end = _EntryEpochEnd(as_eval_dict(eval_mats), data.shape, device, num_epochs,
                         eval_every, patience, snapshot=snapshot, bar=bar, stop_at=stop_at)
    for epoch in bar:
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(data), generator=generator).to(device)
        total = torch.zeros((), device=device)
        for batch in data.batches(order, batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss = model.batch_loss(batch)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(batch)
        train_loss = float(total) / len(data)
        if end(epoch, train_loss, time.perf_counter() - start,
               lambda: lambda where: predict_at(model, data, where)):
            break
    return end.finish(model.load_state_dict)


def synthetic_split(rows: int, cols: int, ratings: int, test_share: float = 0.1,
                    seed: int = 0) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Train and test CSR matrices of ``rows`` x ``cols`` holding ``ratings``
    random 1..5 ratings at distinct random positions, ``test_share`` of them in
    test: a stand-in with a MovieLens release's shape and density, built
    without a dense copy."""
    rng = np.random.default_rng(seed)
    size = rows * cols
    if not 0 < ratings <= size:
        raise ValueError(f"ratings: between 1 and rows * cols = {size}, not {ratings}")
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < ratings:  # draw with replacement, keep distinct positions
        need = ratings - len(keys)
        more = rng.integers(0, size, need + int(1.5 * need * ratings / size) + 16)
        keys = np.sort(np.concatenate([keys, more]))  # np.unique, many times faster
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    extra = rng.choice(len(keys), len(keys) - ratings, replace=False)
    keys = np.delete(keys, extra)
    values = rng.integers(1, 6, ratings).astype(np.float32)
    test = rng.random(ratings) < test_share
    r, c = np.divmod(keys, cols)

    def matrix(keep):
        return sp.csr_matrix((values[keep], (r[keep], c[keep])), shape=(rows, cols))

    return matrix(~test), matrix(test)
