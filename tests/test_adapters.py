"""The training loops of both adapters, on a small synthetic rating matrix."""

import numpy as np
import pytest


def torch_net(users, hidden=20):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc, self.dec = nn.Linear(users, hidden), nn.Linear(hidden, users)

        def forward(self, x):
            pred = self.dec(torch.sigmoid(self.enc(x)))
            return pred * torch.sign(x) if self.training else pred

    return Net()


def test_torch_loop_learns_and_is_reproducible(low_rank_split):
    from autorec_common import torch as art

    train, test = low_rank_split()
    runs = []
    for _ in range(2):
        art.seed_everything(0)
        hist = art.train_autorec(torch_net(train.shape[1]), train, {"test": test},
                                 num_epochs=30, batch_size=16, lr=0.01, seed=0, progress=False)
        runs.append(hist.to_frame())
    frame = runs[0]
    assert frame.train_loss.iloc[-1] < frame.train_loss.iloc[0] / 2
    assert frame.test_rmse.iloc[-1] < frame.test_rmse.iloc[0]
    assert frame.drop(columns="seconds").equals(runs[1].drop(columns="seconds"))


def test_torch_early_stopping_restores_best_weights(low_rank_split):
    from autorec_common import torch as art

    train, test = low_rank_split()
    art.seed_everything(1)
    net = torch_net(train.shape[1])
    hist = art.train_autorec(net, train, {"valid": test}, num_epochs=200, batch_size=16,
                             lr=0.05, wd=0, patience=3, seed=1, progress=False)
    assert hist.best_epoch is not None and len(hist.rows) == hist.best_epoch + 3
    assert art.evaluator(net, train, test) == pytest.approx(hist.final("valid"), rel=1e-6)


def test_torch_eval_every(low_rank_split):
    from autorec_common import torch as art

    train, test = low_rank_split()
    hist = art.train_autorec(torch_net(train.shape[1]), train, test, num_epochs=7,
                             eval_every=3, seed=0, progress=False)
    evaluated = [r["epoch"] for r in hist.rows if "test_rmse" in r]
    assert evaluated == [3, 6, 7] and hist.final() == hist.rows[-1]["test_rmse"]


def test_mxnet_loop_learns(low_rank_split):
    pytest.importorskip("autorec_common.mxnet")
    import mxnet as mx
    from mxnet import autograd, np as mnp
    from mxnet.gluon import nn

    from autorec_common import mxnet as arm

    class Net(nn.Block):
        def __init__(self, users):
            super().__init__()
            self.enc, self.dec = nn.Dense(20, activation="sigmoid"), nn.Dense(users)

        def forward(self, x):
            pred = self.dec(self.enc(x))
            return pred * mnp.sign(x) if autograd.is_training() else pred

    train, test = low_rank_split()
    arm.seed_everything(0)
    net = Net(train.shape[1])
    net.initialize(mx.init.Normal(0.01))
    hist = arm.train_autorec(net, train, test, num_epochs=30, batch_size=16, lr=0.01,
                             seed=0, progress=False).to_frame()
    assert hist.train_loss.iloc[-1] < hist.train_loss.iloc[0] / 2
    assert hist.test_rmse.iloc[-1] < hist.test_rmse.iloc[0]
    assert arm.evaluator(net, train, test, []) == pytest.approx(hist.test_rmse.iloc[-1], rel=1e-5)


# --- the model family: art.AutoRec / arm.AutoRec ----------------------------------

def test_torch_family_defaults_are_the_books_model():
    import torch
    from autorec_common import torch as art

    net = art.AutoRec(500, 943)
    assert [tuple(p.shape) for p in net.parameters()] == [(500, 943), (500,), (943, 500), (943,)]
    assert list(net.state_dict()) == ["encoder.weight", "encoder.bias",
                                      "decoder.weight", "decoder.bias"]
    assert net.dropout.p == 0.05 and net.mask
    assert float(net.encoder.weight.detach().std()) == pytest.approx(0.01, rel=0.05)
    assert float(net.decoder.bias.abs().max()) == 0.0
    x = torch.tensor(np.random.default_rng(0).integers(0, 6, (4, 943)).astype(np.float32))
    net.eval()
    h = torch.sigmoid(net.encoder(x))
    torch.testing.assert_close(net(x), net.decoder(h), rtol=0, atol=0)


def test_torch_family_deep_stacks_activations_and_init():
    import torch
    from autorec_common import torch as art

    net = art.AutoRec([40, 20, 40], 30, 0.0, g=["relu", "sigmoid", "tanh"], f="relu",
                      init="he")
    assert [layer.out_features for layer in net.layers] == [40, 20, 40, 30]
    assert [layer.in_features for layer in net.layers] == [30, 40, 20, 40]
    assert float(net.hidden[0].weight.std()) == pytest.approx((2 / 40) ** 0.5, rel=0.15)
    x = torch.rand(5, 30) * 5
    net.eval()
    h = torch.relu(net.encoder(x))
    h = torch.tanh(net.hidden[1](torch.sigmoid(net.hidden[0](h))))
    torch.testing.assert_close(net(x), torch.relu(net.decoder(h)))
    custom = art.AutoRec(8, 30, g=torch.nn.functional.softplus, f="identity")
    custom.eval()
    torch.testing.assert_close(custom(x), custom.decoder(
        torch.nn.functional.softplus(custom.encoder(x))))
    for bad in ({"g": "swish"}, {"g": ["relu"]}, {"init": "xavier"}):
        with pytest.raises(ValueError):
            art.AutoRec([8, 4], 30, **bad)


def test_torch_family_dropout_acts_after_the_first_hidden_layer_only():
    import torch
    from autorec_common import torch as art

    net = art.AutoRec([16, 8], 12, dropout=0.5)
    seen = []
    net.dropout.register_forward_hook(lambda m, i, o: seen.append(i[0].shape[1]))
    net(torch.ones(3, 12))
    assert seen == [16]


def test_torch_family_trains_an_item_based_model(low_rank_split):
    from autorec_common import torch as art

    train, test = low_rank_split()
    net = art.AutoRec(20, train.shape[1], dropout=0.0)
    hist = art.train_autorec(net, train, test, num_epochs=30, batch_size=16, lr=0.01,
                             seed=0, progress=False).to_frame()
    assert hist.train_loss.iloc[-1] < hist.train_loss.iloc[0] / 2


def test_mxnet_family_shapes_and_default_initialisation():
    pytest.importorskip("autorec_common.mxnet")
    from autorec_common import mxnet as arm
    from mxnet import np as mnp

    net = arm.AutoRec([40, 20, 40], 30, g="relu", init="he")
    net.initialize()
    net(mnp.ones((2, 30)))
    assert [layer.weight.shape for layer in net.layers] == [(40, 30), (20, 40), (40, 20), (30, 40)]
    book = arm.AutoRec(500, 943)
    book.initialize()  # the book's Normal(0, 0.01) without naming it
    book(mnp.ones((1, 943)))
    assert float(book.encoder.weight.data().std()) == pytest.approx(0.01, rel=0.05)
    assert float(abs(book.decoder.bias.data()).max()) == 0.0
    with pytest.raises(ValueError):
        arm.AutoRec(8, 30, f="swish")
