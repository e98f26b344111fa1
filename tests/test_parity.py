"""MXNet Gluon and PyTorch AutoRec agree when they hold the same weights.

The two models mirror notebooks 02 (Gluon) and 03 (PyTorch): a sigmoid
encoder, dropout, an identity decoder, and the book's training-time masking of
the output by ``sign(input)``. Loaded with the same weights they must give the
same predictions, the same masked RMSE through the shared evaluators, and,
after one optimiser step on the same batch, the same weights: that pins down
the loss scaling (Gluon's ``L2Loss`` + ``Trainer.step(batch)`` versus
``art.l2_loss``) and the weight-decay semantics of the two frameworks.

Also checked: notebook 03 never imports MXNet or d2l, so it runs where they
are not installed.
"""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as onp
import pytest
import torch
from torch import nn

import autorec_common as ac
from autorec_common import torch as art

pytest.importorskip("autorec_common.mxnet")  # restores the NumPy names MXNet uses
import mxnet as mx  # noqa: E402
from autorec_common import mxnet as arm  # noqa: E402  (restores numpy.bool first)
from mxnet import autograd, gluon, np as mnp  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PYTORCH_NOTEBOOK = REPO / "notebooks" / "03_autorec_pytorch.ipynb"
DATA_NOTEBOOK = REPO / "notebooks" / "01_movielens_100k.ipynb"
WITHOUT_MXNET = [PYTORCH_NOTEBOOK, DATA_NOTEBOOK]  # they must run where MXNet is missing
RTOL, ATOL = 1e-5, 1e-6  # float32, different kernels and summation orders


# --- the two models (art.AutoRec, arm.AutoRec), as notebooks 03 and 02 write them

def twin_models(num_hidden, num_users, dropout=0.0, seed=0, scale=None, **family):
    """A PyTorch AutoRec and a Gluon AutoRec holding the same weights.

    ``scale`` replaces the book's Normal(0, 0.01) by larger random weights and
    biases, so that small test matrices give predictions far from constant.
    ``family``: the model family's keyword arguments (``g``, ``f``, ``mask``).
    """
    torch.manual_seed(seed)
    tnet = art.AutoRec(num_hidden, num_users, dropout, **family)
    if scale is not None:
        with torch.no_grad():
            for p in tnet.parameters():
                p.normal_(0.0, scale)
    gnet = arm.AutoRec(num_hidden, num_users, dropout, **family)
    gnet.initialize(ctx=mx.cpu())
    gnet(mnp.zeros((1, num_users)))  # deferred initialisation: shapes are now known
    # Gluon's Dense stores its weight as (out, in), exactly like torch's Linear.
    assert len(gnet.layers) == len(tnet.layers)
    for glayer, tlayer in zip(gnet.layers, tnet.layers):
        assert glayer.weight.shape == tuple(tlayer.weight.shape)
        glayer.weight.set_data(mnp.array(tlayer.weight.detach().numpy()))
        glayer.bias.set_data(mnp.array(tlayer.bias.detach().numpy()))
    return tnet, gnet


def torch_weights(net):
    return [p for layer in net.layers for p in (layer.weight, layer.bias)]


def gluon_weights(net):
    return [p for layer in net.layers for p in (layer.weight, layer.bias)]


def assert_same_weights(tnet, gnet, rtol=RTOL, atol=ATOL):
    for tp, gp in zip(torch_weights(tnet), gluon_weights(gnet)):
        onp.testing.assert_allclose(gp.data().asnumpy(), tp.detach().numpy(),
                                    rtol=rtol, atol=atol, err_msg=gp.name)


# --- predictions and the evaluator --------------------------------------------

@pytest.mark.parametrize("scale", [None, 0.5])
def test_same_weights_same_predictions(scale, rating_matrix):
    train, test = rating_matrix(30, 17, 0.3, seed=1), rating_matrix(30, 17, density=0.1, seed=2)
    tnet, gnet = twin_models(9, 17, dropout=0.05, scale=scale)
    tnet.eval()  # Gluon is in prediction mode outside autograd.record()
    pt = art.predict(tnet, train)
    pg = arm.predict(gnet, train, ctx=mx.cpu())
    assert pt.shape == pg.shape == train.shape
    onp.testing.assert_allclose(pg, pt, rtol=RTOL, atol=ATOL)
    if scale is not None:  # not trivially constant
        assert pt.std() > 0.1
    # the same masked RMSE, through the shared metric and both evaluators
    rmse = ac.masked_rmse(pt, test)
    assert art.evaluator(tnet, train, test) == pytest.approx(rmse, rel=1e-5)
    assert arm.evaluator(gnet, train, test, [mx.cpu()]) == pytest.approx(rmse, rel=1e-5)
    assert arm.evaluator(gnet, train, test, []) == pytest.approx(rmse, rel=1e-5)  # CPU-only
    # eval mode switches dropout off: predictions do not depend on the call
    onp.testing.assert_array_equal(art.predict(tnet, train), pt)


def test_training_mode_masks_unobserved_outputs(rating_matrix):
    x = rating_matrix(12, 17, 0.3, seed=3)
    assert (x == 0).any() and (x != 0).any()
    tnet, gnet = twin_models(9, 17, dropout=0.0, scale=0.5)
    tnet.train()
    out_t = tnet(torch.from_numpy(x)).detach().numpy()
    with autograd.record():  # training mode in Gluon
        out_g = gnet(mnp.array(x)).asnumpy()
    for out in (out_t, out_g):
        assert onp.all(out[x == 0] == 0)          # unobserved: exactly zero
        assert onp.all(out[x != 0] != 0)          # observed: the prediction
    onp.testing.assert_allclose(out_g, out_t, rtol=RTOL, atol=ATOL)
    # outside training the outputs are not masked
    tnet.eval()
    assert onp.all(art.predict(tnet, x)[x == 0] != 0)
    assert onp.all(arm.predict(gnet, x, ctx=mx.cpu())[x == 0] != 0)


# --- the model family: deep stacks and other activations ------------------------

FAMILY = [
    pytest.param({"num_hidden": [12, 7, 12], "g": "sigmoid"}, id="deep-sigmoid"),
    pytest.param({"num_hidden": [12, 7, 12], "g": ["relu", "sigmoid", "relu"]}, id="deep-mixed"),
    pytest.param({"num_hidden": 9, "g": "tanh", "f": "elu"}, id="tanh-elu"),
    pytest.param({"num_hidden": 9, "g": "selu", "f": "relu"}, id="selu-relu"),
    pytest.param({"num_hidden": [10, 6], "g": "elu", "f": "sigmoid"}, id="deep-elu-sigmoid"),
]


@pytest.mark.parametrize("family", FAMILY)
def test_family_same_weights_same_predictions(family, rating_matrix):
    train, test = rating_matrix(30, 17, 0.3, seed=11), rating_matrix(30, 17, density=0.1, seed=12)
    family = dict(family)
    tnet, gnet = twin_models(family.pop("num_hidden"), 17, dropout=0.05, scale=0.5, **family)
    tnet.eval()
    pt = art.predict(tnet, train)
    onp.testing.assert_allclose(arm.predict(gnet, train, ctx=mx.cpu()), pt, rtol=RTOL, atol=ATOL)
    assert pt.std() > 0.01  # not trivially constant
    assert arm.evaluator(gnet, train, test, []) == pytest.approx(
        art.evaluator(tnet, train, test), rel=1e-5)


@pytest.mark.parametrize("family", FAMILY[:3])
def test_family_one_sgd_step_same_weights(family, rating_matrix):
    batch = rating_matrix(8, 17, 0.3, seed=13)
    family = dict(family)
    tnet, gnet = twin_models(family.pop("num_hidden"), 17, scale=0.5, **family)
    one_step(tnet, gnet, batch, "SGD", {"lr": 0.5, "weight_decay": 0.1},
             {"learning_rate": 0.5, "wd": 0.1})
    assert_same_weights(tnet, gnet, rtol=1e-4, atol=1e-6)


def test_family_without_mask_scores_every_output_in_training(rating_matrix):
    x = rating_matrix(12, 17, 0.3, seed=14)
    tnet, gnet = twin_models(9, 17, scale=0.5, mask=False)
    tnet.train()
    out_t = tnet(torch.from_numpy(x)).detach().numpy()
    with autograd.record():
        out_g = gnet(mnp.array(x)).asnumpy()
    assert onp.all(out_t[x == 0] != 0)
    onp.testing.assert_allclose(out_g, out_t, rtol=RTOL, atol=ATOL)


# --- one training step: loss scaling and weight decay --------------------------

def one_step(tnet, gnet, batch, optimizer, torch_kwargs, gluon_kwargs):
    """One step of each framework's training loop on the same batch, done the
    way ``art.train_autorec`` and ``arm.train_autorec`` do it."""
    tnet.train()
    topt = getattr(torch.optim, optimizer)(tnet.parameters(), **torch_kwargs)
    topt.zero_grad()
    art.l2_loss(tnet(torch.from_numpy(batch)), torch.from_numpy(batch)).backward()
    topt.step()

    trainer = gluon.Trainer(gnet.collect_params(), optimizer.lower(), gluon_kwargs)
    x = mnp.array(batch)
    with autograd.record():
        loss = gluon.loss.L2Loss()(gnet(x), x)  # one value per row
    loss.backward()
    trainer.step(batch.shape[0])                # divides the gradient by the batch size


def test_gradients_have_the_same_scale(rating_matrix):
    """Gluon's L2Loss per row, summed by backward() and divided by the batch size
    in Trainer.step, is art.l2_loss: 0.5 * mean over all entries of the batch."""
    batch = rating_matrix(8, 17, 0.3, seed=4)
    tnet, gnet = twin_models(9, 17, scale=0.5)
    tnet.train()
    art.l2_loss(tnet(torch.from_numpy(batch)), torch.from_numpy(batch)).backward()
    x = mnp.array(batch)
    with autograd.record():
        loss = gluon.loss.L2Loss()(gnet(x), x)
    loss.backward()
    for tp, gp in zip(torch_weights(tnet), gluon_weights(gnet)):
        onp.testing.assert_allclose(gp.grad().asnumpy() / len(batch), tp.grad.numpy(),
                                    rtol=1e-4, atol=1e-7, err_msg=gp.name)
    # A plain nn.MSELoss (as in some PyTorch ports) doubles the gradient.
    tnet.zero_grad()
    nn.MSELoss()(tnet(torch.from_numpy(batch)), torch.from_numpy(batch)).backward()
    onp.testing.assert_allclose(tnet.decoder.weight.grad.numpy(),
                                2 * gnet.decoder.weight.grad().asnumpy() / len(batch),
                                rtol=1e-4, atol=1e-7)


def test_one_sgd_step_same_weights(rating_matrix):
    """SGD makes the update proportional to the gradient, so this checks the
    loss scaling and that both 'wd' (Gluon) and weight_decay (PyTorch) add
    wd * w to the gradient, biases included."""
    batch = rating_matrix(8, 17, 0.3, seed=5)
    tnet, gnet = twin_models(9, 17, scale=0.5)
    before = [p.detach().clone() for p in torch_weights(tnet)]
    lr, wd = 0.5, 0.1  # large, so that both terms move the weights visibly
    one_step(tnet, gnet, batch, "SGD", {"lr": lr, "weight_decay": wd},
             {"learning_rate": lr, "wd": wd})
    assert_same_weights(tnet, gnet)
    # weight decay reached the biases too (they moved although the decoder bias
    # of a user with no rating in the batch has a zero loss gradient)
    unrated = onp.flatnonzero((batch == 0).all(axis=0))
    assert len(unrated) > 0
    b0, b1 = before[3].numpy()[unrated], tnet.decoder.bias.detach().numpy()[unrated]
    onp.testing.assert_allclose(b1, b0 * (1 - lr * wd), rtol=1e-5)


def test_one_adam_step_same_weights(rating_matrix):
    """The book's optimiser. Gluon's Adam folds the bias correction into the
    learning rate and adds epsilon to sqrt(v) uncorrected; PyTorch adds it to
    the bias-corrected sqrt(v_hat). Both add wd * w to the gradient. With
    Gluon's epsilon set to eps * sqrt(1 - beta2**t) (t = 1 here) the two
    updates are the same; with the same nominal epsilon they differ only where
    the gradient is as small as epsilon."""
    batch = rating_matrix(8, 17, 0.3, seed=6)
    lr, wd, eps, beta2 = 0.002, 1e-5, 1e-8, 0.999

    tnet, gnet = twin_models(9, 17, scale=0.5)
    one_step(tnet, gnet, batch, "Adam", {"lr": lr, "weight_decay": wd, "eps": eps},
             {"learning_rate": lr, "wd": wd, "epsilon": eps * math.sqrt(1 - beta2)})
    assert_same_weights(tnet, gnet, rtol=1e-5, atol=1e-7)

    # Same nominal epsilon: parameters with ordinary gradients still agree, and
    # the difference is bounded by the learning rate.
    tnet, gnet = twin_models(9, 17, scale=0.5)
    one_step(tnet, gnet, batch, "Adam", {"lr": lr, "weight_decay": wd, "eps": eps},
             {"learning_rate": lr, "wd": wd, "epsilon": eps})
    onp.testing.assert_allclose(gnet.encoder.weight.data().asnumpy(),
                                tnet.encoder.weight.detach().numpy(), atol=lr)


# --- the real data ------------------------------------------------------------

@pytest.mark.data
def test_real_data_same_rmse():
    """The book's 500-unit model on the random 90/10 split (seed 0), untrained
    and after a few identical SGD steps: the same test RMSE in both."""
    mats = ac.rating_matrices("random", seed=0)
    tnet, gnet = twin_models(500, mats.num_users, dropout=0.0, seed=0, scale=0.05)
    tnet.eval()
    rmse_t = art.evaluator(tnet, mats.train, mats.test)
    rmse_g = arm.evaluator(gnet, mats.train, mats.test, [mx.cpu()])
    assert rmse_g == pytest.approx(rmse_t, rel=1e-5)
    assert rmse_t == pytest.approx(ac.masked_rmse(art.predict(tnet, mats.train), mats.test))

    batch = mats.train[:256]
    one_step(tnet, gnet, batch, "SGD", {"lr": 1.0, "weight_decay": 1e-5},
             {"learning_rate": 1.0, "wd": 1e-5})
    tnet.eval()
    assert_same_weights(tnet, gnet, rtol=1e-4, atol=1e-6)
    after_t = art.evaluator(tnet, mats.train, mats.test)
    assert after_t != pytest.approx(rmse_t, rel=1e-3)  # the step changed something
    assert arm.evaluator(gnet, mats.train, mats.test, [mx.cpu()]) == pytest.approx(after_t, rel=1e-5)


# --- notebook 03 needs neither MXNet nor d2l ----------------------------------

FORBIDDEN = {"mxnet", "d2l"}


def notebook_imports(path: Path) -> list:
    """The import statements of a notebook's code cells (magics removed)."""
    cells = json.loads(path.read_text())["cells"]
    nodes = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        tree = ast.parse("\n".join(lines))
        nodes += [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return nodes


def forbidden_imports(nodes) -> list:
    bad = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        if any(p[0] in FORBIDDEN or (p[0] == "autorec_common" and len(p) > 1 and p[1] in FORBIDDEN)
               for p in (name.split(".") for name in names)):
            bad.append(ast.unparse(node))
    return bad


def test_forbidden_import_detector():
    tree = ast.parse("import mxnet as mx\nfrom d2l import torch as d2l\n"
                     "from autorec_common import mxnet as arm\nimport torch\n"
                     "from autorec_common import torch as art\n")
    assert len(forbidden_imports(tree.body)) == 3


@pytest.mark.parametrize("path", WITHOUT_MXNET, ids=lambda p: p.stem)
def test_pytorch_notebook_never_imports_mxnet_or_d2l(path):
    nodes = notebook_imports(path)
    assert any("autorec_common" in ast.unparse(n) for n in nodes)
    assert forbidden_imports(nodes) == []
    text = path.read_text()
    for cell in json.loads(text)["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            assert "import_module" not in src and "__import__" not in src


@pytest.mark.slow
@pytest.mark.parametrize("path", WITHOUT_MXNET, ids=lambda p: p.stem)
def test_pytorch_notebook_imports_work_without_mxnet_or_d2l(path):
    """Run the notebook's import statements in a fresh interpreter in which
    importing MXNet or d2l fails, so that no module pulls them in indirectly."""
    imports = "\n".join(ast.unparse(n) for n in notebook_imports(path))
    script = (
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        f"        if name.split('.')[0] in {sorted(FORBIDDEN)!r}:\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"{imports}\n"
        f"assert not set({sorted(FORBIDDEN)!r}) & {{m.split('.')[0] for m in sys.modules}}\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr
