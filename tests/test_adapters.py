"""The training loops of both adapters, on a small synthetic rating matrix."""

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
    mx = pytest.importorskip("mxnet")
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
