"""The sparse training path (``autorec_common.sparse``) gives the dense path's
numbers: the same loss and gradients on a batch, the same weights and test RMSE
after training on the same seed. The mutation tests show that the comparisons
can fail: a wrong loss scale or dropout in the wrong place breaks them.
"""

from __future__ import annotations

import weakref

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from autorec_common import sparse as ars
from autorec_common import torch as art


def one_step(mat, rows, hidden=50, seed=0, **model):
    """Loss and gradients of one batch through each path, from the same
    weights and the same dropout draw: ``(dense, sparse)``, each a dict with
    ``loss`` and the gradients in the dense network's layout."""
    torch.manual_seed(seed)
    net = art.AutoRec(hidden, mat.shape[1], **model)
    sparse = ars.SparseAutoRec(net)
    rows = torch.as_tensor(rows)
    torch.manual_seed(seed + 1)
    x = torch.as_tensor(mat).index_select(0, rows)
    dense_loss = art.l2_loss(net(x), x)
    dense_loss.backward()
    torch.manual_seed(seed + 1)
    sparse_loss = sparse.batch_loss(ars.Rows(mat).batch(rows))
    sparse_loss.backward()
    dense = {"loss": dense_loss.detach(), **{k: p.grad for k, p in net.named_parameters()}}
    sparse_grads = {k: p.grad for k, p in sparse.named_parameters()}
    back = art.AutoRec(hidden, mat.shape[1], **model)
    for k, p in sparse.named_parameters():
        p.data = sparse_grads[k]
    sparse.copy_to(back)  # the gradients, laid out as the dense network's
    return dense, {"loss": sparse_loss.detach(),
                   **{k: p.detach() for k, p in back.named_parameters()}}


def largest_gap(dense: dict, sparse: dict) -> float:
    """The largest difference between two sets of gradients, relative to the
    largest dense gradient of the same tensor."""
    return max(float((dense[k] - sparse[k]).abs().max() / dense[k].abs().max().clamp_min(1e-30))
               for k in dense)


def train_both(train, test, epochs, hidden=50, seed=0, **kwargs):
    """Train the same initial network through each path: ``(dense, sparse)``
    histories and trained networks."""
    out = []
    for train_fn in (art.train_autorec, ars.train_sparse):
        art.seed_everything(seed)
        net = art.AutoRec(hidden, train.shape[1], 0.05)
        history = train_fn(net, train, test, num_epochs=epochs, seed=seed, progress=False,
                           device=torch.device("cpu"), **kwargs)
        out.append((history, net))
    return out


@pytest.mark.parametrize("model", [{}, {"num_hidden": [40, 20, 40], "g": "relu"},
                                   {"f": "sigmoid", "dropout": 0.3}])
def test_one_step_gives_the_dense_loss_and_gradients(rating_matrix, model):
    mat = rating_matrix(rows=70, cols=45, density=0.15)
    hidden = model.pop("num_hidden", 30)
    dense, sparse = one_step(mat, [5, 3, 60, 0, 33, 12, 69], hidden, **model)
    assert torch.allclose(dense["loss"], sparse["loss"], rtol=1e-5)
    assert largest_gap(dense, sparse) < 1e-5


def test_mutation_a_wrong_loss_scale_breaks_the_gradients(rating_matrix, monkeypatch):
    """Averaging over the observed entries instead of all entries of the batch
    (a natural slip) changes every gradient: the comparison must see it."""
    mat = rating_matrix(rows=40, cols=30, density=0.2)

    def per_observed(self, batch):
        pred = self.decode_at(self.encode(batch), batch)
        return 0.5 * torch.mean((pred - batch.values) ** 2)

    monkeypatch.setattr(ars.SparseAutoRec, "batch_loss", per_observed)
    dense, sparse = one_step(mat, list(range(0, 40, 3)))
    assert largest_gap(dense, sparse) > 1.0


def test_mutation_dropout_before_the_activation_breaks_the_gradients(rating_matrix,
                                                                      monkeypatch):
    mat = rating_matrix(rows=40, cols=30, density=0.2)

    def encode(self, batch):
        pre = ars._Encode.apply(self.encoder_weight, batch, self._kept["encoder"])
        return self.g[0](self.dropout(pre + self.encoder_bias))

    monkeypatch.setattr(ars.SparseAutoRec, "encode", encode)
    dense, sparse = one_step(mat, list(range(40)), dropout=0.5)
    assert largest_gap(dense, sparse) > 1e-2


@pytest.mark.parametrize("kept", [False, True])
def test_weight_gradients_accumulate_and_a_held_gradient_is_kept(rating_matrix,
                                                                 monkeypatch, kept):
    """Weight gradients, new matrices or (``kept``, as for big weights) written
    into buffers kept between steps: a second backward adds to them, as
    autograd does, and a gradient the caller still holds after ``zero_grad`` is
    never overwritten by the next step."""
    if kept:
        monkeypatch.setattr(ars, "KEEP_BYTES", 0)
    mat = rating_matrix(rows=40, cols=30, density=0.2)
    torch.manual_seed(0)
    model = ars.SparseAutoRec(art.AutoRec(8, 30, dropout=0.0))
    batch = ars.Rows(mat).batch(torch.arange(40))
    model.batch_loss(batch).backward()
    once = {k: p.grad.clone() for k, p in model.named_parameters()}
    model.batch_loss(batch).backward()
    for k, p in model.named_parameters():
        torch.testing.assert_close(p.grad, 2 * once[k])
    held = model.decoder_weight.grad
    model.zero_grad(set_to_none=True)
    model.batch_loss(batch).backward()
    torch.testing.assert_close(held, 2 * once["decoder_weight"])
    torch.testing.assert_close(model.decoder_weight.grad, once["decoder_weight"])
    assert model.decoder_weight.grad is not held
    buffer = weakref.ref(model.encoder_weight.grad)  # not a reference that holds it
    model.zero_grad(set_to_none=True)
    model.batch_loss(batch).backward()  # a buffer nothing else holds is written again
    assert (model.encoder_weight.grad is buffer()) == kept
    torch.testing.assert_close(model.encoder_weight.grad, once["encoder_weight"])


def test_training_gives_the_dense_weights_and_rmse(low_rank_split):
    train, test = low_rank_split(items=90, users=50)
    (dh, dnet), (sh, snet) = train_both(train, test, epochs=6, batch_size=16)
    for column in ("train_loss", "test_rmse"):
        np.testing.assert_allclose(dh.to_frame()[column], sh.to_frame()[column], rtol=1e-5)
    for (name, a), b in zip(dnet.state_dict().items(), snet.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6, msg=name)


def test_early_stopping_keeps_the_same_epoch_and_weights(low_rank_split):
    train, test = low_rank_split(items=60, users=40, seed=3)
    (dh, dnet), (sh, snet) = train_both(train, {"valid": test}, epochs=30, batch_size=8,
                                        lr=0.05, patience=2)
    assert dh.best_epoch == sh.best_epoch and dh.best_epoch < len(dh.rows)
    assert sh.final("valid") == pytest.approx(dh.final("valid"), abs=1e-5)
    torch.testing.assert_close(dnet.decoder.weight, snet.decoder.weight, rtol=1e-4,
                               atol=1e-6)


def test_the_network_gets_its_weights_back_even_after_an_error(low_rank_split):
    train, test = low_rank_split(items=30, users=20, seed=1)
    art.seed_everything(0)
    net = art.AutoRec(8, 20)
    shapes = {k: v.shape for k, v in net.state_dict().items()}
    seen = []

    def stop(epoch, *_):  # look at the network during training, then fail
        seen.append(net.encoder.weight.numel())
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ars.train_sparse(net, train, test, num_epochs=3, device="cpu", seed=0,
                         progress=False, stop_at=stop)
    assert seen == [0]  # released while training: the sparse model holds the copy
    assert {k: v.shape for k, v in net.state_dict().items()} == shapes
    assert torch.isfinite(net.encoder.weight).all() and net(torch.ones(2, 20)).shape == (2, 20)


def test_sparse_inputs_give_what_dense_inputs_give(low_rank_split):
    train, test = low_rank_split()
    results = []
    for tr, te in ((train, test), (sp.csr_matrix(train), sp.coo_matrix(test))):
        art.seed_everything(1)
        net = art.AutoRec(20, train.shape[1])
        h = ars.train_sparse(net, tr, te, num_epochs=2, seed=1, progress=False,
                             device=torch.device("cpu"))
        results.append(h.final())
    assert results[0] == results[1]


def test_batches_cover_every_rating_once_in_the_permuted_order(rating_matrix):
    mat = rating_matrix(rows=23, cols=17, density=0.3)
    data = ars.Rows(mat)
    order = torch.randperm(23, generator=torch.Generator().manual_seed(0))
    batches = list(data.batches(order, 5))
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    for k, b in enumerate(batches):
        rows = order[5 * k:5 * k + 5].numpy()
        dense = np.zeros((len(rows), 17), dtype=np.float32)
        dense[b.rows.numpy(), b.cols.numpy()] = b.values.numpy()
        np.testing.assert_array_equal(dense, mat[rows])


def test_the_evaluator_scores_only_the_test_entries(low_rank_split):
    train, test = low_rank_split()
    torch.manual_seed(0)
    net = art.AutoRec(20, train.shape[1]).eval()
    model = ars.SparseAutoRec(net)
    scorer = ars.EntryScorer({"test": test}, train.shape)
    data = ars.Rows(train)
    rmse = scorer(lambda where: ars.predict_at(model, data, where))["test"]
    assert rmse == pytest.approx(art.evaluator(net, train, test), rel=1e-6)


def test_clear_errors_for_what_the_sparse_path_cannot_train(rating_matrix):
    mat = rating_matrix()
    with pytest.raises(ValueError, match="mask=False"):
        ars.SparseAutoRec(art.AutoRec(10, mat.shape[1], mask=False))
    with pytest.raises(ValueError, match="positive ratings"):
        ars.Rows(mat - 3)
    with pytest.raises(ValueError, match="shapes differ"):
        ars.train_sparse(art.AutoRec(10, mat.shape[1]), mat, mat[:, :-1], num_epochs=1,
                         progress=False)


# --- on MovieLens 100K ------------------------------------------------------------


@pytest.fixture(scope="module")
def ml100k():
    import autorec_common as ac

    return ac.rating_matrices("random", seed=0)


@pytest.mark.data
def test_ml100k_one_step_gives_the_dense_gradients(ml100k):
    order = torch.randperm(len(ml100k.train), generator=torch.Generator().manual_seed(0))
    dense, sparse = one_step(ml100k.train, order[:256], hidden=500, dropout=0.05)
    assert torch.allclose(dense["loss"], sparse["loss"], rtol=1e-5)
    assert largest_gap(dense, sparse) < 1e-4


@pytest.mark.data
def test_ml100k_25_epochs_give_the_dense_test_rmse(ml100k):
    """The chapter's model and settings (notebook 03), on both paths."""
    (dense, _), (sparse, _) = train_both(ml100k.train, ml100k.test, epochs=25, hidden=500)
    assert abs(dense.final() - sparse.final()) < 1e-4
    assert dense.final() < 0.95  # it learned: the comparison is not of two untrained nets


def test_a_weight_changed_between_forward_and_backward_is_refused(rating_matrix):
    """As for a dense layer, autograd refuses a backward through weights that
    were changed in place after the forward pass."""
    mat = rating_matrix(rows=40, cols=30, density=0.2)
    model = ars.SparseAutoRec(art.AutoRec(8, 30, dropout=0.0))
    loss = model.batch_loss(ars.Rows(mat).batch(torch.arange(40)))
    with torch.no_grad():
        model.decoder_weight.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
